//! Filters: a user's keyword and status filters with the contexts they apply in. The storage
//! side.
//!
//! Reached through [`crate::Store::filter_store`] and [`crate::Transaction::filters`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// What a matching filter does to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAction {
    /// Shown behind a warning naming the filter.
    Warn,
    /// Not shown at all.
    Hide,
    /// Media hidden behind a warning.
    Blur,
}

impl FilterAction {
    /// The API and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterAction::Warn => "warn",
            FilterAction::Hide => "hide",
            FilterAction::Blur => "blur",
        }
    }

    /// Reads a name.
    pub fn parse(text: &str) -> Option<Self> {
        [FilterAction::Warn, FilterAction::Hide, FilterAction::Blur]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}

/// Where a filter applies (Mastodon's contexts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterContext {
    /// Home and lists.
    Home,
    Notifications,
    /// Public and hashtag timelines.
    Public,
    /// A status's thread.
    Thread,
    /// A profile's statuses.
    Account,
}

impl FilterContext {
    /// All contexts.
    pub const ALL: [FilterContext; 5] = [
        FilterContext::Home,
        FilterContext::Notifications,
        FilterContext::Public,
        FilterContext::Thread,
        FilterContext::Account,
    ];

    /// The API and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterContext::Home => "home",
            FilterContext::Notifications => "notifications",
            FilterContext::Public => "public",
            FilterContext::Thread => "thread",
            FilterContext::Account => "account",
        }
    }

    /// Reads a name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// A filter with its keywords and statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub id: Id,
    pub account_id: Id,
    pub title: String,
    pub contexts: Vec<FilterContext>,
    pub action: FilterAction,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub keywords: Vec<FilterKeyword>,
    pub statuses: Vec<FilterStatus>,
}

/// A keyword of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterKeyword {
    pub id: Id,
    pub filter_id: Id,
    pub keyword: String,
    /// Matches only whole words.
    pub whole_word: bool,
}

/// A status a filter names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterStatus {
    pub id: Id,
    pub filter_id: Id,
    pub status_id: Id,
}

/// Reads of filters.
#[async_trait]
pub trait FilterStore: Send + Sync {
    /// The account's filters (expired ones too), oldest first, with keywords and statuses.
    async fn filters(&self, account_id: Id) -> Result<Vec<Filter>>;
}

/// Writes of filters, inside a [`crate::Transaction`]. Every write names the owner, so no
/// one changes another user's filters.
#[async_trait]
pub trait FilterTx: Send {
    /// Adds a filter with its keywords and statuses.
    async fn insert_filter(&mut self, filter: &Filter) -> Result<()>;

    /// Replaces a filter's title, contexts, action and expiry. `false` if it is not theirs.
    async fn update_filter(&mut self, filter: &Filter) -> Result<bool>;

    /// Deletes a filter with its keywords and statuses. `false` if it is not theirs.
    async fn delete_filter(&mut self, account_id: Id, id: Id) -> Result<bool>;

    /// Adds a keyword to a filter (checked to be the account's by the caller).
    async fn insert_filter_keyword(&mut self, keyword: &FilterKeyword) -> Result<()>;

    /// Changes a keyword of one of the account's filters. `false` if there is none.
    async fn update_filter_keyword(
        &mut self,
        account_id: Id,
        keyword: &FilterKeyword,
    ) -> Result<bool>;

    /// Deletes a keyword of one of the account's filters. `false` if there is none.
    async fn delete_filter_keyword(&mut self, account_id: Id, id: Id) -> Result<bool>;

    /// Adds a status to a filter (checked to be the account's by the caller);
    /// [`crate::StoreError::Conflict`] if it is there already.
    async fn insert_filter_status(&mut self, status: &FilterStatus) -> Result<()>;

    /// Removes a status from one of the account's filters. `false` if there is none.
    async fn delete_filter_status(&mut self, account_id: Id, id: Id) -> Result<bool>;
}
