//! The dialect module: the one place that knows there are two engines.
//!
//! Queries are written once in the SQL both engines accept, with `$1`-style placeholders.
//! [`with_conn!`] expands a query body once per engine, so each runs with its own driver types;
//! [`Fields`] reads a row the same way on both. Through pgBouncer in transaction pooling mode,
//! PostgreSQL statements are sent unnamed (`persistent(false)`) and always inside an explicit
//! transaction (see `docs/adr/0001-database-layer.md`).

use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use rookery_store::StoreError;

/// A borrowed connection on either engine. For PostgreSQL it carries whether statements may be
/// prepared and kept (false behind pgBouncer).
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut sqlx::SqliteConnection),
    Pg(&'c mut sqlx::PgConnection, bool),
}

impl Conn<'_> {
    /// The same connection, borrowed again for one more query.
    pub(crate) fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Pg(c, p) => Conn::Pg(c, *p),
        }
    }
}

/// The database's current time in milliseconds since the epoch, as an SQL expression (for
/// rows that expire, such as timed mutes, read where no clock is passed in).
pub(crate) fn now_ms_sql(c: &Conn<'_>) -> &'static str {
    match c {
        Conn::Sqlite(_) => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
        Conn::Pg(..) => "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)",
    }
}

/// Runs `$body` with `$e` bound to the engine's connection and `$p` to the `persistent` flag.
macro_rules! with_conn {
    ($conn:expr, |$e:ident, $p:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($e) => {
                let $p = true;
                $body
            }
            $crate::db::Conn::Pg($e, $p) => $body,
        }
    };
}
pub(crate) use with_conn;

/// Runs `$body` (a `Result`) on a read connection of `$pools`: SQLite's reader pool, a direct
/// PostgreSQL connection, or (behind pgBouncer) a PostgreSQL transaction committed after the body.
macro_rules! read {
    ($pools:expr, |$c:ident| $body:expr) => {
        match $pools {
            $crate::db::Pools::Sqlite { reader, .. } => {
                let mut pooled = reader.acquire().await.map_err($crate::db::map_err)?;
                let $c = $crate::db::Conn::Sqlite(&mut *pooled);
                $body
            }
            // Directly connected, a read needs no transaction of its own: one round trip per
            // statement instead of three.
            $crate::db::Pools::Postgres {
                pool,
                persistent: true,
            } => {
                let mut pooled = pool.acquire().await.map_err($crate::db::map_err)?;
                let $c = $crate::db::Conn::Pg(&mut *pooled, true);
                $body
            }
            // Behind pgBouncer every statement must be inside an explicit transaction.
            $crate::db::Pools::Postgres { pool, persistent } => {
                let mut tx = pool.begin().await.map_err($crate::db::map_err)?;
                let out = {
                    let $c = $crate::db::Conn::Pg(&mut *tx, *persistent);
                    $body
                };
                match out {
                    Ok(v) => {
                        tx.commit().await.map_err($crate::db::map_err)?;
                        Ok(v)
                    }
                    Err(e) => {
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                }
            }
        }
    };
}
pub(crate) use read;

/// Runs a statement with the given binds on `$c` and returns the rows it affected.
macro_rules! exec {
    ($c:expr, $sql:expr $(, $bind:expr)*) => {
        $crate::db::with_conn!($c, |e, p| {
            sqlx::query($sql)
                $(.bind($bind))*
                .persistent(p)
                .execute(&mut *e)
                .await
                .map_err($crate::db::map_err)
                .map(|done| done.rows_affected())
        })
    };
}
pub(crate) use exec;

/// Runs a query with the given binds on `$c` and maps the one row it may return with `$map`
/// (a row-reading function generic over [`Fields`], such as `account_from_row`).
macro_rules! fetch_optional {
    ($c:expr, $sql:expr, $map:expr $(, $bind:expr)*) => {
        $crate::db::with_conn!($c, |e, p| {
            let row = sqlx::query(sqlx::AssertSqlSafe(String::from($sql)))
                $(.bind($bind))*
                .persistent(p)
                .fetch_optional(&mut *e)
                .await
                .map_err($crate::db::map_err)?;
            row.as_ref().map($map).transpose()
        })
    };
}
pub(crate) use fetch_optional;

/// Runs `$body` (a `Result`) in a write transaction on `$pools` (SQLite's single writer, or a
/// PostgreSQL transaction), committing if it succeeds and rolling back if not.
macro_rules! write {
    ($pools:expr, |$c:ident| $body:expr) => {{
        let mut tx = match $pools {
            $crate::db::Pools::Sqlite { writer, .. } => {
                $crate::SqlTx::sqlite(writer.begin().await.map_err($crate::db::map_err)?)
            }
            $crate::db::Pools::Postgres { pool, persistent } => $crate::SqlTx::pg(
                pool.begin().await.map_err($crate::db::map_err)?,
                *persistent,
            ),
        };
        let out = {
            let $c = tx.conn();
            $body
        };
        match out {
            Ok(v) => {
                tx.finish(true).await?;
                Ok(v)
            }
            Err(e) => {
                let _ = tx.finish(false).await;
                Err(e)
            }
        }
    }};
}
pub(crate) use write;

/// The connection pools behind a store.
#[derive(Debug, Clone)]
pub(crate) enum Pools {
    /// One writer connection (SQLite allows one writer; queueing here avoids `SQLITE_BUSY`)
    /// and a pool of readers (WAL lets them run beside the writer).
    Sqlite {
        writer: sqlx::SqlitePool,
        reader: sqlx::SqlitePool,
    },
    Postgres {
        pool: sqlx::PgPool,
        persistent: bool,
    },
}

/// Maps a driver error to a storage error, keeping the cause's text for the log.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(db) => {
            if db.is_unique_violation() {
                StoreError::Conflict(db.constraint().unwrap_or("unique").to_owned())
            } else if db.is_foreign_key_violation() {
                StoreError::NotFound(db.constraint().unwrap_or("reference").to_owned())
            } else {
                StoreError::Database(db.to_string())
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Database(other.to_string()),
    }
}

/// Reads columns the same way on both engines.
pub(crate) trait Fields {
    fn int(&self, col: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, col: &str) -> Result<String, StoreError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn flag(&self, col: &str) -> Result<bool, StoreError>;
}

macro_rules! impl_fields {
    ($row:ty) => {
        impl Fields for $row {
            fn int(&self, col: &str) -> Result<i64, StoreError> {
                self.try_get(col).map_err(map_err)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
                self.try_get(col).map_err(map_err)
            }
            fn text(&self, col: &str) -> Result<String, StoreError> {
                self.try_get(col).map_err(map_err)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
                self.try_get(col).map_err(map_err)
            }
            fn flag(&self, col: &str) -> Result<bool, StoreError> {
                self.try_get(col).map_err(map_err)
            }
        }
    };
}
impl_fields!(SqliteRow);
impl_fields!(PgRow);

/// Reads columns named `<prefix><column>` (for joins that alias one table's columns).
pub(crate) struct Prefixed<'r, R>(pub &'r R, pub &'static str);

impl<R: Fields> Fields for Prefixed<'_, R> {
    fn int(&self, col: &str) -> Result<i64, StoreError> {
        self.0.int(&format!("{}{col}", self.1))
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        self.0.opt_int(&format!("{}{col}", self.1))
    }
    fn text(&self, col: &str) -> Result<String, StoreError> {
        self.0.text(&format!("{}{col}", self.1))
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.0.opt_text(&format!("{}{col}", self.1))
    }
    fn flag(&self, col: &str) -> Result<bool, StoreError> {
        self.0.flag(&format!("{}{col}", self.1))
    }
}

/// A row behind a reference reads as the row (so mappers taking `&dyn Fields` can call the
/// typed `from_row` functions).
impl<R: Fields + ?Sized> Fields for &R {
    fn int(&self, col: &str) -> Result<i64, StoreError> {
        (**self).int(col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        (**self).opt_int(col)
    }
    fn text(&self, col: &str) -> Result<String, StoreError> {
        (**self).text(col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        (**self).opt_text(col)
    }
    fn flag(&self, col: &str) -> Result<bool, StoreError> {
        (**self).flag(col)
    }
}
