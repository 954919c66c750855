//! The audit log of moderation actions.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{ActionLog, AuditLogStore, AuditLogTx, Page, Result};

use crate::SqlStore;
use crate::db::{Fields, exec, map_err, read, with_conn};
use crate::transaction::SqlTx;

fn log_from_row(r: &impl Fields) -> Result<ActionLog> {
    Ok(ActionLog {
        id: Id::from_i64(r.int("id")?),
        account_id: r.opt_int("account_id")?.map(Id::from_i64),
        action: r.text("action")?,
        target_type: r.text("target_type")?,
        target_id: r.opt_int("target_id")?.map(Id::from_i64),
        target_name: r.text("target_name")?,
        reason: r.text("reason")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

#[async_trait]
impl AuditLogStore for SqlStore {
    async fn action_logs(
        &self,
        page: Page,
        account_id: Option<Id>,
        target: Option<(&str, Id)>,
    ) -> Result<Vec<ActionLog>> {
        let max_id = page.max_id.map_or(i64::MAX, Id::as_i64);
        let account = account_id.map(Id::as_i64);
        let (target_type, target_id) = match target {
            Some((t, id)) => (Some(t.to_owned()), Some(id.as_i64())),
            None => (None, None),
        };
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(
                    "SELECT id, account_id, action, target_type, target_id, target_name, reason, \
                     created_at FROM admin_action_logs \
                     WHERE id < $1 AND ($2 IS NULL OR account_id = $2) \
                     AND ($3 IS NULL OR (target_type = $3 AND target_id = $4)) \
                     ORDER BY id DESC LIMIT $5",
                )
                .bind(max_id)
                .bind(account)
                .bind(target_type.clone())
                .bind(target_id)
                .bind(i64::from(page.limit))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
                rows.iter().map(log_from_row).collect()
            })
        })
    }
}

#[async_trait]
impl AuditLogTx for SqlTx {
    async fn insert_action_log(&mut self, l: &ActionLog) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO admin_action_logs (id, account_id, action, target_type, target_id, \
             target_name, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            l.id.as_i64(),
            l.account_id.map(Id::as_i64),
            l.action.as_str(),
            l.target_type.as_str(),
            l.target_id.map(Id::as_i64),
            l.target_name.as_str(),
            l.reason.as_str(),
            l.created_at.as_millis()
        )?;
        Ok(())
    }
}
