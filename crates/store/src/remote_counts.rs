//! What a remote account's own server says of it: its follower, following and post counts, as
//! the `totalItems` of its collections. The storage side.
//!
//! Reached through [`crate::Transaction::remote_counts`].

use async_trait::async_trait;
use rookery_model::Id;

use crate::Result;

/// A remote account's counts, as its server publishes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoteCounts {
    pub followers: Option<i64>,
    pub following: Option<i64>,
    pub statuses: Option<i64>,
}

/// Remote accounts' counts, in a transaction.
#[async_trait]
pub trait RemoteCountsTx: Send {
    /// Sets the counts given (a `None` keeps the one recorded) of a remote account; `false` if
    /// there is no such remote account.
    async fn set_remote_counts(&mut self, account_id: Id, counts: RemoteCounts) -> Result<bool>;
}
