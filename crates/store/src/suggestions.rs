//! Whom to suggest following. The storage side.
//!
//! Reached through [`crate::Store::suggestion_store`] and [`crate::Transaction::suggestions`].

use async_trait::async_trait;
use rookery_model::{Account, Id, Timestamp};

use crate::Result;

/// Why an account is suggested (Mastodon's `sources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionSource {
    /// Followed by accounts the user follows.
    FriendsOfFriends,
    /// Among the most followed accounts of this server.
    MostFollowed,
}

/// Reads of follow suggestions.
#[async_trait]
pub trait SuggestionStore: Send + Sync {
    /// Up to `limit` discoverable accounts `account_id` does not follow, has not asked to
    /// follow and has not dismissed: those its follows follow most, then this server's most
    /// followed.
    async fn suggestions(
        &self,
        account_id: Id,
        limit: u32,
    ) -> Result<Vec<(Account, SuggestionSource)>>;
}

/// Writes of follow suggestions, inside a [`crate::Transaction`].
#[async_trait]
pub trait SuggestionTx: Send {
    /// Never suggests `target_id` to `account_id` again.
    async fn dismiss_suggestion(
        &mut self,
        account_id: Id,
        target_id: Id,
        now: Timestamp,
    ) -> Result<()>;
}
