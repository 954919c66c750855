//! The Poll entity.

use serde::Serialize;

use crate::CustomEmoji;

/// docs.joinmastodon.org/entities/Poll
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Poll {
    pub id: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub multiple: bool,
    pub votes_count: i64,
    /// Only for multiple-choice polls.
    pub voters_count: Option<i64>,
    pub options: Vec<PollOption>,
    pub emojis: Vec<CustomEmoji>,
    /// Only with a signed-in viewer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    /// Only with a signed-in viewer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_votes: Option<Vec<i64>>,
}

/// An option of a [`Poll`]; `votes_count` is hidden while a `hide_totals` poll runs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PollOption {
    pub title: String,
    pub votes_count: Option<i64>,
}
