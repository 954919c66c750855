//! Polls on statuses and the votes cast in them. The storage side.
//!
//! Reached through [`crate::Store::poll_store`] and [`crate::Transaction::polls`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// A poll, with its tallies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    pub id: Id,
    pub status_id: Id,
    pub account_id: Id,
    pub options: Vec<String>,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: Option<Timestamp>,
    /// Votes per option, in option order.
    pub tallies: Vec<i64>,
    /// Distinct accounts that voted.
    pub voters_count: i64,
    /// The tallies and voter count are the origin server's (a poll of another server, as its
    /// last `Question` said), not counted from the votes stored here.
    pub remote: bool,
    pub created_at: Timestamp,
}

impl Poll {
    /// Whether voting has ended at `now`.
    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// All votes cast.
    pub fn votes_count(&self) -> i64 {
        self.tallies.iter().sum()
    }
}

/// Reads of polls.
#[async_trait]
pub trait PollStore: Send + Sync {
    /// A poll with its tallies.
    async fn poll(&self, id: Id) -> Result<Option<Poll>>;

    /// The polls of these statuses, with their tallies.
    async fn polls_of_statuses(&self, status_ids: &[Id]) -> Result<Vec<Poll>>;

    /// `(poll id, choice)` of the votes `account_id` cast in these polls.
    async fn own_votes(&self, account_id: Id, poll_ids: &[Id]) -> Result<Vec<(Id, i64)>>;

    /// The accounts that voted in a poll.
    async fn poll_voters(&self, poll_id: Id) -> Result<Vec<Id>>;
}

/// Writes of polls, inside a [`crate::Transaction`].
#[async_trait]
pub trait PollTx: Send {
    /// Adds a poll (its tallies are not stored: votes are counted).
    async fn insert_poll(&mut self, poll: &Poll) -> Result<()>;

    /// Records `account_id`'s votes (`(vote id, choice)`) in a poll. In a single-choice poll,
    /// `false` (nothing recorded) if they voted before; in a multiple-choice one, choices made
    /// before are skipped and `false` means none was new.
    async fn cast_votes(
        &mut self,
        poll_id: Id,
        account_id: Id,
        votes: &[(Id, i64)],
        multiple: bool,
        now: Timestamp,
    ) -> Result<bool>;

    /// Adds or refreshes the poll of a remote status (matched by `status_id`): its options,
    /// end and the origin's tallies. Options that changed void the votes cast here. Returns the
    /// poll's id (the existing one on a refresh).
    async fn save_remote_poll(&mut self, poll: &Poll) -> Result<Id>;

    /// Changes a local poll as its author edited it (options, kind, totals shown, end);
    /// `reset` voids the votes cast so far (the options or the kind changed).
    async fn update_poll(&mut self, poll: &Poll, reset: bool) -> Result<()>;

    /// Removes a poll and its votes (an edit took it away).
    async fn delete_poll(&mut self, poll_id: Id) -> Result<()>;
}
