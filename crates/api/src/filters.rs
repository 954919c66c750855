//! Filter entities (version 2, and version 1's keyword view).

use serde::Serialize;

/// docs.joinmastodon.org/entities/Filter
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Filter {
    pub id: String,
    pub title: String,
    pub context: Vec<&'static str>,
    pub expires_at: Option<String>,
    pub filter_action: &'static str,
    /// Left out inside a [`FilterResult`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<FilterKeyword>>,
    /// Left out inside a [`FilterResult`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<FilterStatus>>,
}

/// docs.joinmastodon.org/entities/FilterKeyword
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FilterKeyword {
    pub id: String,
    pub keyword: String,
    pub whole_word: bool,
}

/// docs.joinmastodon.org/entities/FilterStatus
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FilterStatus {
    pub id: String,
    pub status_id: String,
}

/// docs.joinmastodon.org/entities/FilterResult: a filter that matched a status, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FilterResult {
    pub filter: Filter,
    pub keyword_matches: Option<Vec<String>>,
    pub status_matches: Option<Vec<String>>,
}

/// docs.joinmastodon.org/entities/V1_Filter: one keyword of a filter, as version 1 shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FilterV1 {
    pub id: String,
    pub phrase: String,
    pub context: Vec<&'static str>,
    pub whole_word: bool,
    pub expires_at: Option<String>,
    pub irreversible: bool,
}
