//! Reaching the database: options, connection pools, and the store they make.

use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use rookery_store::{Engine, Result, StoreError};

use crate::db::{Pools, map_err};
use crate::migrate::{self, MigrateError};
use crate::transaction;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host:port/db`.
    pub url: String,
    /// A direct (non-pooler) PostgreSQL URL for migrations, when `url` goes through pgBouncer.
    pub migration_url: Option<String>,
    /// Most connections the pool opens (readers, for SQLite).
    pub max_connections: u32,
    /// `url` points at pgBouncer in transaction pooling mode: statements are never prepared
    /// by name.
    pub pgbouncer: bool,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
}

impl DbOptions {
    /// Defaults for `url`: 10 connections, 5 s timeout, direct connection.
    pub fn new(url: impl Into<String>) -> Self {
        DbOptions {
            url: url.into(),
            migration_url: None,
            max_connections: 10,
            pgbouncer: false,
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// Which engine the URL names, if any.
    pub fn engine(&self) -> Option<Engine> {
        engine_of(&self.url)
    }
}

/// The engine a database URL names.
pub fn engine_of(url: &str) -> Option<Engine> {
    if url.starts_with("sqlite:") {
        Some(Engine::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Engine::Postgres)
    } else {
        None
    }
}

/// The URL with any password replaced, for messages and logs. Works on malformed URLs too.
pub fn redact_url(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://") else {
        return raw.to_owned();
    };
    let rest = &raw[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &raw[..scheme_end + 3],
                &authority[..colon],
                &rest[at..]
            ),
            None => raw.to_owned(),
        },
        None => raw.to_owned(),
    }
}

fn unsupported(url: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "unsupported database URL {:?}: expected sqlite://… or postgres://…",
        redact_url(url)
    ))
}

fn sqlite_options(url: &str) -> Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(map_err)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("temp_store", "memory")
        .log_statements(tracing::log::LevelFilter::Trace))
}

fn pg_options(url: &str) -> Result<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url)
        .map_err(map_err)?
        .application_name("rookery")
        .log_statements(tracing::log::LevelFilter::Trace))
}

/// Storage on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pools: Pools,
    pub(crate) hooks: transaction::Hooks,
}

impl SqlStore {
    /// Connects, failing if the database cannot be reached within the timeout.
    /// Does not migrate: see [`SqlStore::migrate`].
    pub async fn connect(opts: &DbOptions) -> Result<Self> {
        let pools = match opts.engine() {
            Some(Engine::Sqlite) => {
                let o = sqlite_options(&opts.url)?;
                let memory = opts.url.contains(":memory:") || opts.url.contains("mode=memory");
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(opts.connect_timeout)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(o.clone())
                    .await
                    .map_err(map_err)?;
                // An in-memory database exists once per connection: share the writer.
                let reader = if memory {
                    writer.clone()
                } else {
                    SqlitePoolOptions::new()
                        .max_connections(opts.max_connections.max(1))
                        .acquire_timeout(opts.connect_timeout)
                        .connect_with(o.read_only(true))
                        .await
                        .map_err(map_err)?
                };
                Pools::Sqlite { writer, reader }
            }
            Some(Engine::Postgres) => {
                let pool = PgPoolOptions::new()
                    .max_connections(opts.max_connections.max(1))
                    .acquire_timeout(opts.connect_timeout)
                    .connect_with(pg_options(&opts.url)?)
                    .await
                    .map_err(map_err)?;
                Pools::Postgres {
                    pool,
                    persistent: !opts.pgbouncer,
                }
            }
            None => return Err(unsupported(&opts.url)),
        };
        Ok(SqlStore {
            pools,
            hooks: Default::default(),
        })
    }

    /// Applies every missing migration, returning the versions applied. PostgreSQL uses
    /// `migration_url` when set (migrations need a direct connection, not pgBouncer).
    /// `now_ms` is recorded as the time of application.
    pub async fn migrate(opts: &DbOptions, now_ms: i64) -> Result<Vec<i64>, MigrateError> {
        use sqlx::Connection;
        match opts.engine() {
            Some(Engine::Sqlite) => {
                let mut conn = sqlite_options(&opts.url)?
                    .connect()
                    .await
                    .map_err(map_err)?;
                let done = migrate::run_sqlite(&mut conn, now_ms).await;
                let _ = conn.close().await;
                done
            }
            Some(Engine::Postgres) => {
                let url = opts.migration_url.as_deref().unwrap_or(&opts.url);
                let mut conn = pg_options(url)?.connect().await.map_err(map_err)?;
                let done = migrate::run_postgres(&mut conn, now_ms).await;
                let _ = conn.close().await;
                done
            }
            None => Err(unsupported(&opts.url).into()),
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Pools::Postgres { pool, .. } => pool.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted_even_in_broken_urls() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact_url("postgres://u:se@cret@ho st/db"),
            "postgres://u:***@ho st/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
        assert_eq!(redact_url("garbage"), "garbage");
    }
}
