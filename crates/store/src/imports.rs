//! Imports of CSV files (follows, blocks, mutes, domain blocks, bookmarks, lists): the
//! storage side. An import is its rows, each done once by the `run_import` job, so progress
//! survives a restart and is read by counting rows.
//!
//! Reached through [`crate::Store::import_store`] and [`crate::Transaction::imports`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// One import, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub id: Id,
    pub account_id: Id,
    /// `following`, `blocking`, `muting`, `domain_blocking`, `bookmarks` or `lists`.
    pub kind: String,
    /// `merge` or `overwrite`.
    pub mode: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// An import with its rows counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProgress {
    pub import: Import,
    pub total: i64,
    pub imported: i64,
    pub failed: i64,
}

/// A row of an import: what the line said (JSON), and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub id: Id,
    pub import_id: Id,
    pub data: String,
    /// `pending`, `imported` or `failed`.
    pub state: String,
    /// What an imported row became: an account or status id, or a domain.
    pub target: Option<String>,
    pub error: Option<String>,
}

/// Imports: reads.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// An import.
    async fn import(&self, id: Id) -> Result<Option<Import>>;

    /// The account's newest imports with their counts.
    async fn imports_of(&self, account_id: Id, limit: u32) -> Result<Vec<ImportProgress>>;

    /// Rows of an import in a state, oldest first, after row `after`.
    async fn import_rows(
        &self,
        import_id: Id,
        state: &str,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ImportRow>>;

    /// Imports of the account started after `since` and not finished yet.
    async fn unfinished_imports(&self, account_id: Id, since: Timestamp) -> Result<i64>;
}

/// Imports, in a transaction.
#[async_trait]
pub trait ImportTx: Send {
    /// Stores an import and its rows (`(row id, data)`).
    async fn insert_import(&mut self, import: &Import, rows: &[(Id, String)]) -> Result<()>;

    /// Records what became of a row.
    async fn finish_import_row(
        &mut self,
        row_id: Id,
        state: &str,
        target: Option<&str>,
        error: Option<&str>,
    ) -> Result<()>;

    /// Marks an import finished.
    async fn finish_import(&mut self, id: Id, now: Timestamp) -> Result<()>;
}
