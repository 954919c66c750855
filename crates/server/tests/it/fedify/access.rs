//! Addressing (followers-only and direct posts both ways), unfollows both ways and blocks both
//! ways between Rookery and the Fedify peer, with authorized fetch off.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use super::{Pair, discovery};
use crate::kit::eventually;
use crate::two_instances::{find, home, lookup, notifications, post, relationship};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn contains(list: &Value, item: &str) -> bool {
    list.as_array()
        .is_some_and(|l| l.iter().any(|x| x.as_str() == Some(item)))
}

async fn addressing_unfollows_and_blocks(backend: Backend) {
    let pair = Pair::start(backend, false).await;
    let (app, peer) = (&pair.app, &pair.peer);
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    discovery(&pair, &alice, false).await;
    let carol_handle = peer.handle("carol");
    let carol_id = lookup(app, &alice, &carol_handle).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // alice and carol follow each other.
    app.post_auth(&format!("/api/v1/accounts/{carol_id}/follow"), &alice, &[])
        .await;
    peer.post("follow", json!({"handle": pair.acct("alice")}))
        .await;
    eventually("alice follows carol", || async {
        relationship(app, &alice, &carol_id).await["following"] == true
    })
    .await;
    peer.state_until("carol follows alice", |s| {
        s["following"]["carol"][pair.actor("alice")] == "accepted"
    })
    .await;

    // From the peer: followers-only is private here, direct is direct.
    peer.post(
        "post",
        json!({"content": "<p>for my followers</p>", "visibility": "followers"}),
    )
    .await;
    eventually("carol's followers-only post arrives", || async {
        find(&home(app, &alice).await, "for my followers").is_some()
    })
    .await;
    let private = find(&home(app, &alice).await, "for my followers")
        .cloned()
        .unwrap();
    assert_eq!(private["visibility"], "private");
    peer.post(
        "post",
        json!({
            "content": "<p>@alice just between us</p>",
            "visibility": "direct",
            "mentions": [pair.acct("alice")],
        }),
    )
    .await;
    eventually("carol's direct message arrives", || async {
        notifications(app, &alice).await.iter().any(|n| {
            n["type"] == "mention"
                && n["status"]["content"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("just between us")
        })
    })
    .await;
    let dm = notifications(app, &alice)
        .await
        .into_iter()
        .find(|n| n["type"] == "mention")
        .unwrap();
    assert_eq!(dm["status"]["visibility"], "direct", "{dm}");

    // From Rookery: followers-only to alice's followers, direct to carol alone; never public.
    let followers_only = post(
        app,
        &alice,
        &[("status", "only for followers"), ("visibility", "private")],
    )
    .await;
    let create = peer
        .received("alice's followers-only post", |a| {
            a["type"] == "Create" && a["parsed"]["object"]["id"] == followers_only["uri"]
        })
        .await;
    let object = &create["parsed"]["object"];
    assert_eq!(
        object["to"],
        json!([format!("{}/followers", pair.actor("alice"))]),
        "{object}"
    );
    assert!(!contains(&object["cc"], PUBLIC), "{object}");
    let direct = post(
        app,
        &alice,
        &[
            ("status", &format!("@{carol_handle} a secret")),
            ("visibility", "direct"),
        ],
    )
    .await;
    let create = peer
        .received("alice's direct message", |a| {
            a["type"] == "Create" && a["parsed"]["object"]["id"] == direct["uri"]
        })
        .await;
    let object = &create["parsed"]["object"];
    assert_eq!(object["to"], json!([peer.actor("carol")]), "{object}");
    assert!(
        object["cc"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x != PUBLIC && !x.as_str().unwrap().ends_with("/followers")),
        "{object}"
    );

    // Unfollows both ways.
    app.post_auth(
        &format!("/api/v1/accounts/{carol_id}/unfollow"),
        &alice,
        &[],
    )
    .await;
    let undo = peer
        .received("alice's Undo Follow", |a| {
            a["type"] == "Undo" && a["actor"] == pair.actor("alice").as_str()
        })
        .await;
    assert_eq!(undo["parsed"]["object"]["type"], "Follow", "{undo}");
    peer.state_until("carol loses alice as a follower", |s| {
        !contains(&s["followers"]["carol"], &pair.actor("alice"))
    })
    .await;
    peer.post("undo-follow", json!({"handle": pair.acct("alice")}))
        .await;
    let alice_id = app.account_id("alice").await;
    eventually("Rookery forgets carol's follow", || async {
        let (_, list, _) = app
            .get_auth(
                &format!("/api/v1/accounts/{alice_id}/followers"),
                Some(&alice),
            )
            .await;
        list.as_array().is_some_and(Vec::is_empty)
    })
    .await;

    // alice blocks carol: the Block reaches the peer.
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{carol_id}/block"), &alice, &[])
        .await;
    assert_eq!(s, 200);
    peer.received("alice's Block", |a| {
        a["type"] == "Block"
            && a["actor"] == pair.actor("alice").as_str()
            && a["parsed"]["objectId"] == peer.actor("carol").as_str()
    })
    .await;

    // carol blocks bob, who follows her: the follow ends and bob sees he is blocked.
    let carol_for_bob = lookup(app, &bob, &carol_handle).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_auth(
        &format!("/api/v1/accounts/{carol_for_bob}/follow"),
        &bob,
        &[],
    )
    .await;
    eventually("bob follows carol", || async {
        relationship(app, &bob, &carol_for_bob).await["following"] == true
    })
    .await;
    peer.post("block", json!({"handle": pair.acct("bob")}))
        .await;
    eventually("Rookery learns of carol's block", || async {
        let r = relationship(app, &bob, &carol_for_bob).await;
        r["following"] == false && r["blocked_by"] == true
    })
    .await;
}

crate::kit::on_sqlite_and_postgres!(addressing_unfollows_and_blocks);
