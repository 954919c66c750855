//! What the instance shows about itself and its people: weekly activity, the servers it knows,
//! and the profile directory. The storage side.
//!
//! Reached through [`crate::Store::directory_store`].

use async_trait::async_trait;
use rookery_model::{Account, Timestamp};

use crate::Result;

/// One week of activity (weeks start on Monday, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekActivity {
    /// Weeks since the Monday before the epoch (1969-12-29).
    pub week: i64,
    /// Local statuses posted.
    pub statuses: i64,
    /// Local accounts that signed in (received a token).
    pub logins: i64,
    /// Local accounts made.
    pub registrations: i64,
}

/// The order of the profile directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryOrder {
    /// Most recently posting first.
    Active,
    /// Newest accounts first.
    New,
}

/// Reads about the instance as a whole.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Activity per week since `since`, by weeks with any.
    async fn weekly_activity(&self, since: Timestamp) -> Result<Vec<WeekActivity>>;

    /// Domains of the other servers whose accounts are known, sorted, at most `limit`.
    async fn peers(&self, limit: u32) -> Result<Vec<String>>;

    /// Discoverable, unsuspended accounts (`local_only`: of this server).
    async fn directory(
        &self,
        order: DirectoryOrder,
        local_only: bool,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Account>>;
}
