//! Threads completed after the fact: a reply stored before its parent was known is linked to
//! the parent once it has been fetched. The storage side.
//!
//! Reached through [`crate::Transaction::threads`].

use async_trait::async_trait;
use rookery_model::Id;

use crate::Result;

/// Thread links, in a transaction.
#[async_trait]
pub trait ThreadTx: Send {
    /// Makes `reply` a reply to `parent` (by `parent_account`) in `parent`'s conversation, if
    /// it has no parent yet; `true` if it was linked.
    async fn link_reply(
        &mut self,
        reply: Id,
        parent: Id,
        parent_account: Id,
        conversation: Id,
    ) -> Result<bool>;
}
