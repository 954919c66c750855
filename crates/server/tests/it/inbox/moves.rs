//! A `Move` from another server is checked before anyone follows along: the new account must
//! name the old one among its aliases (read again from its server). A forged `Move` changes
//! nothing; a real one moves the local followers.

use rookery_testkit::Backend;
use serde_json::json;

use super::support::*;
use crate::kit::{eventually, on_every_backend};
use crate::two_instances::{lookup, relationship};

async fn a_move_counts_only_to_an_account_that_names_the_old_one(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let alice = p.a.token("alice").await;
    let mallory_on_a = lookup(&p.a, &alice, &format!("mallory@{}", p.b.domain())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    p.a.post_auth(
        &format!("/api/v1/accounts/{mallory_on_a}/follow"),
        &alice,
        &[],
    )
    .await;
    eventually("alice follows mallory", || async {
        relationship(&p.a, &alice, &mallory_on_a).await["following"] == true
    })
    .await;
    let mallory = p.mallory.id.clone();
    let bob_uri = format!("http://{}/users/bob", p.b.domain());
    if p.b.services.local_account("bob").await.is_err() {
        p.b.create_account("bob").await;
    }
    let move_to = |target: &str| {
        to_bytes(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{mallory}#moves/{}", serial()),
            "type": "Move",
            "actor": mallory,
            "object": mallory,
            "target": target,
        }))
    };
    let moves_applied = || async {
        p.a.sql_texts("SELECT kind FROM jobs WHERE kind IN ('ingress', 'move_followers')")
            .await
            .is_empty()
    };
    // bob does not name mallory: the Move is read and refused.
    let (status, reply) = signed_post(&p.a, "/inbox", &move_to(&bob_uri), &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    eventually("the forged Move is applied", moves_applied).await;
    let (_, account, _) =
        p.a.get_auth(&format!("/api/v1/accounts/{mallory_on_a}"), Some(&alice))
            .await;
    assert!(account.get("moved").is_none(), "{account}");
    assert_eq!(
        relationship(&p.a, &alice, &mallory_on_a).await["following"],
        true
    );
    // A Move that names the mover as someone else is refused too.
    let (status, _) = signed_post(
        &p.a,
        "/inbox",
        &to_bytes(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{mallory}#moves/{}", serial()),
            "type": "Move",
            "actor": mallory,
            "object": bob_uri,
            "target": mallory,
        })),
        &p.mallory,
    )
    .await;
    assert_eq!(status, 202);

    // Once bob names mallory, her Move counts: alice follows bob instead.
    let bob = p.b.services.local_account("bob").await.unwrap();
    p.b.services
        .account_moves()
        .add_alias(&bob, "mallory")
        .await
        .unwrap();
    let (status, reply) = signed_post(&p.a, "/inbox", &move_to(&bob_uri), &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    let bob_on_a = lookup(&p.a, &alice, &format!("bob@{}", p.b.domain())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("alice follows bob, not mallory", || async {
        relationship(&p.a, &alice, &bob_on_a).await["following"] == true
            && relationship(&p.a, &alice, &mallory_on_a).await["following"] == false
    })
    .await;
    let (_, account, _) =
        p.a.get_auth(&format!("/api/v1/accounts/{mallory_on_a}"), Some(&alice))
            .await;
    assert_eq!(account["moved"]["id"], bob_on_a, "{account}");
}

on_every_backend!(a_move_counts_only_to_an_account_that_names_the_old_one);
