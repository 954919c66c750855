//! Job metrics (Prometheus).

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use rookery_model::Timestamp;
use rookery_store::QueueStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct KindLabels {
    pub queue: String,
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct QueueLabels {
    pub queue: String,
}

/// Counters and gauges for queues, workers and the scheduler.
#[derive(Debug)]
pub struct JobMetrics {
    pub(crate) started: Family<KindLabels, Counter>,
    pub(crate) succeeded: Family<KindLabels, Counter>,
    pub(crate) retried: Family<KindLabels, Counter>,
    pub(crate) deferred: Family<KindLabels, Counter>,
    pub(crate) dead: Family<KindLabels, Counter>,
    pub(crate) duration: Family<KindLabels, Histogram>,
    pub(crate) depth: Family<QueueLabels, Gauge>,
    pub(crate) scheduled: Family<QueueLabels, Gauge>,
    pub(crate) running: Family<QueueLabels, Gauge>,
    pub(crate) dead_total: Family<QueueLabels, Gauge>,
    pub(crate) lag: Family<QueueLabels, Gauge<f64, AtomicU64>>,
    pub(crate) concurrency: Family<QueueLabels, Gauge>,
    pub(crate) claim_errors: Counter,
    pub(crate) leader: Gauge,
}

fn duration_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0,
    ])
}

impl JobMetrics {
    /// Creates the metrics and registers them in `registry` (names prefixed by the registry's).
    pub fn new(registry: &mut Registry) -> Self {
        let m = JobMetrics {
            started: Family::default(),
            succeeded: Family::default(),
            retried: Family::default(),
            deferred: Family::default(),
            dead: Family::default(),
            duration: Family::new_with_constructor(duration_histogram as fn() -> Histogram),
            depth: Family::default(),
            scheduled: Family::default(),
            running: Family::default(),
            dead_total: Family::default(),
            lag: Family::default(),
            concurrency: Family::default(),
            claim_errors: Counter::default(),
            leader: Gauge::default(),
        };
        registry.register("jobs_started", "Job attempts started", m.started.clone());
        registry.register(
            "jobs_succeeded",
            "Jobs finished successfully",
            m.succeeded.clone(),
        );
        registry.register(
            "jobs_failed",
            "Job attempts that failed and will be retried",
            m.retried.clone(),
        );
        registry.register(
            "jobs_deferred",
            "Jobs put back without using an attempt (a per-host limit was reached)",
            m.deferred.clone(),
        );
        registry.register(
            "jobs_dead",
            "Jobs that ran out of attempts or cannot run",
            m.dead.clone(),
        );
        registry.register(
            "job_duration_seconds",
            "Time per job attempt",
            m.duration.clone(),
        );
        registry.register(
            "queue_depth",
            "Jobs due now and waiting for a worker",
            m.depth.clone(),
        );
        registry.register(
            "queue_scheduled",
            "Jobs waiting for a later run time (retries)",
            m.scheduled.clone(),
        );
        registry.register("queue_running", "Jobs being run", m.running.clone());
        registry.register(
            "queue_dead",
            "Dead jobs kept for inspection",
            m.dead_total.clone(),
        );
        registry.register(
            "queue_lag_seconds",
            "Age of the oldest due job",
            m.lag.clone(),
        );
        registry.register(
            "worker_concurrency",
            "Concurrent jobs this worker allows per queue",
            m.concurrency.clone(),
        );
        registry.register(
            "worker_claim_errors",
            "Failed attempts to claim jobs (database errors)",
            m.claim_errors.clone(),
        );
        registry.register(
            "scheduler_leader",
            "1 while this scheduler holds the lease",
            m.leader.clone(),
        );
        m
    }

    /// Metrics registered nowhere (tests, benchmarks).
    pub fn unregistered() -> Self {
        Self::new(&mut Registry::default())
    }

    pub(crate) fn labels(queue: &str, kind: &str) -> KindLabels {
        KindLabels {
            queue: queue.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// Publishes queue counts (from [`rookery_store::JobQueue::queue_stats`]).
    pub fn set_queue_stats(&self, stats: &[QueueStats], now: Timestamp) {
        for s in stats {
            let l = QueueLabels {
                queue: s.queue.clone(),
            };
            self.depth.get_or_create(&l).set(s.due);
            self.scheduled.get_or_create(&l).set(s.scheduled);
            self.running.get_or_create(&l).set(s.running);
            self.dead_total.get_or_create(&l).set(s.dead);
            let lag = s.oldest_due_at.map_or(0.0, |t| {
                ((now.as_millis() - t.as_millis()).max(0) as f64) / 1000.0
            });
            self.lag.get_or_create(&l).set(lag);
        }
    }
}
