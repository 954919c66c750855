//! `GET /api/v2/notifications` and its group endpoints.

use std::collections::{HashMap, HashSet};

use rookery_api as api;
use rookery_model::{Account, Id};
use rookery_store::{GroupStats, LocalAccount, Notification, NotificationKind, TimelinePage};

use super::{
    GROUPABLE, Notifications, SAMPLE_ACCOUNTS, about_status, display_key, requested_kinds,
    ungrouped_id,
};
use crate::{Result, ServiceError};

/// Notifications read per round while filling a page of groups, and rounds at most (a page
/// of 80 groups out of a long run of one group's members stops early rather than scanning
/// without end).
const SCAN_BATCH: u32 = 200;
const SCAN_ROUNDS: usize = 10;

/// What `GET /api/v2/notifications` asks for.
#[derive(Debug, Clone, Default)]
pub struct GroupedQuery {
    pub types: Vec<String>,
    pub exclude_types: Vec<String>,
    /// `grouped_types[]`: `None` for Mastodon's default (favourites, boosts, follows).
    pub grouped_types: Option<Vec<String>>,
    /// `expand_accounts=partial_avatars`.
    pub partial_avatars: bool,
    /// Groups per page.
    pub page: TimelinePage,
}

/// A page of groups, and the notification ids that page it (newest, oldest representative).
#[derive(Debug, Clone)]
pub struct GroupedPage {
    pub results: api::GroupedNotificationsResults,
    pub bounds: Option<(Id, Id)>,
}

/// The kinds `grouped_types[]` leaves grouped.
fn grouped_kinds(grouped_types: Option<&[String]>) -> Vec<NotificationKind> {
    match grouped_types {
        None => GROUPABLE.to_vec(),
        Some(names) => names
            .iter()
            .filter_map(|n| NotificationKind::parse(n))
            .filter(|k| GROUPABLE.contains(k))
            .collect(),
    }
}

impl Notifications<'_> {
    /// `GET /api/v2/notifications`.
    pub async fn grouped(&self, user: &LocalAccount, q: &GroupedQuery) -> Result<GroupedPage> {
        let empty = GroupedPage {
            results: api::GroupedNotificationsResults {
                accounts: Vec::new(),
                partial_accounts: q.partial_avatars.then(Vec::new),
                statuses: Vec::new(),
                notification_groups: Vec::new(),
            },
            bounds: None,
        };
        let Some(kinds) = requested_kinds(&q.types, &q.exclude_types) else {
            return Ok(empty);
        };
        let grouped = grouped_kinds(q.grouped_types.as_deref());
        let limit = q.page.limit.max(1) as usize;
        let ascending = q.page.min_id.is_some();
        // One representative per group: the first member met, walking away from the cursor.
        let mut seen: HashSet<String> = HashSet::new();
        let mut reps: Vec<(String, Notification)> = Vec::new();
        let mut cursor = q.page;
        cursor.limit = SCAN_BATCH;
        let hidden = self.s.hidden_for(Some(&user.account), true).await?;
        // Whether the scan stopped before the end of the user's notifications: then the page
        // is bounded by what it holds, as a full one.
        let mut truncated = true;
        'scan: for _ in 0..SCAN_ROUNDS {
            let mut batch = self
                .s
                .store
                .notification_store()
                .notifications(user.account.id, &kinds, None, false, cursor)
                .await?;
            // The cursor moves over what was read, hidden senders included.
            let exhausted = batch.len() < SCAN_BATCH as usize;
            if ascending {
                batch.reverse(); // oldest first
            }
            let Some(last) = batch.last().map(|n| n.id) else {
                truncated = false;
                break;
            };
            for n in batch {
                if hidden.contains(&n.from_account_id.to_string()) {
                    continue;
                }
                let key = display_key(&n, &grouped);
                if seen.insert(key.clone()) {
                    reps.push((key, n));
                    if reps.len() == limit {
                        break 'scan;
                    }
                }
            }
            if exhausted {
                truncated = false;
                break;
            }
            if ascending {
                cursor.min_id = Some(last);
            } else {
                cursor.max_id = Some(last);
            }
        }
        if ascending {
            reps.reverse(); // newest first, as every page is shown
        }
        if reps.is_empty() {
            return Ok(empty);
        }
        let newest = reps.first().map_or(Id::from_i64(0), |(_, n)| n.id);
        let oldest = reps.last().map_or(Id::from_i64(0), |(_, n)| n.id);
        // Members are counted within the page's span; a page that reached the end of the
        // list in its direction reaches out to the request's bound (Mastodon's rule).
        let bounded = reps.len() == limit || truncated;
        let upper = match (bounded, ascending) {
            (false, true) => q
                .page
                .max_id
                .map(|m| Id::from_i64(m.as_i64().saturating_sub(1))),
            _ => Some(newest),
        };
        let lower = match (bounded, ascending, q.page.since_id) {
            (false, false, Some(since)) => Id::from_i64(since.as_i64().saturating_add(1)),
            (false, false, None) => Id::from_i64(0),
            _ => oldest,
        };
        let results = self
            .render_groups(user, reps, &hidden, lower, upper, true, q.partial_avatars)
            .await?;
        Ok(GroupedPage {
            results,
            bounds: Some((newest, oldest)),
        })
    }

    /// The groups of `reps` (key, representative), with their members counted between
    /// `lower` and `upper`; `paged` adds the page fields.
    #[allow(clippy::too_many_arguments)]
    async fn render_groups(
        &self,
        user: &LocalAccount,
        reps: Vec<(String, Notification)>,
        hidden: &HashSet<String>,
        lower: Id,
        upper: Option<Id>,
        paged: bool,
        partial_avatars: bool,
    ) -> Result<api::GroupedNotificationsResults> {
        let keys: Vec<String> = reps
            .iter()
            .filter(|(k, _)| !k.starts_with("ungrouped-"))
            .map(|(k, _)| k.clone())
            .collect();
        let stats: HashMap<String, GroupStats> = self
            .s
            .store
            .notification_store()
            .group_stats(user.account.id, &keys, lower, upper, SAMPLE_ACCOUNTS)
            .await?
            .into_iter()
            .map(|g| (g.group_key.clone(), g))
            .collect();
        // Senders and statuses, each loaded once.
        let mut account_ids: Vec<Id> = Vec::new();
        for (key, n) in &reps {
            account_ids.push(n.from_account_id);
            if let Some(g) = stats.get(key) {
                account_ids.extend(&g.sample_account_ids);
            }
        }
        account_ids.sort();
        account_ids.dedup();
        let accounts: HashMap<Id, Account> = self
            .s
            .store
            .accounts(&account_ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut status_ids: Vec<Id> = reps.iter().filter_map(|(_, n)| n.status_id).collect();
        status_ids.sort();
        status_ids.dedup();
        let statuses = self.s.store.statuses(&status_ids).await?;
        // A `hide` filter of the notifications context drops its groups, as in v1.
        let rendered: Vec<api::Status> = self
            .s
            .status_entities(Some(&user.account), &statuses)
            .await?
            .into_iter()
            .filter(|s| {
                !crate::filters::hidden_by_filters(s, rookery_store::FilterContext::Notifications)
            })
            .collect();
        let shown_statuses: HashSet<String> = rendered.iter().map(|s| s.id.clone()).collect();
        let report_ids: Vec<Id> = reps
            .iter()
            .filter(|(_, n)| n.kind == NotificationKind::AdminReport)
            .map(|(_, n)| n.id)
            .collect();
        let reports = self.s.notification_reports(&report_ids).await?;

        let warnings = self
            .s
            .notified_warnings(&reps.iter().map(|(_, n)| n).collect::<Vec<_>>())
            .await?;
        let events = self
            .s
            .severances()
            .notified(&reps.iter().map(|(_, n)| n).collect::<Vec<_>>())
            .await?;
        let mut groups = Vec::new();
        let mut first_accounts: Vec<Id> = Vec::new();
        let mut other_accounts: Vec<Id> = Vec::new();
        for (key, n) in reps {
            let status_id = n.status_id.map(|s| s.to_string());
            if about_status(n.kind)
                && !status_id
                    .as_ref()
                    .is_some_and(|s| shown_statuses.contains(s))
            {
                continue; // the status is gone or hidden from the user
            }
            let report = reports.get(&n.id).cloned();
            if n.kind == NotificationKind::AdminReport && report.is_none() {
                continue; // the report is gone
            }
            if n.kind == NotificationKind::SeveredRelationships && !events.contains_key(&n.id) {
                continue; // the severance is gone
            }
            let (count, most_recent, latest_at, page_min, samples) = match stats.get(&key) {
                Some(g) => (
                    g.count,
                    g.most_recent_id,
                    g.latest_at,
                    g.oldest_in_page.unwrap_or(n.id),
                    g.sample_account_ids.clone(),
                ),
                None => (1, n.id, n.created_at, n.id, vec![n.from_account_id]),
            };
            let mut sample: Vec<Id> = Vec::new();
            for a in samples {
                if !sample.contains(&a)
                    && accounts.contains_key(&a)
                    && !hidden.contains(&a.to_string())
                {
                    sample.push(a);
                }
            }
            let Some(first) = sample.first().copied() else {
                continue; // every sender is gone or hidden
            };
            first_accounts.push(first);
            other_accounts.extend(sample.iter().skip(1));
            groups.push(api::NotificationGroup {
                group_key: key,
                notifications_count: count,
                kind: n.kind.as_str().to_owned(),
                most_recent_notification_id: most_recent.as_i64(),
                page_min_id: paged.then(|| page_min.to_string()),
                page_max_id: paged.then(|| most_recent.to_string()),
                latest_page_notification_at: paged.then(|| latest_at.to_rfc3339()),
                sample_account_ids: sample.iter().map(ToString::to_string).collect(),
                status_id: if about_status(n.kind) {
                    status_id
                } else {
                    None
                },
                moderation_warning: warnings.get(&n.id).cloned(),
                report,
                event: events.get(&n.id).cloned(),
            });
        }
        let senders: Vec<&Account> = accounts.values().collect();
        let entities: HashMap<Id, api::Account> = senders
            .iter()
            .map(|a| a.id)
            .zip(self.s.account_entities(&senders).await?)
            .collect();
        let entity = |id: &Id| entities.get(id).cloned();
        let mut listed: Vec<Id> = Vec::new();
        let mut partial: Vec<Id> = Vec::new();
        if partial_avatars {
            for id in first_accounts {
                if !listed.contains(&id) {
                    listed.push(id);
                }
            }
            for id in other_accounts {
                if !listed.contains(&id) && !partial.contains(&id) {
                    partial.push(id);
                }
            }
        } else {
            for id in first_accounts.into_iter().chain(other_accounts) {
                if !listed.contains(&id) {
                    listed.push(id);
                }
            }
        }
        let kept: HashSet<&str> = groups
            .iter()
            .filter_map(|g| g.status_id.as_deref())
            .collect();
        Ok(api::GroupedNotificationsResults {
            accounts: listed.iter().filter_map(entity).collect(),
            partial_accounts: partial_avatars.then(|| {
                partial
                    .iter()
                    .filter_map(entity)
                    .map(|a| api::PartialAccountWithAvatar::from(&a))
                    .collect()
            }),
            statuses: rendered
                .into_iter()
                .filter(|s| kept.contains(s.id.as_str()))
                .collect(),
            notification_groups: groups,
        })
    }

    /// The newest member of a group (`ungrouped-<id>` or a group key), or `NotFound`.
    async fn newest_member(&self, user: &LocalAccount, key: &str) -> Result<Notification> {
        if let Some(id) = ungrouped_id(key) {
            return self.one(user, id).await;
        }
        let page = TimelinePage {
            limit: 1,
            ..TimelinePage::default()
        };
        self.s
            .store
            .notification_store()
            .group_members(user.account.id, key, page)
            .await?
            .pop()
            .ok_or(ServiceError::NotFound("notification group"))
    }

    /// `GET /api/v2/notifications/:group_key`: the whole group, without page fields.
    pub async fn group(
        &self,
        user: &LocalAccount,
        key: &str,
    ) -> Result<api::GroupedNotificationsResults> {
        let newest = self.newest_member(user, key).await?;
        let hidden = self.s.hidden_for(Some(&user.account), true).await?;
        // A notification whose kind is not grouped is shown on its own, as in lists.
        let key = display_key(&newest, &GROUPABLE);
        let results = self
            .render_groups(
                user,
                vec![(key, newest)],
                &hidden,
                Id::from_i64(0),
                None,
                false,
                false,
            )
            .await?;
        if results.notification_groups.is_empty() {
            return Err(ServiceError::NotFound("notification group"));
        }
        Ok(results)
    }

    /// `GET /api/v2/notifications/:group_key/accounts`: the senders, newest first, with the
    /// notification ids that page them.
    pub async fn group_accounts(
        &self,
        user: &LocalAccount,
        key: &str,
        page: TimelinePage,
    ) -> Result<Vec<(Id, api::Account)>> {
        let members = match ungrouped_id(key) {
            Some(id) => {
                let member = self.one(user, id).await?;
                // One member: on the first page only, so `next` links end.
                let inside = page.max_id.is_none_or(|m| id < m)
                    && page.since_id.is_none_or(|m| id > m)
                    && page.min_id.is_none_or(|m| id > m);
                if inside { vec![member] } else { Vec::new() }
            }
            None => {
                self.s
                    .store
                    .notification_store()
                    .group_members(user.account.id, key, page)
                    .await?
            }
        };
        let hidden = self.s.hidden_for(Some(&user.account), true).await?;
        let ids: Vec<Id> = members.iter().map(|n| n.from_account_id).collect();
        let accounts: HashMap<Id, Account> = self
            .s
            .store
            .accounts(&ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let rows: Vec<(Id, Account)> = members
            .iter()
            .filter(|n| !hidden.contains(&n.from_account_id.to_string()))
            .filter_map(|n| Some((n.id, accounts.get(&n.from_account_id)?.clone())))
            .collect();
        let entities = self
            .s
            .account_entities(&rows.iter().map(|(_, a)| a).collect::<Vec<_>>())
            .await?;
        Ok(rows.iter().map(|(id, _)| *id).zip(entities).collect())
    }

    /// The kinds `grouped_types[]` leaves grouped (for unread counts).
    pub fn grouped_kinds(&self, grouped_types: Option<&[String]>) -> Vec<NotificationKind> {
        grouped_kinds(grouped_types)
    }
}
