//! Lists.

use serde::Serialize;

/// docs.joinmastodon.org/entities/List
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct List {
    pub id: String,
    pub title: String,
    /// `followed`, `list` or `none`.
    pub replies_policy: String,
    pub exclusive: bool,
}
