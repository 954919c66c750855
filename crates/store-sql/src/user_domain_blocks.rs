//! Domains users block.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Result, TimelinePage, UserDomainBlockStore, UserDomainBlockTx};

use crate::SqlStore;
use crate::db::{Fields, exec, map_err, read, with_conn};
use crate::statuses::bounds;
use crate::transaction::SqlTx;

#[async_trait]
impl UserDomainBlockStore for SqlStore {
    async fn user_domain_blocks(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<(Id, String)>> {
        let (lower, upper, asc) = bounds(page);
        let sql = format!(
            "SELECT id, domain FROM user_domain_blocks WHERE account_id = $1 \
             AND id > $2 AND id < $3 ORDER BY id {} LIMIT $4",
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
                .map(|r| Ok((Id::from_i64(r.int("id")?), r.text("domain")?)))
                .collect::<Result<Vec<_>>>()
        }))?;
        if asc {
            out.reverse();
        }
        Ok(out)
    }

    async fn blocks_domain(&self, account_id: Id, domain: &str) -> Result<bool> {
        let found = read!(&self.pools, |c| crate::db::fetch_optional!(
            c,
            "SELECT id FROM user_domain_blocks WHERE account_id = $1 AND domain = lower($2)",
            |r: &_| r.int("id"),
            account_id.as_i64(),
            domain
        ))?;
        Ok(found.is_some())
    }

    async fn followers_on_domain(
        &self,
        account_id: Id,
        domain: &str,
        requests: bool,
        limit: u32,
    ) -> Result<Vec<Id>> {
        let table = if requests {
            "follow_requests"
        } else {
            "follows"
        };
        let sql = format!(
            "SELECT f.account_id FROM {table} f JOIN accounts a ON a.id = f.account_id \
             WHERE f.target_account_id = $1 AND lower(a.domain) = lower($2) LIMIT $3"
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(account_id.as_i64())
                .bind(domain)
                .bind(i64::from(limit))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(|r| r.int("account_id").map(Id::from_i64))
                .collect::<Result<Vec<_>>>()
        }))
    }

    async fn followed_on_domain(
        &self,
        account_id: Id,
        domain: &str,
        limit: u32,
    ) -> Result<Vec<Id>> {
        let sql = "SELECT f.target_account_id FROM follows f \
                   JOIN accounts a ON a.id = f.target_account_id \
                   WHERE f.account_id = $1 AND lower(a.domain) = lower($2) LIMIT $3";
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sql)
                .bind(account_id.as_i64())
                .bind(domain)
                .bind(i64::from(limit))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(|r| r.int("target_account_id").map(Id::from_i64))
                .collect::<Result<Vec<_>>>()
        }))
    }
}

#[async_trait]
impl UserDomainBlockTx for SqlTx {
    async fn block_domain(
        &mut self,
        id: Id,
        account_id: Id,
        domain: &str,
        now: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "INSERT INTO user_domain_blocks (id, account_id, domain, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            id.as_i64(),
            account_id.as_i64(),
            domain,
            now.as_millis()
        )? == 1)
    }

    async fn unblock_domain(&mut self, account_id: Id, domain: &str) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM user_domain_blocks WHERE account_id = $1 AND domain = $2",
            account_id.as_i64(),
            domain
        )? == 1)
    }
}
