//! Test support: real databases on demand.
//!
//! [`TestDb::new`] hands each test a fresh, empty database on the engine it asks for:
//! a SQLite file in a temporary directory, a new database on a PostgreSQL cluster, or the same
//! reached through pgBouncer in transaction pooling mode. The cluster and the pooler are started
//! once per test process on ephemeral ports in temporary directories, from the binaries of the
//! Debian packages `postgresql` and `pgbouncer`; a missing binary fails the test with a message
//! naming the package. `TEST_DATABASE_URL` (a superuser URL) points the kit at an existing
//! PostgreSQL server instead of starting one.
//!
//! A watchdog process stops the servers and removes their directories when the test process
//! exits, however it exits.

#![allow(clippy::expect_used, clippy::panic)] // test support: failing loudly is the point

mod dir;
mod dns;
mod redis;
#[cfg(feature = "s3")]
mod s3;
mod servers;
mod smtp;

pub use dir::TempDir;
pub use dns::DnsServer;
pub use redis::{RedisMode, RedisServer, TestCerts};
#[cfg(feature = "s3")]
pub use s3::{S3Server, TestCdn};
pub use servers::{PgBouncer, PgCluster, PgServer, free_port, pgbouncer, postgres};
pub use smtp::SmtpSink;

/// The engines a storage test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// PostgreSQL reached through pgBouncer in transaction pooling mode.
    PgBouncer,
}

impl Backend {
    /// Every backend, in the order suites run them.
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::PgBouncer];
}

/// A fresh, empty database for one test.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    /// The URL the application should use.
    pub url: String,
    /// A direct URL for migrations (set when `url` goes through pgBouncer).
    pub migration_url: Option<String>,
    /// Whether `url` is a pgBouncer in transaction mode.
    pub pgbouncer: bool,
    /// Holds the SQLite file (and a scratch directory for the test) until the test ends.
    pub dir: TempDir,
}

impl TestDb {
    /// Creates a fresh database; panics with a clear message if the backend cannot be had.
    pub fn new(backend: Backend) -> TestDb {
        let dir = TempDir::new("rookery-test").expect("cannot create a temporary directory");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}/rookery.db", dir.path().display());
                TestDb {
                    backend,
                    url,
                    migration_url: None,
                    pgbouncer: false,
                    dir,
                }
            }
            Backend::Postgres => {
                let pg = postgres().unwrap_or_else(|e| panic!("{e}"));
                let name = pg.create_database().unwrap_or_else(|e| panic!("{e}"));
                TestDb {
                    backend,
                    url: pg.url(&name),
                    migration_url: None,
                    pgbouncer: false,
                    dir,
                }
            }
            Backend::PgBouncer => {
                let pg = postgres().unwrap_or_else(|e| panic!("{e}"));
                let bouncer = pgbouncer().unwrap_or_else(|e| panic!("{e}"));
                let name = pg.create_database().unwrap_or_else(|e| panic!("{e}"));
                TestDb {
                    backend,
                    url: bouncer.url(&name),
                    migration_url: Some(pg.url(&name)),
                    pgbouncer: true,
                    dir,
                }
            }
        }
    }
}

/// A random lower-case hex string of `n` bytes' worth, for unique names.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the system random source failed");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
