//! Test harness: a migrated store on a fresh database, workers started and stopped on demand.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rookery_jobs::{JobMetrics, JobSpec, Limits, Queue, Registry, Worker, WorkerOptions};
use rookery_model::{Clock, Id, IdGenerator, SystemClock, Timestamp};
use rookery_service::SystemRandom as SysRandom;
use rookery_store::Store;
use rookery_store_sql::{DbOptions, SqlStore};
use rookery_testkit::{Backend, TestDb};
use tokio::sync::watch;

pub const NODE: &str = "test-node";

pub struct Harness {
    pub db: Option<TestDb>,
    pub store: Arc<dyn Store>,
    pub ids: IdGenerator,
}

pub fn options(db: &TestDb) -> DbOptions {
    let mut o = DbOptions::new(db.url.clone());
    o.migration_url = db.migration_url.clone();
    o.pgbouncer = db.pgbouncer;
    o.max_connections = 20;
    o
}

pub fn fast_options() -> WorkerOptions {
    WorkerOptions {
        node: NODE.into(),
        lease: Duration::from_secs(2),
        poll_interval: Duration::from_millis(20),
        shutdown_timeout: Duration::from_secs(5),
        override_refresh: Duration::from_millis(200),
        stats_interval: Duration::from_secs(1),
        batch: 8,
    }
}

impl Harness {
    pub async fn new(backend: Backend) -> Harness {
        let db = TestDb::new(backend);
        let opts = options(&db);
        let store = Self::open(&opts).await;
        let mut h = Harness::with_store(store);
        h.db = Some(db);
        h
    }

    pub async fn open(opts: &DbOptions) -> Arc<dyn Store> {
        SqlStore::migrate(opts, 0).await.expect("migrate");
        Arc::new(SqlStore::connect(opts).await.expect("connect"))
    }

    pub fn with_store(store: Arc<dyn Store>) -> Harness {
        Harness {
            db: None,
            store,
            ids: IdGenerator::new(Arc::new(SystemClock), Arc::new(SysRandom)),
        }
    }

    pub fn now(&self) -> Timestamp {
        SystemClock.now()
    }

    pub async fn enqueue<J: JobSpec>(&self, job: &J) -> Id {
        let mut tx = self.store.begin().await.unwrap();
        let before = self.ids.next_id();
        assert!(
            rookery_jobs::enqueue(tx.as_mut(), &self.ids, self.now(), job)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        // The job got the next id after `before`; find it to hand back.
        let jobs = self
            .store
            .list_jobs(&rookery_store::JobFilter {
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        jobs.iter()
            .filter(|j| j.id > before && j.kind == J::KIND)
            .map(|j| j.id)
            .min()
            .unwrap()
    }

    pub fn start_worker(
        &self,
        registry: Registry,
        queues: BTreeMap<Queue, usize>,
    ) -> RunningWorker {
        self.start_worker_with(registry, queues, fast_options())
    }

    pub fn start_worker_with(
        &self,
        registry: Registry,
        queues: BTreeMap<Queue, usize>,
        opts: WorkerOptions,
    ) -> RunningWorker {
        let worker = Worker::new(
            self.store.clone(),
            Arc::new(registry),
            Arc::new(SystemClock),
            Arc::new(SysRandom),
            Arc::new(JobMetrics::unregistered()),
            queues,
            opts,
        );
        let limits = worker.limits();
        let (stop, rx) = watch::channel(false);
        let handle = tokio::spawn(worker.run(rx));
        RunningWorker {
            stop,
            handle,
            limits,
        }
    }
}

pub struct RunningWorker {
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
    pub limits: Arc<Limits>,
}

impl RunningWorker {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("worker did not stop")
            .unwrap();
    }
}

/// Polls `check` every 50 ms until it holds; panics after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {limit:?} waiting for: {what}");
}
