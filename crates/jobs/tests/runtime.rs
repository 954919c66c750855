//! The job runtime against real databases: every test runs on SQLite, PostgreSQL and
//! PostgreSQL through pgBouncer; the fault tests kill real processes and restart a real server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

#[path = "runtime/faults.rs"]
mod faults;
#[path = "runtime/kit.rs"]
mod kit;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rookery_jobs::{
    JobError, JobSpec, Periodic, Queue, Registry, RetryPolicy, Scheduler, SchedulerOptions,
};
use rookery_model::SystemClock;
use rookery_store::{JobFilter, JobState, NewJob};
use rookery_testkit::Backend;
use serde::{Deserialize, Serialize};

use kit::{Harness, wait_until};

#[derive(Serialize, Deserialize)]
struct Count {
    n: u32,
}
impl JobSpec for Count {
    const KIND: &'static str = "test.count";
    const QUEUE: Queue = Queue::Default;
}

#[derive(Serialize, Deserialize)]
struct Flaky {
    fail_times: i32,
    panic: bool,
}
impl JobSpec for Flaky {
    const KIND: &'static str = "test.flaky";
    const QUEUE: Queue = Queue::Default;
    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay_ms: 10,
            max_delay_ms: 20,
            timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Slow {
    ms: u64,
}
impl JobSpec for Slow {
    const KIND: &'static str = "test.slow";
    const QUEUE: Queue = Queue::Pull;
}

macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(rookery_testkit::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(rookery_testkit::Backend::Postgres).await } )* }
        mod pgbouncer { $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(rookery_testkit::Backend::PgBouncer).await } )* }
    };
}

on_every_backend!(
    enqueued_jobs_run_once_and_disappear,
    failures_retry_then_go_dead_with_their_error,
    a_panicking_handler_is_caught,
    bad_payloads_and_unknown_kinds_are_dead_lettered,
    shutdown_hands_unfinished_jobs_back_at_once,
    concurrency_changes_while_running,
    the_scheduler_survives_its_leader,
    a_killed_worker_loses_nothing,
    jobs_committed_in_this_process_start_without_waiting_for_a_poll,
);

async fn jobs_committed_in_this_process_start_without_waiting_for_a_poll(backend: Backend) {
    let h = Harness::new(backend).await;
    let (tx_done, mut done) = tokio::sync::mpsc::unbounded_channel();
    let mut registry = Registry::new();
    registry.register(move |job: Count, _ctx| {
        let tx_done = tx_done.clone();
        async move {
            let _ = tx_done.send(job.n);
            Ok(())
        }
    });
    // A poll interval far longer than the test may take: only the wake-up can start the jobs.
    let opts = rookery_jobs::WorkerOptions {
        poll_interval: Duration::from_secs(60),
        ..kit::fast_options()
    };
    let running = h.start_worker_with(registry, BTreeMap::from([(Queue::Default, 2)]), opts);
    // Let the worker find the queue empty and go to sleep.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for n in 0..3 {
        let started = std::time::Instant::now();
        let mut tx = h.store.begin().await.unwrap();
        rookery_jobs::enqueue(tx.as_mut(), &h.ids, h.now(), &Count { n })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(10), done.recv())
            .await
            .expect("the job did not start without a poll")
            .unwrap();
        assert_eq!(got, n);
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A rolled-back enqueue wakes nobody and runs nothing.
    let mut tx = h.store.begin().await.unwrap();
    rookery_jobs::enqueue(tx.as_mut(), &h.ids, h.now(), &Count { n: 99 })
        .await
        .unwrap();
    drop(tx);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), done.recv())
            .await
            .is_err()
    );
    running.stop().await;
}

async fn enqueued_jobs_run_once_and_disappear(backend: Backend) {
    let h = Harness::new(backend).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut registry = Registry::new();
    let s = seen.clone();
    registry.register(move |job: Count, _ctx| {
        let s = s.clone();
        async move {
            s.lock().unwrap().push(job.n);
            Ok(())
        }
    });
    let mut tx = h.store.begin().await.unwrap();
    for n in 0..50 {
        assert!(
            rookery_jobs::enqueue(tx.as_mut(), &h.ids, h.now(), &Count { n })
                .await
                .unwrap()
        );
    }
    tx.commit().await.unwrap();
    let running = h.start_worker(registry, BTreeMap::from([(Queue::Default, 4)]));
    wait_until("all jobs done", Duration::from_secs(20), || async {
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
    running.stop().await;
    let mut got = seen.lock().unwrap().clone();
    got.sort_unstable();
    assert_eq!(got, (0..50).collect::<Vec<_>>());
}

/// Fast polling with a lease no stall on a loaded CI machine outlasts.
fn long_lease() -> rookery_jobs::WorkerOptions {
    rookery_jobs::WorkerOptions {
        lease: Duration::from_secs(60),
        ..kit::fast_options()
    }
}

async fn failures_retry_then_go_dead_with_their_error(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut registry = Registry::new();
    registry.register(|job: Flaky, ctx: rookery_jobs::JobContext| async move {
        if ctx.attempt <= job.fail_times {
            Err(JobError::Retry(format!(
                "peer down (attempt {})",
                ctx.attempt
            )))
        } else {
            Ok(())
        }
    });
    let recovers = h
        .enqueue(&Flaky {
            fail_times: 2,
            panic: false,
        })
        .await;
    let hopeless = h
        .enqueue(&Flaky {
            fail_times: 99,
            panic: false,
        })
        .await;
    // These tests count attempts: a lease lost to a stalled heartbeat on a loaded machine
    // would add one ("the last attempt's worker stopped"), so the lease is long here.
    let running = h.start_worker_with(
        registry,
        BTreeMap::from([(Queue::Default, 2)]),
        long_lease(),
    );
    wait_until(
        "recovering job done, hopeless job dead",
        Duration::from_secs(20),
        || async {
            h.store.job(recovers).await.unwrap().is_none()
                && h.store
                    .job(hopeless)
                    .await
                    .unwrap()
                    .is_some_and(|j| j.state == JobState::Dead)
        },
    )
    .await;
    running.stop().await;
    let dead = h.store.job(hopeless).await.unwrap().unwrap();
    assert_eq!(dead.attempts, 3);
    let err = dead.last_error.unwrap();
    assert!(
        err.contains("peer down (attempt 3)") && err.contains("gave up after 3 attempts"),
        "{err}"
    );
}

async fn a_panicking_handler_is_caught(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut registry = Registry::new();
    registry.register(|job: Flaky, ctx: rookery_jobs::JobContext| async move {
        if job.panic && ctx.attempt <= job.fail_times {
            panic!("handler exploded on attempt {}", ctx.attempt);
        }
        Ok(())
    });
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    registry.register(move |_job: Count, _ctx| {
        let d = d.clone();
        async move {
            d.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let once = h
        .enqueue(&Flaky {
            fail_times: 1,
            panic: true,
        })
        .await;
    let always = h
        .enqueue(&Flaky {
            fail_times: 99,
            panic: true,
        })
        .await;
    // These tests count attempts: a lease lost to a stalled heartbeat on a loaded machine
    // would add one ("the last attempt's worker stopped"), so the lease is long here.
    let running = h.start_worker_with(
        registry,
        BTreeMap::from([(Queue::Default, 2)]),
        long_lease(),
    );
    wait_until(
        "panicking jobs settled",
        Duration::from_secs(20),
        || async {
            h.store.job(once).await.unwrap().is_none()
                && h.store
                    .job(always)
                    .await
                    .unwrap()
                    .is_some_and(|j| j.state == JobState::Dead)
        },
    )
    .await;
    // The worker survived: it still runs new jobs.
    h.enqueue(&Count { n: 1 }).await;
    wait_until("worker still alive", Duration::from_secs(10), || async {
        done.load(Ordering::SeqCst) == 1
    })
    .await;
    running.stop().await;
    let err = h
        .store
        .job(always)
        .await
        .unwrap()
        .unwrap()
        .last_error
        .unwrap();
    assert!(
        err.contains("handler panicked: handler exploded on attempt 3"),
        "{err}"
    );
}

async fn bad_payloads_and_unknown_kinds_are_dead_lettered(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut registry = Registry::new();
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    registry.register(move |_job: Count, _ctx| {
        let d = d.clone();
        async move {
            d.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let raw = |kind: &str, payload: &str| NewJob {
        id: h.ids.next_id(),
        queue: "default".into(),
        kind: kind.into(),
        payload: payload.into(),
        max_attempts: 5,
        run_at: h.now(),
        unique_key: None,
    };
    let broken = raw("test.count", "{\"n\": \"not a number\"");
    let wrong_shape = raw("test.count", "[1, 2, 3]");
    let unknown = raw("test.renamed_long_ago", "{}");
    let mut tx = h.store.begin().await.unwrap();
    for j in [&broken, &wrong_shape, &unknown] {
        tx.enqueue(j).await.unwrap();
    }
    tx.commit().await.unwrap();
    for n in 0..5 {
        h.enqueue(&Count { n }).await;
    }
    let running = h.start_worker(registry, BTreeMap::from([(Queue::Default, 2)]));
    wait_until(
        "good jobs done, bad ones dead",
        Duration::from_secs(20),
        || async {
            let dead = h
                .store
                .list_jobs(&JobFilter {
                    state: Some(JobState::Dead),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            dead.len() == 3 && done.load(Ordering::SeqCst) == 5
        },
    )
    .await;
    running.stop().await;
    let store = h.store.clone();
    let reason = |id| {
        let s = store.clone();
        async move { s.job(id).await.unwrap().unwrap() }
    };
    let b = reason(broken.id).await;
    assert_eq!(b.attempts, 1, "dead-lettered at once, not retried");
    assert!(
        b.last_error
            .unwrap()
            .contains("payload does not deserialise")
    );
    assert!(
        reason(wrong_shape.id)
            .await
            .last_error
            .unwrap()
            .contains("payload does not deserialise")
    );
    assert!(
        reason(unknown.id)
            .await
            .last_error
            .unwrap()
            .contains("unknown job kind \"test.renamed_long_ago\"")
    );
}

async fn shutdown_hands_unfinished_jobs_back_at_once(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut registry = Registry::new();
    registry.register(|job: Slow, _ctx| async move {
        tokio::time::sleep(Duration::from_millis(job.ms)).await;
        Ok(())
    });
    let quick = h.enqueue(&Slow { ms: 100 }).await;
    let stuck = h.enqueue(&Slow { ms: 60_000 }).await;
    let mut opts = kit::fast_options();
    opts.shutdown_timeout = Duration::from_millis(800);
    opts.lease = Duration::from_secs(600);
    let running = h.start_worker_with(registry, BTreeMap::from([(Queue::Pull, 2)]), opts);
    wait_until("both running", Duration::from_secs(10), || async {
        h.store
            .job(stuck)
            .await
            .unwrap()
            .is_some_and(|j| j.state == JobState::Running)
    })
    .await;
    let started = std::time::Instant::now();
    running.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        h.store.job(quick).await.unwrap().is_none(),
        "in-flight job finished"
    );
    let back = h.store.job(stuck).await.unwrap().unwrap();
    assert_eq!(
        back.state,
        JobState::Ready,
        "handed back, not left to the 10-minute lease"
    );
    assert_eq!(back.attempts, 0, "the interrupted attempt does not count");
    assert!(back.locked_by.is_none());
}

async fn concurrency_changes_while_running(backend: Backend) {
    let h = Harness::new(backend).await;
    let now_running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    let (r, p) = (now_running.clone(), peak.clone());
    registry.register(move |job: Slow, _ctx| {
        let (r, p) = (r.clone(), p.clone());
        async move {
            let n = r.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(job.ms)).await;
            r.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        }
    });
    for _ in 0..60 {
        h.enqueue(&Slow { ms: 150 }).await;
    }
    let running = h.start_worker(registry, BTreeMap::from([(Queue::Pull, 1)]));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(peak.load(Ordering::SeqCst), 1);
    // An operator raises it in the database for this node: picked up within seconds.
    h.store
        .set_concurrency(kit::NODE, "pull", Some(5), h.now())
        .await
        .unwrap();
    wait_until("five at once", Duration::from_secs(10), || async {
        peak.load(Ordering::SeqCst) == 5
    })
    .await;
    // Lowering lets running jobs finish and then holds the new limit.
    h.store
        .set_concurrency(kit::NODE, "pull", Some(2), h.now())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    peak.store(0, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        peak.load(Ordering::SeqCst) <= 2,
        "{}",
        peak.load(Ordering::SeqCst)
    );
    // Clearing the override returns to the base, which a reload may change.
    h.store
        .set_concurrency(kit::NODE, "pull", None, h.now())
        .await
        .unwrap();
    running.limits.set_base(&BTreeMap::from([(Queue::Pull, 3)]));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(running.limits.get(Queue::Pull), 3);
    running.stop().await;
    // Nothing was dropped along the way: every job either ran or is still queued.
    let left = h
        .store
        .list_jobs(&JobFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        left.iter()
            .all(|j| j.state == JobState::Ready && j.attempts == 0)
    );
}

#[derive(Serialize, Deserialize)]
struct Tick;
impl JobSpec for Tick {
    const KIND: &'static str = "test.tick";
    const QUEUE: Queue = Queue::Scheduler;
}

async fn the_scheduler_survives_its_leader(backend: Backend) {
    let h = Harness::new(backend).await;
    let start = |holder: &str| {
        let scheduler = Scheduler::new(
            h.store.clone(),
            Arc::new(SystemClock),
            h.ids.clone(),
            Arc::new(rookery_jobs::JobMetrics::unregistered()),
            vec![Periodic::new("tick", Duration::from_millis(500), || Tick)],
            SchedulerOptions {
                holder: holder.into(),
                lease_ttl: Duration::from_millis(1000),
                tick: Duration::from_millis(100),
            },
        );
        let (_stop, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _keep = _stop;
            scheduler.run(rx).await
        })
    };
    let a = start("a");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b = start("b");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let leader = h
        .store
        .lease_holder("scheduler", h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(leader, "a");
    // Kill the leader: no goodbye, the lease just stops being renewed.
    a.abort();
    let killed_at = std::time::Instant::now();
    wait_until("b takes over", Duration::from_secs(10), || async {
        h.store
            .lease_holder("scheduler", h.now())
            .await
            .unwrap()
            .as_deref()
            == Some("b")
    })
    .await;
    let takeover = killed_at.elapsed();
    assert!(takeover < Duration::from_secs(10), "{takeover:?}");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    b.abort();
    let jobs = h
        .store
        .list_jobs(&JobFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    let periods: Vec<i64> = jobs
        .iter()
        .filter_map(|j| {
            j.unique_key
                .as_deref()?
                .strip_prefix("periodic:tick:")?
                .parse()
                .ok()
        })
        .collect();
    let distinct: HashSet<i64> = periods.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        periods.len(),
        "a period was enqueued twice: {periods:?}"
    );
    let (lo, hi) = (
        *distinct.iter().min().unwrap(),
        *distinct.iter().max().unwrap(),
    );
    // About 4.5 s of 500 ms periods; at most the periods inside the failover window are missed.
    assert!(hi - lo >= 6, "{periods:?}");
    assert!(
        (distinct.len() as i64) >= (hi - lo + 1) - 3,
        "too many periods missed: {periods:?}"
    );
    eprintln!(
        "scheduler takeover after {takeover:?}; periods {lo}..={hi}, {} enqueued",
        distinct.len()
    );
}

async fn a_killed_worker_loses_nothing(backend: Backend) {
    faults::killed_worker(backend).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_outlives_a_database_restart() {
    faults::database_restart().await;
}
