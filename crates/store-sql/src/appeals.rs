//! Appeals of warnings.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Appeal, AppealStore, AppealTx, Result};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::transaction::SqlTx;

const COLUMNS: &str = "id, account_id, account_warning_id, text, approved_at, \
    approved_by_account_id, rejected_at, rejected_by_account_id, created_at";

fn appeal_from_row(r: &impl Fields) -> Result<Appeal> {
    let at =
        |col: &str| Ok::<_, rookery_store::StoreError>(r.opt_int(col)?.map(Timestamp::from_millis));
    let id = |col: &str| Ok::<_, rookery_store::StoreError>(r.opt_int(col)?.map(Id::from_i64));
    Ok(Appeal {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        account_warning_id: Id::from_i64(r.int("account_warning_id")?),
        text: r.text("text")?,
        approved_at: at("approved_at")?,
        approved_by_account_id: id("approved_by_account_id")?,
        rejected_at: at("rejected_at")?,
        rejected_by_account_id: id("rejected_by_account_id")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

#[async_trait]
impl AppealStore for SqlStore {
    async fn appeal(&self, id: Id) -> Result<Option<Appeal>> {
        let sql = format!("SELECT {COLUMNS} FROM appeals WHERE id = $1");
        read!(&self.pools, |c| {
            fetch_optional!(c, sql.as_str(), appeal_from_row, id.as_i64())
        })
    }

    async fn appeal_of_warning(&self, account_warning_id: Id) -> Result<Option<Appeal>> {
        let sql = format!("SELECT {COLUMNS} FROM appeals WHERE account_warning_id = $1");
        read!(&self.pools, |c| {
            fetch_optional!(
                c,
                sql.as_str(),
                appeal_from_row,
                account_warning_id.as_i64()
            )
        })
    }

    async fn appeals(&self, pending: bool, limit: u32) -> Result<Vec<Appeal>> {
        let decided = if pending { "" } else { "NOT " };
        let sql = format!(
            "SELECT {COLUMNS} FROM appeals \
             WHERE {decided}(approved_at IS NULL AND rejected_at IS NULL) \
             ORDER BY id DESC LIMIT $1"
        );
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(i64::from(limit))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(appeal_from_row).collect()
            })
        })
    }
}

#[async_trait]
impl AppealTx for SqlTx {
    async fn insert_appeal(&mut self, a: &Appeal) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO appeals (id, account_id, account_warning_id, text, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            a.id.as_i64(),
            a.account_id.as_i64(),
            a.account_warning_id.as_i64(),
            a.text.as_str(),
            a.created_at.as_millis()
        )?;
        Ok(())
    }

    async fn decide(
        &mut self,
        id: Id,
        approved: bool,
        by: Option<Id>,
        now: Timestamp,
    ) -> Result<bool> {
        let sql = if approved {
            "UPDATE appeals SET approved_at = $1, approved_by_account_id = $2 \
             WHERE id = $3 AND approved_at IS NULL AND rejected_at IS NULL"
        } else {
            "UPDATE appeals SET rejected_at = $1, rejected_by_account_id = $2 \
             WHERE id = $3 AND approved_at IS NULL AND rejected_at IS NULL"
        };
        Ok(exec!(
            self.conn(),
            sql,
            now.as_millis(),
            by.map(Id::as_i64),
            id.as_i64()
        )? == 1)
    }

    async fn overrule_warning(&mut self, account_warning_id: Id, now: Timestamp) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE account_warnings SET overruled_at = $1 \
             WHERE id = $2 AND overruled_at IS NULL",
            now.as_millis(),
            account_warning_id.as_i64()
        )? == 1)
    }
}
