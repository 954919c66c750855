//! Notifications: one by one (`/api/v1/notifications`) or grouped (`/api/v2/notifications`),
//! the group each joins when it is written, dismissing, and unread counts.
//!
//! Grouping follows Mastodon: favourites and boosts of the same post, and follows, share a
//! group key while they arrive within 12 hours of the group's first hour. Other kinds are
//! never grouped (`ungrouped-<id>`). A page holds one representative notification per group;
//! a group whose members straddle a page boundary shows up again on the next page with the
//! same key, and apps merge by key.

mod grouped;
mod policy;
mod requests;

use std::collections::{HashMap, HashSet};

use rookery_api as api;
use rookery_model::{Account, Id};
use rookery_store::{
    FilterContext, LocalAccount, Notification, NotificationKind, PolicyAction, TimelinePage,
    Transaction,
};

use crate::filters::hidden_by_filters;
use crate::{Result, ServiceError, Services};

pub use grouped::{GroupedPage, GroupedQuery};
pub use policy::PolicyUpdate;
pub use requests::MAX_ANSWERED;

/// Kinds that are grouped unless the app asks otherwise (`grouped_types[]`).
pub const GROUPABLE: [NotificationKind; 3] = [
    NotificationKind::Favourite,
    NotificationKind::Reblog,
    NotificationKind::Follow,
];

/// A group stays open this many hours after its first notification's hour.
const GROUP_SPAN_HOURS: i64 = 12;

/// Notifications read per round when counting unread ones, and rounds at most.
const COUNT_BATCH: u32 = 400;
const COUNT_ROUNDS: usize = 25;

/// Senders shown per group (`sample_account_ids`).
const SAMPLE_ACCOUNTS: u32 = 8;

/// The notifications area's use cases, over the shared services.
#[derive(Clone, Copy)]
pub struct Notifications<'a> {
    s: &'a Services,
}

impl Services {
    /// Notifications: listing, grouping, dismissing, unread counts.
    pub fn notifications(&self) -> Notifications<'_> {
        Notifications { s: self }
    }
}

/// Which kinds a request asks for (`types[]` minus `exclude_types[]`; unknown names ignored).
/// `None`: nothing can match.
pub(crate) fn requested_kinds(
    types: &[String],
    exclude_types: &[String],
) -> Option<Vec<NotificationKind>> {
    let parse = |names: &[String]| -> Vec<NotificationKind> {
        names
            .iter()
            .filter_map(|n| NotificationKind::parse(n))
            .collect()
    };
    let mut kinds = parse(types);
    if !types.is_empty() && kinds.is_empty() {
        return None; // only unknown types asked for
    }
    let excluded = parse(exclude_types);
    if !excluded.is_empty() {
        if kinds.is_empty() {
            kinds = NotificationKind::ALL.to_vec();
        }
        kinds.retain(|k| !excluded.contains(k));
        if kinds.is_empty() {
            return None;
        }
    }
    Some(kinds)
}

/// What a notification groups by, before the time bucket: `favourite-<status>`,
/// `reblog-<status>`, `follow`; `None` for kinds never grouped.
fn group_prefix(kind: NotificationKind, status_id: Option<Id>) -> Option<String> {
    match (kind, status_id) {
        (NotificationKind::Favourite | NotificationKind::Reblog, Some(s)) => {
            Some(format!("{}-{s}", kind.as_str()))
        }
        (NotificationKind::Follow, _) => Some(kind.as_str().to_owned()),
        _ => None,
    }
}

/// The key for a notification with `prefix` arriving in hour `bucket` (hours since the
/// epoch), given the newest key with that prefix: the open group's while it spans less than
/// [`GROUP_SPAN_HOURS`], else a new one.
fn group_key(prefix: &str, bucket: i64, previous: Option<&str>) -> String {
    let open = previous
        .and_then(|k| k.strip_prefix(prefix))
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|start| bucket >= *start && bucket < start + GROUP_SPAN_HOURS);
    format!("{prefix}-{}", open.unwrap_or(bucket))
}

/// The key a notification is listed under: its group's when its kind is grouped, else its own.
pub(crate) fn display_key(n: &Notification, grouped: &[NotificationKind]) -> String {
    match &n.group_key {
        Some(k) if grouped.contains(&n.kind) => k.clone(),
        _ => format!("ungrouped-{}", n.id),
    }
}

/// Whether notifications of `kind` are about a status.
fn about_status(kind: NotificationKind) -> bool {
    !matches!(
        kind,
        NotificationKind::Follow
            | NotificationKind::FollowRequest
            | NotificationKind::ModerationWarning
            | NotificationKind::AdminSignUp
            | NotificationKind::AdminReport
            | NotificationKind::SeveredRelationships
    )
}

impl Services {
    /// Writes `n` in `tx`, in the group it joins, unless the recipient's policy drops it; a
    /// notification the policy filters is written held back, under its sender's request.
    /// `true` when it was written for the list (and may be streamed); `false` if dropped,
    /// filtered, or the same notification exists.
    pub(crate) async fn store_notification(
        &self,
        tx: &mut dyn Transaction,
        n: &mut Notification,
    ) -> Result<bool> {
        let verdict = policy::verdict(tx, n).await?;
        if verdict == PolicyAction::Drop {
            return Ok(false);
        }
        n.filtered = verdict == PolicyAction::Filter;
        if let Some(prefix) = group_prefix(n.kind, n.status_id) {
            let bucket = n.created_at.as_secs() / 3600;
            let open: Vec<String> = (0..GROUP_SPAN_HOURS)
                .map(|h| format!("{prefix}-{}", bucket - h))
                .collect();
            let previous = tx
                .notifications()
                .latest_group_key(n.account_id, &open)
                .await?;
            n.group_key = Some(group_key(&prefix, bucket, previous.as_deref()));
        }
        let inserted = tx.notifications().insert_notification(n).await?;
        if inserted && n.filtered {
            tx.notification_requests()
                .note_request(
                    self.ids.next_id(),
                    n.account_id,
                    n.from_account_id,
                    n.created_at,
                )
                .await?;
        }
        Ok(inserted && !n.filtered)
    }

    /// Renders notifications of `recipient` (statuses as they see them), dropping those whose
    /// sender or status is gone.
    pub(crate) async fn notification_entities(
        &self,
        recipient: &Account,
        list: Vec<Notification>,
    ) -> Result<Vec<api::Notification>> {
        let mut account_ids: Vec<Id> = list.iter().map(|n| n.from_account_id).collect();
        account_ids.sort();
        account_ids.dedup();
        let accounts: HashMap<Id, Account> = self
            .store
            .accounts(&account_ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let senders: Vec<&Account> = accounts.values().collect();
        let sender_entities: HashMap<Id, api::Account> = senders
            .iter()
            .map(|a| a.id)
            .zip(self.account_entities(&senders).await?)
            .collect();
        let status_ids: Vec<Id> = list.iter().filter_map(|n| n.status_id).collect();
        let statuses = self.store.statuses(&status_ids).await?;
        let rendered = self.status_entities(Some(recipient), &statuses).await?;
        let by_id: HashMap<String, api::Status> =
            rendered.into_iter().map(|s| (s.id.clone(), s)).collect();
        let warnings = self
            .notified_warnings(&list.iter().collect::<Vec<_>>())
            .await?;
        let events = self
            .severances()
            .notified(&list.iter().collect::<Vec<_>>())
            .await?;
        let report_ids: Vec<Id> = list
            .iter()
            .filter(|n| n.kind == NotificationKind::AdminReport)
            .map(|n| n.id)
            .collect();
        let reports = self.notification_reports(&report_ids).await?;
        Ok(list
            .into_iter()
            .filter_map(|n| {
                let from = accounts.get(&n.from_account_id)?;
                let status = match n.status_id {
                    Some(sid) => Some(by_id.get(&sid.to_string())?.clone()),
                    None => None,
                };
                let report = reports.get(&n.id).cloned();
                if n.kind == NotificationKind::AdminReport && report.is_none() {
                    return None; // the report is gone
                }
                let event = events.get(&n.id).cloned();
                if n.kind == NotificationKind::SeveredRelationships && event.is_none() {
                    return None; // the severance is gone
                }
                // A `hide` filter of the notifications context drops what it matches.
                if status
                    .as_ref()
                    .is_some_and(|s| hidden_by_filters(s, FilterContext::Notifications))
                {
                    return None;
                }
                Some(api::Notification {
                    id: n.id.to_string(),
                    kind: n.kind.as_str().to_owned(),
                    group_key: display_key(&n, &GROUPABLE),
                    created_at: n.created_at.to_rfc3339(),
                    account: sender_entities
                        .get(&from.id)
                        .cloned()
                        .unwrap_or_else(|| self.account_entity(from)),
                    status,
                    moderation_warning: warnings.get(&n.id).cloned(),
                    report,
                    event,
                })
            })
            .collect())
    }
}

impl Notifications<'_> {
    /// Notifications of the user, newest first, without those from accounts they block or
    /// mute (notifications included), and without those the policy held back unless
    /// `include_filtered`.
    async fn visible(
        &self,
        user: &LocalAccount,
        kinds: &[NotificationKind],
        from_account: Option<Id>,
        include_filtered: bool,
        page: TimelinePage,
    ) -> Result<Vec<Notification>> {
        let hidden = self.s.hidden_for(Some(&user.account), true).await?;
        let mut list = self
            .s
            .store
            .notification_store()
            .notifications(user.account.id, kinds, from_account, include_filtered, page)
            .await?;
        list.retain(|n| !hidden.contains(&n.from_account_id.to_string()));
        Ok(list)
    }

    /// `GET /api/v1/notifications` (`include_filtered`: also those held back by the policy).
    pub async fn list(
        &self,
        user: &LocalAccount,
        types: &[String],
        exclude_types: &[String],
        from_account: Option<Id>,
        include_filtered: bool,
        page: TimelinePage,
    ) -> Result<Vec<api::Notification>> {
        let Some(kinds) = requested_kinds(types, exclude_types) else {
            return Ok(Vec::new());
        };
        let list = self
            .visible(user, &kinds, from_account, include_filtered, page)
            .await?;
        self.s.notification_entities(&user.account, list).await
    }

    /// One notification of the user, by id.
    async fn one(&self, user: &LocalAccount, id: Id) -> Result<Notification> {
        let page = TimelinePage {
            max_id: Some(Id::from_i64(id.as_i64().saturating_add(1))),
            limit: 1,
            ..TimelinePage::default()
        };
        self.visible(user, &[], None, true, page)
            .await?
            .into_iter()
            .find(|n| n.id == id)
            .ok_or(ServiceError::NotFound("notification"))
    }

    /// `GET /api/v1/notifications/:id`.
    pub async fn show(&self, user: &LocalAccount, id: Id) -> Result<api::Notification> {
        let n = self.one(user, id).await?;
        self.s
            .notification_entities(&user.account, vec![n])
            .await?
            .pop()
            .ok_or(ServiceError::NotFound("notification"))
    }

    /// `POST /api/v1/notifications/clear` (`None`) or `/:id/dismiss`.
    pub async fn dismiss(&self, user: &LocalAccount, id: Option<Id>) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        tx.notifications()
            .delete_notifications(user.account.id, id)
            .await?;
        Ok(tx.commit().await?)
    }

    /// `POST /api/v2/notifications/:group_key/dismiss`: every member of the group (unknown
    /// keys dismiss nothing, as in Mastodon).
    pub async fn dismiss_group(&self, user: &LocalAccount, key: &str) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        match ungrouped_id(key) {
            Some(id) => {
                tx.notifications()
                    .delete_notifications(user.account.id, Some(id))
                    .await?;
            }
            None => {
                tx.notifications()
                    .delete_notification_group(user.account.id, key)
                    .await?;
            }
        }
        Ok(tx.commit().await?)
    }

    /// `GET /api/v1/notifications/unread_count` (`grouped: false`) and
    /// `/api/v2/notifications/unread_count` (`grouped`: groups are counted): notifications
    /// newer than the `notifications` marker, up to `limit`.
    pub async fn unread_count(
        &self,
        user: &LocalAccount,
        types: &[String],
        exclude_types: &[String],
        from_account: Option<Id>,
        grouped: Option<&[NotificationKind]>,
        limit: u32,
    ) -> Result<usize> {
        let Some(kinds) = requested_kinds(types, exclude_types) else {
            return Ok(0);
        };
        let marker = self
            .s
            .store
            .notification_store()
            .markers(user.account.id)
            .await?
            .into_iter()
            .find(|m| m.timeline == "notifications")
            .map(|m| m.last_read_id);
        let hidden = self.s.hidden_for(Some(&user.account), true).await?;
        let limit = limit as usize;
        let mut counted: HashSet<String> = HashSet::new();
        let mut cursor = TimelinePage {
            since_id: marker,
            limit: COUNT_BATCH,
            ..TimelinePage::default()
        };
        // Newest first down to the marker, until `limit` notifications (or groups) are met.
        for _ in 0..COUNT_ROUNDS {
            let batch = self
                .s
                .store
                .notification_store()
                .notifications(user.account.id, &kinds, from_account, false, cursor)
                .await?;
            let exhausted = batch.len() < COUNT_BATCH as usize;
            cursor.max_id = batch.last().map(|n| n.id);
            for n in batch
                .iter()
                .filter(|n| !hidden.contains(&n.from_account_id.to_string()))
            {
                let key = match grouped {
                    None => n.id.to_string(),
                    Some(g) => display_key(n, g),
                };
                counted.insert(key);
                if counted.len() == limit {
                    return Ok(limit);
                }
            }
            if exhausted || cursor.max_id.is_none() {
                break;
            }
        }
        Ok(counted.len())
    }
}

/// The notification id an `ungrouped-<id>` key names.
fn ungrouped_id(key: &str) -> Option<Id> {
    key.strip_prefix("ungrouped-")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_stay_open_twelve_hours_from_their_start() {
        assert_eq!(group_key("follow", 100, None), "follow-100");
        assert_eq!(group_key("follow", 100, Some("follow-95")), "follow-95");
        assert_eq!(group_key("follow", 106, Some("follow-95")), "follow-95");
        assert_eq!(group_key("follow", 107, Some("follow-95")), "follow-107");
        // Another prefix, a malformed or a future key: a new group.
        assert_eq!(
            group_key("favourite-1", 100, Some("favourite-12-99")),
            "favourite-1-100"
        );
        assert_eq!(group_key("follow", 100, Some("follow-x")), "follow-100");
        assert_eq!(group_key("follow", 100, Some("follow-101")), "follow-100");
    }

    #[test]
    fn only_favourites_boosts_and_follows_group() {
        let s = Some(Id::from_i64(7));
        assert_eq!(
            group_prefix(NotificationKind::Favourite, s).as_deref(),
            Some("favourite-7")
        );
        assert_eq!(
            group_prefix(NotificationKind::Reblog, s).as_deref(),
            Some("reblog-7")
        );
        assert_eq!(
            group_prefix(NotificationKind::Follow, None).as_deref(),
            Some("follow")
        );
        for k in [
            NotificationKind::Mention,
            NotificationKind::Status,
            NotificationKind::Update,
            NotificationKind::FollowRequest,
        ] {
            assert_eq!(group_prefix(k, s), None, "{k:?}");
        }
    }

    #[test]
    fn kinds_asked_for() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(requested_kinds(&[], &[]), Some(vec![]));
        assert_eq!(requested_kinds(&s(&["nonsense"]), &[]), None);
        assert_eq!(
            requested_kinds(&s(&["mention", "nonsense"]), &[]),
            Some(vec![NotificationKind::Mention])
        );
        assert_eq!(requested_kinds(&s(&["mention"]), &s(&["mention"])), None);
        assert_eq!(
            requested_kinds(&[], &s(&["mention"])).map(|k| k.len()),
            Some(NotificationKind::ALL.len() - 1)
        );
    }
}
