//! The audit log of moderation actions: the storage side.
//!
//! Reached through [`crate::Store::audit_log_store`] and [`crate::Transaction::audit_log`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Page, Result};

/// One moderation action, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLog {
    pub id: Id,
    /// The moderator; `None` for an operator at the command line.
    pub account_id: Option<Id>,
    /// What was done (`suspend`, `resolve`, `create`, …).
    pub action: String,
    /// What it was done to (`Account`, `Report`, `DomainBlock`, …).
    pub target_type: String,
    pub target_id: Option<Id>,
    /// What the target was called then (`@name@domain`, `example.com`, …).
    pub target_name: String,
    /// Why, as the moderator wrote it.
    pub reason: String,
    pub created_at: Timestamp,
}

/// The audit log: reads.
#[async_trait]
pub trait AuditLogStore: Send + Sync {
    /// Newest first; only one moderator's actions when `account_id` is given, only actions on
    /// one target when `target` is.
    async fn action_logs(
        &self,
        page: Page,
        account_id: Option<Id>,
        target: Option<(&str, Id)>,
    ) -> Result<Vec<ActionLog>>;
}

/// The audit log, in a transaction: an action is recorded in the transaction that takes it.
#[async_trait]
pub trait AuditLogTx: Send {
    async fn insert_action_log(&mut self, log: &ActionLog) -> Result<()>;
}
