//! Threads across servers: a reply whose parent is not here brings its ancestors from their
//! origin, and `/context` then shows the whole thread.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};
use crate::two_instances::{find, home, lookup, post, relationship};

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|l| {
            l.iter()
                .map(|s| s["content"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// `who` (a token on `a`) follows `handle`, a remote account; its id on `a`.
async fn follow_remote(a: &TestApp, who: &str, handle: &str) -> String {
    let id = lookup(a, who, handle).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    a.post_auth(&format!("/api/v1/accounts/{id}/follow"), who, &[])
        .await;
    eventually("the follow is accepted", || async {
        relationship(a, who, &id).await["following"] == true
    })
    .await;
    id
}

/// Waits for a post containing `text` to reach `who`'s home on `a`; its id there.
async fn arrived(a: &TestApp, who: &str, text: &str) -> String {
    eventually("the post reaches home", || async {
        find(&home(a, who).await, text).is_some()
    })
    .await;
    find(&home(a, who).await, text).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_reply_brings_its_ancestors(backend: Backend) {
    let (a, b) = tokio::join!(
        spawn_federating(backend, &[]),
        spawn_federating(backend, &[])
    );
    let alice = a.token("alice").await;
    let (bob, dan, carol) = (
        b.token("bob").await,
        b.token("dan").await,
        b.token("carol").await,
    );
    // On B: bob starts a thread, dan answers him, carol answers dan. alice, on A, follows only
    // carol, so only carol's reply reaches A on its own.
    let root = post(&b, &bob, &[("status", "the root of it all")]).await;
    let middle = post(
        &b,
        &dan,
        &[
            ("status", "@bob a middle reply"),
            ("in_reply_to_id", root["id"].as_str().unwrap()),
        ],
    )
    .await;
    follow_remote(&a, &alice, &format!("carol@{}", b.domain())).await;
    post(
        &b,
        &carol,
        &[
            ("status", "@dan the newest reply"),
            ("in_reply_to_id", middle["id"].as_str().unwrap()),
        ],
    )
    .await;
    let reply_id = arrived(&a, &alice, "the newest reply").await;
    let path = format!("/api/v1/statuses/{reply_id}/context");
    eventually("the thread is filled in", || async {
        let (_, context, _) = a.get_auth(&path, Some(&alice)).await;
        let ancestors = texts(&context["ancestors"]);
        ancestors.len() == 2
            && ancestors[0].contains("the root of it all")
            && ancestors[1].contains("a middle reply")
    })
    .await;
    // The reply, stored first in a conversation of its own, joined the root's.
    let conversations = a
        .sql_texts(
            "SELECT DISTINCT CAST(COALESCE(conversation_id, id) AS TEXT) FROM statuses \
             WHERE content LIKE '%the root of it all%' OR content LIKE '%a middle reply%' \
             OR content LIKE '%the newest reply%'",
        )
        .await;
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    let (_, reply, _) = a
        .get_auth(&format!("/api/v1/statuses/{reply_id}"), Some(&alice))
        .await;
    assert!(reply["in_reply_to_id"].is_string(), "{reply}");
    assert!(reply["in_reply_to_account_id"].is_string(), "{reply}");
    // The parent counts its reply.
    let parent_id = reply["in_reply_to_id"].as_str().unwrap();
    let (_, parent, _) = a
        .get_auth(&format!("/api/v1/statuses/{parent_id}"), Some(&alice))
        .await;
    assert_eq!(parent["replies_count"], 1, "{parent}");
}

async fn an_unreachable_parent_leaves_the_reply_as_it_was(backend: Backend) {
    let (a, b) = tokio::join!(
        spawn_federating(backend, &[]),
        spawn_federating(backend, &[])
    );
    let alice = a.token("alice").await;
    let (bob, carol) = (b.token("bob").await, b.token("carol").await);
    // bob's post is followers-only (carol follows him): A's fetch of it is refused, carol's
    // reply stays alone.
    let bob_id = b.account_id("bob").await;
    let (status, _) = b
        .post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &carol, &[])
        .await;
    assert_eq!(status, 200);
    let root = post(
        &b,
        &bob,
        &[
            ("status", "only for my followers"),
            ("visibility", "private"),
        ],
    )
    .await;
    follow_remote(&a, &alice, &format!("carol@{}", b.domain())).await;
    post(
        &b,
        &carol,
        &[
            ("status", "a public answer to a private post"),
            ("in_reply_to_id", root["id"].as_str().unwrap()),
        ],
    )
    .await;
    let reply_id = arrived(&a, &alice, "a public answer").await;
    // The fetch job settles without storing anything.
    eventually("the parent's fetch is over", || async {
        a.sql_texts("SELECT kind FROM jobs WHERE kind = 'fetch_parent'")
            .await
            .is_empty()
    })
    .await;
    let (_, context, _) = a
        .get_auth(
            &format!("/api/v1/statuses/{reply_id}/context"),
            Some(&alice),
        )
        .await;
    assert_eq!(context["ancestors"], serde_json::json!([]), "{context}");
    assert!(
        a.sql_texts("SELECT content FROM statuses WHERE content LIKE '%only for my followers%'")
            .await
            .is_empty()
    );
}

on_every_backend!(
    a_reply_brings_its_ancestors,
    an_unreachable_parent_leaves_the_reply_as_it_was,
    opening_a_thread_brings_its_replies
);

/// Opening a remote post's thread reads its `replies` collection from its origin: replies
/// nobody here was sent show up on the next look.
async fn opening_a_thread_brings_its_replies(backend: Backend) {
    let (a, b) = tokio::join!(
        spawn_federating(backend, &[]),
        spawn_federating(backend, &[])
    );
    let (alice, carol) = (a.token("alice").await, a.token("carol").await);
    let bob = b.token("bob").await;
    let root = post(&a, &alice, &[("status", "a post with answers")]).await;
    post(
        &a,
        &carol,
        &[
            ("status", "@alice an answer B was never sent"),
            ("in_reply_to_id", root["id"].as_str().unwrap()),
        ],
    )
    .await;
    post(
        &a,
        &carol,
        &[
            ("status", "@alice a private answer"),
            ("in_reply_to_id", root["id"].as_str().unwrap()),
            ("visibility", "private"),
        ],
    )
    .await;
    // The note embeds its replies' first page as Mastodon does (GoToSocial reads only that);
    // its `next` is the page of public answers.
    let (_, note) = a.get_activity(root["uri"].as_str().unwrap()).await;
    let first = &note["replies"]["first"];
    assert_eq!(first["type"], "CollectionPage", "{note}");
    let (_, page) = a.get_activity(first["next"].as_str().unwrap()).await;
    assert_eq!(page["type"], "CollectionPage", "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    // The post itself reaches B through a search for its URL.
    let (_, found, _) = b
        .get_auth(
            &format!(
                "/api/v2/search?resolve=true&type=statuses&q={}",
                root["uri"].as_str().unwrap()
            ),
            Some(&bob),
        )
        .await;
    let on_b = found["statuses"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/statuses/{on_b}/context");
    let (_, context, _) = b.get_auth(&path, Some(&bob)).await;
    assert_eq!(context["descendants"], serde_json::json!([]), "{context}");
    eventually("the public answer is fetched", || async {
        let (_, context, _) = b.get_auth(&path, Some(&bob)).await;
        texts(&context["descendants"])
            .iter()
            .any(|t| t.contains("an answer B was never sent"))
    })
    .await;
    let (_, context, _) = b.get_auth(&path, Some(&bob)).await;
    assert_eq!(texts(&context["descendants"]).len(), 1, "{context}");
}
