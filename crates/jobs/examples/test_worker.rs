//! A worker process for the runtime's fault tests (`tests/runtime/faults.rs`): it runs the
//! `test.effect` job on the default queue until killed.
//!
//! `test_worker --url DATABASE_URL [--pgbouncer] [--lease-ms N] [--concurrency N]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fixture

#[path = "../tests/runtime/effect.rs"]
mod effect;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rookery_jobs::{JobMetrics, Queue, Registry, Worker, WorkerOptions};
use rookery_model::SystemClock;
use rookery_store::Store;
use rookery_store_sql::{DbOptions, SqlStore};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let mut opts = DbOptions::new(arg("--url").expect("--url"));
    opts.pgbouncer = args.iter().any(|a| a == "--pgbouncer");
    let lease = arg("--lease-ms").map_or(2000, |v| v.parse().unwrap());
    let concurrency = arg("--concurrency").map_or(4, |v| v.parse().unwrap());
    let store: Arc<dyn Store> = Arc::new(SqlStore::connect(&opts).await.unwrap());
    let mut registry = Registry::new();
    effect::register(&mut registry, store.clone());
    let worker = Worker::new(
        store,
        Arc::new(registry),
        Arc::new(SystemClock),
        Arc::new(rookery_service::SystemRandom),
        Arc::new(JobMetrics::unregistered()),
        BTreeMap::from([(Queue::Default, concurrency)]),
        WorkerOptions {
            node: "killable".into(),
            lease: Duration::from_millis(lease),
            poll_interval: Duration::from_millis(20),
            ..WorkerOptions::default()
        },
    );
    let (_stop, rx) = tokio::sync::watch::channel(false);
    worker.run(rx).await;
}
