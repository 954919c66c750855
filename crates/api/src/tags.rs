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

/// docs.joinmastodon.org/entities/Tag/#admin — a hashtag as staff review it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AdminTag {
    #[serde(flatten)]
    pub tag: Tag,
    /// Whether it may be shown in the public trends.
    pub trendable: bool,
    /// Whether it may be used in posts (always, here).
    pub usable: bool,
    /// Whether nobody reviewed it yet.
    pub requires_review: bool,
    /// Whether it may be listed in profile directories and search (always, here).
    pub listable: bool,
}

/// A trending link as staff review it: the card's id (what approve and reject take) and
/// whether nobody reviewed it yet, beside the public fields.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminTrendsLink {
    pub id: String,
    #[serde(flatten)]
    pub link: TrendsLink,
    pub requires_review: bool,
}

/// A trending status as staff review it: the Status entity and whether nobody reviewed it
/// yet.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminTrendsStatus {
    #[serde(flatten)]
    pub status: crate::Status,
    pub requires_review: bool,
}
