//! Severed relationships.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    AccountSeverance, Follow, Result, SeveranceEvent, SeveranceKind, SeveranceStore, SeveranceTx,
    SeveredFollow, StoreError,
};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::restrictions::follow_from_row;
use crate::statuses::placeholders;
use crate::transaction::SqlTx;

const ACCOUNT_COLUMNS: &str = "s.id, s.account_id, s.followers_count, s.following_count, \
    s.created_at, e.id AS event_id, e.kind, e.target_name, e.purged, \
    e.created_at AS event_created_at";

const ACCOUNT_FROM: &str = "account_relationship_severance_events s \
    JOIN relationship_severance_events e ON e.id = s.event_id";

fn account_severance_from_row(r: &impl Fields) -> Result<AccountSeverance> {
    let kind = r.text("kind")?;
    Ok(AccountSeverance {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        event: SeveranceEvent {
            id: Id::from_i64(r.int("event_id")?),
            kind: SeveranceKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("severance kind {kind:?}")))?,
            target_name: r.text("target_name")?,
            purged: r.flag("purged")?,
            created_at: Timestamp::from_millis(r.int("event_created_at")?),
        },
        followers_count: r.int("followers_count")?,
        following_count: r.int("following_count")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

fn severed_from_row(r: &impl Fields) -> Result<SeveredFollow> {
    Ok(SeveredFollow {
        id: Id::from_i64(r.int("id")?),
        event_id: Id::from_i64(r.int("event_id")?),
        local_account_id: Id::from_i64(r.int("local_account_id")?),
        remote_acct: r.text("remote_acct")?,
        active: r.flag("active")?,
        show_reblogs: r.flag("show_reblogs")?,
        notify: r.flag("notify")?,
    })
}

/// `x`'s domain is `$1` or one of its subdomains (with or without a port); `$1` is matched
/// literally (`_` and `%` escaped for `LIKE`).
fn on_domain(x: &str) -> String {
    let d = "replace(replace($1, '%', '\\%'), '_', '\\_')";
    format!(
        "(lower({x}.domain) = $1 OR lower({x}.domain) LIKE '%.' || {d} ESCAPE '\\' \
         OR lower({x}.domain) LIKE {d} || ':%' ESCAPE '\\' \
         OR lower({x}.domain) LIKE '%.' || {d} || ':%' ESCAPE '\\')"
    )
}

#[async_trait]
impl SeveranceStore for SqlStore {
    async fn account_severance(&self, id: Id) -> Result<Option<AccountSeverance>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM {ACCOUNT_FROM} WHERE s.id = $1");
        read!(&self.pools, |c| {
            fetch_optional!(c, sql.as_str(), account_severance_from_row, id.as_i64())
        })
    }

    async fn account_severances(&self, ids: &[Id]) -> Result<Vec<AccountSeverance>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM {ACCOUNT_FROM} WHERE s.id IN ({})",
            placeholders(1, ids.len())
        );
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for id in ids {
                    q = q.bind(id.as_i64());
                }
                let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
                rows.iter().map(account_severance_from_row).collect()
            })
        })
    }

    async fn severances_of(&self, account_id: Id, limit: u32) -> Result<Vec<AccountSeverance>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM {ACCOUNT_FROM} WHERE s.account_id = $1 \
             ORDER BY s.id DESC LIMIT $2"
        );
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(account_id.as_i64())
                    .bind(i64::from(limit))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(account_severance_from_row).collect()
            })
        })
    }

    async fn severed_follows(
        &self,
        event_id: Id,
        account_id: Id,
        active: bool,
    ) -> Result<Vec<SeveredFollow>> {
        let sql = "SELECT id, event_id, local_account_id, remote_acct, active, show_reblogs, \
                   notify FROM severed_relationships \
                   WHERE event_id = $1 AND local_account_id = $2 AND active = $3 \
                   ORDER BY id DESC";
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sql)
                    .bind(event_id.as_i64())
                    .bind(account_id.as_i64())
                    .bind(active)
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(severed_from_row).collect()
            })
        })
    }
}

#[async_trait]
impl SeveranceTx for SqlTx {
    async fn sever_domain(&mut self, domain: &str) -> Result<Vec<Follow>> {
        let domain = domain.to_ascii_lowercase();
        let (remote_target, remote_follower) = (on_domain("t"), on_domain("a"));
        let sql = format!(
            "SELECT f.id, f.account_id, f.target_account_id, f.show_reblogs, f.notify, f.uri, \
             f.created_at FROM follows f \
             JOIN accounts a ON a.id = f.account_id \
             JOIN accounts t ON t.id = f.target_account_id \
             WHERE (a.domain IS NULL AND {remote_target}) \
                OR (t.domain IS NULL AND {remote_follower}) \
             ORDER BY f.id"
        );
        let follows: Vec<Follow> = with_conn!(self.conn(), |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(domain.as_str())
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map(follow_from_row).collect::<Result<Vec<_>>>()
        })?;
        for f in &follows {
            crate::social::delete_follow(self.conn(), f.account_id, f.target_account_id).await?;
        }
        let requests = format!(
            "DELETE FROM follow_requests WHERE id IN (SELECT r.id FROM follow_requests r \
             JOIN accounts a ON a.id = r.account_id \
             JOIN accounts t ON t.id = r.target_account_id \
             WHERE (a.domain IS NULL AND {remote_target}) \
                OR (t.domain IS NULL AND {remote_follower}))"
        );
        with_conn!(self.conn(), |e, p| {
            sqlx::query(sqlx::AssertSqlSafe(requests.clone()))
                .bind(domain.as_str())
                .persistent(p)
                .execute(&mut *e)
                .await
                .map_err(map_err)
                .map(|done| done.rows_affected())
        })?;
        Ok(follows)
    }

    async fn insert_event(&mut self, ev: &SeveranceEvent) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO relationship_severance_events (id, kind, target_name, purged, \
             created_at) VALUES ($1, $2, $3, $4, $5)",
            ev.id.as_i64(),
            ev.kind.as_str(),
            ev.target_name.as_str(),
            ev.purged,
            ev.created_at.as_millis()
        )?;
        Ok(())
    }

    async fn insert_severed(&mut self, follows: &[SeveredFollow]) -> Result<()> {
        for f in follows {
            exec!(
                self.conn(),
                "INSERT INTO severed_relationships (id, event_id, local_account_id, \
                 remote_acct, active, show_reblogs, notify) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                f.id.as_i64(),
                f.event_id.as_i64(),
                f.local_account_id.as_i64(),
                f.remote_acct.as_str(),
                f.active,
                f.show_reblogs,
                f.notify
            )?;
        }
        Ok(())
    }

    async fn insert_account_severance(&mut self, s: &AccountSeverance) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO account_relationship_severance_events (id, account_id, event_id, \
             followers_count, following_count, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            s.id.as_i64(),
            s.account_id.as_i64(),
            s.event.id.as_i64(),
            s.followers_count,
            s.following_count,
            s.created_at.as_millis()
        )?;
        Ok(())
    }
}
