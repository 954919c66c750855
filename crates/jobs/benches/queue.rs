//! Queue benchmark: `cargo bench -p rookery-jobs` (prints numbers; asserts nothing).
//!
//! For SQLite (WAL, synchronous=NORMAL, as Rookery runs it) and PostgreSQL (a throwaway cluster
//! with default durability, started by the test kit): the cost of enqueueing inside a
//! transaction, and no-op jobs processed per second with 1, 4 and 16 concurrent jobs.
//! `BENCH_JOBS` sets the number of jobs per run (default 10000).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark program

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rookery_jobs::{JobMetrics, JobSpec, Queue, Registry, Worker, WorkerOptions};
use rookery_model::{Clock, IdGenerator, SystemClock};
use rookery_store::{JobFilter, Store};
use rookery_store_sql::{DbOptions, SqlStore};
use rookery_testkit::{PgCluster, TempDir};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Noop {
    n: u32,
}
impl JobSpec for Noop {
    const KIND: &'static str = "bench.noop";
    const QUEUE: Queue = Queue::Default;
}

async fn open(opts: &DbOptions) -> Arc<dyn Store> {
    SqlStore::migrate(opts, 0).await.unwrap();
    Arc::new(SqlStore::connect(opts).await.unwrap())
}

async fn enqueue_many(store: &dyn Store, ids: &IdGenerator, n: u32) {
    let mut tx = store.begin().await.unwrap();
    for i in 0..n {
        rookery_jobs::enqueue(tx.as_mut(), ids, SystemClock.now(), &Noop { n: i })
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn bench_engine(name: &str, opts: DbOptions, jobs: u32) {
    let store = open(&opts).await;
    let ids = IdGenerator::new(
        Arc::new(SystemClock),
        Arc::new(rookery_service::SystemRandom),
    );

    // Enqueue cost: a transaction of its own per job, and many jobs in one transaction.
    let n = 1000;
    let started = Instant::now();
    for i in 0..n {
        let mut tx = store.begin().await.unwrap();
        rookery_jobs::enqueue(tx.as_mut(), &ids, SystemClock.now(), &Noop { n: i })
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let own_tx = started.elapsed() / n;
    let started = Instant::now();
    enqueue_many(store.as_ref(), &ids, n).await;
    let in_tx = started.elapsed() / n;
    println!(
        "{name:<10} enqueue: {:>7.1} µs per job in its own transaction, {:>6.1} µs per job added to an open transaction",
        own_tx.as_secs_f64() * 1e6,
        in_tx.as_secs_f64() * 1e6
    );
    drain(store.clone(), 16).await;

    for concurrency in [1usize, 4, 16] {
        enqueue_many(store.as_ref(), &ids, jobs).await;
        let started = Instant::now();
        drain(store.clone(), concurrency).await;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{name:<10} {concurrency:>2} concurrent: {jobs} no-op jobs in {secs:>6.2} s = {:>7.0} jobs/s",
            f64::from(jobs) / secs
        );
    }
}

/// Runs a worker until the queue is empty.
async fn drain(store: Arc<dyn Store>, concurrency: usize) {
    let mut registry = Registry::new();
    registry.register(|_job: Noop, _ctx| async { Ok(()) });
    let worker = Worker::new(
        store.clone(),
        Arc::new(registry),
        Arc::new(SystemClock),
        Arc::new(rookery_service::SystemRandom),
        Arc::new(JobMetrics::unregistered()),
        BTreeMap::from([(Queue::Default, concurrency)]),
        WorkerOptions {
            poll_interval: Duration::from_millis(5),
            batch: 32,
            ..WorkerOptions::default()
        },
    );
    let (stop, rx) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(worker.run(rx));
    loop {
        let left = store
            .list_jobs(&JobFilter {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    handle.await.unwrap();
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a listing; there is nothing to list.
    }
    let jobs: u32 = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = TempDir::new("rookery-bench").unwrap();
    let mut sqlite = DbOptions::new(format!("sqlite://{}/bench.db", dir.path().display()));
    sqlite.max_connections = 16;
    bench_engine("sqlite", sqlite, jobs).await;

    let cluster = PgCluster::start_with(true).unwrap_or_else(|e| panic!("{e}"));
    let server = cluster.server();
    let db = server.create_database().unwrap();
    let mut pg = DbOptions::new(server.url(&db));
    pg.max_connections = 20;
    bench_engine("postgres", pg, jobs).await;
}
