//! Exporting an account's data: the rows behind the CSV files (follows, followers, lists,
//! blocks, mutes, domain blocks, bookmarks), read in pages by a key so a long list is never one
//! query result; and the full archives a user asks for, built by a job.
//!
//! Reached through [`crate::Store::export_store`] and [`crate::Transaction::export`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// An account as the export files name it: `username@domain` (local accounts have no domain
/// here; the service adds the instance's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedAccount {
    pub username: String,
    pub domain: Option<String>,
}

/// A row of an export: the key to page after, and what the row holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow<T> {
    /// Rows come in ascending order of this key (the relationship's id).
    pub key: Id,
    pub item: T,
}

/// An account followed, with the follow's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowedAccount {
    pub account: ExportedAccount,
    pub show_reblogs: bool,
    pub notify: bool,
}

/// A muted account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutedAccount {
    pub account: ExportedAccount,
    pub hide_notifications: bool,
}

/// A status the user bookmarked or favourited, enough to name its ActivityPub id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedStatus {
    pub status_id: Id,
    pub local: bool,
    /// The stored URI (remote statuses; local ones are named from their author and id).
    pub uri: Option<String>,
    pub author_username: String,
}

/// How many rows each export file has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportCounts {
    pub following: i64,
    pub followers: i64,
    pub lists: i64,
    pub blocks: i64,
    pub mutes: i64,
    pub domain_blocks: i64,
    pub bookmarks: i64,
}

/// Where an archive stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveState {
    /// Queued or being built.
    Pending,
    Ready,
    /// Building gave up; the user may ask again.
    Failed,
}

impl ArchiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveState::Pending => "pending",
            ArchiveState::Ready => "ready",
            ArchiveState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => ArchiveState::Pending,
            "ready" => ArchiveState::Ready,
            "failed" => ArchiveState::Failed,
            _ => return None,
        })
    }
}

/// A full archive of an account (a zip kept in media storage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountArchive {
    pub id: Id,
    pub user_id: Id,
    pub state: ArchiveState,
    /// The storage key of the zip, once built (random: it cannot be guessed).
    pub storage_key: Option<String>,
    /// Bytes, once built.
    pub size: i64,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// Export reads. `after` pages: only rows whose key is above it, `limit` at most.
#[async_trait]
pub trait ExportStore: Send + Sync {
    async fn counts(&self, account_id: Id, now: Timestamp) -> Result<ExportCounts>;

    async fn following(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<FollowedAccount>>>;

    async fn followers(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedAccount>>>;

    /// The account's lists: `(id, title)`, oldest first.
    async fn lists(&self, account_id: Id) -> Result<Vec<(Id, String)>>;

    /// Members of a list.
    async fn list_members(
        &self,
        list_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedAccount>>>;

    async fn blocks(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedAccount>>>;

    /// Mutes still in force at `now`.
    async fn mutes(
        &self,
        account_id: Id,
        now: Timestamp,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<MutedAccount>>>;

    async fn domain_blocks(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<String>>>;

    async fn bookmarks(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedStatus>>>;

    async fn favourites(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedStatus>>>;

    /// Ids of the account's statuses (not deleted), oldest first; the key is the status id.
    async fn status_ids(&self, account_id: Id, after: Option<Id>, limit: u32) -> Result<Vec<Id>>;

    /// The user's archives, newest first.
    async fn archives(&self, user_id: Id) -> Result<Vec<AccountArchive>>;

    async fn archive(&self, id: Id) -> Result<Option<AccountArchive>>;

    /// Archives made before `before` (to delete with their files).
    async fn archives_before(&self, before: Timestamp, limit: u32) -> Result<Vec<AccountArchive>>;
}

/// Archives, in a transaction.
#[async_trait]
pub trait ExportTx: Send {
    async fn insert_archive(&mut self, archive: &AccountArchive) -> Result<()>;

    /// Marks an archive built, with its file. `false` if it is gone.
    async fn finish_archive(
        &mut self,
        id: Id,
        storage_key: &str,
        size: i64,
        now: Timestamp,
    ) -> Result<bool>;

    async fn fail_archive(&mut self, id: Id, now: Timestamp) -> Result<()>;

    async fn delete_archive(&mut self, id: Id) -> Result<()>;
}
