//! Appeals of warnings (Mastodon's disputes of strikes): the storage side. One appeal per
//! warning, decided once (approved or rejected) by a moderator.
//!
//! Reached through [`crate::Store::appeal_store`] and [`crate::Transaction::appeals`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// An appeal of a warning by the warned account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appeal {
    pub id: Id,
    /// Who appealed (the warning's target).
    pub account_id: Id,
    pub account_warning_id: Id,
    pub text: String,
    pub approved_at: Option<Timestamp>,
    pub approved_by_account_id: Option<Id>,
    pub rejected_at: Option<Timestamp>,
    pub rejected_by_account_id: Option<Id>,
    pub created_at: Timestamp,
}

impl Appeal {
    /// Mastodon's Appeal `state`: `approved`, `rejected` or `pending`.
    pub fn state(&self) -> &'static str {
        if self.approved_at.is_some() {
            "approved"
        } else if self.rejected_at.is_some() {
            "rejected"
        } else {
            "pending"
        }
    }

    /// Neither approved nor rejected yet.
    pub fn is_pending(&self) -> bool {
        self.approved_at.is_none() && self.rejected_at.is_none()
    }
}

/// Appeals: reads.
#[async_trait]
pub trait AppealStore: Send + Sync {
    async fn appeal(&self, id: Id) -> Result<Option<Appeal>>;

    /// The appeal of the warning `account_warning_id`, if it was appealed.
    async fn appeal_of_warning(&self, account_warning_id: Id) -> Result<Option<Appeal>>;

    /// Appeals not decided yet (`pending`) or decided (`!pending`), newest first, at most
    /// `limit`.
    async fn appeals(&self, pending: bool, limit: u32) -> Result<Vec<Appeal>>;
}

/// Appeals, in a transaction.
#[async_trait]
pub trait AppealTx: Send {
    /// Writes a new appeal; `StoreError::Conflict` when the warning was appealed already.
    async fn insert_appeal(&mut self, appeal: &Appeal) -> Result<()>;

    /// Approves (`approved`) or rejects a pending appeal; false when it is not pending (or
    /// not there).
    async fn decide(
        &mut self,
        id: Id,
        approved: bool,
        by: Option<Id>,
        now: Timestamp,
    ) -> Result<bool>;

    /// Marks a warning overruled (its action reversed on appeal); false when it already was.
    async fn overrule_warning(&mut self, account_warning_id: Id, now: Timestamp) -> Result<bool>;
}
