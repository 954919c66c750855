//! Reports (Mastodon's): an account, and some of its posts, flagged to the moderators, by a
//! local user or by another server (a `Flag` activity). The storage side.
//!
//! Reached through [`crate::Store::report_store`] and [`crate::Transaction::reports`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Result, TimelinePage};

/// A report, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub id: Id,
    /// Who reported: a local user, or the account a remote server reported through.
    pub account_id: Id,
    pub target_account_id: Id,
    /// `spam`, `legal`, `violation` or `other`.
    pub category: String,
    /// Ids of the instance rules broken (as the API gives them out).
    pub rule_ids: Vec<String>,
    pub comment: String,
    /// Sent on to the target's server.
    pub forwarded: bool,
    /// The `Flag` activity's id, for reports from other servers.
    pub uri: Option<String>,
    pub assigned_account_id: Option<Id>,
    pub action_taken_at: Option<Timestamp>,
    pub action_taken_by_account_id: Option<Id>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The reported posts.
    pub status_ids: Vec<Id>,
}

/// Which reports to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// `Some(true)`: resolved only; `Some(false)`: unresolved only.
    pub resolved: Option<bool>,
    /// Filed by this account.
    pub account_id: Option<Id>,
    /// About this account.
    pub target_account_id: Option<Id>,
}

/// Reports: reads.
#[async_trait]
pub trait ReportStore: Send + Sync {
    async fn report(&self, id: Id) -> Result<Option<Report>>;

    /// Reports matching `filter`, newest first, paged by id (`min_id`: the oldest above it).
    async fn reports(&self, filter: &ReportFilter, page: TimelinePage) -> Result<Vec<Report>>;

    /// How many reports came from accounts of `domain` since `since` (a limit on other servers).
    async fn reports_from_domain_since(&self, domain: &str, since: Timestamp) -> Result<i64>;

    /// The reports `admin.report` notifications are about: (notification id, report id).
    async fn reports_of_notifications(&self, notification_ids: &[Id]) -> Result<Vec<(Id, Id)>>;

    /// What the reported posts of report `id` said when they were reported (kept when the
    /// posts are gone), in the order of their ids.
    async fn reported_posts(&self, id: Id) -> Result<Vec<ReportedPost>>;

    /// The moderators' notes on report `id`, oldest first.
    async fn report_notes(&self, id: Id) -> Result<Vec<ReportNote>>;

    async fn report_note(&self, id: Id) -> Result<Option<ReportNote>>;

    /// Local users (not disabled) whose role is one of `roles` (`moderator`, `admin`, …): who
    /// hears of new reports.
    async fn users_with_roles(&self, roles: &[&str]) -> Result<Vec<Staff>>;
}

/// A moderator's note on a report (for the other moderators; never shown to the reporter or
/// the reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportNote {
    pub id: Id,
    pub report_id: Id,
    /// Who wrote it (`None`: the command line, or an account since deleted).
    pub account_id: Option<Id>,
    pub content: String,
    pub created_at: Timestamp,
}

/// A reported post as it was when reported: the evidence kept with the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedPost {
    pub status_id: Id,
    /// Its public page (or its ActivityPub id).
    pub url: Option<String>,
    /// The HTML it showed.
    pub content: String,
    pub spoiler_text: String,
    pub posted_at: Option<Timestamp>,
}

/// A staff member to tell of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub account_id: Id,
    pub username: String,
    pub email: String,
}

/// Reports, in a transaction.
#[async_trait]
pub trait ReportTx: Send {
    /// Adds a report and its posts (with a copy of what they say); `false` (and nothing written) when one with the same
    /// `uri` exists.
    async fn insert_report(&mut self, report: &Report) -> Result<bool>;

    /// The report, read inside the transaction (locked against concurrent changes on
    /// PostgreSQL).
    async fn report_for_update(&mut self, id: Id) -> Result<Option<Report>>;

    /// Saves the category and rules.
    async fn update_report(
        &mut self,
        id: Id,
        category: &str,
        rule_ids: &[String],
        now: Timestamp,
    ) -> Result<()>;

    /// Assigns the report to `to` (`None`: unassigns).
    async fn assign_report(&mut self, id: Id, to: Option<Id>, now: Timestamp) -> Result<()>;

    /// Marks the report resolved by `by` (`None`: the command line); `false` when there is no
    /// such report.
    async fn resolve_report(&mut self, id: Id, by: Option<Id>, now: Timestamp) -> Result<bool>;

    /// Opens a resolved report again.
    async fn reopen_report(&mut self, id: Id, now: Timestamp) -> Result<()>;

    async fn insert_report_note(&mut self, note: &ReportNote) -> Result<()>;

    /// `false` when there was no such note.
    async fn delete_report_note(&mut self, id: Id) -> Result<bool>;

    /// Ties an `admin.report` notification to its report.
    async fn link_notification(&mut self, notification_id: Id, report_id: Id) -> Result<()>;
}
