//! The figures of the admin dashboard: the storage side (counts per day, rankings, sizes).
//!
//! Reached through [`crate::Store::dashboard_store`].

use async_trait::async_trait;
use rookery_model::Timestamp;

use crate::Result;

/// What is counted per day. The `Instance*` measures concern one remote domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyMeasure<'a> {
    /// Local users whose last activity falls on the day.
    ActiveUsers,
    /// Local users created.
    NewUsers,
    /// Favourites, boosts and replies of local posts.
    Interactions,
    OpenedReports,
    ResolvedReports,
    /// Accounts of the domain first seen.
    InstanceAccounts(&'a str),
    /// Bytes of media stored for the domain's accounts.
    InstanceMediaBytes(&'a str),
    /// Reports against the domain's accounts.
    InstanceReports(&'a str),
    InstanceStatuses(&'a str),
    /// Follows of the domain's accounts by local accounts.
    InstanceFollows(&'a str),
    /// Follows of local accounts by the domain's accounts.
    InstanceFollowers(&'a str),
}

/// What is ranked over a period, largest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankedDimension<'a> {
    /// Languages of local posts.
    Languages,
    /// Remote servers by posts received.
    Servers,
    /// The domain's accounts by follows received.
    InstanceAccounts(&'a str),
    /// Languages of the domain's posts.
    InstanceLanguages(&'a str),
}

/// Dashboard figures: reads only.
#[async_trait]
pub trait DashboardStore: Send + Sync {
    /// `(day, value)` for the days of `[from, to)` with a non-zero value; `day` counts whole
    /// days from `from` (0 is the day starting at `from`).
    async fn daily(
        &self,
        measure: DailyMeasure<'_>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(i64, i64)>>;

    /// `(key, value)`, largest first, at most `limit`.
    async fn ranked(
        &self,
        dimension: RankedDimension<'_>,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, i64)>>;

    /// Local users created in `[from, to)`: when, and when they were last active.
    async fn sign_ups(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(Timestamp, Option<Timestamp>)>>;

    /// Bytes of stored media (originals and previews), all accounts.
    async fn media_bytes(&self) -> Result<i64>;
}
