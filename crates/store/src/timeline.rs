//! Types for statuses, follows and timelines.

use rookery_model::{Id, Timestamp, Visibility};

/// Keyset bounds, as Mastodon's `max_id`, `since_id` and `min_id`:
/// newest first below `max_id` and above `since_id`; with `min_id`, the oldest ones just above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimelinePage {
    pub max_id: Option<Id>,
    pub since_id: Option<Id>,
    pub min_id: Option<Id>,
    pub limit: u32,
}

/// Which statuses of an account to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatusesFilter {
    pub visibilities: Vec<Visibility>,
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    /// Only statuses with this hashtag (any case).
    pub tagged: Option<String>,
    /// Only statuses with attachments.
    pub only_media: bool,
}

/// A follow between two accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    pub id: Id,
    pub account_id: Id,
    pub target_account_id: Id,
    pub show_reblogs: bool,
    pub notify: bool,
    /// The ActivityPub id of the `Follow` activity (ours, or the remote one we received).
    pub uri: Option<String>,
    pub created_at: Timestamp,
}

/// How one account stands to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Relationship {
    pub following: bool,
    pub followed_by: bool,
    pub requested: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
}

/// Block or mute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    Block,
    Mute,
}

/// Per-viewer flags of statuses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewerFlags {
    pub favourited: Vec<Id>,
    pub reblogged: Vec<Id>,
    pub bookmarked: Vec<Id>,
}

/// Interactions kept as rows of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interaction {
    Favourite,
    Bookmark,
    /// Reblogs are statuses; listed by [`crate::Store::interacting_accounts`] only.
    Reblog,
}

/// A block or mute to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRestriction {
    pub kind: Restriction,
    pub id: Id,
    pub account_id: Id,
    pub target_id: Id,
    /// Mutes: whether notifications from the account are hidden too.
    pub hide_notifications: bool,
    /// Mutes: when the mute ends (`None`: never).
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// One version of an edited status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEdit {
    pub id: Id,
    pub status_id: Id,
    pub text: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: Timestamp,
}
