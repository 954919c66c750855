//! Mastodon client API entities, shaped field for field as Mastodon renders them
//! (docs.joinmastodon.org/entities). Apps parse these strictly: types, nullability and
//! field presence matter as much as values.
//!
//! This crate holds shapes only; `rookery-service` fills them from domain types.

mod account;
mod admin;
mod admin_policy;
mod announcements;
mod filters;
mod instance;
mod lists;
mod media;
mod moderation;
mod notifications;
mod polls;
mod reports;
mod scheduled;
mod status;
mod tags;

pub use account::{Account, AccountRole, CustomEmoji, Field};
pub use admin::{AdminAccount, AdminIp, AdminRole};
pub use admin_policy::{
    AdminCanonicalEmailBlock, AdminDomainAllow, AdminDomainBlock, AdminEmailDomainBlock,
    AdminIpBlock,
};
pub use announcements::{Announcement, AnnouncementAccount, AnnouncementStatus, Reaction};
pub use filters::{Filter, FilterKeyword, FilterResult, FilterStatus, FilterV1};
pub use instance::{
    InstanceV1, InstanceV2, Rule, V1Configuration, V1Stats, V1Urls, V2Configuration, V2Contact,
    V2Registrations, V2Thumbnail, V2Usage, V2UsageUsers,
};
pub use lists::List;
pub use media::MediaAttachment;
pub use moderation::{AccountWarning, Appeal, RelationshipSeveranceEvent};
pub use notifications::{
    GroupedNotificationsResults, Marker, NotificationGroup, NotificationPolicy,
    NotificationPolicySummary, NotificationPolicyV1, NotificationRequest, PartialAccountWithAvatar,
    Preferences,
};
pub use polls::{Poll, PollOption};
pub use reports::{AdminReport, Report};
pub use scheduled::{ScheduledPoll, ScheduledStatus, ScheduledStatusParams};
pub use status::{
    Conversation, Notification, PreviewCard, PreviewCardAuthor, Quote, QuoteApproval, QuoteEntity,
    Relationship, ShallowQuote, Status, StatusEdit, StatusMention, StatusSource, StatusTag,
};
pub use tags::{
    AdminTag, AdminTrendsLink, AdminTrendsStatus, FeaturedTag, Tag, TagHistory, TrendsLink,
};

use serde::Serialize;

/// Mastodon's error body: `{"error": "..."}` plus an optional `error_description`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Error {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Per-field refusals (`{"username": [{"error": "ERR_TAKEN", "description": …}]}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl Error {
    /// An error with just the message.
    pub fn new(msg: impl Into<String>) -> Self {
        Error {
            error: msg.into(),
            error_description: None,
            details: None,
        }
    }
}
