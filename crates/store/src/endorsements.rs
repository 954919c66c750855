//! What a user keeps about other accounts: endorsements (featured on their profile) and
//! private notes. The storage side.
//!
//! Reached through [`crate::Store::endorsement_store`] and [`crate::Transaction::endorsements`].

use async_trait::async_trait;
use rookery_model::{Account, Id, Timestamp};

use crate::{Result, TimelinePage};

/// Reads of endorsements and notes.
#[async_trait]
pub trait EndorsementStore: Send + Sync {
    /// Which of `targets` the account endorses (and still follows: an endorsement lapses with
    /// the follow).
    async fn endorsed(&self, account_id: Id, targets: &[Id]) -> Result<Vec<Id>>;

    /// The account's notes on `targets`: `(target, note)`.
    async fn notes(&self, account_id: Id, targets: &[Id]) -> Result<Vec<(Id, String)>>;

    /// The accounts it endorses, newest endorsement first: `(endorsement id, account)`.
    async fn endorsements(&self, account_id: Id, page: TimelinePage) -> Result<Vec<(Id, Account)>>;

    /// For each of `targets`, the accounts `account_id` follows that follow it. Neither a
    /// target nor a follower that hides its collections gives them away (to anyone but
    /// itself, for a target).
    async fn familiar_followers(
        &self,
        account_id: Id,
        targets: &[Id],
        per_target: u32,
    ) -> Result<Vec<(Id, Account)>>;
}

/// Writes of endorsements and notes, inside a [`crate::Transaction`].
#[async_trait]
pub trait EndorsementTx: Send {
    /// Endorses `target_id`; `false` if endorsed already.
    async fn endorse(
        &mut self,
        id: Id,
        account_id: Id,
        target_id: Id,
        now: Timestamp,
    ) -> Result<bool>;

    /// Stops endorsing `target_id`; `false` if it was not.
    async fn unendorse(&mut self, account_id: Id, target_id: Id) -> Result<bool>;

    /// Sets the note on `target_id` (an empty one removes it).
    async fn set_note(
        &mut self,
        account_id: Id,
        target_id: Id,
        note: &str,
        now: Timestamp,
    ) -> Result<()>;
}
