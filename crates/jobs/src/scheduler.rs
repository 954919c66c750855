//! The scheduler: enqueues periodic jobs while holding a lease in the database. Any number may
//! run; one leads, the others take over within `lease_ttl + tick` of its death. A period is
//! recorded in the same transaction as its job, so it is never enqueued twice, even across a
//! failover.

use std::sync::Arc;
use std::time::Duration;

use rookery_model::{Clock, IdGenerator};
use rookery_store::{NewJob, Store, StoreError};
use tokio::sync::watch;

use crate::{JobMetrics, JobSpec};

/// The lease the schedulers compete for.
const LEASE: &str = "scheduler";

/// What a periodic job writes each period.
struct PeriodicJob {
    queue: String,
    kind: String,
    payload: String,
    max_attempts: i32,
}

type MakeJob = Box<dyn Fn() -> Result<PeriodicJob, serde_json::Error> + Send + Sync>;

/// A job enqueued every `interval`.
pub struct Periodic {
    pub name: &'static str,
    pub interval: Duration,
    make: MakeJob,
}

impl std::fmt::Debug for Periodic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Periodic")
            .field("name", &self.name)
            .field("interval", &self.interval)
            .finish()
    }
}

impl Periodic {
    /// Enqueues the job `make()` returns every `interval` (periods are aligned to the epoch:
    /// an hourly job runs once per clock hour).
    pub fn new<J: JobSpec>(
        name: &'static str,
        interval: Duration,
        make: impl Fn() -> J + Send + Sync + 'static,
    ) -> Self {
        Periodic {
            name,
            interval,
            make: Box::new(move || {
                Ok(PeriodicJob {
                    queue: J::QUEUE.as_str().to_owned(),
                    kind: J::KIND.to_owned(),
                    payload: serde_json::to_string(&make())?,
                    max_attempts: J::policy().max_attempts,
                })
            }),
        }
    }
}

/// How a scheduler behaves.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// This process's identity in the lease.
    pub holder: String,
    /// How long a leader's lease lasts without renewal.
    pub lease_ttl: Duration,
    /// How often the lease is renewed and the periodic jobs checked.
    pub tick: Duration,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            holder: "scheduler".into(),
            lease_ttl: Duration::from_secs(5),
            tick: Duration::from_secs(1),
        }
    }
}

/// Enqueues periodic jobs under a lease.
pub struct Scheduler {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ids: IdGenerator,
    metrics: Arc<JobMetrics>,
    periodic: Vec<Periodic>,
    opts: SchedulerOptions,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("holder", &self.opts.holder)
            .field("periodic", &self.periodic)
            .finish()
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

impl Scheduler {
    /// A scheduler for `periodic`.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        ids: IdGenerator,
        metrics: Arc<JobMetrics>,
        periodic: Vec<Periodic>,
        opts: SchedulerOptions,
    ) -> Self {
        Scheduler {
            store,
            clock,
            ids,
            metrics,
            periodic,
            opts,
        }
    }

    /// One round: take or renew the lease; if leading, enqueue what is due. Returns whether
    /// this scheduler leads.
    pub async fn tick(&self) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let until = now.plus_millis(millis(self.opts.lease_ttl));
        let leader = self
            .store
            .try_lease(LEASE, &self.opts.holder, now, until)
            .await?;
        self.metrics.leader.set(i64::from(leader));
        if !leader {
            return Ok(false);
        }
        for p in &self.periodic {
            let period = now.as_millis().div_euclid(millis(p.interval));
            let job = match (p.make)() {
                Ok(job) => job,
                Err(e) => {
                    tracing::error!(periodic = p.name, error = %e, "cannot build periodic job");
                    continue;
                }
            };
            let mut tx = self.store.begin().await?;
            if tx.claim_period(p.name, period, now).await? {
                tx.enqueue(&NewJob {
                    id: self.ids.next_id(),
                    queue: job.queue,
                    kind: job.kind,
                    payload: job.payload,
                    max_attempts: job.max_attempts,
                    run_at: now,
                    unique_key: Some(format!("periodic:{}:{period}", p.name)),
                })
                .await?;
                tx.commit().await?;
                tracing::info!(periodic = p.name, period, "enqueued periodic job");
            }
        }
        Ok(true)
    }

    /// Ticks until `shutdown` turns true, then gives the lease up so another scheduler takes
    /// over at once.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(holder = %self.opts.holder, periodic = ?self.periodic, "scheduler started");
        let mut was_leader = false;
        loop {
            match self.tick().await {
                Ok(leader) => {
                    if leader != was_leader {
                        tracing::info!(holder = %self.opts.holder, leader, "scheduler leadership changed");
                    }
                    was_leader = leader;
                }
                Err(e) => {
                    self.metrics.leader.set(0);
                    was_leader = false;
                    tracing::warn!(error = %e, "scheduler tick failed");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.opts.tick) => {},
                r = shutdown.changed() => if r.is_err() || *shutdown.borrow() { break },
            }
            if *shutdown.borrow() {
                break;
            }
        }
        self.metrics.leader.set(0);
        if let Err(e) = self.store.release_lease(LEASE, &self.opts.holder).await {
            tracing::warn!(error = %e, "could not release the scheduler lease; it expires by itself");
        }
        tracing::info!(holder = %self.opts.holder, "scheduler stopped");
    }
}
