//! Staff's review of trends (`/api/v1/admin/trends/{tags,statuses,links}` and
//! `rookery admin trends`): every scored item, pending ones included, with whether it was
//! reviewed; approving or rejecting an item, logged in the same transaction.
//!
//! Under `trends.review` the public sees only approved items; without it, everything not
//! rejected.

use rookery_api as api;
use rookery_model::{Account, Id, Permission};
use rookery_store::trends::{ReviewFilter, Trend, TrendKind};

use super::Moderator;
use super::audit::{Entry, record};
use crate::trends::{TrendPage, may_trend};
use crate::{Result, ServiceError, Services};

/// Staff's review of trends, for moderators who may manage hashtags and trends
/// ([`Permission::ManageTaxonomies`]).
#[derive(Clone, Copy)]
pub struct TrendReview<'a> {
    s: &'a Services,
}

impl Services {
    /// Staff's review of trends.
    pub fn trend_review(&self) -> TrendReview<'_> {
        TrendReview { s: self }
    }
}

/// What an item is called in the audit log, and the type Mastodon logs it as.
struct Target {
    target_type: &'static str,
    name: String,
}

impl TrendReview<'_> {
    /// Whether an item with this review may show in the public trends.
    fn trendable(&self, review: Option<bool>) -> bool {
        review.unwrap_or(!self.s.settings.trends.review)
    }

    /// The scored items of a kind, best first, whatever their review (also while trends are
    /// off, so staff can review what was scored).
    async fn scored(&self, kind: TrendKind, offset: u32, limit: u32) -> Result<Vec<Trend>> {
        Ok(self
            .s
            .store
            .trend_store()
            .trends(kind, ReviewFilter::All, offset, limit)
            .await?)
    }

    fn admin_tag(&self, tag: api::Tag, review: Option<bool>) -> api::AdminTag {
        api::AdminTag {
            tag,
            trendable: self.trendable(review),
            usable: true,
            requires_review: review.is_none(),
            listable: true,
        }
    }

    /// `GET /api/v1/admin/trends/tags`: Admin::Tag entities.
    pub async fn tags(
        &self,
        by: Moderator,
        offset: u32,
        limit: u32,
    ) -> Result<TrendPage<api::AdminTag>> {
        by.require(Permission::ManageTaxonomies)?;
        let rows = self.scored(TrendKind::Tag, offset, limit).await?;
        let ids: Vec<Id> = rows.iter().map(|t| t.item_id).collect();
        let tags = self.s.trends().tag_entities(None, &ids).await?;
        let items = tags
            .into_iter()
            .map(|(id, tag)| self.admin_tag(tag, review_of(&rows, id)))
            .collect();
        Ok(TrendPage {
            full: rows.len() == limit as usize,
            items,
        })
    }

    /// `GET /api/v1/admin/trends/links`: trending links with their card ids.
    pub async fn links(
        &self,
        by: Moderator,
        offset: u32,
        limit: u32,
    ) -> Result<TrendPage<api::AdminTrendsLink>> {
        by.require(Permission::ManageTaxonomies)?;
        let rows = self.scored(TrendKind::Link, offset, limit).await?;
        let ids: Vec<Id> = rows.iter().map(|t| t.item_id).collect();
        let links = self.s.trends().link_entities(&ids).await?;
        let items = links
            .into_iter()
            .map(|(id, link)| admin_link(id, link, review_of(&rows, id)))
            .collect();
        Ok(TrendPage {
            full: rows.len() == limit as usize,
            items,
        })
    }

    /// `GET /api/v1/admin/trends/statuses`: trending statuses as `viewer` (the staff member)
    /// sees them, pending and rejected ones included, but only those that may trend at all
    /// (public, original, without a warning).
    pub async fn statuses(
        &self,
        by: Moderator,
        viewer: Option<&Account>,
        offset: u32,
        limit: u32,
    ) -> Result<TrendPage<api::AdminTrendsStatus>> {
        by.require(Permission::ManageTaxonomies)?;
        let rows = self.scored(TrendKind::Status, offset, limit).await?;
        let ids: Vec<Id> = rows.iter().map(|t| t.item_id).collect();
        let mut found = self.s.store.statuses(&ids).await?;
        found.retain(may_trend);
        found.sort_by_key(|s| ids.iter().position(|id| *id == s.id));
        let list = self.s.status_entities(viewer, &found).await?;
        let items = found
            .iter()
            .zip(list)
            .map(|(s, status)| api::AdminTrendsStatus {
                status,
                requires_review: review_of(&rows, s.id).is_none(),
            })
            .collect();
        Ok(TrendPage {
            full: rows.len() == limit as usize,
            items,
        })
    }

    /// Approves (`true`) or rejects the item of `kind` with `id`, trending or not yet, and
    /// logs it; `NotFound` when there is no such hashtag, card or status.
    pub async fn review(
        &self,
        by: Moderator,
        kind: TrendKind,
        id: Id,
        approved: bool,
    ) -> Result<()> {
        by.require(Permission::ManageTaxonomies)?;
        let target = self.target(kind, id).await?;
        let mut tx = self.s.store.begin().await?;
        tx.trends()
            .set_review(kind, id, approved, self.s.clock.now())
            .await?;
        record(
            self.s,
            &mut *tx,
            by,
            Entry {
                action: if approved { "approve" } else { "reject" },
                target_type: target.target_type,
                target_id: Some(id),
                target_name: &target.name,
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `POST /api/v1/admin/trends/tags/{id}/{approve,reject}`: reviews the hashtag and
    /// answers its Admin::Tag.
    pub async fn review_tag(&self, by: Moderator, id: Id, approved: bool) -> Result<api::AdminTag> {
        self.review(by, TrendKind::Tag, id, approved).await?;
        let (_, tag) = self
            .s
            .trends()
            .tag_entities(None, &[id])
            .await?
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound("tag"))?;
        Ok(self.admin_tag(tag, Some(approved)))
    }

    /// `POST /api/v1/admin/trends/links/{id}/{approve,reject}`: reviews the card's link and
    /// answers it.
    pub async fn review_link(
        &self,
        by: Moderator,
        id: Id,
        approved: bool,
    ) -> Result<api::AdminTrendsLink> {
        self.review(by, TrendKind::Link, id, approved).await?;
        let (_, link) = self
            .s
            .trends()
            .link_entities(&[id])
            .await?
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound("link"))?;
        Ok(admin_link(id, link, Some(approved)))
    }

    /// `POST /api/v1/admin/trends/statuses/{id}/{approve,reject}`: reviews the status and
    /// answers it as `viewer` sees it.
    pub async fn review_status(
        &self,
        by: Moderator,
        viewer: Option<&Account>,
        id: Id,
        approved: bool,
    ) -> Result<api::AdminTrendsStatus> {
        self.review(by, TrendKind::Status, id, approved).await?;
        let found = self.s.store.statuses(&[id]).await?;
        let status = self
            .s
            .status_entities(viewer, &found)
            .await?
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound("status"))?;
        Ok(api::AdminTrendsStatus {
            status,
            requires_review: false,
        })
    }

    /// The item reviewed, as the audit log names it; `NotFound` when there is none.
    async fn target(&self, kind: TrendKind, id: Id) -> Result<Target> {
        let store = &self.s.store;
        let found = match kind {
            TrendKind::Tag => store
                .tag_store()
                .tags_by_ids(&[id])
                .await?
                .into_iter()
                .next()
                .map(|t| Target {
                    target_type: "Tag",
                    name: format!("#{}", t.name),
                }),
            TrendKind::Link => store
                .preview_card_store()
                .cards_by_ids(&[id])
                .await?
                .into_iter()
                .next()
                .map(|c| Target {
                    target_type: "PreviewCard",
                    name: c.url,
                }),
            TrendKind::Status => match store.status(id).await? {
                Some(s) => {
                    let name = match s.url.clone().or(s.uri.clone()) {
                        Some(u) => u,
                        None => match store.account(s.account_id).await? {
                            Some(a) => self.s.urls.status_page(a.username.as_str(), s.id),
                            None => s.id.to_string(),
                        },
                    };
                    Some(Target {
                        target_type: "Status",
                        name,
                    })
                }
                None => None,
            },
        };
        found.ok_or(ServiceError::NotFound(match kind {
            TrendKind::Tag => "tag",
            TrendKind::Link => "link",
            TrendKind::Status => "status",
        }))
    }
}

fn review_of(rows: &[Trend], id: Id) -> Option<bool> {
    rows.iter().find(|t| t.item_id == id).and_then(|t| t.review)
}

fn admin_link(id: Id, link: api::TrendsLink, review: Option<bool>) -> api::AdminTrendsLink {
    api::AdminTrendsLink {
        id: id.to_string(),
        link,
        requires_review: review.is_none(),
    }
}
