//! Storage errors.

/// What went wrong in storage. The messages are for logs and operators, not for API clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken (e.g. the username is taken). Names the rule.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The row the write targets does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The database could not be reached or the connection broke; worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be read back into its domain type.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Anything else the database reported.
    #[error("database error: {0}")]
    Database(String),
}
