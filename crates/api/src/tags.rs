//! The Tag entity.

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
}

/// One day of a [`Tag`]'s use; numbers as strings, as Mastodon sends them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TagHistory {
    /// The day's start, in seconds since the epoch.
    pub day: String,
    pub uses: String,
    pub accounts: String,
}
