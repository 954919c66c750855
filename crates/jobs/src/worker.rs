//! The worker: claims jobs under a lease, runs them with per-queue concurrency, settles them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rookery_model::{Clock, Random, Timestamp};
use rookery_store::{Job, Store};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::metrics::{JobMetrics, QueueLabels};
use crate::registry::{JobContext, JobError, Registry, RunError};
use crate::{Queue, backoff_ms};

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// This machine's name, for concurrency overrides (`admin queues set-concurrency --node`).
    pub node: String,
    /// How long a claimed job stays ours without a heartbeat.
    pub lease: Duration,
    /// Sleep between claims when a queue is empty.
    pub poll_interval: Duration,
    /// How long in-flight jobs may finish after shutdown is asked.
    pub shutdown_timeout: Duration,
    /// How often concurrency overrides are re-read from the database.
    pub override_refresh: Duration,
    /// How often queue counts are published as metrics.
    pub stats_interval: Duration,
    /// Most jobs claimed in one statement.
    pub batch: u32,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            node: "local".into(),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            shutdown_timeout: Duration::from_secs(30),
            override_refresh: Duration::from_secs(2),
            stats_interval: Duration::from_secs(5),
            batch: 16,
        }
    }
}

/// Per-queue concurrency: a base (command line / config, replaced on reload) and overrides
/// from the database. Changes apply to running workers without dropping work: raising starts
/// more jobs at the next claim, lowering lets running jobs finish.
#[derive(Debug, Default)]
pub struct Limits {
    state: Mutex<(BTreeMap<Queue, usize>, BTreeMap<Queue, usize>)>,
    changed: Notify,
}

impl Limits {
    fn with_base(base: BTreeMap<Queue, usize>) -> Self {
        Limits {
            state: Mutex::new((base, BTreeMap::new())),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (BTreeMap<Queue, usize>, BTreeMap<Queue, usize>)> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Replaces the base concurrency of the queues this worker runs (e.g. on SIGHUP). Queues the
    /// worker was not started with are ignored.
    pub fn set_base(&self, base: &BTreeMap<Queue, usize>) {
        {
            let mut g = self.lock();
            for (q, n) in g.0.iter_mut() {
                if let Some(new) = base.get(q) {
                    *n = *new;
                }
            }
        }
        self.changed.notify_waiters();
    }

    fn set_overrides(&self, overrides: BTreeMap<Queue, usize>) {
        let changed = {
            let mut g = self.lock();
            let changed = g.1 != overrides;
            g.1 = overrides;
            changed
        };
        if changed {
            self.changed.notify_waiters();
        }
    }

    /// The concurrency in force for `queue`.
    pub fn get(&self, queue: Queue) -> usize {
        let g = self.lock();
        g.1.get(&queue)
            .or_else(|| g.0.get(&queue))
            .copied()
            .unwrap_or(0)
    }

    /// The queues this worker runs.
    pub fn queues(&self) -> Vec<Queue> {
        self.lock().0.keys().copied().collect()
    }
}

/// Messages to the completer.
enum Done {
    /// This job finished; delete it.
    Job(rookery_model::Id),
    /// Delete everything sent so far, then answer.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Deletes finished jobs, many per statement when they finish faster than one delete takes
/// (group commit: no added latency when idle, one transaction per batch under load). A job
/// whose deletion is lost (crash, database down) keeps its lease and runs again after it
/// expires: at-least-once, as everywhere.
async fn complete_in_batches(
    store: Arc<dyn Store>,
    worker: String,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Done>,
) {
    let mut batch = Vec::new();
    let mut acks = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Done::Job(id) => batch.push(id),
                Done::Flush(ack) => acks.push(ack),
            }
            next = if batch.len() < 512 {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !batch.is_empty() {
            let mut delay = Duration::from_millis(50);
            for attempt in 0..5 {
                match store.complete_jobs(&batch, &worker).await {
                    Ok(_) => break,
                    Err(e) if attempt < 4 => {
                        tracing::warn!(error = %e, jobs = batch.len(), "cannot delete finished jobs; retrying");
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, jobs = batch.len(), "cannot delete finished jobs; they run again when their lease expires")
                    }
                }
            }
            batch.clear();
        }
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

struct Shared {
    /// Finished jobs on their way to deletion (see [`complete_in_batches`]).
    done: tokio::sync::mpsc::UnboundedSender<Done>,
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    opts: WorkerOptions,
    id: String,
    metrics: Arc<JobMetrics>,
    limits: Arc<Limits>,
    /// Rung when a transaction in this process commits jobs on the queue.
    arrived: Arc<BTreeMap<Queue, Arc<tokio::sync::Notify>>>,
}

/// Runs jobs from a set of queues.
pub struct Worker {
    shared: Arc<Shared>,
    done: tokio::sync::mpsc::UnboundedReceiver<Done>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.shared.id)
            .finish()
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Worker {
    /// A worker for the queues in `queues` (with their base concurrency).
    pub fn new(
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        metrics: Arc<JobMetrics>,
        queues: BTreeMap<Queue, usize>,
        opts: WorkerOptions,
    ) -> Self {
        let id = format!(
            "{}:{}:{:08x}",
            opts.node,
            std::process::id(),
            random.next_u64() as u32
        );
        let (done_tx, done) = tokio::sync::mpsc::unbounded_channel();
        let arrived: Arc<BTreeMap<Queue, Arc<tokio::sync::Notify>>> = Arc::new(
            Queue::ALL
                .into_iter()
                .map(|q| (q, Arc::new(tokio::sync::Notify::new())))
                .collect(),
        );
        // Jobs enqueued by this process start at once; other processes' jobs are found by
        // polling.
        let ring = arrived.clone();
        store.on_jobs_committed(Arc::new(move |queue: &str| {
            if let Some(n) = Queue::parse(queue).and_then(|q| ring.get(&q)) {
                n.notify_one();
            }
        }));
        Worker {
            done,
            shared: Arc::new(Shared {
                done: done_tx,
                store,
                registry,
                clock,
                random,
                id,
                metrics,
                limits: Arc::new(Limits::with_base(queues)),
                opts,
                arrived,
            }),
        }
    }

    /// The identity this worker claims jobs under (`node:pid:random`).
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// The concurrency handle, to change limits while running.
    pub fn limits(&self) -> Arc<Limits> {
        self.shared.limits.clone()
    }

    /// Runs until `shutdown` turns true; then stops claiming, lets in-flight jobs finish up to
    /// the shutdown timeout, and hands the rest back to the queue at once.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let Worker { shared, done } = self;
        let completer = tokio::spawn(complete_in_batches(
            shared.store.clone(),
            shared.id.clone(),
            done,
        ));
        tracing::info!(worker = %shared.id, queues = ?shared.limits.queues(), "worker started");
        let mut tasks = JoinSet::new();
        for queue in shared.limits.queues() {
            tasks.spawn(queue_loop(shared.clone(), queue, shutdown.clone()));
        }
        let mut background = JoinSet::new();
        background.spawn(heartbeat(shared.clone()));
        background.spawn(refresh_overrides(shared.clone(), shutdown.clone()));
        background.spawn(publish_stats(shared.clone(), shutdown.clone()));
        while tasks.join_next().await.is_some() {}
        // Finished jobs are deleted before anything is handed back.
        let (ack, flushed) = tokio::sync::oneshot::channel();
        if shared.done.send(Done::Flush(ack)).is_ok() {
            let _ = flushed.await;
        }
        completer.abort();
        background.abort_all();
        // Whatever is still marked ours (jobs aborted at the deadline) goes back now.
        match shared
            .store
            .release_jobs(&shared.id, shared.clock.now())
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(worker = %shared.id, released = n, "handed unfinished jobs back")
            }
            Err(e) => {
                tracing::warn!(worker = %shared.id, error = %e, "could not hand jobs back; they return when their lease expires")
            }
        }
        tracing::info!(worker = %shared.id, "worker stopped");
    }
}

async fn wait_or_stop(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => *shutdown.borrow(),
        r = shutdown.changed() => r.is_err() || *shutdown.borrow(),
    }
}

/// Resolves when this process commits jobs on `queue` (never, if it is not known).
async fn arrived(shared: &Shared, queue: Queue) {
    match shared.arrived.get(&queue) {
        Some(n) => n.notified().await,
        None => std::future::pending().await,
    }
}

async fn queue_loop(shared: Arc<Shared>, queue: Queue, mut shutdown: watch::Receiver<bool>) {
    let mut running: JoinSet<()> = JoinSet::new();
    let mut error_backoff = Duration::from_millis(100);
    let labels = QueueLabels {
        queue: queue.as_str().to_owned(),
    };
    loop {
        while running.try_join_next().is_some() {}
        if *shutdown.borrow() {
            break;
        }
        let limit = shared.limits.get(queue);
        shared
            .metrics
            .concurrency
            .get_or_create(&labels)
            .set(i64::try_from(limit).unwrap_or(i64::MAX));
        let free = limit.saturating_sub(running.len());
        if free == 0 {
            // Wait for a slot, a limit change, or shutdown.
            let changed = shared.limits.changed.notified();
            tokio::select! {
                _ = running.join_next(), if !running.is_empty() => {},
                () = changed => {},
                () = tokio::time::sleep(shared.opts.poll_interval) => {},
                _ = shutdown.changed() => {},
            }
            continue;
        }
        let now = shared.clock.now();
        let lease_until = now.plus_millis(millis(shared.opts.lease));
        let want = u32::try_from(free)
            .unwrap_or(u32::MAX)
            .min(shared.opts.batch);
        match shared
            .store
            .claim_jobs(queue.as_str(), &shared.id, now, lease_until, want)
            .await
        {
            Ok(jobs) if jobs.is_empty() => {
                error_backoff = Duration::from_millis(100);
                let changed = shared.limits.changed.notified();
                tokio::select! {
                    () = tokio::time::sleep(shared.opts.poll_interval) => {},
                    () = changed => {},
                    () = arrived(&shared, queue) => {},
                    _ = shutdown.changed() => {},
                }
            }
            Ok(jobs) => {
                error_backoff = Duration::from_millis(100);
                for job in jobs {
                    running.spawn(execute(shared.clone(), job));
                }
            }
            Err(e) => {
                shared.metrics.claim_errors.inc();
                tracing::warn!(queue = %queue, error = %e, retry_in = ?error_backoff, "cannot claim jobs");
                if wait_or_stop(error_backoff, &mut shutdown).await {
                    break;
                }
                error_backoff = (error_backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    // Drain: in-flight jobs get until the deadline, then are aborted (and released by `run`).
    let deadline = tokio::time::sleep(shared.opts.shutdown_timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = running.join_next() => if next.is_none() { break },
            () = &mut deadline => {
                tracing::warn!(queue = %queue, unfinished = running.len(), "shutdown deadline reached");
                running.abort_all();
                while running.join_next().await.is_some() {}
                break;
            }
        }
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Outcome {
    Done,
    Retry(String),
    Fatal(String),
    Defer(String, Duration),
}

fn panic_text(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return "the job was cancelled".into();
    }
    let payload = e.into_panic();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("handler panicked: {msg}")
}

async fn execute(shared: Arc<Shared>, job: Job) {
    let labels = JobMetrics::labels(&job.queue, &job.kind);
    shared.metrics.started.get_or_create(&labels).inc();
    let started = Instant::now();
    let (outcome, max_attempts, policy) = match shared.registry.get(&job.kind) {
        None => (
            Outcome::Fatal(format!(
                "unknown job kind {:?}: no handler is registered for it",
                job.kind
            )),
            job.max_attempts,
            None,
        ),
        Some(entry) if job.attempts > job.max_attempts.max(entry.policy.max_attempts) => (
            Outcome::Fatal(format!(
                "attempts exhausted ({} of {}): the last attempt's worker stopped without finishing",
                job.attempts - 1,
                job.max_attempts
            )),
            job.max_attempts,
            None,
        ),
        Some(entry) => {
            let ctx = JobContext {
                id: job.id,
                kind: job.kind.clone(),
                attempt: job.attempts,
            };
            let handle = tokio::spawn((entry.run)(job.payload.clone(), ctx));
            let abort = handle.abort_handle();
            // If this attempt is itself aborted (shutdown deadline), the handler stops too.
            let _guard = AbortOnDrop(handle.abort_handle());
            let outcome = match tokio::time::timeout(entry.policy.timeout, handle).await {
                Err(_) => {
                    abort.abort();
                    Outcome::Retry(format!("timed out after {:?}", entry.policy.timeout))
                }
                Ok(Err(join)) => Outcome::Retry(panic_text(join)),
                Ok(Ok(Ok(()))) => Outcome::Done,
                Ok(Ok(Err(RunError::BadPayload(e)))) => {
                    Outcome::Fatal(format!("payload does not deserialise: {e}"))
                }
                Ok(Ok(Err(RunError::Handler(JobError::Retry(e))))) => Outcome::Retry(e),
                Ok(Ok(Err(RunError::Handler(JobError::Fatal(e))))) => Outcome::Fatal(e),
                Ok(Ok(Err(RunError::Handler(JobError::Defer { reason, after })))) => {
                    Outcome::Defer(reason, after)
                }
            };
            (outcome, job.max_attempts, Some(entry.policy))
        }
    };
    shared
        .metrics
        .duration
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    let now = shared.clock.now();
    let store = &shared.store;
    let settled = match outcome {
        Outcome::Done => {
            shared.metrics.succeeded.get_or_create(&labels).inc();
            match shared.done.send(Done::Job(job.id)) {
                Ok(()) => Ok(true),
                Err(_) => store.complete_job(job.id, &shared.id).await,
            }
        }
        Outcome::Defer(reason, after) => {
            shared.metrics.deferred.get_or_create(&labels).inc();
            tracing::debug!(job = %job.id, kind = %job.kind, reason = %reason, "job deferred");
            store
                .defer_job(
                    job.id,
                    &shared.id,
                    &reason,
                    now.plus_millis(millis(after)),
                    now,
                )
                .await
        }
        Outcome::Retry(error) if job.attempts < max_attempts => {
            shared.metrics.retried.get_or_create(&labels).inc();
            let policy = policy.unwrap_or_default();
            let delay = backoff_ms(&policy, job.attempts, shared.random.as_ref());
            tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %error, retry_in_ms = delay, "job failed");
            store
                .retry_job_later(job.id, &shared.id, &error, now.plus_millis(delay), now)
                .await
        }
        Outcome::Retry(error) => {
            shared.metrics.dead.get_or_create(&labels).inc();
            let error = format!("{error} (gave up after {} attempts)", job.attempts);
            tracing::error!(job = %job.id, kind = %job.kind, error = %error, "job is dead");
            store.bury_job(job.id, &shared.id, &error, now).await
        }
        Outcome::Fatal(error) => {
            shared.metrics.dead.get_or_create(&labels).inc();
            tracing::error!(job = %job.id, kind = %job.kind, error = %error, "job is dead");
            store.bury_job(job.id, &shared.id, &error, now).await
        }
    };
    match settled {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(job = %job.id, "lease was lost before the job settled; another worker has it")
        }
        Err(e) => {
            tracing::warn!(job = %job.id, error = %e, "could not settle the job; it runs again when its lease expires")
        }
    }
}

/// Keeps the leases of running jobs alive, draining included (it is stopped by `run` once the
/// queue loops are done).
async fn heartbeat(shared: Arc<Shared>) {
    let every = shared.opts.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        let until = shared.clock.now().plus_millis(millis(shared.opts.lease));
        if let Err(e) = shared.store.extend_leases(&shared.id, until).await {
            tracing::warn!(error = %e, "cannot extend job leases");
        }
    }
}

async fn refresh_overrides(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        match shared.store.concurrency_overrides(&shared.opts.node).await {
            Ok(list) => {
                let map = list
                    .into_iter()
                    .filter_map(|(q, n)| {
                        Some((Queue::parse(&q)?, usize::try_from(n).unwrap_or(usize::MAX)))
                    })
                    .collect();
                shared.limits.set_overrides(map);
            }
            Err(e) => tracing::debug!(error = %e, "cannot read concurrency overrides"),
        }
        if wait_or_stop(shared.opts.override_refresh, &mut shutdown).await {
            return;
        }
    }
}

async fn publish_stats(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let now: Timestamp = shared.clock.now();
        if let Ok(stats) = shared.store.queue_stats(now).await {
            shared.metrics.set_queue_stats(&stats, now);
        }
        if wait_or_stop(shared.opts.stats_interval, &mut shutdown).await {
            return;
        }
    }
}
