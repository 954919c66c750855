//! Domains a user blocks: nothing from their accounts reaches the user. The storage side.
//!
//! Reached through [`crate::Store::user_domain_block_store`] and
//! [`crate::Transaction::user_domain_blocks`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Result, TimelinePage};

/// Reads of a user's domain blocks.
#[async_trait]
pub trait UserDomainBlockStore: Send + Sync {
    /// The domains the account blocks, newest first: `(block id, domain)`.
    async fn user_domain_blocks(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<(Id, String)>>;

    /// Whether the account blocks `domain` (any case).
    async fn blocks_domain(&self, account_id: Id, domain: &str) -> Result<bool>;

    /// Accounts of `domain` that follow the account (`requests`: that asked to), at most
    /// `limit`.
    async fn followers_on_domain(
        &self,
        account_id: Id,
        domain: &str,
        requests: bool,
        limit: u32,
    ) -> Result<Vec<Id>>;

    /// Accounts of `domain` the account follows, at most `limit`.
    async fn followed_on_domain(&self, account_id: Id, domain: &str, limit: u32)
    -> Result<Vec<Id>>;
}

/// Writes of a user's domain blocks, inside a [`crate::Transaction`].
#[async_trait]
pub trait UserDomainBlockTx: Send {
    /// Blocks `domain` (lowercase); `false` if blocked already.
    async fn block_domain(
        &mut self,
        id: Id,
        account_id: Id,
        domain: &str,
        now: Timestamp,
    ) -> Result<bool>;

    /// Unblocks `domain`; `false` if it was not blocked.
    async fn unblock_domain(&mut self, account_id: Id, domain: &str) -> Result<bool>;
}
