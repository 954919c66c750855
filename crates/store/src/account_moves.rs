//! Account migration: the aliases an account names (`alsoKnownAs`) and the account it moved
//! to. The storage side.
//!
//! Reached through [`crate::Transaction::account_moves`]. Both are read with the account
//! (`ProfileExtras`).

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// Aliases and moves, in a transaction.
#[async_trait]
pub trait AccountMovesTx: Send {
    /// Replaces the actor URIs an account is also known as, as changed at `at` (its
    /// `updated_at`); `false` if there is no such account.
    async fn set_also_known_as(
        &mut self,
        account_id: Id,
        uris: &[String],
        at: Timestamp,
    ) -> Result<bool>;

    /// Records that an account moved to `to` at `at` (also its `updated_at`): a local user's
    /// move, or a remote `Move`. `false` if that move was recorded already (a repeat).
    async fn set_moved(&mut self, account_id: Id, to: Id, at: Timestamp) -> Result<bool>;

    /// Records where a remote actor's document says it moved (`movedTo`), or that it names
    /// none — except that a move made by a `Move` since `moves_kept_since` is not forgotten (a
    /// document read before it). Only a `Move` (`set_moved`) writes the time of a move, which
    /// this never changes. `false` if nothing changed.
    async fn set_published_move(
        &mut self,
        account_id: Id,
        to: Option<Id>,
        moves_kept_since: Timestamp,
    ) -> Result<bool>;
}
