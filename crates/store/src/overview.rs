//! What the store tells about itself and the instance: its engine, its schema, its pools and
//! the counts the instance shows.

/// Which database engine is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// The schema version the database has, against the one this binary was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Highest migration applied to the database (0 for an empty database).
    pub applied: i64,
    /// Highest migration this binary knows.
    pub expected: i64,
}

impl SchemaStatus {
    /// The database is exactly at this binary's version.
    pub fn is_current(&self) -> bool {
        self.applied == self.expected
    }
}

/// Connection-pool occupancy, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    pub in_use: u32,
    pub idle: u32,
}

/// Counts shown in the instance entity and NodeInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InstanceStats {
    /// Local accounts with a user, not suspended.
    pub local_users: i64,
    /// Local statuses, not deleted, not reblogs.
    pub local_statuses: i64,
    /// Distinct remote domains with at least one known account.
    pub known_domains: i64,
    /// Local users who signed in or posted within the last 30 days.
    pub active_month: i64,
    /// … within the last 180 days.
    pub active_halfyear: i64,
}
