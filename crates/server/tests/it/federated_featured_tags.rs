//! Featured hashtags between two live instances: what an account features is read from its
//! actor's `featuredTags` collection when the other side first sees it, and kept current by
//! the `Add` and `Remove` sent when it features or stops featuring a hashtag.

use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};

/// The names `viewer` sees featured by `id` on `app`.
async fn featured(app: &TestApp, viewer: &str, id: &str) -> Vec<String> {
    let (st, list, _) = app
        .get_auth(
            &format!("/api/v1/accounts/{id}/featured_tags"),
            Some(viewer),
        )
        .await;
    assert_eq!(st, 200, "{list}");
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn feature(app: &TestApp, token: &str, name: &str, on: bool) -> Value {
    let verb = if on { "feature" } else { "unfeature" };
    let (st, tag) = app
        .post_auth(&format!("/api/v1/tags/{name}/{verb}"), token, &[])
        .await;
    assert_eq!(st, 200, "{tag}");
    tag
}

async fn featured_tags_travel(backend: rookery_testkit::Backend) {
    let a = spawn_federating(backend, &[]).await;
    let b = spawn_federating(backend, &[]).await;
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    // Featured before the other side knows alice: read from her actor's collection.
    feature(&a, &alice, "rustlang", true).await;
    feature(&a, &alice, "Fediverse", true).await;

    let (s, account, _) = b
        .get_auth(
            &format!("/api/v1/accounts/lookup?acct=alice@{}", a.domain()),
            Some(&bob),
        )
        .await;
    assert_eq!(s, 200, "{account}");
    let id = account["id"].as_str().unwrap().to_owned();
    eventually("alice's featured hashtags on B", || async {
        featured(&b, &bob, &id).await == ["Fediverse", "rustlang"]
    })
    .await;

    // bob follows alice: what she features next, or stops featuring, reaches B.
    let (s, body) = b
        .post_auth(&format!("/api/v1/accounts/{id}/follow"), &bob, &[])
        .await;
    assert_eq!(s, 200, "{body}");
    eventually("bob follows alice", || async {
        let (_, rel, _) = b
            .get_auth(
                &format!("/api/v1/accounts/relationships?id[]={id}"),
                Some(&bob),
            )
            .await;
        rel[0]["following"] == true
    })
    .await;
    feature(&a, &alice, "rustlang", false).await;
    feature(&a, &alice, "cats", true).await;
    eventually("Remove and Add on B", || async {
        featured(&b, &bob, &id).await == ["Fediverse", "cats"]
    })
    .await;
}

on_every_backend!(featured_tags_travel);
