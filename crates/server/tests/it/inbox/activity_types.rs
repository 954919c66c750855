//! Every activity received is counted by type: processed, ignored (read but not acted on) or
//! unknown (accepted from a valid signer and dropped) — none disappears without trace.

use rookery_testkit::Backend;
use serde_json::json;

use super::support::*;
use crate::kit::{eventually, on_every_backend};

async fn activities_are_counted_by_type(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let mallory = &p.mallory.id;
    let (status, reply) = signed_post(&p.a, "/users/alice/inbox", &p.follow(), &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    // A type from a newer specification: accepted and dropped, not refused.
    let bite = to_bytes(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{mallory}#bites/{}", serial()),
        "type": "Bite",
        "actor": mallory,
        "object": p.alice,
    }));
    let (status, reply) = signed_post(&p.a, "/inbox", &bite, &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    // A type read but not acted on.
    let react = to_bytes(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{mallory}#reactions/{}", serial()),
        "type": "EmojiReact",
        "actor": mallory,
        "object": format!("{}/statuses/1", p.alice),
        "content": "🦆",
    }));
    let (status, reply) = signed_post(&p.a, "/inbox", &react, &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    // An unknown type from nobody in particular is still refused for its signature.
    let (status, _) = post(&p.a, "/inbox", &[], &bite).await;
    assert_eq!(status, 401);
    eventually("the activities are counted", || async {
        let metrics = p.a.get("/metrics").await.text().await.unwrap();
        [
            r#"rookery_federation_activities_total{type="Follow",outcome="processed"} 1"#,
            r#"rookery_federation_activities_total{type="Bite",outcome="unknown"} 1"#,
            r#"rookery_federation_activities_total{type="EmojiReact",outcome="ignored"} 1"#,
        ]
        .iter()
        .all(|line| metrics.contains(line))
    })
    .await;
}

/// Activities are applied in parallel: an unfollow and the follow sent right after it may be
/// applied in the other order, and the stale Undo must not end the new follow.
async fn an_undo_of_an_older_follow_keeps_the_newer(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let alice = p.a.token("alice").await;
    let mallory = p.mallory.id.clone();
    let undo = |follow: &[u8]| {
        let follow: serde_json::Value = serde_json::from_slice(follow).unwrap();
        to_bytes(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{mallory}#undo/{}", serial()),
            "type": "Undo",
            "actor": mallory,
            "object": follow,
        }))
    };
    let followers = || async {
        let id = p.a.account_id("alice").await;
        let (_, list, _) =
            p.a.get_auth(&format!("/api/v1/accounts/{id}/followers"), Some(&alice))
                .await;
        list.as_array().map_or(0, Vec::len)
    };
    let (first, second) = (p.follow(), p.follow());
    // mallory follows; then unfollows and follows again, and the new Follow is applied before
    // the Undo of the old one.
    let (status, reply) = signed_post(&p.a, "/users/alice/inbox", &first, &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    eventually("mallory follows alice", || async { followers().await == 1 }).await;
    let (status, reply) = signed_post(&p.a, "/users/alice/inbox", &second, &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    eventually("the second Follow is applied", || async {
        p.a.sql_texts("SELECT kind FROM jobs WHERE kind = 'ingress'")
            .await
            .is_empty()
    })
    .await;
    let (status, reply) = signed_post(&p.a, "/inbox", &undo(&first), &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    eventually("the stale Undo is applied", || async {
        p.a.sql_texts("SELECT kind FROM jobs WHERE kind = 'ingress'")
            .await
            .is_empty()
    })
    .await;
    assert_eq!(followers().await, 1);
    // The Undo of the Follow that is recorded ends it.
    let (status, reply) = signed_post(&p.a, "/inbox", &undo(&second), &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    eventually("mallory no longer follows alice", || async {
        followers().await == 0
    })
    .await;
}

on_every_backend!(
    activities_are_counted_by_type,
    an_undo_of_an_older_follow_keeps_the_newer
);
