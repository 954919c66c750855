//! Pinned posts between two live instances: what an account pinned is read from its actor's
//! `featured` collection when the other side first sees it (fetched from its origin if need
//! be), and kept current by the `Add` and `Remove` sent when it pins or unpins a post.

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};
use crate::two_instances::{lookup, post, relationship};

/// The texts of the posts `viewer` sees pinned by `id` on `app`.
async fn pinned(app: &TestApp, viewer: &str, id: &str) -> Vec<String> {
    let (status, list, _) = app
        .get_auth(
            &format!("/api/v1/accounts/{id}/statuses?pinned=true"),
            Some(viewer),
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let mut texts: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["content"].as_str().unwrap_or_default().to_owned())
        .collect();
    texts.sort();
    texts
}

async fn pin(app: &TestApp, token: &str, id: &str, on: bool) {
    let verb = if on { "pin" } else { "unpin" };
    let (status, body) = app
        .post_auth(&format!("/api/v1/statuses/{id}/{verb}"), token, &[])
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn pinned_posts_travel(backend: rookery_testkit::Backend) {
    let (a, b) = tokio::join!(
        spawn_federating(backend, &[]),
        spawn_federating(backend, &[])
    );
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let first = post(&a, &alice, &[("status", "pinned before anyone looked")]).await;
    pin(&a, &alice, first["id"].as_str().unwrap(), true).await;
    // Not public: never in the collection, never pinned elsewhere.
    let private = post(
        &a,
        &alice,
        &[
            ("status", "pinned for followers"),
            ("visibility", "private"),
        ],
    )
    .await;
    pin(&a, &alice, private["id"].as_str().unwrap(), true).await;

    // B has never seen alice: her pinned post is fetched with her actor.
    let id = lookup(&b, &bob, &format!("alice@{}", a.domain())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("alice's pinned post on B", || async {
        pinned(&b, &bob, &id).await == ["<p>pinned before anyone looked</p>"]
    })
    .await;

    // bob follows alice: what she pins next, or unpins, reaches B.
    b.post_auth(&format!("/api/v1/accounts/{id}/follow"), &bob, &[])
        .await;
    eventually("bob follows alice", || async {
        relationship(&b, &bob, &id).await["following"] == true
    })
    .await;
    let second = post(&a, &alice, &[("status", "pinned later")]).await;
    pin(&a, &alice, second["id"].as_str().unwrap(), true).await;
    eventually("both pinned on B", || async {
        pinned(&b, &bob, &id).await == ["<p>pinned before anyone looked</p>", "<p>pinned later</p>"]
    })
    .await;
    pin(&a, &alice, first["id"].as_str().unwrap(), false).await;
    eventually("the first unpinned on B", || async {
        pinned(&b, &bob, &id).await == ["<p>pinned later</p>"]
    })
    .await;
}

on_every_backend!(pinned_posts_travel);
