//! The durable job queue, as storage sees it.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its `run_at`, or due.
    Ready,
    /// Claimed by a worker until `locked_until`.
    Running,
    /// Out of attempts (or unrunnable); kept with its last error until retried or discarded.
    Dead,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Ready => "ready",
            JobState::Running => "running",
            JobState::Dead => "dead",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "ready" => JobState::Ready,
            "running" => JobState::Running,
            "dead" => JobState::Dead,
            _ => return None,
        })
    }
}

/// A job to write, in the same transaction as the change that causes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub id: Id,
    pub queue: String,
    pub kind: String,
    /// JSON.
    pub payload: String,
    pub max_attempts: i32,
    pub run_at: Timestamp,
    /// While a job with this key exists (ready, running or dead), another is not added.
    pub unique_key: Option<String>,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: Id,
    pub queue: String,
    pub kind: String,
    pub payload: String,
    pub state: JobState,
    /// Claims so far (the current one included, while running).
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: Timestamp,
    pub locked_until: Option<Timestamp>,
    pub locked_by: Option<String>,
    pub unique_key: Option<String>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Counts for one queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueStats {
    pub queue: String,
    /// Ready and due now.
    pub due: i64,
    /// Ready, due later (retries, scheduled work).
    pub scheduled: i64,
    pub running: i64,
    pub dead: i64,
    /// `run_at` of the oldest due job: how far behind the queue is.
    pub oldest_due_at: Option<Timestamp>,
}

/// Which jobs to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub queue: Option<String>,
    pub state: Option<JobState>,
    /// Only jobs with a smaller id (pagination).
    pub max_id: Option<Id>,
    pub limit: u32,
}

/// Queue operations outside a caller's transaction: claiming, settling, inspecting.
/// Every settle operation names the worker, so a worker whose lease expired (and whose job was
/// taken over) cannot overwrite the new owner's work.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Claims up to `limit` due jobs of `queue` (ready and due, or running with an expired lease),
    /// marking them running for `worker` until `lease_until` and counting an attempt.
    async fn claim_jobs(
        &self,
        queue: &str,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Job>>;

    /// Frees a running job's unique key, so that an identical job can be queued while it runs
    /// (for jobs that read their state when they start: a change made after that needs a run of
    /// its own).
    async fn release_unique_key(&self, id: Id) -> Result<()>;

    /// Removes a finished job. `false` if `worker` no longer holds it.
    async fn complete_job(&self, id: Id, worker: &str) -> Result<bool> {
        Ok(self.complete_jobs(&[id], worker).await? == 1)
    }

    /// Removes finished jobs in one statement (group commit). Returns how many `worker` still
    /// held.
    async fn complete_jobs(&self, ids: &[Id], worker: &str) -> Result<u64>;

    /// Puts a failed job back for another attempt at `run_at`.
    async fn retry_job_later(
        &self,
        id: Id,
        worker: &str,
        error: &str,
        run_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool>;

    /// Puts a job back to run at `run_at` without counting the attempt it just made (it was
    /// not its fault: a limit elsewhere was reached).
    async fn defer_job(
        &self,
        id: Id,
        worker: &str,
        reason: &str,
        run_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool>;

    /// Marks a job dead with its last error.
    async fn bury_job(&self, id: Id, worker: &str, error: &str, now: Timestamp) -> Result<bool>;

    /// Extends the lease of every job `worker` is running. Returns how many.
    async fn extend_leases(&self, worker: &str, until: Timestamp) -> Result<u64>;

    /// Hands every job `worker` is running back to the queue at once (graceful shutdown),
    /// not counting the interrupted attempt.
    async fn release_jobs(&self, worker: &str, now: Timestamp) -> Result<u64>;

    /// Counts per queue.
    async fn queue_stats(&self, now: Timestamp) -> Result<Vec<QueueStats>>;

    /// Jobs, newest first.
    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>>;

    /// One job.
    async fn job(&self, id: Id) -> Result<Option<Job>>;

    /// Makes a dead job ready again with fresh attempts. `false` if it is not dead.
    async fn revive_job(&self, id: Id, now: Timestamp) -> Result<bool>;

    /// Deletes a job that is not running. `false` if there is none (or it is running).
    async fn discard_job(&self, id: Id) -> Result<bool>;

    /// Deletes dead jobs last updated before `before` (their unique keys become free again).
    /// Returns how many went.
    async fn prune_dead_jobs(&self, before: Timestamp) -> Result<u64>;

    /// Sets (`Some`) or clears (`None`) a node's concurrency override for a queue.
    async fn set_concurrency(
        &self,
        node: &str,
        queue: &str,
        concurrency: Option<u32>,
        now: Timestamp,
    ) -> Result<()>;

    /// A node's concurrency overrides.
    async fn concurrency_overrides(&self, node: &str) -> Result<Vec<(String, u32)>>;

    /// Takes or renews the named lease for `holder` until `until`, if it is free, expired or
    /// already `holder`'s. `true` if `holder` holds it now.
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool>;

    /// Gives the lease up if `holder` has it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<()>;

    /// Who holds the named lease now, if anyone.
    async fn lease_holder(&self, name: &str, now: Timestamp) -> Result<Option<String>>;
}
