//! A local account suspended by a moderator is deleted on the servers that knew it (a
//! `Delete` of the actor), and a remote account suspended here loses its follows both ways.

use rookery_model::Role;
use rookery_testkit::Backend;
use serde_json::Value;

use crate::account_moderation::{act, staff};
use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};

on_every_backend!(suspension_reaches_other_servers);

async fn lookup(app: &TestApp, token: &str, acct: &str) -> Value {
    let (s, body, _) = app
        .get_auth(&format!("/api/v1/accounts/lookup?acct={acct}"), Some(token))
        .await;
    assert_eq!(s, 200, "lookup {acct}: {body}");
    body
}

async fn following(app: &TestApp, token: &str, id: &str) -> bool {
    let (s, body, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={id}"),
            Some(token),
        )
        .await;
    assert_eq!(s, 200);
    body[0]["following"] == true
}

async fn suspension_reaches_other_servers(backend: Backend) {
    let a = spawn_federating(backend, &[]).await;
    let b = spawn_federating(backend, &[]).await;
    let (da, db) = (a.domain(), b.domain());
    let mod_a = staff(&a, "boss", Role::Admin).await;
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let carol = b.token("carol").await;
    let alice_id = a.account_id("alice").await;

    // bob@B follows alice@A; alice@A follows carol@B.
    let alice_on_b = lookup(&b, &bob, &format!("alice@{da}")).await;
    let alice_b_id = alice_on_b["id"].as_str().unwrap().to_owned();
    let (s, _) = b
        .post_auth(&format!("/api/v1/accounts/{alice_b_id}/follow"), &bob, &[])
        .await;
    assert_eq!(s, 200);
    eventually("bob follows alice", || async {
        following(&b, &bob, &alice_b_id).await
    })
    .await;
    let carol_on_a = lookup(&a, &alice, &format!("carol@{db}")).await;
    let carol_a_id = carol_on_a["id"].as_str().unwrap().to_owned();
    let (s, _) = a
        .post_auth(
            &format!("/api/v1/accounts/{carol_a_id}/follow"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    eventually("alice follows carol", || async {
        following(&a, &alice, &carol_a_id).await
    })
    .await;

    // A remote account suspended on A: its follows there are severed both ways.
    let (s, body) = act(&a, &mod_a, &carol_a_id, "action", &[("type", "suspend")]).await;
    assert_eq!(s, 200, "{body}");
    assert!(!following(&a, &alice, &carol_a_id).await);
    let (_, me, _) = a
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(me["following_count"], 0, "{me}");
    let (s, _, _) = a
        .get_auth(&format!("/api/v1/accounts/{carol_a_id}"), Some(&alice))
        .await;
    assert_eq!(s, 404);

    // alice suspended on A: B is told, and forgets her.
    let (s, body) = act(&a, &mod_a, &alice_id, "action", &[("type", "suspend")]).await;
    assert_eq!(s, 200, "{body}");
    eventually("B drops the suspended actor", || async {
        let (s, _, _) = b
            .get_auth(&format!("/api/v1/accounts/{alice_b_id}"), Some(&bob))
            .await;
        s == 404
    })
    .await;
    let _ = carol;
}
