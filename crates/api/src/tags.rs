//! The Tag and FeaturedTag entities, and the trending link (a PreviewCard with its use).

use serde::Serialize;

/// docs.joinmastodon.org/entities/Tag
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tag {
    /// Empty for a hashtag nobody used yet.
    pub id: String,
    pub name: String,
    pub url: String,
    /// The last seven days, newest first.
    pub history: Vec<TagHistory>,
    /// Only with a signed-in viewer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
    /// Whether the signed-in viewer features it on their profile (only with one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featuring: Option<bool>,
}

/// One day of a [`Tag`]'s use; numbers as strings, as Mastodon sends them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TagHistory {
    /// The day's start, in seconds since the epoch.
    pub day: String,
    pub uses: String,
    pub accounts: String,
}

/// docs.joinmastodon.org/entities/FeaturedTag — numbers and dates as Mastodon's server sends
/// them: `statuses_count` as a string, `last_status_at` as a date (`YYYY-MM-DD`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FeaturedTag {
    pub id: String,
    pub name: String,
    /// The account's posts with the hashtag (`https://DOMAIN/@user/tagged/name`).
    pub url: String,
    pub statuses_count: String,
    pub last_status_at: Option<String>,
}

/// docs.joinmastodon.org/entities/PreviewCard/#trends-link — a card with its use per day.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TrendsLink {
    #[serde(flatten)]
    pub card: crate::PreviewCard,
    /// The last seven days, newest first.
    pub history: Vec<TagHistory>,
}
