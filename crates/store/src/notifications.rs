//! Notifications, their groups, and read markers: the storage side of the notifications area.
//!
//! Reached through [`crate::Store::notification_store`] and
//! [`crate::Transaction::notifications`], so the area's methods stay out of the big traits.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Result, TimelinePage};

/// Kinds of notification (Mastodon's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    Mention,
    Status,
    Reblog,
    Follow,
    FollowRequest,
    Favourite,
    Update,
    /// A poll one voted in, or made, has ended.
    Poll,
    /// A moderator took an action on one's account (Mastodon 4.3); the notification's id is
    /// the warning's.
    ModerationWarning,
    /// Someone signed up (to staff, when sign-ups wait for approval).
    AdminSignUp,
    /// A new report, to staff who may manage reports (`admin.report`).
    AdminReport,
    /// Follows were severed by a moderator's suspension or a domain block (Mastodon 4.3); the
    /// notification's id is the account severance's.
    SeveredRelationships,
    /// Someone quoted one's post (Mastodon 4.5).
    Quote,
}

impl NotificationKind {
    /// All kinds.
    pub const ALL: [NotificationKind; 13] = [
        NotificationKind::Mention,
        NotificationKind::Status,
        NotificationKind::Reblog,
        NotificationKind::Follow,
        NotificationKind::FollowRequest,
        NotificationKind::Favourite,
        NotificationKind::Update,
        NotificationKind::Poll,
        NotificationKind::ModerationWarning,
        NotificationKind::AdminSignUp,
        NotificationKind::AdminReport,
        NotificationKind::SeveredRelationships,
        NotificationKind::Quote,
    ];

    /// The API and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Mention => "mention",
            NotificationKind::Status => "status",
            NotificationKind::Reblog => "reblog",
            NotificationKind::Follow => "follow",
            NotificationKind::FollowRequest => "follow_request",
            NotificationKind::Favourite => "favourite",
            NotificationKind::Update => "update",
            NotificationKind::Poll => "poll",
            NotificationKind::ModerationWarning => "moderation_warning",
            NotificationKind::AdminSignUp => "admin.sign_up",
            NotificationKind::AdminReport => "admin.report",
            NotificationKind::SeveredRelationships => "severed_relationships",
            NotificationKind::Quote => "quote",
        }
    }

    /// Reads a name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A notification for `account_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: Id,
    pub account_id: Id,
    pub from_account_id: Id,
    pub kind: NotificationKind,
    pub status_id: Option<Id>,
    /// Notifications sharing a key are shown as one group (`None`: never grouped).
    pub group_key: Option<String>,
    pub created_at: Timestamp,
    /// Held back by the recipient's notification policy (listed under requests only).
    pub filtered: bool,
}

/// What a group of notifications amounts to, counted up to a page's newest notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStats {
    pub group_key: String,
    /// Members with ids up to the bound.
    pub count: i64,
    /// The newest member within the bound.
    pub most_recent_id: Id,
    pub latest_at: Timestamp,
    /// The oldest member at or above the page's lower bound.
    pub oldest_in_page: Option<Id>,
    /// Senders of the newest members, newest first (one per member; may repeat).
    pub sample_account_ids: Vec<Id>,
}

/// Where a user stopped reading a timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// `home` or `notifications`.
    pub timeline: String,
    pub last_read_id: Id,
    /// Bumped by every change.
    pub version: i64,
    pub updated_at: Timestamp,
}

/// Reads of the notifications area.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Notifications for an account, newest first; `kinds` empty means all. Those held back
    /// by the notification policy only with `include_filtered`.
    async fn notifications(
        &self,
        account_id: Id,
        kinds: &[NotificationKind],
        from_account: Option<Id>,
        include_filtered: bool,
        page: TimelinePage,
    ) -> Result<Vec<Notification>>;

    /// Counts, bounds and up to `samples` senders of the groups `keys`, over the members with
    /// ids up to `upper` (all when `None`); `oldest_in_page` looks at ids from `lower` up.
    /// Keys with no member in range are left out.
    async fn group_stats(
        &self,
        account_id: Id,
        keys: &[String],
        lower: Id,
        upper: Option<Id>,
        samples: u32,
    ) -> Result<Vec<GroupStats>>;

    /// The members of a group, newest first.
    async fn group_members(
        &self,
        account_id: Id,
        key: &str,
        page: TimelinePage,
    ) -> Result<Vec<Notification>>;

    /// The account's markers.
    async fn markers(&self, account_id: Id) -> Result<Vec<Marker>>;
}

/// Writes of the notifications area, inside a [`crate::Transaction`].
#[async_trait]
pub trait NotificationTx: Send {
    /// Adds a notification; `false` if the same one exists.
    async fn insert_notification(&mut self, n: &Notification) -> Result<bool>;

    /// The group key of the account's newest notification whose key is one of `keys` (the
    /// groups that may still be open), if any.
    async fn latest_group_key(&mut self, account_id: Id, keys: &[String])
    -> Result<Option<String>>;

    /// Deletes an account's notifications (`Some(id)`: just that one). Returns how many.
    async fn delete_notifications(&mut self, account_id: Id, id: Option<Id>) -> Result<u64>;

    /// Deletes the members of a group. Returns how many.
    async fn delete_notification_group(&mut self, account_id: Id, key: &str) -> Result<u64>;

    /// Deletes the notifications of `kind` from `from_account_id` to `account_id` (a follow
    /// request that was answered). Returns how many.
    async fn delete_notifications_from(
        &mut self,
        account_id: Id,
        from_account_id: Id,
        kind: NotificationKind,
    ) -> Result<u64>;

    /// Sets a marker; its version goes up when `last_read_id` changes. Returns it as stored.
    async fn save_marker(
        &mut self,
        account_id: Id,
        timeline: &str,
        last_read_id: Id,
        now: Timestamp,
    ) -> Result<Marker>;
}
