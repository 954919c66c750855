//! Accounts their owners delete: the storage side. Asking closes the account at once (it is
//! suspended and marked deleted); a job then removes everything it owned and leaves the row,
//! emptied, so the username stays taken and the key can sign the `Delete` sent to peers.
//!
//! Reached through [`crate::Store::account_deletion_store`] and
//! [`crate::Transaction::account_deletion`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// Deleted accounts: reads.
#[async_trait]
pub trait AccountDeletionStore: Send + Sync {
    /// When the owner of local account `account_id` asked for it to be deleted.
    async fn deletion_requested(&self, account_id: Id) -> Result<Option<Timestamp>>;

    /// Whether `username` belonged to a local account that was deleted.
    async fn deleted_local(&self, username: &str) -> Result<bool>;

    /// One inbox per server this instance knows an account of (the shared inbox where there
    /// is one): where the deletion of an actor is announced.
    async fn known_inboxes(&self) -> Result<Vec<String>>;
}

/// Deleted accounts, in a transaction.
#[async_trait]
pub trait AccountDeletionTx: Send {
    /// Suspends local account `account_id` and marks it deleted; false when it already was
    /// (or is not local).
    async fn mark_deleted(&mut self, account_id: Id, now: Timestamp) -> Result<bool>;

    /// Deletes up to `limit` statuses of local account `account_id` marked deleted (with the
    /// counts and conversations of others they were part of); returns how many. Purging in
    /// batches keeps each transaction short.
    async fn purge_statuses(&mut self, account_id: Id, limit: u32) -> Result<u64>;

    /// Removes everything local account `account_id` owned (its user, statuses,
    /// relationships, lists, tokens, notifications…) and fixes the counts it was part of,
    /// keeping the account row with its username, addresses and keys, emptied. False when it
    /// is not a local account marked deleted, or was purged already.
    async fn purge_deleted(&mut self, account_id: Id, now: Timestamp) -> Result<bool>;
}
