//! Rookery's durable job runtime.
//!
//! Side effects (fan-out, deliveries, fetches, mail, media work) are **jobs written in the same
//! database transaction as the change that causes them** ([`enqueue`]), so a job exists if and
//! only if that change committed. [`Worker`] runs jobs from the queues it is given, each with
//! its own concurrency (changeable while running), under leases: a worker that dies loses
//! nothing, its jobs are taken over when their lease expires. Failures retry with exponential
//! backoff and jitter; exhausted jobs are kept as dead. [`Scheduler`] enqueues periodic jobs
//! while holding a lease, so any number may run and exactly one acts.
//!
//! ```
//! use rookery_jobs::{JobSpec, Queue};
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Fanout { status_id: i64 }
//! impl JobSpec for Fanout {
//!     const KIND: &'static str = "fanout";
//!     const QUEUE: Queue = Queue::Default;
//! }
//! assert_eq!(Fanout::QUEUE.as_str(), "default");
//! ```

mod metrics;
mod queue;
mod registry;
mod scheduler;
mod spec;
mod worker;

pub use metrics::JobMetrics;
pub use queue::{Queue, parse_queue_list};
pub use registry::{JobContext, JobError, Registry};
pub use scheduler::{Periodic, Scheduler, SchedulerOptions};
pub use spec::{EnqueueError, JobSpec, RetryPolicy, backoff_ms, enqueue, enqueue_at};
pub use worker::{Limits, Worker, WorkerOptions};
