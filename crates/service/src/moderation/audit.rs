//! The audit log: every moderation action recorded with who took it, on what, when and why,
//! in the same transaction as the action (an action is never half-logged).

use rookery_model::Id;
use rookery_store::{ActionLog, Page, Transaction};

use super::Moderator;
use crate::{Result, Services};

/// What a moderation action was, for the log.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// What was done (`suspend`, `resolve`, `create`, …).
    pub action: &'a str,
    /// What it was done to (`Account`, `Report`, `DomainBlock`, …).
    pub target_type: &'a str,
    pub target_id: Option<Id>,
    /// What the target is called (`@name@domain`, `example.com`, …).
    pub target_name: &'a str,
    /// Why, as the moderator wrote it (may be empty).
    pub reason: &'a str,
}

/// Longest reason kept in the log.
const MAX_REASON_CHARS: usize = 5000;

/// Records `entry` as taken by `by`, in `tx`.
pub async fn record(
    s: &Services,
    tx: &mut dyn Transaction,
    by: Moderator,
    entry: Entry<'_>,
) -> Result<()> {
    let log = ActionLog {
        id: s.ids.next_id(),
        account_id: by.account_id,
        action: entry.action.to_owned(),
        target_type: entry.target_type.to_owned(),
        target_id: entry.target_id,
        target_name: entry.target_name.chars().take(500).collect(),
        reason: entry.reason.chars().take(MAX_REASON_CHARS).collect(),
        created_at: s.clock.now(),
    };
    tx.audit_log().insert_action_log(&log).await?;
    Ok(())
}

/// The audit log, newest first.
pub struct AuditLog<'a> {
    s: &'a Services,
}

impl Services {
    /// The audit log of moderation actions.
    pub fn audit_log(&self) -> AuditLog<'_> {
        AuditLog { s: self }
    }
}

impl AuditLog<'_> {
    /// Newest first, optionally only one moderator's or only those on one target.
    pub async fn list(
        &self,
        by: Moderator,
        page: Page,
        account_id: Option<Id>,
        target: Option<(&str, Id)>,
    ) -> Result<Vec<ActionLog>> {
        by.require(rookery_model::Permission::ViewAuditLog)?;
        Ok(self
            .s
            .store
            .audit_log_store()
            .action_logs(page, account_id, target)
            .await?)
    }
}
