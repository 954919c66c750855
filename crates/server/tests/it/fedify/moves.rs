//! Account migration from a server we did not write: a Fedify actor moves to another (which
//! names it in `alsoKnownAs`); Rookery's follower follows along. A `Move` to an account that
//! does not name the mover changes nothing.

use rookery_testkit::Backend;
use serde_json::json;

use super::Pair;
use crate::kit::eventually;
use crate::two_instances::{lookup, relationship};

async fn a_move_from_fedify_moves_the_follower(backend: Backend) {
    let pair = Pair::start(backend, true).await;
    let (app, peer) = (&pair.app, &pair.peer);
    let alice = app.token("alice").await;
    let carol = lookup(app, &alice, &peer.handle("carol")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_auth(&format!("/api/v1/accounts/{carol}/follow"), &alice, &[])
        .await;
    eventually("alice follows carol", || async {
        relationship(app, &alice, &carol).await["following"] == true
    })
    .await;
    let token = alice.clone();
    let moved = |id: String| {
        let token = token.clone();
        async move {
            app.get_auth(&format!("/api/v1/accounts/{id}"), Some(&token))
                .await
                .1
        }
    };

    // A Move to dora, who does not name carol: refused, alice still follows carol.
    peer.post(
        "move",
        json!({"actor": "carol", "target": peer.actor("dora")}),
    )
    .await;
    eventually("the refused Move is applied", || async {
        app.sql_texts("SELECT kind FROM jobs WHERE kind IN ('ingress', 'move_followers')")
            .await
            .is_empty()
            && app
                .services
                .federation_counters()
                .activities()
                .iter()
                .any(|(kind, _, n)| kind == "Move" && *n > 0)
    })
    .await;
    assert!(moved(carol.clone()).await.get("moved").is_none());
    assert_eq!(relationship(app, &alice, &carol).await["following"], true);

    // erin names carol, and carol moves to erin: alice follows erin instead.
    peer.post(
        "alias",
        json!({"actor": "erin", "uri": peer.actor("carol")}),
    )
    .await;
    peer.post(
        "move",
        json!({"actor": "carol", "target": peer.actor("erin")}),
    )
    .await;
    peer.state_until("alice follows erin on the peer", |s| {
        s["followers"]["erin"]
            .as_array()
            .is_some_and(|l| l.iter().any(|f| f == &json!(pair.actor("alice"))))
    })
    .await;
    let erin = lookup(app, &alice, &peer.handle("erin")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("alice follows erin, not carol", || async {
        relationship(app, &alice, &erin).await["following"] == true
            && relationship(app, &alice, &carol).await["following"] == false
    })
    .await;
    assert_eq!(moved(carol).await["moved"]["id"], erin);
}

crate::kit::on_sqlite_and_postgres!(a_move_from_fedify_moves_the_follower);
