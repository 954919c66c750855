//! Grouped notifications, markers and preferences.

use serde::Serialize;

use crate::{Account, Status};

/// docs.joinmastodon.org/entities/GroupedNotificationsResults
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupedNotificationsResults {
    pub accounts: Vec<Account>,
    /// Only with `expand_accounts=partial_avatars`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_accounts: Option<Vec<PartialAccountWithAvatar>>,
    pub statuses: Vec<Status>,
    pub notification_groups: Vec<NotificationGroup>,
}

/// docs.joinmastodon.org/entities/GroupedNotificationsResults/#PartialAccountWithAvatar
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartialAccountWithAvatar {
    pub id: String,
    pub acct: String,
    pub url: String,
    pub avatar: String,
    pub avatar_static: String,
    pub locked: bool,
    pub bot: bool,
}

impl From<&Account> for PartialAccountWithAvatar {
    fn from(a: &Account) -> Self {
        PartialAccountWithAvatar {
            id: a.id.clone(),
            acct: a.acct.clone(),
            url: a.url.clone(),
            avatar: a.avatar.clone(),
            avatar_static: a.avatar_static.clone(),
            locked: a.locked,
            bot: a.bot,
        }
    }
}

/// docs.joinmastodon.org/entities/GroupedNotificationsResults/#NotificationGroup
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotificationGroup {
    pub group_key: String,
    pub notifications_count: i64,
    #[serde(rename = "type")]
    pub kind: String,
    /// A JSON number, as Mastodon renders it (apps decode it as one).
    pub most_recent_notification_id: i64,
    /// Only on pages of `GET /api/v2/notifications`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_min_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_max_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_page_notification_at: Option<String>,
    pub sample_account_ids: Vec<String>,
    /// Only for kinds about a status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<String>,
    /// For `moderation_warning` groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation_warning: Option<crate::AccountWarning>,
    /// The report an `admin.report` group is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<crate::Report>,
    /// The severance a `severed_relationships` notification is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<crate::RelationshipSeveranceEvent>,
}

/// docs.joinmastodon.org/entities/Marker
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Marker {
    pub last_read_id: String,
    pub version: i64,
    pub updated_at: String,
}

/// docs.joinmastodon.org/entities/Preferences
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Preferences {
    #[serde(rename = "posting:default:visibility")]
    pub visibility: String,
    #[serde(rename = "posting:default:sensitive")]
    pub sensitive: bool,
    #[serde(rename = "posting:default:language")]
    pub language: Option<String>,
    /// `public`, `followers` or `nobody` (Mastodon 4.5).
    #[serde(rename = "posting:default:quote_policy")]
    pub quote_policy: String,
    #[serde(rename = "reading:expand:media")]
    pub expand_media: String,
    #[serde(rename = "reading:expand:spoilers")]
    pub expand_spoilers: bool,
    #[serde(rename = "reading:autoplay:gifs")]
    pub autoplay_gifs: bool,
}

/// docs.joinmastodon.org/entities/NotificationPolicy
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotificationPolicy {
    pub for_not_following: &'static str,
    pub for_not_followers: &'static str,
    pub for_new_accounts: &'static str,
    pub for_private_mentions: &'static str,
    pub for_limited_accounts: &'static str,
    pub summary: NotificationPolicySummary,
}

/// The version 1 shape of the policy (`/api/v1/notifications/policy`, Mastodon 4.3), where
/// each case is filtered or not.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotificationPolicyV1 {
    pub filter_not_following: bool,
    pub filter_not_followers: bool,
    pub filter_new_accounts: bool,
    pub filter_private_mentions: bool,
    pub summary: NotificationPolicySummary,
}

/// `summary` of a [`NotificationPolicy`].
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct NotificationPolicySummary {
    pub pending_requests_count: i64,
    pub pending_notifications_count: i64,
}

/// docs.joinmastodon.org/entities/NotificationRequest
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotificationRequest {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub account: Account,
    /// A string, as Mastodon sends it.
    pub notifications_count: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<Status>,
}
