//! The server's rules.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Result, Rule, RuleStore, RuleTx};

use crate::SqlStore;
use crate::db::{Fields, exec, map_err, read, with_conn};
use crate::statuses::placeholders;
use crate::transaction::SqlTx;

const COLUMNS: &str = "id, priority, text, hint, created_at, updated_at, deleted_at";

fn rule_from_row(r: &impl Fields) -> Result<Rule> {
    Ok(Rule {
        id: Id::from_i64(r.int("id")?),
        priority: r.int("priority")?,
        text: r.text("text")?,
        hint: r.text("hint")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
        deleted_at: r.opt_int("deleted_at")?.map(Timestamp::from_millis),
    })
}

#[async_trait]
impl RuleStore for SqlStore {
    async fn rules(&self) -> Result<Vec<Rule>> {
        let sql =
            format!("SELECT {COLUMNS} FROM rules WHERE deleted_at IS NULL ORDER BY priority, id");
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map(rule_from_row).collect()
        }))
    }

    async fn rules_by_ids(&self, ids: &[Id]) -> Result<Vec<Rule>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM rules WHERE id IN ({}) ORDER BY priority, id",
            placeholders(1, ids.len())
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(id.as_i64());
            }
            let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
            rows.iter().map(rule_from_row).collect()
        }))
    }

    async fn any_rule(&self) -> Result<bool> {
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let row = sqlx::query("SELECT id FROM rules LIMIT 1")
                .persistent(p)
                .fetch_optional(&mut *e)
                .await
                .map_err(map_err)?;
            Ok(row.is_some())
        }))
    }
}

#[async_trait]
impl RuleTx for SqlTx {
    async fn insert_rule(&mut self, r: &Rule) -> Result<bool> {
        let n = exec!(
            self.conn(),
            "INSERT INTO rules (id, priority, text, hint, created_at, updated_at, deleted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            r.id.as_i64(),
            r.priority,
            r.text.as_str(),
            r.hint.as_str(),
            r.created_at.as_millis(),
            r.updated_at.as_millis(),
            r.deleted_at.map(Timestamp::as_millis)
        )?;
        Ok(n > 0)
    }

    async fn update_rule(&mut self, r: &Rule) -> Result<bool> {
        let n = exec!(
            self.conn(),
            "UPDATE rules SET priority = $2, text = $3, hint = $4, updated_at = $5 \
             WHERE id = $1 AND deleted_at IS NULL",
            r.id.as_i64(),
            r.priority,
            r.text.as_str(),
            r.hint.as_str(),
            r.updated_at.as_millis()
        )?;
        Ok(n > 0)
    }

    async fn delete_rule(&mut self, id: Id, now: Timestamp) -> Result<bool> {
        let n = exec!(
            self.conn(),
            "UPDATE rules SET deleted_at = $2, updated_at = $2 \
             WHERE id = $1 AND deleted_at IS NULL",
            id.as_i64(),
            now.as_millis()
        )?;
        Ok(n > 0)
    }
}
