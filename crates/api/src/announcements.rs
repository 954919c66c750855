//! Announcements.

use serde::Serialize;

use crate::{CustomEmoji, StatusTag};

/// docs.joinmastodon.org/entities/Announcement
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Announcement {
    pub id: String,
    /// HTML.
    pub content: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub all_day: bool,
    pub published_at: String,
    pub updated_at: String,
    /// Whether the viewer dismissed it (only with a viewer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
    pub mentions: Vec<AnnouncementAccount>,
    pub statuses: Vec<AnnouncementStatus>,
    pub tags: Vec<StatusTag>,
    pub emojis: Vec<CustomEmoji>,
    pub reactions: Vec<Reaction>,
}

/// An account mentioned in an announcement (`Announcement.mentions`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AnnouncementAccount {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

/// A status linked from an announcement (`Announcement.statuses`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AnnouncementStatus {
    pub id: String,
    pub url: String,
}

/// docs.joinmastodon.org/entities/Reaction
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reaction {
    /// A Unicode emoji or a custom emoji's shortcode.
    pub name: String,
    pub count: i64,
    /// Whether the viewer reacted so (only with a viewer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub me: Option<bool>,
    /// The image of a custom emoji.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub static_url: Option<String>,
}
