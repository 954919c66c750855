//! Statuses scheduled for later (`scheduled_at` on `POST /api/v1/statuses`). The storage side.
//!
//! Reached through [`crate::Store::scheduled_status_store`] and
//! [`crate::Transaction::scheduled_statuses`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Result, TimelinePage};

/// A status waiting for its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledStatus {
    pub id: Id,
    pub account_id: Id,
    pub scheduled_at: Timestamp,
    /// What the status is made of when published, as the service wrote it (JSON).
    pub params: String,
    /// The uploads it will carry, in order; held for it so they are neither expired nor used
    /// by another status meanwhile.
    pub media_ids: Vec<Id>,
    pub created_at: Timestamp,
}

/// Reads of scheduled statuses.
#[async_trait]
pub trait ScheduledStatusStore: Send + Sync {
    /// One of the account's scheduled statuses.
    async fn scheduled_status(&self, account_id: Id, id: Id) -> Result<Option<ScheduledStatus>>;

    /// The account's scheduled statuses, newest first (paged by id).
    async fn scheduled_statuses(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<ScheduledStatus>>;

    /// `(media id, scheduled status id)` for those of `media_ids` held by a scheduled status.
    async fn held_media(&self, media_ids: &[Id]) -> Result<Vec<(Id, Id)>>;
}

/// Writes of scheduled statuses, inside a [`crate::Transaction`].
#[async_trait]
pub trait ScheduledStatusTx: Send {
    /// How many statuses the account has scheduled: in all, and between `from` (inclusive)
    /// and `to` (exclusive). Serialises the account's scheduling until the transaction ends,
    /// so limits checked against these counts hold against concurrent requests.
    async fn count_scheduled(
        &mut self,
        account_id: Id,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(i64, i64)>;

    /// Adds a scheduled status and holds its media; `false` if one of the media is not the
    /// author's unattached upload, or is held by another scheduled status (the transaction
    /// should then be dropped).
    async fn insert_scheduled_status(&mut self, scheduled: &ScheduledStatus) -> Result<bool>;

    /// Moves the account's scheduled status to `at`; `false` if there is no such status.
    async fn reschedule(&mut self, account_id: Id, id: Id, at: Timestamp) -> Result<bool>;

    /// Removes the account's scheduled status, releasing its media; `false` if there was none
    /// (already published or cancelled).
    async fn delete_scheduled_status(&mut self, account_id: Id, id: Id) -> Result<bool>;

    /// As [`Self::delete_scheduled_status`], for publishing: only if it is due at `now` (not
    /// moved later meanwhile).
    async fn take_due_scheduled_status(
        &mut self,
        account_id: Id,
        id: Id,
        now: Timestamp,
    ) -> Result<bool>;
}
