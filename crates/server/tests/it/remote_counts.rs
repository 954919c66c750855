//! A remote account's counts and age, as its own server publishes them: followers, following and
//! posts from the `totalItems` of its collections, `created_at` from the actor's `published`.

use crate::kit::{eventually, on_every_backend, spawn_federating};
use crate::two_instances::{lookup, post};

async fn counts_come_from_the_accounts_server(backend: rookery_testkit::Backend) {
    let (a, b) = tokio::join!(
        spawn_federating(backend, &[]),
        spawn_federating(backend, &[])
    );
    let alice = a.token("alice").await;
    let (bob, carol, dan) = (
        b.token("bob").await,
        b.token("carol").await,
        b.token("dan").await,
    );
    // On B, carol and dan follow bob, bob follows carol and posts twice; nobody on A has seen
    // any of it.
    let bob_id = b.account_id("bob").await;
    for follower in [&carol, &dan] {
        let (s, body) = b
            .post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), follower, &[])
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let carol_id = b.account_id("carol").await;
    b.post_auth(&format!("/api/v1/accounts/{carol_id}/follow"), &bob, &[])
        .await;
    post(&b, &bob, &[("status", "one")]).await;
    post(&b, &bob, &[("status", "two")]).await;
    let (_, on_b, _) = b
        .get_auth(&format!("/api/v1/accounts/{bob_id}"), Some(&bob))
        .await;
    assert_eq!(
        (
            &on_b["followers_count"],
            &on_b["following_count"],
            &on_b["statuses_count"]
        ),
        (&2.into(), &1.into(), &2.into()),
        "{on_b}"
    );

    let id = lookup(&a, &alice, &format!("bob@{}", b.domain())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/accounts/{id}");
    eventually("bob's counts on A are B's", || async {
        let (_, on_a, _) = a.get_auth(&path, Some(&alice)).await;
        on_a["followers_count"] == 2 && on_a["following_count"] == 1 && on_a["statuses_count"] == 2
    })
    .await;
    let (_, on_a, _) = a.get_auth(&path, Some(&alice)).await;
    assert_eq!(on_a["created_at"], on_b["created_at"], "{on_a} {on_b}");
}

on_every_backend!(counts_come_from_the_accounts_server);
