//! Follows (open and locked accounts on both sides), posts, replies with mentions, likes,
//! announces, edits and deletes between Rookery and the Fedify peer, with authorized fetch on.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use super::{Pair, discovery, note, status};
use crate::kit::eventually;
use crate::two_instances::{find, has_notification, home, lookup, post, relationship};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn contains(list: &Value, item: &str) -> bool {
    list.as_array()
        .is_some_and(|l| l.iter().any(|x| x.as_str() == Some(item)))
}

async fn follows_posts_and_interactions(backend: Backend) {
    let pair = Pair::start(backend, true).await;
    let (app, peer) = (&pair.app, &pair.peer);
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let (s, _) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &bob,
            &[("locked", "true")],
        )
        .await;
    assert_eq!(s, 200);
    discovery(&pair, &alice, true).await;
    let carol_handle = peer.handle("carol");

    // erin, whom the peer has never seen, mentions carol: the delivery goes to the peer's
    // shared inbox, where Fedify fetches erin's key unsigned to check the signature (Rookery
    // serves the key-only actor to unsigned requests, as Mastodon does in this mode).
    let erin = app.token("erin").await;
    let hi = post(
        app,
        &erin,
        &[("status", &format!("@{carol_handle} hi, I am new"))],
    )
    .await;
    peer.received("erin's mention", |a| {
        a["type"] == "Create" && a["parsed"]["object"]["id"] == hi["uri"]
    })
    .await;

    // alice follows carol, who accepts at once.
    let carol_id = lookup(app, &alice, &carol_handle).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, rel) = app
        .post_auth(&format!("/api/v1/accounts/{carol_id}/follow"), &alice, &[])
        .await;
    assert_eq!(s, 200, "{rel}");
    eventually("alice follows carol", || async {
        relationship(app, &alice, &carol_id).await["following"] == true
    })
    .await;
    let follow = peer
        .received("alice's Follow", |a| {
            a["type"] == "Follow" && a["actor"] == pair.actor("alice").as_str()
        })
        .await;
    assert_eq!(follow["parsed"]["objectId"], peer.actor("carol"));

    // dora is locked: a request until she accepts it.
    let dora_id = lookup(app, &alice, &peer.handle("dora")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_auth(&format!("/api/v1/accounts/{dora_id}/follow"), &alice, &[])
        .await;
    peer.state_until("dora holds alice's request", |s| {
        contains(&s["pending"]["dora"], &pair.actor("alice"))
    })
    .await;
    let rel = relationship(app, &alice, &dora_id).await;
    assert_eq!(
        (&rel["requested"], &rel["following"]),
        (&json!(true), &json!(false))
    );
    peer.post(
        "accept",
        json!({"actor": "dora", "follower": pair.actor("alice")}),
    )
    .await;
    eventually("alice follows dora once accepted", || async {
        relationship(app, &alice, &dora_id).await["following"] == true
    })
    .await;

    // carol follows alice (open) and bob (locked: he approves).
    peer.post("follow", json!({"handle": pair.acct("alice")}))
        .await;
    peer.state_until("alice accepts carol", |s| {
        s["following"]["carol"][pair.actor("alice")] == "accepted"
    })
    .await;
    eventually("alice is told of her new follower", || async {
        has_notification(app, &alice, "follow", &carol_handle).await
    })
    .await;
    peer.post("follow", json!({"handle": pair.acct("bob")}))
        .await;
    let carol_for_bob = lookup(app, &bob, &carol_handle).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("bob sees carol's request", || async {
        let (_, list, _) = app.get_auth("/api/v1/follow_requests", Some(&bob)).await;
        list.as_array()
            .is_some_and(|l| l.iter().any(|x| x["id"] == carol_for_bob.as_str()))
    })
    .await;
    let state = peer.get("state").await;
    assert_eq!(state["following"]["carol"][pair.actor("bob")], "pending");
    let (s, _) = app
        .post_auth(
            &format!("/api/v1/follow_requests/{carol_for_bob}/authorize"),
            &bob,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    peer.state_until("bob's approval reaches carol", |s| {
        s["following"]["carol"][pair.actor("bob")] == "accepted"
    })
    .await;

    // carol posts: it reaches alice's home.
    let hello = peer.post("post", note("<p>hello from Fedify</p>")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("carol's post in alice's home", || async {
        find(&home(app, &alice).await, "hello from Fedify").is_some()
    })
    .await;
    let on_rookery = find(&home(app, &alice).await, "hello from Fedify")
        .cloned()
        .unwrap();
    assert_eq!(on_rookery["account"]["acct"], carol_handle);
    assert_eq!(on_rookery["uri"], hello);
    assert_eq!(on_rookery["visibility"], "public");
    let carol_post = on_rookery["id"].as_str().unwrap().to_owned();

    // alice posts: carol receives it, addressed to the public and alice's followers.
    let mine = post(app, &alice, &[("status", "hello from Rookery")]).await;
    let mine_uri = mine["uri"].as_str().unwrap().to_owned();
    let mine_id = mine["id"].as_str().unwrap().to_owned();
    let create = peer
        .received("alice's post", |a| {
            a["type"] == "Create" && a["parsed"]["object"]["id"] == mine_uri.as_str()
        })
        .await;
    let object = &create["parsed"]["object"];
    assert_eq!(object["type"], "Note");
    assert!(
        object["content"]
            .as_str()
            .unwrap()
            .contains("hello from Rookery")
    );
    assert_eq!(object["attributedTo"], pair.actor("alice"));
    assert!(contains(&object["to"], PUBLIC), "{object}");
    assert!(
        contains(&object["cc"], &format!("{}/followers", pair.actor("alice"))),
        "{object}"
    );

    // carol replies to alice and mentions her: a mention notification, threaded.
    peer.post(
        "post",
        json!({
            "content": "<p>@alice nice to meet you</p>",
            "inReplyTo": mine_uri,
            "mentions": [pair.acct("alice")],
        }),
    )
    .await;
    eventually("alice is mentioned", || async {
        has_notification(app, &alice, "mention", &carol_handle).await
    })
    .await;
    let (_, notes, _) = app.get_auth("/api/v1/notifications", Some(&alice)).await;
    let mention = notes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "mention")
        .unwrap();
    assert_eq!(mention["status"]["in_reply_to_id"], mine_id.as_str());

    // alice replies to carol with a mention: Fedify sees the thread and the Mention tag.
    let reply = post(
        app,
        &alice,
        &[
            ("status", &format!("@{carol_handle} thanks!")),
            ("in_reply_to_id", &carol_post),
        ],
    )
    .await;
    let create = peer
        .received("alice's reply", |a| {
            a["type"] == "Create" && a["parsed"]["object"]["id"] == reply["uri"]
        })
        .await;
    let object = &create["parsed"]["object"];
    assert_eq!(object["inReplyTo"], hello);
    assert!(
        object["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["type"] == "Mention" && t["href"] == peer.actor("carol").as_str()),
        "{object}"
    );
    assert!(
        contains(&object["to"], &peer.actor("carol"))
            || contains(&object["cc"], &peer.actor("carol")),
        "{object}"
    );

    // Likes both ways.
    peer.post("like", json!({"object": mine_uri})).await;
    eventually("alice's post is liked", || async {
        has_notification(app, &alice, "favourite", &carol_handle).await
    })
    .await;
    assert_eq!(status(app, &alice, &mine_id).await.1["favourites_count"], 1);
    let (s, _) = app
        .post_auth(
            &format!("/api/v1/statuses/{carol_post}/favourite"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    peer.received("alice's Like", |a| {
        a["type"] == "Like" && a["parsed"]["objectId"] == hello.as_str()
    })
    .await;

    // Announces both ways.
    peer.post("announce", json!({"object": mine_uri})).await;
    eventually("alice's post is boosted", || async {
        has_notification(app, &alice, "reblog", &carol_handle).await
    })
    .await;
    let (s, _) = app
        .post_auth(
            &format!("/api/v1/statuses/{carol_post}/reblog"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    let announce = peer
        .received("alice's Announce", |a| {
            a["type"] == "Announce" && a["parsed"]["objectId"] == hello.as_str()
        })
        .await;
    assert_eq!(announce["actor"], pair.actor("alice"));

    // Edits both ways.
    peer.post(
        "update",
        json!({"id": hello, "content": "<p>hello again, edited</p>"}),
    )
    .await;
    eventually("alice sees carol's edit", || async {
        let (_, st) = status(app, &alice, &carol_post).await;
        st["content"]
            .as_str()
            .unwrap_or_default()
            .contains("edited")
            && !st["edited_at"].is_null()
    })
    .await;
    let r = app
        .client
        .put(app.url(&format!("/api/v1/statuses/{mine_id}")))
        .bearer_auth(&alice)
        .form(&[("status", "hello from Rookery, edited")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let update = peer
        .received("alice's edit", |a| {
            a["type"] == "Update" && a["parsed"]["object"]["id"] == mine_uri.as_str()
        })
        .await;
    assert!(
        update["parsed"]["object"]["content"]
            .as_str()
            .unwrap()
            .contains("Rookery, edited")
    );

    // Deletes both ways.
    peer.post("delete", json!({"id": hello})).await;
    eventually("carol's post is gone", || async {
        status(app, &alice, &carol_post).await.0 == 404
    })
    .await;
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/statuses/{mine_id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    peer.received("alice's Delete", |a| {
        a["type"] == "Delete" && a["parsed"]["objectId"] == mine_uri.as_str()
    })
    .await;

    // Fedify signs with RFC 9421 first: verified at the first knock, nothing refused.
    let counters = app.services.federation_counters();
    let rfc9421 = counters
        .verified_rfc9421
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(rfc9421 > 0, "no RFC 9421 signature verified");
    assert_eq!(counters.inbox_count("unauthorized"), 0);
}

crate::kit::on_sqlite_and_postgres!(follows_posts_and_interactions);
