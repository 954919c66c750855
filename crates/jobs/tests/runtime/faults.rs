//! Fault tests: a worker process killed with SIGKILL, a database server restarted under a
//! running worker.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use rookery_jobs::{Queue, Registry};
use rookery_store::{JobFilter, JobState, Store};
use rookery_store_sql::DbOptions;
use rookery_testkit::{Backend, PgCluster};

#[path = "effect.rs"]
mod effect;

use crate::kit::{Harness, options, wait_until};
use effect::Effect;

fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|p| p.parent()).unwrap();
    let path = dir.join("examples").join("test_worker");
    assert!(
        path.is_file(),
        "{} is missing: `cargo test` builds it (it is the jobs crate's example)",
        path.display()
    );
    path
}

async fn effects_done(store: &dyn Store, n: u32) -> u32 {
    let mut done = 0;
    for i in 0..n {
        if store
            .setting(&format!("effect:{i}"))
            .await
            .unwrap()
            .is_some()
        {
            done += 1;
        }
    }
    done
}

pub async fn killed_worker(backend: Backend) {
    const JOBS: u32 = 24;
    let h = Harness::new(backend).await;
    for n in 0..JOBS {
        h.enqueue(&Effect { n, work_ms: 300 }).await;
    }
    let db = h.db.as_ref().unwrap();
    let mut cmd = Command::new(example_binary());
    cmd.args(["--url", &db.url, "--lease-ms", "1500", "--concurrency", "4"]);
    if db.pgbouncer {
        cmd.arg("--pgbouncer");
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    wait_until(
        "the worker process is mid-way",
        Duration::from_secs(30),
        || async {
            let stats = h.store.queue_stats(h.now()).await.unwrap();
            let running = stats.iter().map(|s| s.running).sum::<i64>();
            running > 0 && effects_done(h.store.as_ref(), JOBS).await >= 4
        },
    )
    .await;
    child.kill().unwrap(); // SIGKILL: no shutdown, no release
    child.wait().unwrap();
    let orphans = h
        .store
        .list_jobs(&JobFilter {
            state: Some(JobState::Running),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!orphans.is_empty(), "the killed worker held jobs");
    let done_before = effects_done(h.store.as_ref(), JOBS).await;
    assert!(done_before < JOBS);

    // Another worker takes over once the leases expire.
    let mut registry = Registry::new();
    effect::register(&mut registry, h.store.clone());
    let rescue = h.start_worker(registry, BTreeMap::from([(Queue::Default, 4)]));
    wait_until("every job finished", Duration::from_secs(60), || async {
        h.store
            .list_jobs(&JobFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    rescue.stop().await;
    assert_eq!(effects_done(h.store.as_ref(), JOBS).await, JOBS);
    eprintln!(
        "{} jobs were held by the killed worker; all {JOBS} effects present",
        orphans.len()
    );
}

pub async fn database_restart() {
    const FIRST: u32 = 20;
    let cluster = PgCluster::start().unwrap_or_else(|e| panic!("{e}"));
    let server = cluster.server();
    let name = server.create_database().unwrap();
    let mut opts = DbOptions::new(server.url(&name));
    opts.max_connections = 8;
    opts.connect_timeout = Duration::from_secs(2);
    let store = Harness::open(&opts).await;
    let h = Harness::with_store(store);
    let _ = options; // same options shape as the other tests, built by hand here
    for n in 0..FIRST {
        h.enqueue(&Effect { n, work_ms: 50 }).await;
    }
    let mut registry = Registry::new();
    effect::register(&mut registry, h.store.clone());
    let worker = h.start_worker(registry, BTreeMap::from([(Queue::Default, 4)]));
    wait_until("some jobs done", Duration::from_secs(30), || async {
        effects_done(h.store.as_ref(), FIRST).await >= 5
    })
    .await;

    cluster.stop().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.resume().unwrap();

    // New work after the restart; the enqueueing side retries its own first attempt.
    for n in FIRST..2 * FIRST {
        let mut attempts = 0;
        loop {
            let mut tx = match h.store.begin().await {
                Ok(tx) => tx,
                Err(e) if attempts < 20 => {
                    attempts += 1;
                    eprintln!("enqueue retry: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                Err(e) => panic!("{e}"),
            };
            rookery_jobs::enqueue(tx.as_mut(), &h.ids, h.now(), &Effect { n, work_ms: 50 })
                .await
                .unwrap();
            tx.commit().await.unwrap();
            break;
        }
    }
    wait_until(
        "every job finished after the restart",
        Duration::from_secs(60),
        || async {
            matches!(
                h.store.list_jobs(&JobFilter { limit: 10, ..Default::default() }).await,
                Ok(jobs) if jobs.is_empty()
            )
        },
    )
    .await;
    worker.stop().await;
    assert_eq!(effects_done(h.store.as_ref(), 2 * FIRST).await, 2 * FIRST);
}
