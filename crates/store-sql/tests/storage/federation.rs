//! What federation stores, on every engine: remote accounts by URI, their refresh and removal,
//! follows by activity id, follower inboxes, and delivery host health.

use rookery_model::{Account, Timestamp};
use rookery_store::{Follow, Store, StoreError};

use super::{Ctx, T0, account};

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + ms)
}

fn follow(ctx: &Ctx, from: &Account, to: &Account, uri: &str) -> Follow {
    Follow {
        id: ctx.id(),
        account_id: from.id,
        target_account_id: to.id,
        show_reblogs: true,
        notify: false,
        uri: Some(uri.into()),
        created_at: at(0),
    }
}

pub async fn remote_accounts_follows_and_inboxes(ctx: Ctx) {
    let local = account(&ctx, "alice", None);
    let mut r1 = account(&ctx, "Bob", Some("b.example"));
    r1.shared_inbox_url = Some("https://b.example/inbox".into());
    r1.inbox_url = Some("https://b.example/users/Bob/inbox".into());
    let mut r2 = account(&ctx, "carol", Some("b.example"));
    r2.shared_inbox_url = Some("https://b.example/inbox".into());
    let mut r3 = account(&ctx, "dan", Some("c.example:8443"));
    r3.inbox_url = Some("https://c.example:8443/users/dan/inbox".into());
    let mut tx = ctx.store.begin().await.unwrap();
    for a in [&local, &r1, &r2, &r3] {
        tx.insert_account(a).await.unwrap();
    }
    for (a, uri) in [
        (&r1, "https://b.example/f/1"),
        (&r2, "https://b.example/f/2"),
        (&r3, "https://c.example:8443/f/3"),
    ] {
        assert!(
            tx.insert_follow(&follow(&ctx, a, &local, uri))
                .await
                .unwrap()
        );
    }
    let pending = follow(&ctx, &local, &r3, "https://a.example/follows/9");
    assert!(tx.insert_follow_request(&pending).await.unwrap());
    let reads = follow(&ctx, &local, &r2, "https://a.example/follows/10");
    assert!(tx.insert_follow(&reads).await.unwrap());
    tx.commit().await.unwrap();
    // Only local followers count: r2 has one; `local` has three remote ones; r3 only a request.
    assert!(ctx.store.has_local_followers(r2.id).await.unwrap());
    assert!(!ctx.store.has_local_followers(local.id).await.unwrap());
    assert!(!ctx.store.has_local_followers(r3.id).await.unwrap());

    let s = &ctx.store;
    assert_eq!(
        s.account_by_uri("https://b.example/users/Bob")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(r1.id)
    );
    assert!(
        s.account_by_uri("https://b.example/users/nobody")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        s.remote_account("bob", "B.EXAMPLE")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(r1.id)
    );
    assert!(
        s.remote_account("alice", "b.example")
            .await
            .unwrap()
            .is_none()
    );
    // One shared inbox per server, the personal inbox where there is none.
    assert_eq!(
        s.follower_inboxes(local.id).await.unwrap(),
        vec![
            "https://b.example/inbox".to_owned(),
            "https://c.example:8443/users/dan/inbox".to_owned()
        ]
    );
    let f = s
        .follow_by_uri("https://b.example/f/2", false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((f.account_id, f.target_account_id), (r2.id, local.id));
    assert!(
        s.follow_by_uri("https://b.example/f/2", true)
            .await
            .unwrap()
            .is_none()
    );
    let p = s
        .follow_by_uri("https://a.example/follows/9", true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.uri.as_deref(), Some("https://a.example/follows/9"));
    assert_eq!(
        s.follow_between(local.id, r3.id)
            .await
            .unwrap()
            .map(|f| f.id),
        Some(pending.id)
    );
    assert!(s.follow_between(r1.id, local.id).await.unwrap().is_some());
    assert!(s.follow_between(local.id, r1.id).await.unwrap().is_none());

    // A refresh replaces what the document says and keeps counts.
    let mut changed = r1.clone();
    changed.display_name = "Robert".into();
    changed.public_key_pem = "new key".into();
    changed.locked = true;
    changed.avatar_remote_url = Some("https://b.example/a.png".into());
    changed.fetched_at = Some(at(5));
    let mut tx = ctx.store.begin().await.unwrap();
    tx.update_remote_account(&changed).await.unwrap();
    // Local accounts are never overwritten this way.
    let mut not_remote = local.clone();
    not_remote.display_name = "x".into();
    assert!(matches!(
        tx.update_remote_account(&not_remote).await,
        Err(StoreError::NotFound(_))
    ));
    tx.commit().await.unwrap();
    let got = s.account(r1.id).await.unwrap().unwrap();
    assert_eq!(
        (
            got.display_name.as_str(),
            got.public_key_pem.as_str(),
            got.locked
        ),
        ("Robert", "new key", true)
    );
    assert_eq!(
        got.avatar_remote_url.as_deref(),
        Some("https://b.example/a.png")
    );
    assert_eq!(got.fetched_at, Some(at(5)));
    assert_eq!(
        s.account(local.id).await.unwrap().unwrap().followers_count,
        3
    );

    // Deleting a remote account takes its follows and corrects the counts.
    let mut tx = ctx.store.begin().await.unwrap();
    assert!(tx.delete_remote_account(r1.id).await.unwrap());
    assert!(!tx.delete_remote_account(local.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(s.account(r1.id).await.unwrap().is_none());
    assert_eq!(
        s.account(local.id).await.unwrap().unwrap().followers_count,
        2
    );
}

async fn fail(ctx: &Ctx, t: i64) -> rookery_store::DeliveryHost {
    let hour = 3600 * 1000;
    let mut tx = ctx.store.begin().await.unwrap();
    let h = tx
        .delivery_failed("b.example", at(t), 12 * hour, 24 * hour)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    h
}

pub async fn delivery_hosts_fail_recover_and_go_unavailable(ctx: Ctx) {
    let s = &ctx.store;
    let hour = 3600 * 1000;
    let h = fail(&ctx, 0).await;
    assert_eq!(
        (h.failures, h.first_failure_at, h.unavailable_until),
        (1, Some(at(0)), None)
    );
    let h = fail(&ctx, 6 * hour).await;
    assert_eq!((h.failures, h.first_failure_at), (2, Some(at(0))));
    assert!(!h.unavailable_at(at(6 * hour)));
    // Failing for 12 hours: skipped for the next 24.
    let h = fail(&ctx, 12 * hour).await;
    assert_eq!(h.unavailable_until, Some(at(36 * hour)));
    assert!(h.unavailable_at(at(20 * hour)) && !h.unavailable_at(at(36 * hour)));
    // One success makes it available at once.
    let mut tx = s.begin().await.unwrap();
    tx.delivery_succeeded("b.example", at(13 * hour))
        .await
        .unwrap();
    tx.delivery_succeeded("c.example", at(13 * hour))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let h = s.delivery_host("b.example").await.unwrap().unwrap();
    assert_eq!(
        (h.failures, h.unavailable_until, h.last_success_at),
        (0, None, Some(at(13 * hour)))
    );
    assert_eq!(s.delivery_hosts().await.unwrap().len(), 2);
    assert!(s.delivery_host("d.example").await.unwrap().is_none());
}

/// An `Undo` of a `Follow` removes the follow only if it was recorded by that activity, by
/// none, or long enough ago; a renewal committed while the delete waits wins.
pub async fn an_undo_spares_a_follow_renewed_at_the_same_moment(ctx: Ctx) {
    let local = account(&ctx, "alice", None);
    let remote = account(&ctx, "bob", Some("b.example"));
    let mut tx = ctx.store.begin().await.unwrap();
    for a in [&local, &remote] {
        tx.insert_account(a).await.unwrap();
    }
    let first = "https://b.example/f/1";
    assert!(
        tx.insert_follow(&follow(&ctx, &remote, &local, first))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let followers = || async {
        let a = ctx.store.account(local.id).await.unwrap().unwrap();
        let between = ctx.store.follow_between(remote.id, local.id).await.unwrap();
        (a.followers_count, between.and_then(|f| f.uri))
    };
    // The Undo of another Follow, while the recorded one is recent, removes nothing.
    let mut tx = ctx.store.begin().await.unwrap();
    let other = "https://b.example/f/0";
    assert!(
        !tx.delete_undone_follow(remote.id, local.id, other, at(-1))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(followers().await, (1, Some(first.to_owned())));

    // The re-follow renews the row while the Undo of the first Follow waits to delete it.
    let second = "https://b.example/f/2";
    let mut renewal = ctx.store.begin().await.unwrap();
    assert!(
        renewal
            .renew_follow(remote.id, local.id, second, at(10))
            .await
            .unwrap()
    );
    let (undone, ()) = tokio::join!(
        async {
            let mut tx = ctx.store.begin().await.unwrap();
            let removed = tx
                .delete_undone_follow(remote.id, local.id, first, at(5))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            removed
        },
        async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            renewal.commit().await.unwrap();
        }
    );
    assert!(
        !undone,
        "the Undo of the first Follow removed the renewed one"
    );
    assert_eq!(followers().await, (1, Some(second.to_owned())));

    // The Undo of the recorded Follow removes it and the counts follow.
    let mut tx = ctx.store.begin().await.unwrap();
    assert!(
        tx.delete_undone_follow(remote.id, local.id, second, at(5))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(followers().await, (0, None));

    // Once the recorded Follow is old enough, any Undo of theirs ends it.
    let mut tx = ctx.store.begin().await.unwrap();
    assert!(
        tx.insert_follow(&follow(&ctx, &remote, &local, first))
            .await
            .unwrap()
    );
    assert!(
        tx.delete_undone_follow(remote.id, local.id, other, at(1))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(followers().await, (0, None));
}
