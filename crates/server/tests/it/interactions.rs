//! Interactions between accounts through the API, on every engine: favourites, boosts,
//! bookmarks, profiles, idempotent posting, blocks, mutes and follow requests.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{eventually, on_every_backend, spawn_with};

on_every_backend!(
    favourites_reblogs_and_bookmarks,
    profiles_are_edited,
    idempotency_key_makes_retries_safe,
    blocks_and_mutes_hide_and_separate,
    locked_accounts_approve_followers,
    status_and_update_notifications,
    muted_conversations_stay_quiet,
);

async fn favourites_reblogs_and_bookmarks(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let bob_id = app
        .services
        .local_account("bob")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    app.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &carol, &[])
        .await;
    let (_, s) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "boost me")])
        .await;
    let id = s["id"].as_str().unwrap().to_owned();

    // Favourite: idempotent, counted once, listed, notified.
    for _ in 0..2 {
        let (status, f) = app
            .post_auth(&format!("/api/v1/statuses/{id}/favourite"), &bob, &[])
            .await;
        assert_eq!(status, 200, "{f}");
        assert_eq!(f["favourited"], true);
        assert_eq!(f["favourites_count"], 1);
    }
    let (_, who, _) = app
        .get_auth(&format!("/api/v1/statuses/{id}/favourited_by"), None)
        .await;
    assert_eq!(who[0]["username"], "bob");
    let (_, favs, link) = app.get_auth("/api/v1/favourites", Some(&bob)).await;
    assert_eq!(favs[0]["id"], id.as_str());
    assert!(link.unwrap().contains("rel=\"next\""));
    let (_, seen_by_alice, _) = app
        .get_auth(&format!("/api/v1/statuses/{id}"), Some(&alice))
        .await;
    assert_eq!(seen_by_alice["favourited"], false);
    eventually("favourite notification", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=favourite", Some(&alice))
            .await;
        n.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    let (_, f) = app
        .post_auth(&format!("/api/v1/statuses/{id}/unfavourite"), &bob, &[])
        .await;
    assert_eq!(f["favourited"], false);
    assert_eq!(f["favourites_count"], 0);

    // Reblog: a wrapper around the original; fanned out to the booster's followers.
    let (status, r) = app
        .post_auth(&format!("/api/v1/statuses/{id}/reblog"), &bob, &[])
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["reblog"]["id"], id.as_str());
    assert_eq!(r["account"]["username"], "bob");
    assert_eq!(r["reblogged"], true);
    assert_eq!(r["reblog"]["reblogs_count"], 1);
    let reblog_id = r["id"].as_str().unwrap().to_owned();
    let (_, again) = app
        .post_auth(&format!("/api/v1/statuses/{id}/reblog"), &bob, &[])
        .await;
    assert_eq!(again["id"], reblog_id.as_str(), "idempotent");
    let (_, who, _) = app
        .get_auth(&format!("/api/v1/statuses/{id}/reblogged_by"), None)
        .await;
    assert_eq!(who[0]["username"], "bob");
    // A boost of one's own followers-only post is as private as the post: not listed.
    let (_, mine) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "for followers"), ("visibility", "private")],
        )
        .await;
    let mine_id = mine["id"].as_str().unwrap().to_owned();
    let (st, _) = app
        .post_auth(&format!("/api/v1/statuses/{mine_id}/reblog"), &alice, &[])
        .await;
    assert_eq!(st, 200);
    let (_, who, _) = app
        .get_auth(
            &format!("/api/v1/statuses/{mine_id}/reblogged_by"),
            Some(&alice),
        )
        .await;
    assert_eq!(who, serde_json::json!([]));
    eventually("reblog in carol's home", || async {
        let (_, h, _) = app.get_auth("/api/v1/timelines/home", Some(&carol)).await;
        h.as_array()
            .is_some_and(|a| a.first().is_some_and(|s| s["reblog"]["id"] == id.as_str()))
    })
    .await;
    eventually("reblog notification", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=reblog", Some(&alice))
            .await;
        n.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    // Reblogs are not in the public timeline; the original is.
    let (_, public, _) = app.get_auth("/api/v1/timelines/public", None).await;
    assert_eq!(public.as_array().unwrap().len(), 1);
    let (_, un) = app
        .post_auth(&format!("/api/v1/statuses/{id}/unreblog"), &bob, &[])
        .await;
    assert_eq!(un["id"], id.as_str());
    assert_eq!(un["reblogged"], false);
    assert_eq!(un["reblogs_count"], 0);
    assert_eq!(
        app.get_auth(&format!("/api/v1/statuses/{reblog_id}"), None)
            .await
            .0,
        404
    );

    // Bookmarks are private to their owner.
    let (_, b) = app
        .post_auth(&format!("/api/v1/statuses/{id}/bookmark"), &bob, &[])
        .await;
    assert_eq!(b["bookmarked"], true);
    let (_, list, _) = app.get_auth("/api/v1/bookmarks", Some(&bob)).await;
    assert_eq!(list[0]["id"], id.as_str());
    let (_, list, _) = app.get_auth("/api/v1/bookmarks", Some(&carol)).await;
    assert!(list.as_array().unwrap().is_empty());
    let (_, b) = app
        .post_auth(&format!("/api/v1/statuses/{id}/unbookmark"), &bob, &[])
        .await;
    assert_eq!(b["bookmarked"], false);

    // Private and direct statuses cannot be boosted by others; unknown ids are 404.
    let (_, p) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "mine"), ("visibility", "private")],
        )
        .await;
    let alice_id = app
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    let (status, body) = app
        .post_auth(
            &format!("/api/v1/statuses/{}/reblog", p["id"].as_str().unwrap()),
            &bob,
            &[],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "This action is not allowed");
    let (status, _) = app
        .post_auth(
            &format!("/api/v1/statuses/{}/reblog", p["id"].as_str().unwrap()),
            &carol,
            &[],
        )
        .await;
    assert_eq!(status, 404, "carol cannot even see it");
    assert_eq!(
        app.post_auth("/api/v1/statuses/1/favourite", &bob, &[])
            .await
            .0,
        404
    );
    assert_eq!(
        app.post_auth(
            &format!("/api/v1/statuses/{id}/favourite"),
            "bad-token",
            &[]
        )
        .await
        .0,
        401
    );
}

async fn profiles_are_edited(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let r = app
        .client
        .patch(app.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice)
        .form(&[
            ("display_name", "Alice <A>"),
            ("note", "I post about #birds\nand https://birds.example"),
            ("locked", "0"),
            ("bot", "1"),
            ("fields_attributes[0][name]", "Site"),
            ("fields_attributes[0][value]", "https://alice.example"),
            ("fields_attributes[1][name]", "Pronouns"),
            ("fields_attributes[1][value]", "she/her"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["display_name"], "Alice <A>");
    assert_eq!(me["bot"], true);
    assert_eq!(
        me["source"]["note"],
        "I post about #birds\nand https://birds.example"
    );
    assert!(me["note"].as_str().unwrap().contains("<br />"));
    assert_eq!(me["fields"][0]["name"], "Site");
    assert!(
        me["fields"][0]["value"]
            .as_str()
            .unwrap()
            .contains("<a href=\"https://alice.example\"")
    );
    assert_eq!(me["source"]["fields"][1]["value"], "she/her");
    // The actor carries the fields as PropertyValues.
    let actor: Value = app
        .client
        .get(app.url("/users/alice"))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(actor["type"], "Service");
    assert_eq!(actor["attachment"][1]["type"], "PropertyValue");
    assert_eq!(actor["attachment"][1]["name"], "Pronouns");
    // JSON bodies with an array of fields (masto), and clearing them.
    let r = app
        .client
        .patch(app.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice)
        .json(&json!({"fields_attributes": [], "bot": false}))
        .send()
        .await
        .unwrap();
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["fields"], json!([]));
    assert_eq!(me["bot"], false);
    assert_eq!(me["display_name"], "Alice <A>", "untouched");
    for form in [
        vec![("display_name", "x".repeat(31))],
        vec![("note", "x".repeat(501))],
        vec![("fields_attributes[0][name]", "x".repeat(256))],
        vec![("locked", "perhaps".to_owned())],
    ] {
        let r = app
            .client
            .patch(app.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&alice)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{form:?}");
    }
    let five: Vec<(String, String)> = (0..5)
        .flat_map(|i| {
            [
                (format!("fields_attributes[{i}][name]"), format!("n{i}")),
                (format!("fields_attributes[{i}][value]"), "v".into()),
            ]
        })
        .collect();
    let r = app
        .client
        .patch(app.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice)
        .form(&five)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

async fn idempotency_key_makes_retries_safe(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let post = |key: &'static str| {
        let client = app.client.clone();
        let url = app.url("/api/v1/statuses");
        let token = alice.clone();
        async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .form(&[("status", "only once")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let first = post("k1").await;
    assert_eq!(post("k1").await, first);
    // Concurrent retries all get the same status.
    let mut tasks = Vec::new();
    for _ in 0..5 {
        tasks.push(tokio::spawn(post("k2")));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_ne!(ids[0], first);
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(me["statuses_count"], 2);
}

async fn blocks_and_mutes_hide_and_separate(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let alice_id = app
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    let bob_id = app
        .services
        .local_account("bob")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    app.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    let (_, post) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "hello @bob")])
        .await;
    let home_ids = |token: String| {
        let app = &app;
        async move {
            let (_, h, _) = app.get_auth("/api/v1/timelines/home", Some(&token)).await;
            h.as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    eventually("fan-out", || async {
        home_ids(bob.clone()).await.len() == 1
    })
    .await;
    eventually("mention", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=mention", Some(&bob))
            .await;
        n.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;

    // Mute: gone from bob's home and notifications, back after unmute.
    let (status, rel) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/mute"), &bob, &[])
        .await;
    assert_eq!(status, 200, "{rel}");
    assert_eq!(rel["muting"], true);
    assert_eq!(rel["muting_notifications"], true);
    assert!(home_ids(bob.clone()).await.is_empty());
    let (_, n, _) = app.get_auth("/api/v1/notifications", Some(&bob)).await;
    assert!(
        n.as_array()
            .unwrap()
            .iter()
            .all(|n| n["account"]["id"] != alice_id.as_str())
    );
    let (_, mutes, _) = app.get_auth("/api/v1/mutes", Some(&bob)).await;
    assert_eq!(mutes[0]["id"], alice_id.as_str());
    let (_, rel) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/unmute"), &bob, &[])
        .await;
    assert_eq!(rel["muting"], false);
    assert_eq!(
        home_ids(bob.clone()).await,
        vec![post["id"].as_str().unwrap().to_owned()]
    );
    // A timed mute ends by itself.
    app.post_auth(
        &format!("/api/v1/accounts/{alice_id}/mute"),
        &bob,
        &[("duration", "1"), ("notifications", "false")],
    )
    .await;
    assert!(home_ids(bob.clone()).await.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(home_ids(bob.clone()).await.len(), 1);
    assert_eq!(
        app.post_auth(
            &format!("/api/v1/accounts/{alice_id}/mute"),
            &bob,
            &[("duration", "soon")]
        )
        .await
        .0,
        422
    );

    // Block: follows end both ways; each side stops seeing the other.
    let (status, rel) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/block"), &bob, &[])
        .await;
    assert_eq!(status, 200, "{rel}");
    assert_eq!(rel["blocking"], true);
    assert_eq!(rel["following"], false);
    assert_eq!(rel["followed_by"], false);
    let (_, rels, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={bob_id}"),
            Some(&alice),
        )
        .await;
    assert_eq!(rels[0]["blocked_by"], true);
    assert_eq!(rels[0]["following"], false);
    let (_, bob_post) = app
        .post_auth("/api/v1/statuses", &bob, &[("status", "not for alice")])
        .await;
    let bob_post = bob_post["id"].as_str().unwrap();
    assert_eq!(
        app.get_auth(&format!("/api/v1/statuses/{bob_post}"), Some(&alice))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_auth(&format!("/api/v1/statuses/{bob_post}"), None)
            .await
            .0,
        200
    );
    let (_, tl, _) = app.get_auth("/api/v1/timelines/public", Some(&bob)).await;
    assert!(
        tl.as_array()
            .unwrap()
            .iter()
            .all(|s| s["account"]["id"] != alice_id.as_str())
    );
    assert_eq!(
        app.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
            .await
            .0,
        403
    );
    let (_, blocks, link) = app.get_auth("/api/v1/blocks", Some(&bob)).await;
    assert_eq!(blocks[0]["id"], alice_id.as_str());
    assert!(link.is_some());
    let (_, rel) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/unblock"), &bob, &[])
        .await;
    assert_eq!(rel["blocking"], false);
    assert_eq!(
        app.get_auth(&format!("/api/v1/statuses/{bob_post}"), Some(&alice))
            .await
            .0,
        200
    );
    assert_eq!(
        app.post_auth(&format!("/api/v1/accounts/{bob_id}/block"), &bob, &[])
            .await
            .0,
        422
    );
    assert_eq!(
        app.post_auth("/api/v1/accounts/42/block", &bob, &[])
            .await
            .0,
        404
    );
}

async fn locked_accounts_approve_followers(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let alice_id = app
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    let bob_id = app
        .services
        .local_account("bob")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    let carol_id = app
        .services
        .local_account("carol")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    let r = app
        .client
        .patch(app.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice)
        .form(&[("locked", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.post_auth(
        "/api/v1/statuses",
        &alice,
        &[("status", "followers only"), ("visibility", "private")],
    )
    .await;

    let (_, rel) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    assert_eq!(rel["following"], false);
    assert_eq!(rel["requested"], true);
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &carol, &[])
        .await;
    eventually("follow_request notifications", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=follow_request", Some(&alice))
            .await;
        n.as_array().is_some_and(|a| a.len() == 2)
    })
    .await;
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(me["source"]["follow_requests_count"], 2);
    let (_, reqs, _) = app.get_auth("/api/v1/follow_requests", Some(&alice)).await;
    let ids: Vec<&str> = reqs
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![carol_id.as_str(), bob_id.as_str()]);
    // Not following yet: the private post stays hidden.
    let (_, listed, _) = app
        .get_auth(&format!("/api/v1/accounts/{alice_id}/statuses"), Some(&bob))
        .await;
    assert!(listed.as_array().unwrap().is_empty());

    let (status, rel) = app
        .post_auth(
            &format!("/api/v1/follow_requests/{bob_id}/authorize"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{rel}");
    assert_eq!(rel["followed_by"], true);
    let (_, rel) = app
        .post_auth(
            &format!("/api/v1/follow_requests/{carol_id}/reject"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(rel["followed_by"], false);
    let (_, reqs, _) = app.get_auth("/api/v1/follow_requests", Some(&alice)).await;
    assert!(reqs.as_array().unwrap().is_empty());
    let (_, rels, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={alice_id}"),
            Some(&bob),
        )
        .await;
    assert_eq!(rels[0]["following"], true);
    assert_eq!(rels[0]["requested"], false);
    let (_, listed, _) = app
        .get_auth(&format!("/api/v1/accounts/{alice_id}/statuses"), Some(&bob))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    eventually("merged into bob's home", || async {
        let (_, h, _) = app.get_auth("/api/v1/timelines/home", Some(&bob)).await;
        h.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    // Answering a request that does not exist is a 404; a withdrawn request is gone.
    assert_eq!(
        app.post_auth(
            &format!("/api/v1/follow_requests/{carol_id}/authorize"),
            &alice,
            &[]
        )
        .await
        .0,
        404
    );
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &carol, &[])
        .await;
    app.post_auth(
        &format!("/api/v1/accounts/{alice_id}/unfollow"),
        &carol,
        &[],
    )
    .await;
    let (_, reqs, _) = app.get_auth("/api/v1/follow_requests", Some(&alice)).await;
    assert!(reqs.as_array().unwrap().is_empty());
}

async fn status_and_update_notifications(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let alice_id = app
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    let (_, rel) = app
        .post_auth(
            &format!("/api/v1/accounts/{alice_id}/follow"),
            &bob,
            &[("notify", "true")],
        )
        .await;
    assert_eq!(rel["notifying"], true);
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &carol, &[])
        .await;
    let (_, s) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "news")])
        .await;
    let id = s["id"].as_str().unwrap().to_owned();
    eventually("status notification for bob only", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=status", Some(&bob))
            .await;
        n.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    let (_, n, _) = app
        .get_auth("/api/v1/notifications?types[]=status", Some(&carol))
        .await;
    assert!(n.as_array().unwrap().is_empty());
    // Carol boosts it; an edit tells her.
    app.post_auth(&format!("/api/v1/statuses/{id}/reblog"), &carol, &[])
        .await;
    let r = app
        .client
        .put(app.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&alice)
        .form(&[("status", "news, corrected")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    eventually("update notification for carol", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=update", Some(&carol))
            .await;
        n.as_array()
            .is_some_and(|a| a.len() == 1 && a[0]["status"]["content"] == "<p>news, corrected</p>")
    })
    .await;
    let (_, n, _) = app
        .get_auth("/api/v1/notifications?types[]=update", Some(&bob))
        .await;
    assert!(n.as_array().unwrap().is_empty(), "bob did not interact");
}

async fn muted_conversations_stay_quiet(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let (_, root) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "thread @bob")])
        .await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    eventually("bob notified of the first mention", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=mention", Some(&bob))
            .await;
        n.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    let (status, body) = app
        .post_auth(&format!("/api/v1/statuses/{root_id}/mute"), &carol, &[])
        .await;
    assert_eq!(status, 403, "carol is not in the thread: {body}");
    let (status, m) = app
        .post_auth(&format!("/api/v1/statuses/{root_id}/mute"), &bob, &[])
        .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["muted"], true);
    let (_, seen_by_alice, _) = app
        .get_auth(&format!("/api/v1/statuses/{root_id}"), Some(&alice))
        .await;
    assert_eq!(seen_by_alice["muted"], false, "muting is per account");
    // A reply in the thread mentions bob and carol: only carol hears of it.
    app.post_auth(
        "/api/v1/statuses",
        &alice,
        &[("status", "more @bob @carol"), ("in_reply_to_id", &root_id)],
    )
    .await;
    eventually("carol notified", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=mention", Some(&carol))
            .await;
        n.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    let (_, n, _) = app
        .get_auth("/api/v1/notifications?types[]=mention", Some(&bob))
        .await;
    assert_eq!(
        n.as_array().unwrap().len(),
        1,
        "only the mention from before the mute"
    );
    let (_, u) = app
        .post_auth(&format!("/api/v1/statuses/{root_id}/unmute"), &bob, &[])
        .await;
    assert_eq!(u["muted"], false);
}
