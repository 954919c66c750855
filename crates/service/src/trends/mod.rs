//! Trends: hashtags, links and statuses shared more than usual lately, as Mastodon serves them
//! at `/api/v1/trends/{tags,links,statuses}`. A periodic job on the scheduler scores them from
//! recent activity (see [`score`] for the formula) and keeps the scores; the endpoints read
//! them. Operators may require review: then only what they approved is shown; without review
//! everything but what they rejected is.

mod score;

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::{Account, Id, Timestamp, Visibility};
use rookery_store::TagDay;
use rookery_store::trends::{ReviewFilter, Trend, TrendKind};
use serde::{Deserialize, Serialize};

use crate::moderation::Moderator;
use crate::{Result, ServiceError, Services};

use score::DAY_MS;

/// Days of history a trending hashtag or link shows.
const HISTORY_DAYS: i64 = 7;

/// The `[trends]` configuration section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendsSettings {
    /// Whether trends are computed and shown (off: the endpoints answer empty lists).
    pub enabled: bool,
    /// Only what an operator approved is shown.
    pub review: bool,
}

impl Default for TrendsSettings {
    fn default() -> Self {
        TrendsSettings {
            enabled: true,
            review: false,
        }
    }
}

/// Scores the trends again (the `scheduler` queue, every five minutes).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshTrends {}

impl rookery_jobs::JobSpec for RefreshTrends {
    const KIND: &'static str = "refresh_trends";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Scheduler;
}

/// One page of trends, and whether the store had a full page (so there may be more, even if
/// some of it was hidden from the viewer).
#[derive(Debug, Clone)]
pub struct TrendPage<T> {
    pub items: Vec<T>,
    pub full: bool,
}

impl<T> TrendPage<T> {
    fn empty() -> Self {
        TrendPage {
            items: Vec::new(),
            full: false,
        }
    }
}

/// A trend as operators see it (`rookery admin trends list`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TrendView {
    pub kind: &'static str,
    pub id: String,
    /// The hashtag's name, the link's URL or the status's URL.
    pub name: String,
    pub score: f64,
    /// `approved`, `rejected` or `pending`.
    pub review: &'static str,
}

/// The trends area's use cases.
#[derive(Clone, Copy)]
pub struct Trends<'a> {
    s: &'a Services,
}

impl Services {
    /// Trending hashtags, links and statuses.
    pub fn trends(&self) -> Trends<'_> {
        Trends { s: self }
    }
}

impl Trends<'_> {
    fn filter(&self) -> ReviewFilter {
        if self.s.settings.trends.review {
            ReviewFilter::Approved
        } else {
            ReviewFilter::NotRejected
        }
    }

    /// The shown trends of a kind, best first; `None` when trends are off.
    async fn read(&self, kind: TrendKind, offset: u32, limit: u32) -> Result<Option<Vec<Trend>>> {
        if !self.s.settings.trends.enabled {
            return Ok(None);
        }
        Ok(Some(
            self.s
                .store
                .trend_store()
                .trends(kind, self.filter(), offset, limit)
                .await?,
        ))
    }

    /// `GET /api/v1/trends/tags`.
    pub async fn tags(
        &self,
        viewer: Option<&Account>,
        offset: u32,
        limit: u32,
    ) -> Result<TrendPage<api::Tag>> {
        let Some(rows) = self.read(TrendKind::Tag, offset, limit).await? else {
            return Ok(TrendPage::empty());
        };
        let ids: Vec<Id> = rows.iter().map(|t| t.item_id).collect();
        let items = self
            .tag_entities(viewer, &ids)
            .await?
            .into_iter()
            .map(|(_, tag)| tag)
            .collect();
        Ok(TrendPage {
            full: rows.len() == limit as usize,
            items,
        })
    }

    /// The Tag entities of the hashtags with `ids`, in that order, without those gone.
    pub(crate) async fn tag_entities(
        &self,
        viewer: Option<&Account>,
        ids: &[Id],
    ) -> Result<Vec<(Id, api::Tag)>> {
        let tags = self.s.store.tag_store().tags_by_ids(ids).await?;
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(tag) = tags.iter().find(|t| t.id == *id) else {
                continue; // gone since the refresh
            };
            let (following, featuring) = match viewer {
                Some(v) => {
                    let (following, featuring) = self.s.tags().flags(v.id, tag.id).await?;
                    (Some(following), Some(featuring))
                }
                None => (None, None),
            };
            let entity = self
                .s
                .tags()
                .entity(Some(tag.id), &tag.name, following, featuring)
                .await?;
            items.push((tag.id, entity));
        }
        Ok(items)
    }

    /// `GET /api/v1/trends/links`.
    pub async fn links(&self, offset: u32, limit: u32) -> Result<TrendPage<api::TrendsLink>> {
        let Some(rows) = self.read(TrendKind::Link, offset, limit).await? else {
            return Ok(TrendPage::empty());
        };
        let ids: Vec<Id> = rows.iter().map(|t| t.item_id).collect();
        let items = self
            .link_entities(&ids)
            .await?
            .into_iter()
            .map(|(_, link)| link)
            .collect();
        Ok(TrendPage {
            full: rows.len() == limit as usize,
            items,
        })
    }

    /// The trending-link entities of the cards with `ids`, in that order, without those gone.
    pub(crate) async fn link_entities(&self, ids: &[Id]) -> Result<Vec<(Id, api::TrendsLink)>> {
        let mut found = self.s.store.preview_card_store().cards_by_ids(ids).await?;
        found.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
        let card_ids: Vec<Id> = found.iter().map(|c| c.id).collect();
        let cards = self.s.preview_card_entities(found).await?;
        let today = self.s.clock.now().as_millis().div_euclid(DAY_MS);
        let since = Timestamp::from_millis((today - (HISTORY_DAYS - 1)) * DAY_MS);
        let mut items = Vec::with_capacity(cards.len());
        for (id, card) in card_ids.into_iter().zip(cards) {
            let days = self.s.store.trend_store().link_history(id, since).await?;
            items.push((
                id,
                api::TrendsLink {
                    card,
                    history: history(today, &days),
                },
            ));
        }
        Ok(items)
    }

    /// `GET /api/v1/trends/statuses`: without what the viewer blocks or mutes, or filters
    /// out of public timelines.
    pub async fn statuses(
        &self,
        viewer: Option<&Account>,
        offset: u32,
        limit: u32,
    ) -> Result<TrendPage<api::Status>> {
        let Some(rows) = self.read(TrendKind::Status, offset, limit).await? else {
            return Ok(TrendPage::empty());
        };
        let ids: Vec<Id> = rows.iter().map(|t| t.item_id).collect();
        let mut found = self.s.store.statuses(&ids).await?;
        // Checked again: it may have been edited into a sensitive one since the refresh.
        found.retain(may_trend);
        found.sort_by_key(|s| ids.iter().position(|id| *id == s.id));
        let list = self.s.status_entities(viewer, &found).await?;
        let items = self
            .s
            .without_hidden(viewer, Some(rookery_store::FilterContext::Public), list)
            .await?;
        Ok(TrendPage {
            full: rows.len() == limit as usize,
            items,
        })
    }

    /// The `refresh_trends` job: scores every kind from the activity of the last two days
    /// and replaces the stored trends in one transaction. Nothing is done while trends are
    /// off.
    pub async fn refresh(&self) -> Result<()> {
        if !self.s.settings.trends.enabled {
            return Ok(());
        }
        let now = self.s.clock.now();
        let since = Timestamp::from_millis(now.as_millis() - 2 * DAY_MS);
        let split = Timestamp::from_millis(now.as_millis() - DAY_MS);
        let store = self.s.store.trend_store();
        let all = |kind| store.trends(kind, ReviewFilter::All, 0, u32::MAX);
        let tags = score::score_uses(
            TrendKind::Tag,
            score::TAGS,
            &store.tag_uses(since, split).await?,
            &all(TrendKind::Tag).await?,
            now,
        );
        let links = score::score_uses(
            TrendKind::Link,
            score::LINKS,
            &store.link_uses(since, split).await?,
            &all(TrendKind::Link).await?,
            now,
        );
        let statuses = score::score_statuses(&store.status_interactions(since).await?, now);
        let mut tx = self.s.store.begin().await?;
        tx.trends()
            .replace_trends(TrendKind::Tag, &tags, now)
            .await?;
        tx.trends()
            .replace_trends(TrendKind::Link, &links, now)
            .await?;
        tx.trends()
            .replace_trends(TrendKind::Status, &statuses, now)
            .await?;
        tx.commit().await?;
        tracing::debug!(
            tags = tags.len(),
            links = links.len(),
            statuses = statuses.len(),
            "trends refreshed"
        );
        Ok(())
    }

    /// The item an operator names: a hashtag by name, a link by URL (or card id), a status
    /// by id.
    pub(crate) async fn resolve(&self, kind: TrendKind, name: &str) -> Result<Id> {
        let name = name.trim();
        let found = match kind {
            TrendKind::Tag => {
                let name = crate::tags::tag_name(name)?;
                self.s
                    .store
                    .tag_store()
                    .tag_by_name(&name)
                    .await?
                    .map(|t| t.id)
            }
            TrendKind::Link => match name.parse::<Id>() {
                Ok(id) => self
                    .s
                    .store
                    .preview_card_store()
                    .cards_by_ids(&[id])
                    .await?
                    .first()
                    .map(|c| c.id),
                Err(_) => self
                    .s
                    .store
                    .preview_card_store()
                    .card_by_url(name)
                    .await?
                    .map(|c| c.id),
            },
            TrendKind::Status => match name.parse::<Id>() {
                Ok(id) => self.s.store.status(id).await?.map(|s| s.id),
                Err(_) => None,
            },
        };
        found.ok_or(ServiceError::NotFound(match kind {
            TrendKind::Tag => "tag",
            TrendKind::Link => "link",
            TrendKind::Status => "status",
        }))
    }

    /// Approves (`true`) or rejects an item, trending or not yet, named as the operator names
    /// it at the command line ([`crate::moderation::trends::TrendReview::review`] with
    /// [`Moderator::CLI`]).
    pub async fn review(&self, kind: TrendKind, name: &str, approved: bool) -> Result<Id> {
        let id = self.resolve(kind, name).await?;
        self.s
            .trend_review()
            .review(Moderator::CLI, kind, id, approved)
            .await?;
        Ok(id)
    }

    /// Every scored item of `kind` (all kinds when `None`), best first, whatever its review.
    pub async fn list(&self, kind: Option<TrendKind>) -> Result<Vec<TrendView>> {
        let kinds = kind.map_or(TrendKind::ALL.to_vec(), |k| vec![k]);
        let store = self.s.store.trend_store();
        let mut out = Vec::new();
        for kind in kinds {
            let rows = store.trends(kind, ReviewFilter::All, 0, u32::MAX).await?;
            let ids: Vec<Id> = rows.iter().map(|t| t.item_id).collect();
            let names: HashMap<Id, String> = match kind {
                TrendKind::Tag => {
                    store_names(self.s.store.tag_store().tags_by_ids(&ids).await?, |t| {
                        (t.id, format!("#{}", t.name))
                    })
                }
                TrendKind::Link => store_names(
                    self.s.store.preview_card_store().cards_by_ids(&ids).await?,
                    |c| (c.id, c.url),
                ),
                TrendKind::Status => {
                    let found = self.s.store.statuses(&ids).await?;
                    let mut names = HashMap::new();
                    for s in found {
                        let url = match s.url.clone().or(s.uri.clone()) {
                            Some(u) => u,
                            None => match self.s.store.account(s.account_id).await? {
                                Some(a) => self.s.urls.status(a.username.as_str(), s.id),
                                None => continue,
                            },
                        };
                        names.insert(s.id, url);
                    }
                    names
                }
            };
            out.extend(rows.into_iter().map(|t| TrendView {
                kind: kind.as_str(),
                id: t.item_id.to_string(),
                name: names.get(&t.item_id).cloned().unwrap_or_default(),
                score: score::from_stored(t.score),
                review: match t.review {
                    Some(true) => "approved",
                    Some(false) => "rejected",
                    None => "pending",
                },
            }));
        }
        Ok(out)
    }
}

/// Whether a status may be shown as trending: public, original, neither sensitive nor behind
/// a content warning.
pub(crate) fn may_trend(s: &rookery_model::Status) -> bool {
    s.visibility == Visibility::Public
        && !s.sensitive
        && s.spoiler_text.is_empty()
        && s.reblog_of_id.is_none()
}

fn store_names<T>(rows: Vec<T>, f: impl Fn(T) -> (Id, String)) -> HashMap<Id, String> {
    rows.into_iter().map(f).collect()
}

/// Seven days of use, newest first, numbers as strings (as a Tag's history).
fn history(today: i64, days: &[TagDay]) -> Vec<api::TagHistory> {
    (0..HISTORY_DAYS)
        .map(|back| {
            let day = today - back;
            let d = days.iter().find(|d| d.day == day);
            api::TagHistory {
                day: (day * 86_400).to_string(),
                uses: d.map_or(0, |d| d.uses).to_string(),
                accounts: d.map_or(0, |d| d.accounts).to_string(),
            }
        })
        .collect()
}
