//! Quote posts: the storage side.
//!
//! Reached through [`crate::Store::quote_store`] and [`crate::Transaction::quotes`].

use async_trait::async_trait;
use rookery_model::{Id, QuotePolicy, Timestamp};

use crate::{Result, TimelinePage};

/// Where a quote stands (Mastodon's stored states; the API derives more from them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteState {
    /// Waiting for the quoted author's approval (or for it to be checked).
    Pending,
    Accepted,
    Rejected,
    /// Approved, then withdrawn by the quoted author.
    Revoked,
}

impl QuoteState {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteState::Pending => "pending",
            QuoteState::Accepted => "accepted",
            QuoteState::Rejected => "rejected",
            QuoteState::Revoked => "revoked",
        }
    }

    pub fn parse(text: &str) -> Option<QuoteState> {
        Some(match text {
            "pending" => QuoteState::Pending,
            "accepted" => QuoteState::Accepted,
            "rejected" => QuoteState::Rejected,
            "revoked" => QuoteState::Revoked,
            _ => return None,
        })
    }
}

/// A status quoting another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub id: Id,
    /// The quoting status.
    pub status_id: Id,
    /// Its author.
    pub account_id: Id,
    /// The quoted status, once it is here (and while it exists).
    pub quoted_status_id: Option<Id>,
    pub quoted_account_id: Option<Id>,
    /// The quoted status's ActivityPub id.
    pub quoted_uri: String,
    pub state: QuoteState,
    /// The `QuoteRequest` that asked for approval.
    pub activity_uri: Option<String>,
    /// The `QuoteAuthorization` that approved it.
    pub approval_uri: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Quotes: reads.
#[async_trait]
pub trait QuoteStore: Send + Sync {
    /// The quotes the given statuses make.
    async fn quotes_by(&self, status_ids: &[Id]) -> Result<Vec<Quote>>;

    /// One quote.
    async fn quote(&self, id: Id) -> Result<Option<Quote>>;

    /// The quote a `QuoteRequest` asked about.
    async fn quote_by_activity(&self, activity_uri: &str) -> Result<Option<Quote>>;

    /// The accepted quotes of posts by `quoted_account_id` that the `QuoteAuthorization`
    /// `approval_uri` approved.
    async fn accepted_quotes_by_approval(
        &self,
        approval_uri: &str,
        quoted_account_id: Id,
    ) -> Result<Vec<Quote>>;

    /// Quotes of a post that is not here yet, by its ActivityPub id.
    async fn quotes_of_uri(&self, quoted_uri: &str) -> Result<Vec<Quote>>;

    /// The accepted quotes of a status, newest first, paged by quote id.
    async fn accepted_quotes(&self, quoted_status_id: Id, page: TimelinePage)
    -> Result<Vec<Quote>>;

    /// How many accepted quotes each of the given statuses has (absent: none).
    async fn quotes_counts(&self, status_ids: &[Id]) -> Result<Vec<(Id, i64)>>;

    /// The quote policies of the given statuses (absent: nobody may quote).
    async fn quote_policies(&self, status_ids: &[Id]) -> Result<Vec<(Id, QuotePolicy)>>;
}

/// Quotes, in a transaction.
#[async_trait]
pub trait QuoteTx: Send {
    /// Inserts a quote; false (nothing written) when its status already quotes something.
    async fn insert_quote(&mut self, quote: &Quote) -> Result<bool>;

    /// Moves a quote from one of the states `from` to `to`, recording the approval (or
    /// clearing it with `None` when `to` is not `Accepted`) and the request; false when it
    /// was in none of them.
    async fn set_quote_state(
        &mut self,
        id: Id,
        from: &[QuoteState],
        to: QuoteState,
        approval_uri: Option<&str>,
        activity_uri: Option<&str>,
        now: Timestamp,
    ) -> Result<bool>;

    /// Links quotes of a post that has arrived to it.
    async fn link_quoted(&mut self, quoted_uri: &str, status_id: Id, account_id: Id)
    -> Result<u64>;

    /// Sets who may quote a status.
    async fn set_quote_policy(&mut self, status_id: Id, policy: QuotePolicy) -> Result<()>;
}
