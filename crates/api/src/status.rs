//! Status, Relationship and Notification entities.

use serde::Serialize;
use serde_json::Value;

use crate::account::{Account, CustomEmoji};

/// docs.joinmastodon.org/entities/Status
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Status {
    pub id: String,
    pub uri: String,
    pub url: Option<String>,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub account: Account,
    pub content: String,
    pub visibility: String,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub media_attachments: Vec<crate::MediaAttachment>,
    pub application: Option<Value>,
    pub mentions: Vec<StatusMention>,
    pub tags: Vec<StatusTag>,
    pub emojis: Vec<CustomEmoji>,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub replies_count: i64,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub reblog: Option<Box<Status>>,
    /// The post this one quotes: a [`Quote`], or a [`ShallowQuote`] inside a quoted post.
    pub quote: Option<QuoteEntity>,
    /// How many accepted quotes it has.
    pub quotes_count: i64,
    /// Who may quote it, and what that means for the viewer.
    pub quote_approval: QuoteApproval,
    pub poll: Option<crate::Poll>,
    pub card: Option<PreviewCard>,
    pub language: Option<String>,
    /// Only in responses that return the source (delete, for redrafting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub favourited: bool,
    pub reblogged: bool,
    pub muted: bool,
    pub bookmarked: bool,
    /// Only on the viewer's own statuses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    /// The viewer's filters this status matches (empty without a viewer).
    pub filtered: Vec<crate::FilterResult>,
}

/// docs.joinmastodon.org/entities/Quote and ShallowQuote.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum QuoteEntity {
    Full(Quote),
    Shallow(ShallowQuote),
}

/// docs.joinmastodon.org/entities/Quote
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quote {
    /// `pending`, `accepted`, `rejected`, `revoked`, `deleted`, `unauthorized`,
    /// `blocked_account`, `blocked_domain` or `muted_account`.
    pub state: String,
    pub quoted_status: Option<Box<Status>>,
}

/// docs.joinmastodon.org/entities/ShallowQuote
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ShallowQuote {
    pub state: String,
    pub quoted_status_id: Option<String>,
}

/// docs.joinmastodon.org/entities/QuoteApproval
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct QuoteApproval {
    /// `public`, `followers`, `following`, `unsupported_policy`.
    pub automatic: Vec<String>,
    pub manual: Vec<String>,
    /// `automatic`, `manual`, `denied` or `unknown`.
    pub current_user: String,
}

/// A mentioned account, as listed on a status.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatusMention {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

/// A hashtag, as listed on a status.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatusTag {
    pub name: String,
    pub url: String,
}

/// docs.joinmastodon.org/entities/Relationship
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Relationship {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

/// docs.joinmastodon.org/entities/Notification
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub group_key: String,
    pub created_at: String,
    pub account: Account,
    pub status: Option<Status>,
    /// For `moderation_warning` notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation_warning: Option<crate::AccountWarning>,
    /// The report an `admin.report` notification is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<crate::Report>,
    /// The severance a `severed_relationships` notification is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<crate::RelationshipSeveranceEvent>,
}

/// docs.joinmastodon.org/entities/Conversation
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Conversation {
    pub id: String,
    pub unread: bool,
    /// Participants other than the viewer.
    pub accounts: Vec<Account>,
    pub last_status: Option<Status>,
}

/// docs.joinmastodon.org/entities/StatusEdit
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusEdit {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: String,
    pub account: Account,
    pub poll: Option<Value>,
    pub media_attachments: Vec<crate::MediaAttachment>,
    pub emojis: Vec<CustomEmoji>,
}

/// docs.joinmastodon.org/entities/StatusSource
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatusSource {
    pub id: String,
    pub text: String,
    pub spoiler_text: String,
}

/// docs.joinmastodon.org/entities/PreviewCard
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PreviewCard {
    pub url: String,
    pub title: String,
    pub description: String,
    /// `link`, `photo`, `video` or `rich`.
    #[serde(rename = "type")]
    pub kind: String,
    pub authors: Vec<PreviewCardAuthor>,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    pub html: String,
    pub width: u32,
    pub height: u32,
    pub image: Option<String>,
    pub image_description: String,
    pub embed_url: String,
    pub blurhash: Option<String>,
    pub language: Option<String>,
    pub published_at: Option<String>,
}

/// docs.joinmastodon.org/entities/PreviewCardAuthor
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PreviewCardAuthor {
    pub name: String,
    pub url: String,
    pub account: Option<Account>,
}
