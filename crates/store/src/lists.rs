//! Lists: a user's named sets of followed accounts, each with its own feed.
//!
//! Reached through [`crate::Store::list_store`] and [`crate::Transaction::lists`], so the
//! area's methods stay out of the big traits.

use async_trait::async_trait;
use rookery_model::{Account, Id, Status, Timestamp};

use crate::{Result, TimelinePage};

/// Which replies a list shows (Mastodon's `replies_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepliesPolicy {
    /// Replies to anyone the owner follows.
    Followed,
    /// Replies to members of the list.
    List,
    /// No replies.
    None,
}

impl RepliesPolicy {
    /// The API and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RepliesPolicy::Followed => "followed",
            RepliesPolicy::List => "list",
            RepliesPolicy::None => "none",
        }
    }

    /// Reads a name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            RepliesPolicy::Followed,
            RepliesPolicy::List,
            RepliesPolicy::None,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }
}

/// A list of `account_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub id: Id,
    pub account_id: Id,
    pub title: String,
    pub replies_policy: RepliesPolicy,
    /// Members' posts stay out of the owner's home feed.
    pub exclusive: bool,
    pub created_at: Timestamp,
}

/// Reads of the lists area.
#[async_trait]
pub trait ListStore: Send + Sync {
    /// The account's lists, by title.
    async fn lists(&self, account_id: Id) -> Result<Vec<List>>;

    /// One list of the account's.
    async fn list(&self, account_id: Id, list_id: Id) -> Result<Option<List>>;

    /// Members of a list, paged by membership ids (newest first).
    async fn list_members(&self, list_id: Id, page: TimelinePage) -> Result<Vec<(Id, Account)>>;

    /// The lists of `owner` that hold `member`.
    async fn lists_with_member(&self, owner: Id, member: Id) -> Result<Vec<List>>;

    /// Lists (of anyone) that hold `member`: where the fan-out puts `member`'s posts.
    async fn lists_of_member(&self, member: Id) -> Result<Vec<List>>;

    /// Which of `accounts` are members of `list_id`.
    async fn members_among(&self, list_id: Id, accounts: &[Id]) -> Result<Vec<Id>>;

    /// A list's feed, newest first.
    async fn list_timeline(&self, list_id: Id, page: TimelinePage) -> Result<Vec<Status>>;
}

/// Writes of the lists area, inside a [`crate::Transaction`].
#[async_trait]
pub trait ListTx: Send {
    async fn insert_list(&mut self, list: &List) -> Result<()>;

    /// Title, replies policy and exclusivity; `false` if the list is not the owner's.
    async fn update_list(&mut self, list: &List) -> Result<bool>;

    /// `false` if the list is not the owner's.
    async fn delete_list(&mut self, account_id: Id, list_id: Id) -> Result<bool>;

    /// Adds members (`(membership id, account)`) that the list's owner follows, skipping those
    /// already in; returns the accounts added.
    async fn add_list_members(&mut self, list_id: Id, members: &[(Id, Id)]) -> Result<Vec<Id>>;

    /// Removes members and their posts from the list's feed.
    async fn remove_list_members(&mut self, list_id: Id, accounts: &[Id]) -> Result<u64>;

    /// Removes `member` from every list of `owner` (when `owner` unfollows them).
    async fn remove_from_owner_lists(&mut self, owner: Id, member: Id) -> Result<u64>;

    /// Puts a status in list feeds.
    async fn add_to_list_feeds(
        &mut self,
        status_id: Id,
        reblog_of_id: Option<Id>,
        list_ids: &[Id],
    ) -> Result<u64>;

    /// Fills a list's feed with the newest `limit` statuses of `author` whose visibility is
    /// one of `visibilities` (names), reblogs included (when a member is added).
    async fn backfill_list_feed(
        &mut self,
        list_id: Id,
        author: Id,
        visibilities: &[&str],
        limit: u32,
    ) -> Result<u64>;
}
