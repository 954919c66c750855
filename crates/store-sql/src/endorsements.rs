//! Endorsements and notes on accounts.

use async_trait::async_trait;
use rookery_model::{Account, Id, Timestamp};
use rookery_store::{EndorsementStore, EndorsementTx, Result, TimelinePage};

use crate::SqlStore;
use crate::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::db::{Conn, Fields, exec, map_err, read, with_conn};
use crate::statuses::{bounds, placeholders};
use crate::transaction::SqlTx;

/// Runs `sql` with `account_id` as `$1` and `targets` from `$2`, reading two columns.
async fn pairs(
    c: Conn<'_>,
    sql: &str,
    account_id: Id,
    targets: &[Id],
) -> Result<Vec<(i64, Option<String>)>> {
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).bind(account_id.as_i64());
        for t in targets {
            q = q.bind(t.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((r.int("target")?, r.opt_text("comment")?)))
            .collect::<Result<Vec<_>>>()
    })
}

#[async_trait]
impl EndorsementStore for SqlStore {
    async fn endorsed(&self, account_id: Id, targets: &[Id]) -> Result<Vec<Id>> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT e.target_account_id AS target, CAST(NULL AS TEXT) AS comment \
             FROM account_endorsements e JOIN follows f ON f.account_id = e.account_id \
             AND f.target_account_id = e.target_account_id \
             WHERE e.account_id = $1 AND e.target_account_id IN ({})",
            placeholders(2, targets.len())
        );
        let rows = read!(&self.pools, |c| pairs(c, &sql, account_id, targets).await)?;
        Ok(rows.into_iter().map(|(t, _)| Id::from_i64(t)).collect())
    }

    async fn notes(&self, account_id: Id, targets: &[Id]) -> Result<Vec<(Id, String)>> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT target_account_id AS target, comment FROM account_notes \
             WHERE account_id = $1 AND target_account_id IN ({})",
            placeholders(2, targets.len())
        );
        let rows = read!(&self.pools, |c| pairs(c, &sql, account_id, targets).await)?;
        Ok(rows
            .into_iter()
            .map(|(t, n)| (Id::from_i64(t), n.unwrap_or_default()))
            .collect())
    }

    async fn endorsements(&self, account_id: Id, page: TimelinePage) -> Result<Vec<(Id, Account)>> {
        let (lower, upper, asc) = bounds(page);
        let sql = format!(
            "SELECT e.id AS endorsement_id, {ACCOUNT_COLUMNS} FROM account_endorsements e \
             JOIN accounts a ON a.id = e.target_account_id \
             JOIN follows f ON f.account_id = e.account_id AND f.target_account_id = a.id \
             WHERE e.account_id = $1 AND e.id > $2 AND e.id < $3 AND a.suspended_at IS NULL \
             ORDER BY e.id {} LIMIT $4",
            if asc { "ASC" } else { "DESC" }
        );
        let mut out = read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(account_id.as_i64())
                .bind(lower)
                .bind(upper)
                .bind(i64::from(page.limit))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(|r| Ok((Id::from_i64(r.int("endorsement_id")?), account_from_row(r)?)))
                .collect::<Result<Vec<_>>>()
        }))?;
        if asc {
            out.reverse();
        }
        Ok(out)
    }

    async fn familiar_followers(
        &self,
        account_id: Id,
        targets: &[Id],
        per_target: u32,
    ) -> Result<Vec<(Id, Account)>> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT f.target_account_id AS familiar_target, {ACCOUNT_COLUMNS} FROM follows f \
             JOIN follows mine ON mine.target_account_id = f.account_id AND mine.account_id = $1 \
             JOIN accounts a ON a.id = f.account_id \
             JOIN accounts t ON t.id = f.target_account_id \
             WHERE f.target_account_id IN ({}) AND a.suspended_at IS NULL \
             AND (t.id = $1 OR NOT t.hide_collections) AND NOT a.hide_collections \
             ORDER BY f.target_account_id, f.id DESC",
            placeholders(2, targets.len())
        );
        let rows = read!(&self.pools, |c| with_conn!(c, |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(account_id.as_i64());
            for t in targets {
                q = q.bind(t.as_i64());
            }
            let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    Ok((
                        Id::from_i64(r.int("familiar_target")?),
                        account_from_row(r)?,
                    ))
                })
                .collect::<Result<Vec<_>>>()
        }))?;
        let mut out: Vec<(Id, Account)> = Vec::new();
        for (target, account) in rows {
            if out.iter().filter(|(t, _)| *t == target).count() < per_target as usize {
                out.push((target, account));
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl EndorsementTx for SqlTx {
    async fn endorse(
        &mut self,
        id: Id,
        account_id: Id,
        target_id: Id,
        now: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "INSERT INTO account_endorsements (id, account_id, target_account_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            id.as_i64(),
            account_id.as_i64(),
            target_id.as_i64(),
            now.as_millis()
        )? == 1)
    }

    async fn unendorse(&mut self, account_id: Id, target_id: Id) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM account_endorsements WHERE account_id = $1 AND target_account_id = $2",
            account_id.as_i64(),
            target_id.as_i64()
        )? == 1)
    }

    async fn set_note(
        &mut self,
        account_id: Id,
        target_id: Id,
        note: &str,
        now: Timestamp,
    ) -> Result<()> {
        if note.is_empty() {
            exec!(
                self.conn(),
                "DELETE FROM account_notes WHERE account_id = $1 AND target_account_id = $2",
                account_id.as_i64(),
                target_id.as_i64()
            )?;
        } else {
            exec!(
                self.conn(),
                "INSERT INTO account_notes (account_id, target_account_id, comment, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, target_account_id) \
                 DO UPDATE SET comment = excluded.comment, updated_at = excluded.updated_at",
                account_id.as_i64(),
                target_id.as_i64(),
                note,
                now.as_millis()
            )?;
        }
        Ok(())
    }
}
