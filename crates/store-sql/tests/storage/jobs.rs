//! The job queue's storage, on every engine.

use std::collections::HashSet;
use std::sync::Arc;

use rookery_model::{Id, Timestamp};
use rookery_store::{JobFilter, JobQueue, JobState, NewJob, Store};

use super::{Ctx, T0};

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + ms)
}

fn new_job(ctx: &Ctx, queue: &str, run_at: Timestamp, key: Option<&str>) -> NewJob {
    NewJob {
        id: ctx.id(),
        queue: queue.into(),
        kind: "test".into(),
        payload: "{\"n\":1}".into(),
        max_attempts: 3,
        run_at,
        unique_key: key.map(str::to_owned),
    }
}

async fn put(ctx: &Ctx, job: &NewJob) -> bool {
    let mut tx = ctx.store.begin().await.unwrap();
    let added = tx.enqueue(job).await.unwrap();
    tx.commit().await.unwrap();
    added
}

pub async fn jobs_exist_only_if_their_transaction_commits(ctx: Ctx) {
    let job = new_job(&ctx, "default", at(0), None);
    {
        let mut tx = ctx.store.begin().await.unwrap();
        assert!(tx.enqueue(&job).await.unwrap());
        // dropped: rolled back
    }
    assert!(ctx.store.job(job.id).await.unwrap().is_none());
    assert!(put(&ctx, &job).await);
    let stored = ctx.store.job(job.id).await.unwrap().unwrap();
    assert_eq!(stored.state, JobState::Ready);
    assert_eq!(stored.attempts, 0);
    assert_eq!(stored.payload, job.payload);
}

pub async fn unique_keys_prevent_duplicates(ctx: Ctx) {
    assert!(
        put(
            &ctx,
            &new_job(&ctx, "push", at(0), Some("deliver:a:inbox1"))
        )
        .await
    );
    assert!(
        !put(
            &ctx,
            &new_job(&ctx, "push", at(0), Some("deliver:a:inbox1"))
        )
        .await
    );
    assert!(
        put(
            &ctx,
            &new_job(&ctx, "push", at(0), Some("deliver:a:inbox2"))
        )
        .await
    );
    assert!(put(&ctx, &new_job(&ctx, "push", at(0), None)).await);
    assert!(put(&ctx, &new_job(&ctx, "push", at(0), None)).await);
    let all = ctx
        .store
        .list_jobs(&JobFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
}

pub async fn claims_take_due_jobs_in_order_with_a_lease(ctx: Ctx) {
    let later = new_job(&ctx, "default", at(10_000), None);
    let first = new_job(&ctx, "default", at(0), None);
    let second = new_job(&ctx, "default", at(1), None);
    let other_queue = new_job(&ctx, "push", at(0), None);
    for j in [&later, &first, &second, &other_queue] {
        put(&ctx, j).await;
    }
    let claimed = ctx
        .store
        .claim_jobs("default", "w1", at(5), at(1005), 10)
        .await
        .unwrap();
    let ids: Vec<Id> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![first.id, second.id]);
    assert!(claimed.iter().all(|j| j.state == JobState::Running
        && j.attempts == 1
        && j.locked_by.as_deref() == Some("w1")
        && j.locked_until == Some(at(1005))));
    // Nothing more is due for another worker while the lease holds.
    assert!(
        ctx.store
            .claim_jobs("default", "w2", at(6), at(1006), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // After the lease expires, another worker takes them over.
    let taken = ctx
        .store
        .claim_jobs("default", "w2", at(2000), at(3000), 1)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].id, first.id);
    assert_eq!(taken[0].attempts, 2);
    // The first worker lost it: its settle calls do nothing.
    assert!(!ctx.store.complete_job(first.id, "w1").await.unwrap());
    assert!(ctx.store.complete_job(first.id, "w2").await.unwrap());
    assert!(ctx.store.job(first.id).await.unwrap().is_none());
    // `later` becomes due at its time.
    let due = ctx
        .store
        .claim_jobs("default", "w3", at(10_000), at(11_000), 10)
        .await
        .unwrap();
    let ids: HashSet<Id> = due.iter().map(|j| j.id).collect();
    assert!(ids.contains(&later.id) && ids.contains(&second.id));
}

pub async fn defer_gives_the_attempt_back(ctx: Ctx) {
    let job = new_job(&ctx, "push", at(0), None);
    put(&ctx, &job).await;
    let claimed = ctx
        .store
        .claim_jobs("push", "w", at(0), at(100), 1)
        .await
        .unwrap();
    assert_eq!(claimed[0].attempts, 1);
    // Only the holder can defer it.
    assert!(
        !ctx.store
            .defer_job(job.id, "other", "busy", at(2000), at(1))
            .await
            .unwrap()
    );
    assert!(
        ctx.store
            .defer_job(job.id, "w", "host busy", at(2000), at(1))
            .await
            .unwrap()
    );
    let j = ctx.store.job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (j.state, j.run_at, j.attempts, j.last_error.as_deref()),
        (JobState::Ready, at(2000), 0, Some("host busy"))
    );
    assert!(j.locked_by.is_none());
    assert!(
        ctx.store
            .claim_jobs("push", "w", at(1999), at(3000), 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ctx.store
            .claim_jobs("push", "w", at(2000), at(3000), 1)
            .await
            .unwrap()[0]
            .attempts,
        1
    );
}

pub async fn old_dead_jobs_are_pruned(ctx: Ctx) {
    let old = new_job(&ctx, "push", at(0), Some("deliver:x"));
    let recent = new_job(&ctx, "push", at(0), Some("deliver:y"));
    let alive = new_job(&ctx, "push", at(0), None);
    for j in [&old, &recent, &alive] {
        put(&ctx, j).await;
    }
    let claimed = ctx
        .store
        .claim_jobs("push", "w", at(0), at(100), 2)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    ctx.store
        .bury_job(old.id, "w", "gone", at(10))
        .await
        .unwrap();
    ctx.store
        .bury_job(recent.id, "w", "gone", at(500))
        .await
        .unwrap();
    assert_eq!(ctx.store.prune_dead_jobs(at(100)).await.unwrap(), 1);
    assert!(ctx.store.job(old.id).await.unwrap().is_none());
    assert!(ctx.store.job(recent.id).await.unwrap().is_some());
    assert!(ctx.store.job(alive.id).await.unwrap().is_some());
    // Its unique key is free again.
    assert!(put(&ctx, &new_job(&ctx, "push", at(0), Some("deliver:x"))).await);
    assert!(!put(&ctx, &new_job(&ctx, "push", at(0), Some("deliver:y"))).await);
}

pub async fn retry_bury_revive_discard(ctx: Ctx) {
    let job = new_job(&ctx, "default", at(0), None);
    put(&ctx, &job).await;
    ctx.store
        .claim_jobs("default", "w", at(0), at(100), 1)
        .await
        .unwrap();
    assert!(
        ctx.store
            .retry_job_later(job.id, "w", "boom", at(500), at(1))
            .await
            .unwrap()
    );
    let j = ctx.store.job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (j.state, j.run_at, j.last_error.as_deref()),
        (JobState::Ready, at(500), Some("boom"))
    );
    assert!(j.locked_by.is_none());
    assert!(
        ctx.store
            .claim_jobs("default", "w", at(499), at(600), 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ctx.store
            .claim_jobs("default", "w", at(500), at(600), 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        !ctx.store
            .bury_job(job.id, "someone-else", "x", at(501))
            .await
            .unwrap()
    );
    assert!(
        ctx.store
            .bury_job(job.id, "w", "gave up", at(501))
            .await
            .unwrap()
    );
    let j = ctx.store.job(job.id).await.unwrap().unwrap();
    assert_eq!(j.state, JobState::Dead);
    assert_eq!(j.attempts, 2);
    assert!(
        ctx.store
            .claim_jobs("default", "w", at(10_000), at(20_000), 5)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = ctx
        .store
        .list_jobs(&JobFilter {
            state: Some(JobState::Dead),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert!(ctx.store.revive_job(job.id, at(600)).await.unwrap());
    assert!(!ctx.store.revive_job(job.id, at(600)).await.unwrap());
    let j = ctx.store.job(job.id).await.unwrap().unwrap();
    assert_eq!((j.state, j.attempts), (JobState::Ready, 0));
    assert!(ctx.store.discard_job(job.id).await.unwrap());
    assert!(!ctx.store.discard_job(job.id).await.unwrap());
}

pub async fn release_hands_jobs_back_at_once(ctx: Ctx) {
    for _ in 0..3 {
        put(&ctx, &new_job(&ctx, "pull", at(0), None)).await;
    }
    let claimed = ctx
        .store
        .claim_jobs("pull", "leaving", at(0), at(60_000), 2)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    ctx.store
        .extend_leases("leaving", at(120_000))
        .await
        .unwrap();
    assert_eq!(ctx.store.release_jobs("leaving", at(1)).await.unwrap(), 2);
    let again = ctx
        .store
        .claim_jobs("pull", "other", at(2), at(100), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 3);
    assert!(
        again.iter().all(|j| j.attempts == 1),
        "released attempts are not counted"
    );
}

pub async fn queue_stats_count_by_state(ctx: Ctx) {
    put(&ctx, &new_job(&ctx, "default", at(-5000), None)).await;
    put(&ctx, &new_job(&ctx, "default", at(0), None)).await;
    put(&ctx, &new_job(&ctx, "default", at(60_000), None)).await;
    let running = new_job(&ctx, "media", at(0), None);
    put(&ctx, &running).await;
    ctx.store
        .claim_jobs("media", "w", at(0), at(1000), 1)
        .await
        .unwrap();
    let stats = ctx.store.queue_stats(at(1)).await.unwrap();
    let default = stats.iter().find(|s| s.queue == "default").unwrap();
    assert_eq!(
        (
            default.due,
            default.scheduled,
            default.running,
            default.dead
        ),
        (2, 1, 0, 0)
    );
    assert_eq!(default.oldest_due_at, Some(at(-5000)));
    let media = stats.iter().find(|s| s.queue == "media").unwrap();
    assert_eq!((media.due, media.running), (0, 1));
    assert_eq!(media.oldest_due_at, None);
}

pub async fn concurrency_overrides_per_node(ctx: Ctx) {
    let s = &ctx.store;
    s.set_concurrency("node-a", "ingress", Some(12), at(0))
        .await
        .unwrap();
    s.set_concurrency("node-a", "push", Some(3), at(0))
        .await
        .unwrap();
    s.set_concurrency("node-a", "push", Some(5), at(1))
        .await
        .unwrap();
    s.set_concurrency("node-b", "push", Some(1), at(0))
        .await
        .unwrap();
    assert_eq!(
        s.concurrency_overrides("node-a").await.unwrap(),
        vec![("ingress".to_owned(), 12), ("push".to_owned(), 5)]
    );
    s.set_concurrency("node-a", "ingress", None, at(2))
        .await
        .unwrap();
    assert_eq!(
        s.concurrency_overrides("node-a").await.unwrap(),
        vec![("push".to_owned(), 5)]
    );
    assert!(s.concurrency_overrides("node-c").await.unwrap().is_empty());
}

pub async fn leases_have_one_holder(ctx: Ctx) {
    let s = &ctx.store;
    assert!(
        s.try_lease("scheduler", "a", at(0), at(5000))
            .await
            .unwrap()
    );
    assert!(
        !s.try_lease("scheduler", "b", at(100), at(5100))
            .await
            .unwrap()
    );
    assert!(
        s.try_lease("scheduler", "a", at(1000), at(6000))
            .await
            .unwrap(),
        "renewal"
    );
    assert_eq!(
        s.lease_holder("scheduler", at(1000))
            .await
            .unwrap()
            .as_deref(),
        Some("a")
    );
    // a dies; after expiry b takes over and a cannot renew.
    assert!(
        !s.try_lease("scheduler", "b", at(6000), at(11_000))
            .await
            .unwrap()
    );
    assert!(
        s.try_lease("scheduler", "b", at(6001), at(11_001))
            .await
            .unwrap()
    );
    assert!(
        !s.try_lease("scheduler", "a", at(6002), at(11_002))
            .await
            .unwrap()
    );
    s.release_lease("scheduler", "a").await.unwrap();
    assert_eq!(
        s.lease_holder("scheduler", at(6003))
            .await
            .unwrap()
            .as_deref(),
        Some("b")
    );
    s.release_lease("scheduler", "b").await.unwrap();
    assert_eq!(s.lease_holder("scheduler", at(6004)).await.unwrap(), None);
    assert!(
        s.try_lease("scheduler", "a", at(6005), at(7000))
            .await
            .unwrap()
    );
}

pub async fn periods_are_claimed_once(ctx: Ctx) {
    let claim = |period: i64| {
        let store = ctx.store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let ok = tx.claim_period("prune", period, at(0)).await.unwrap();
            tx.commit().await.unwrap();
            ok
        }
    };
    assert!(claim(10).await);
    assert!(!claim(10).await);
    assert!(!claim(9).await);
    assert!(claim(11).await);
}

/// The heart of SKIP LOCKED (and of SQLite's single writer): no job is handed out twice.
pub async fn concurrent_claims_never_share_a_job(ctx: Ctx) {
    let mut tx = ctx.store.begin().await.unwrap();
    for _ in 0..200 {
        tx.enqueue(&new_job(&ctx, "default", at(0), None))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let store = Arc::new(ctx.store.clone());
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_jobs("default", &format!("w{w}"), at(1), at(600_000), 7)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|j| j.id));
            }
            mine
        }));
    }
    let mut seen = HashSet::new();
    for t in tasks {
        for id in t.await.unwrap() {
            assert!(seen.insert(id), "job {id} claimed twice");
        }
    }
    assert_eq!(seen.len(), 200);
}

pub async fn prune_expired_tokens_runs(ctx: Ctx) {
    let mut tx = ctx.store.begin().await.unwrap();
    assert_eq!(tx.prune_expired_tokens(at(0)).await.unwrap(), 0);
    tx.commit().await.unwrap();
}

pub async fn completions_are_deleted_in_batches(ctx: Ctx) {
    let mut tx = ctx.store.begin().await.unwrap();
    for _ in 0..300 {
        tx.enqueue(&new_job(&ctx, "default", at(0), None))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut ids = Vec::new();
    loop {
        let got = ctx
            .store
            .claim_jobs("default", "w", at(1), at(60_000), 100)
            .await
            .unwrap();
        if got.is_empty() {
            break;
        }
        ids.extend(got.into_iter().map(|j| j.id));
    }
    assert_eq!(ids.len(), 300);
    // Another worker's ids, and ids that do not exist, are left alone.
    assert_eq!(
        ctx.store
            .complete_jobs(&ids[..10], "intruder")
            .await
            .unwrap(),
        0
    );
    ids.push(Id::from_i64(1));
    assert_eq!(ctx.store.complete_jobs(&ids, "w").await.unwrap(), 300);
    assert!(
        ctx.store
            .list_jobs(&JobFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty()
    );
}
