//! Imports of CSV files and their rows.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Import, ImportProgress, ImportRow, ImportStore, ImportTx, Result};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::transaction::SqlTx;

const IMPORT_COLUMNS: &str = "i.id, i.account_id, i.kind, i.mode, i.created_at, i.finished_at";

fn import_from_row(r: &impl Fields) -> Result<Import> {
    Ok(Import {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        kind: r.text("kind")?,
        mode: r.text("mode")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        finished_at: r.opt_int("finished_at")?.map(Timestamp::from_millis),
    })
}

fn progress_from_row(r: &impl Fields) -> Result<ImportProgress> {
    Ok(ImportProgress {
        import: import_from_row(r)?,
        total: r.int("total")?,
        imported: r.int("imported")?,
        failed: r.int("failed")?,
    })
}

fn row_from_row(r: &impl Fields) -> Result<ImportRow> {
    Ok(ImportRow {
        id: Id::from_i64(r.int("id")?),
        import_id: Id::from_i64(r.int("import_id")?),
        data: r.text("data")?,
        state: r.text("state")?,
        target: r.opt_text("target")?,
        error: r.opt_text("error")?,
    })
}

fn count(r: &impl Fields) -> Result<i64> {
    r.int("n")
}

#[async_trait]
impl ImportStore for SqlStore {
    async fn import(&self, id: Id) -> Result<Option<Import>> {
        let sql = format!("SELECT {IMPORT_COLUMNS} FROM imports i WHERE i.id = $1");
        read!(&self.pools, |c| {
            fetch_optional!(c, sql.as_str(), import_from_row, id.as_i64())
        })
    }

    async fn imports_of(&self, account_id: Id, limit: u32) -> Result<Vec<ImportProgress>> {
        let sql = format!(
            "SELECT {IMPORT_COLUMNS}, \
             (SELECT COUNT(*) FROM import_rows r WHERE r.import_id = i.id) AS total, \
             (SELECT COUNT(*) FROM import_rows r WHERE r.import_id = i.id \
              AND r.state = 'imported') AS imported, \
             (SELECT COUNT(*) FROM import_rows r WHERE r.import_id = i.id \
              AND r.state = 'failed') AS failed \
             FROM imports i WHERE i.account_id = $1 ORDER BY i.id DESC LIMIT $2"
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
                rows.iter().map(progress_from_row).collect()
            })
        })
    }

    async fn import_rows(
        &self,
        import_id: Id,
        state: &str,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ImportRow>> {
        let sql = "SELECT id, import_id, data, state, target, error FROM import_rows \
                   WHERE import_id = $1 AND state = $2 AND id > $3 ORDER BY id LIMIT $4";
        let after = after.map_or(i64::MIN, Id::as_i64);
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sql)
                    .bind(import_id.as_i64())
                    .bind(state)
                    .bind(after)
                    .bind(i64::from(limit))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(row_from_row).collect()
            })
        })
    }

    async fn unfinished_imports(&self, account_id: Id, since: Timestamp) -> Result<i64> {
        let sql = "SELECT COUNT(*) AS n FROM imports \
                   WHERE account_id = $1 AND finished_at IS NULL AND created_at > $2";
        let n = read!(&self.pools, |c| {
            fetch_optional!(c, sql, count, account_id.as_i64(), since.as_millis())
        })?;
        Ok(n.unwrap_or(0))
    }
}

#[async_trait]
impl ImportTx for SqlTx {
    async fn insert_import(&mut self, import: &Import, rows: &[(Id, String)]) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO imports (id, account_id, kind, mode, created_at, finished_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            import.id.as_i64(),
            import.account_id.as_i64(),
            import.kind.as_str(),
            import.mode.as_str(),
            import.created_at.as_millis(),
            import.finished_at.map(Timestamp::as_millis)
        )?;
        // A few hundred rows a statement, well under both engines' limits on parameters.
        for chunk in rows.chunks(200) {
            let mut sql = String::from("INSERT INTO import_rows (id, import_id, data) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let b = i * 3;
                sql.push_str(&format!("(${}, ${}, ${})", b + 1, b + 2, b + 3));
            }
            with_conn!(self.conn(), |e, p| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for (id, data) in chunk {
                    q = q
                        .bind(id.as_i64())
                        .bind(import.id.as_i64())
                        .bind(data.as_str());
                }
                q.persistent(p)
                    .execute(&mut *e)
                    .await
                    .map(drop)
                    .map_err(map_err)
            })?;
        }
        Ok(())
    }

    async fn finish_import_row(
        &mut self,
        row_id: Id,
        state: &str,
        target: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE import_rows SET state = $1, target = $2, error = $3 WHERE id = $4",
            state,
            target,
            error,
            row_id.as_i64()
        )?;
        Ok(())
    }

    async fn finish_import(&mut self, id: Id, now: Timestamp) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE imports SET finished_at = $1 WHERE id = $2 AND finished_at IS NULL",
            now.as_millis(),
            id.as_i64()
        )?;
        Ok(())
    }
}
