//! SQLite and PostgreSQL storage for Rookery: implements `rookery-store` and owns the schema.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rookery_store::Store;
//! use rookery_store_sql::{DbOptions, SqlStore};
//! let opts = DbOptions::new("sqlite://data/rookery.db");
//! SqlStore::migrate(&opts, 0).await?;
//! let store = SqlStore::connect(&opts).await?;
//! assert!(store.schema_status().await?.is_current());
//! # Ok(()) }
//! ```
//!
//! Queries are written once, in SQL both engines accept; the few differences live in `db.rs`.
//! PostgreSQL works directly or through pgBouncer in transaction pooling mode
//! ([`DbOptions::pgbouncer`]).

mod accounts;
mod db;
mod jobs;
mod migrate;
mod oauth;
mod settings;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use rookery_model::{AccessToken, Account, AuthorizationCode, Id, OAuthApp, Role, Timestamp, User};
use rookery_store::{
    Engine, InstanceStats, LocalAccount, NewJob, Page, PoolStats, Result, SchemaStatus, Store,
    StoreError, Transaction,
};

use crate::db::{Conn, Pools, map_err, read};
pub use crate::migrate::{MIGRATIONS, MigrateError, expected_version};

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
    pools: Pools,
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
        Ok(SqlStore { pools })
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

#[async_trait]
impl Store for SqlStore {
    fn engine(&self) -> Engine {
        match self.pools {
            Pools::Sqlite { .. } => Engine::Sqlite,
            Pools::Postgres { .. } => Engine::Postgres,
        }
    }

    fn pool_stats(&self) -> PoolStats {
        let stats = |size: u32, idle: usize| PoolStats {
            in_use: size.saturating_sub(u32::try_from(idle).unwrap_or(u32::MAX)),
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
        };
        match &self.pools {
            Pools::Sqlite { writer, reader } => {
                let w = stats(writer.size(), writer.num_idle());
                let r = stats(reader.size(), reader.num_idle());
                PoolStats {
                    in_use: w.in_use + r.in_use,
                    idle: w.idle + r.idle,
                }
            }
            Pools::Postgres { pool, .. } => stats(pool.size(), pool.num_idle()),
        }
    }

    async fn ping(&self) -> Result<()> {
        read!(&self.pools, |c| {
            db::with_conn!(c, |e, p| {
                sqlx::query("SELECT 1")
                    .persistent(p)
                    .execute(&mut *e)
                    .await
                    .map_err(map_err)
                    .map(|_| ())
            })
        })
    }

    async fn schema_status(&self) -> Result<SchemaStatus> {
        read!(&self.pools, |c| migrate::status(c).await)
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>> {
        let tx = match &self.pools {
            Pools::Sqlite { writer, .. } => SqlTx::Sqlite(writer.begin().await.map_err(map_err)?),
            Pools::Postgres { pool, persistent } => {
                SqlTx::Pg(pool.begin().await.map_err(map_err)?, *persistent)
            }
        };
        Ok(Box::new(tx))
    }

    async fn account(&self, id: Id) -> Result<Option<Account>> {
        read!(&self.pools, |c| accounts::by_id(c, id).await)
    }

    async fn local_account_by_username(&self, username: &str) -> Result<Option<LocalAccount>> {
        read!(&self.pools, |c| accounts::local_by_username(c, username)
            .await)
    }

    async fn local_account_by_email(&self, email: &str) -> Result<Option<LocalAccount>> {
        read!(&self.pools, |c| accounts::local_by_email(c, email).await)
    }

    async fn local_accounts(&self, page: Page) -> Result<Vec<LocalAccount>> {
        read!(&self.pools, |c| accounts::local_list(c, page).await)
    }

    async fn instance_stats(&self, now: Timestamp) -> Result<InstanceStats> {
        read!(&self.pools, |c| accounts::instance_stats(c, now).await)
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        read!(&self.pools, |c| settings::get(c, key).await)
    }

    async fn oauth_app_by_client_id(&self, client_id: &str) -> Result<Option<OAuthApp>> {
        read!(&self.pools, |c| oauth::app_by(
            c,
            "client_id",
            oauth::AppKey::ClientId(client_id)
        )
        .await)
    }

    async fn oauth_app(&self, id: Id) -> Result<Option<OAuthApp>> {
        read!(&self.pools, |c| oauth::app_by(
            c,
            "id",
            oauth::AppKey::Id(id)
        )
        .await)
    }

    async fn access_token_by_hash(&self, token_hash: &str) -> Result<Option<AccessToken>> {
        read!(&self.pools, |c| oauth::token_by(
            c,
            "token_hash",
            token_hash
        )
        .await)
    }

    async fn access_token_by_refresh_hash(
        &self,
        refresh_hash: &str,
    ) -> Result<Option<AccessToken>> {
        read!(&self.pools, |c| oauth::token_by(
            c,
            "refresh_token_hash",
            refresh_hash
        )
        .await)
    }
}

/// A unit of work on either engine.
pub(crate) enum SqlTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Pg(sqlx::Transaction<'static, sqlx::Postgres>, bool),
}

impl SqlTx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            SqlTx::Sqlite(tx) => Conn::Sqlite(tx),
            SqlTx::Pg(tx, persistent) => Conn::Pg(tx, *persistent),
        }
    }

    /// Commits (`true`) or rolls back.
    pub(crate) async fn finish(self, commit: bool) -> Result<()> {
        match (self, commit) {
            (SqlTx::Sqlite(tx), true) => tx.commit().await.map_err(map_err),
            (SqlTx::Sqlite(tx), false) => tx.rollback().await.map_err(map_err),
            (SqlTx::Pg(tx, _), true) => tx.commit().await.map_err(map_err),
            (SqlTx::Pg(tx, _), false) => tx.rollback().await.map_err(map_err),
        }
    }
}

#[async_trait]
impl Transaction for SqlTx {
    async fn insert_account(&mut self, account: &Account) -> Result<()> {
        accounts::insert_account(self.conn(), account).await
    }

    async fn insert_user(&mut self, user: &User) -> Result<()> {
        accounts::insert_user(self.conn(), user).await
    }

    async fn set_password_hash(&mut self, user_id: Id, hash: &str, now: Timestamp) -> Result<()> {
        accounts::set_password_hash(self.conn(), user_id, hash, now).await
    }

    async fn set_role(&mut self, user_id: Id, role: Role, now: Timestamp) -> Result<()> {
        accounts::set_role(self.conn(), user_id, role, now).await
    }

    async fn set_suspended(
        &mut self,
        account_id: Id,
        at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        accounts::set_suspended(self.conn(), account_id, at, now).await
    }

    async fn insert_oauth_app(&mut self, app: &OAuthApp) -> Result<()> {
        oauth::insert_app(self.conn(), app).await
    }

    async fn insert_authorization_code(&mut self, code: &AuthorizationCode) -> Result<()> {
        oauth::insert_code(self.conn(), code).await
    }

    async fn use_authorization_code(
        &mut self,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AuthorizationCode>> {
        oauth::use_code(self.conn(), code_hash, now).await
    }

    async fn insert_access_token(&mut self, token: &AccessToken) -> Result<()> {
        oauth::insert_token(self.conn(), token).await
    }

    async fn revoke_access_token(&mut self, id: Id, now: Timestamp) -> Result<bool> {
        oauth::revoke_token(self.conn(), id, now).await
    }

    async fn put_setting_once(&mut self, key: &str, value: &str, now: Timestamp) -> Result<String> {
        settings::put_once(self.conn(), key, value, now).await
    }

    async fn put_setting(&mut self, key: &str, value: &str, now: Timestamp) -> Result<()> {
        settings::put(self.conn(), key, value, now).await
    }

    async fn enqueue(&mut self, job: &NewJob) -> Result<bool> {
        jobs::enqueue(self.conn(), job).await
    }

    async fn claim_period(&mut self, name: &str, period: i64, now: Timestamp) -> Result<bool> {
        jobs::claim_period(self.conn(), name, period, now).await
    }

    async fn prune_expired_tokens(&mut self, before: Timestamp) -> Result<u64> {
        jobs::prune_expired_tokens(self.conn(), before).await
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.finish(true).await
    }
}
