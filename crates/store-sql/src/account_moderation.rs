//! Moderation actions on accounts: flags, warnings and the admin list of accounts.

use async_trait::async_trait;
use rookery_model::{Account, Id, Timestamp};
use rookery_store::{
    AccountFilter, AccountModerationStore, AccountModerationTx, AccountOrigin, AccountState,
    AccountWarning, Follow, LocalAccount, Result, TimelinePage,
};

use crate::SqlStore;
use crate::accounts::{ACCOUNT_COLUMNS, USER_COLUMNS, account_from_row, local_from_row};
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::{bounds, placeholders};
use crate::transaction::SqlTx;

/// Whether account `a` is silenced: by a moderator, or through a `silence` block of its domain
/// or a parent of it (domains may carry a port).
/// The blocked domain is matched literally (`_` and `%` escaped for `LIKE`; domain names are
/// validated without them, this keeps the match exact whatever a row holds).
const SILENCED: &str = "(a.silenced_at IS NOT NULL OR (a.domain IS NOT NULL AND EXISTS \
    (SELECT 1 FROM domain_blocks d WHERE d.severity = 'silence' AND (lower(a.domain) = d.domain \
    OR lower(a.domain) LIKE '%.' || replace(replace(d.domain, '%', '\\%'), '_', '\\_') ESCAPE '\\' \
    OR lower(a.domain) LIKE replace(replace(d.domain, '%', '\\%'), '_', '\\_') || ':%' ESCAPE '\\' \
    OR lower(a.domain) LIKE '%.' || replace(replace(d.domain, '%', '\\%'), '_', '\\_') || ':%' \
    ESCAPE '\\'))))";

const WARNING_COLUMNS: &str = "id, account_id, target_account_id, action, text, report_id, \
    status_ids, overruled_at, created_at";

fn warning_from_row(r: &impl Fields) -> Result<AccountWarning> {
    let ids: Vec<String> = serde_json::from_str(&r.text("status_ids")?).unwrap_or_default();
    Ok(AccountWarning {
        id: Id::from_i64(r.int("id")?),
        account_id: r.opt_int("account_id")?.map(Id::from_i64),
        target_account_id: Id::from_i64(r.int("target_account_id")?),
        action: r.text("action")?,
        text: r.text("text")?,
        report_id: r.opt_int("report_id")?.map(Id::from_i64),
        status_ids: ids.iter().filter_map(|i| i.parse().ok()).collect(),
        overruled_at: r.opt_int("overruled_at")?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

/// The filter as SQL conditions on `a` (accounts) and `u` (users, left-joined), with the
/// text binds they use from `$1` on, in order.
fn conditions(f: &AccountFilter) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |sql: &mut String, clause: &str, value: String| {
        binds.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", binds.len())));
    };
    match f.origin {
        Some(AccountOrigin::Local) => sql.push_str(" AND a.domain IS NULL"),
        Some(AccountOrigin::Remote) => sql.push_str(" AND a.domain IS NOT NULL"),
        None => {}
    }
    match f.state {
        Some(AccountState::Active) => sql.push_str(
            " AND a.suspended_at IS NULL AND (u.id IS NULL OR (u.approved AND NOT u.disabled))",
        ),
        Some(AccountState::Pending) => sql.push_str(" AND u.id IS NOT NULL AND NOT u.approved"),
        Some(AccountState::Disabled) => sql.push_str(" AND u.id IS NOT NULL AND u.disabled"),
        Some(AccountState::Silenced) => sql.push_str(" AND a.silenced_at IS NOT NULL"),
        Some(AccountState::Suspended) => sql.push_str(" AND a.suspended_at IS NOT NULL"),
        None => {}
    }
    if f.staff {
        sql.push_str(" AND u.role IN ('moderator', 'admin', 'owner')");
    }
    if !f.roles.is_empty() {
        // Fixed names from the enum, never input.
        let names: Vec<String> = f
            .roles
            .iter()
            .map(|r| format!("'{}'", r.as_str()))
            .collect();
        sql.push_str(&format!(" AND u.role IN ({})", names.join(", ")));
    }
    if f.invited_by.is_some() {
        sql.push_str(" AND 1 = 0");
    }
    if let Some(v) = &f.username {
        bind(
            &mut sql,
            " AND lower(a.username) LIKE $? ESCAPE '\\'",
            format!("{}%", like(v)),
        );
    }
    if let Some(v) = &f.display_name {
        bind(
            &mut sql,
            " AND lower(a.display_name) LIKE $? ESCAPE '\\'",
            format!("%{}%", like(v)),
        );
    }
    if let Some(v) = &f.by_domain {
        bind(
            &mut sql,
            " AND lower(a.domain) = $?",
            v.trim().to_lowercase(),
        );
    }
    if let Some(v) = &f.email {
        bind(
            &mut sql,
            " AND lower(u.email) LIKE $? ESCAPE '\\'",
            format!("%{}%", like(v)),
        );
    }
    if let Some(v) = &f.ip {
        bind(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM web_sessions w WHERE w.user_id = u.id AND w.ip = $?)",
            v.trim().to_owned(),
        );
    }
    (sql, binds)
}

/// `text` lower-cased with LIKE's wildcards escaped.
fn like(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[async_trait]
impl AccountModerationStore for SqlStore {
    async fn filtered_accounts(
        &self,
        filter: &AccountFilter,
        page: TimelinePage,
    ) -> Result<Vec<Account>> {
        let (clauses, binds) = conditions(filter);
        let (lower, upper, asc) = bounds(page);
        let n = binds.len();
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN users u ON u.account_id = a.id \
             WHERE a.actor_type <> 'Application' AND a.deleted_at IS NULL {clauses} \
             AND a.id > ${} AND a.id < ${} ORDER BY a.id {} LIMIT ${}",
            n + 1,
            n + 2,
            if asc { "ASC" } else { "DESC" },
            n + 3
        );
        let mut rows = read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for b in &binds {
                    q = q.bind(b.clone());
                }
                let rows = q
                    .bind(lower)
                    .bind(upper)
                    .bind(i64::from(page.limit))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter()
                    .map(account_from_row)
                    .collect::<Result<Vec<_>>>()
            })
        })?;
        if asc {
            rows.reverse();
        }
        Ok(rows)
    }

    async fn hidden_from_public(&self, account_ids: &[Id], viewer: Option<Id>) -> Result<Vec<Id>> {
        if account_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT a.id FROM accounts a WHERE a.id IN ({}) AND (a.suspended_at IS NOT NULL \
             OR ({SILENCED} AND a.id <> $1 AND NOT EXISTS (SELECT 1 FROM follows f \
             WHERE f.account_id = $1 AND f.target_account_id = a.id)))",
            placeholders(2, account_ids.len())
        );
        let viewer = viewer.map_or(0, Id::as_i64);
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(viewer);
                for id in account_ids {
                    q = q.bind(id.as_i64());
                }
                let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
                rows.iter()
                    .map(|r| Ok(Id::from_i64(r.int("id")?)))
                    .collect()
            })
        })
    }

    async fn staff(&self) -> Result<Vec<LocalAccount>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, {USER_COLUMNS} FROM accounts a \
             JOIN users u ON u.account_id = a.id \
             WHERE u.role IN ('moderator', 'admin', 'owner') AND NOT u.disabled \
             AND a.suspended_at IS NULL ORDER BY a.id LIMIT 1000"
        );
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(local_from_row).collect()
            })
        })
    }

    async fn warning(&self, id: Id) -> Result<Option<AccountWarning>> {
        let sql = format!("SELECT {WARNING_COLUMNS} FROM account_warnings WHERE id = $1");
        read!(&self.pools, |c| {
            fetch_optional!(c, sql.as_str(), warning_from_row, id.as_i64())
        })
    }

    async fn warnings_of(&self, target_account_id: Id, limit: u32) -> Result<Vec<AccountWarning>> {
        let sql = format!(
            "SELECT {WARNING_COLUMNS} FROM account_warnings WHERE target_account_id = $1 \
             ORDER BY id DESC LIMIT $2"
        );
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(target_account_id.as_i64())
                    .bind(i64::from(limit))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(warning_from_row).collect()
            })
        })
    }
}

#[async_trait]
impl AccountModerationTx for SqlTx {
    async fn silenced_stranger(&mut self, account_id: Id, recipient: Id) -> Result<bool> {
        let sql = format!(
            "SELECT a.id FROM accounts a WHERE a.id = $1 AND {SILENCED} \
             AND a.id <> $2 AND NOT EXISTS (SELECT 1 FROM follows f \
             WHERE f.account_id = $2 AND f.target_account_id = a.id)"
        );
        let found = fetch_optional!(
            self.conn(),
            sql.as_str(),
            |r| r.int("id"),
            account_id.as_i64(),
            recipient.as_i64()
        )?;
        Ok(found.is_some())
    }

    async fn set_silenced(
        &mut self,
        account_id: Id,
        at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE accounts SET silenced_at = $1, updated_at = $2 WHERE id = $3",
            at.map(Timestamp::as_millis),
            now.as_millis(),
            account_id.as_i64()
        )? == 1)
    }

    async fn set_sensitized(
        &mut self,
        account_id: Id,
        at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE accounts SET sensitized_at = $1, updated_at = $2 WHERE id = $3",
            at.map(Timestamp::as_millis),
            now.as_millis(),
            account_id.as_i64()
        )? == 1)
    }

    async fn set_disabled(
        &mut self,
        account_id: Id,
        disabled: bool,
        now: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE users SET disabled = $1, updated_at = $2 WHERE account_id = $3",
            disabled,
            now.as_millis(),
            account_id.as_i64()
        )? == 1)
    }

    async fn approve(&mut self, account_id: Id, now: Timestamp) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE users SET approved = TRUE, updated_at = $1 WHERE account_id = $2",
            now.as_millis(),
            account_id.as_i64()
        )? == 1)
    }

    async fn delete_pending(&mut self, account_id: Id) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM accounts WHERE id = $1 AND domain IS NULL AND EXISTS \
             (SELECT 1 FROM users u WHERE u.account_id = $1 AND NOT u.approved)",
            account_id.as_i64()
        )? == 1)
    }

    async fn sever_follows(&mut self, account_id: Id) -> Result<Vec<Follow>> {
        let sql = format!(
            "SELECT {} FROM follows WHERE account_id = $1 OR target_account_id = $1 ORDER BY id",
            crate::restrictions::FOLLOW_COLUMNS
        );
        let follows: Vec<Follow> = with_conn!(self.conn(), |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(account_id.as_i64())
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(crate::restrictions::follow_from_row)
                .collect::<Result<Vec<_>>>()
        })?;
        for f in &follows {
            crate::social::delete_follow(self.conn(), f.account_id, f.target_account_id).await?;
        }
        exec!(
            self.conn(),
            "DELETE FROM follow_requests WHERE account_id = $1 OR target_account_id = $1",
            account_id.as_i64()
        )?;
        Ok(follows)
    }

    async fn insert_warning(&mut self, w: &AccountWarning) -> Result<()> {
        let ids: Vec<String> = w.status_ids.iter().map(|i| i.to_string()).collect();
        exec!(
            self.conn(),
            "INSERT INTO account_warnings (id, account_id, target_account_id, action, text, \
             report_id, status_ids, overruled_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            w.id.as_i64(),
            w.account_id.map(Id::as_i64),
            w.target_account_id.as_i64(),
            w.action.as_str(),
            w.text.as_str(),
            w.report_id.map(Id::as_i64),
            serde_json::Value::from(ids).to_string(),
            w.overruled_at.map(Timestamp::as_millis),
            w.created_at.as_millis()
        )?;
        Ok(())
    }
}
