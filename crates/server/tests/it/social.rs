//! Posting, reading, following, timelines and notifications through the API, on every engine.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{eventually, on_every_backend, spawn_with};

on_every_backend!(
    post_read_and_delete_a_status,
    bad_statuses_are_refused_clearly,
    follow_fans_out_to_home_and_paginates_with_links,
    visibility_is_enforced_on_every_read_path,
    mentions_and_follows_notify,
    replies_have_context,
    accounts_show_and_lookup,
    follower_lists_and_single_notifications,
    statuses_and_accounts_many_at_once,
);

async fn statuses_and_accounts_many_at_once(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let (_, open) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "for all")])
        .await;
    let (_, private) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "followers only"), ("visibility", "private")],
        )
        .await;
    let (open, private) = (
        open["id"].as_str().unwrap(),
        private["id"].as_str().unwrap(),
    );
    let path = format!("/api/v1/statuses?id[]={private}&id[]={open}&id[]=123&id[]=abc&id[]={open}");
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (st, mine, _) = app.get_auth(&path, Some(&alice)).await;
    assert_eq!(st, 200, "{mine}");
    assert_eq!(ids(&mine), [private, open], "in the order asked, once each");
    let (_, theirs, _) = app.get_auth(&path, Some(&bob)).await;
    assert_eq!(ids(&theirs), [open], "what bob may not see is left out");
    let (_, anon, _) = app.get_auth(&path, None).await;
    assert_eq!(ids(&anon), [open]);
    let many: String = (1..=21).map(|i| format!("id[]={i}&")).collect();
    assert_eq!(
        app.get_auth(&format!("/api/v1/statuses?{many}"), None)
            .await
            .0,
        422
    );

    let alice_id = app
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id;
    let bob_id = app.services.local_account("bob").await.unwrap().account.id;
    let (st, accounts, _) = app
        .get_auth(
            &format!("/api/v1/accounts?id[]={bob_id}&id[]=999&id[]={alice_id}"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{accounts}");
    let names: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob", "alice"]);
    let many: String = (1..=41).map(|i| format!("id[]={i}&")).collect();
    assert_eq!(
        app.get_auth(&format!("/api/v1/accounts?{many}"), None)
            .await
            .0,
        422
    );
    let (_, none, _) = app.get_auth("/api/v1/accounts", None).await;
    assert_eq!(none, json!([]));
}

async fn post_read_and_delete_a_status(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    app.create_account("bob").await;
    let (status, s) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                (
                    "status",
                    "hello @bob and @nobody #Rust https://example.com/x?a=1&b=2",
                ),
                ("visibility", "public"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{s}");
    let id = s["id"].as_str().unwrap().to_owned();
    assert_eq!(s["account"]["username"], "alice");
    assert_eq!(s["visibility"], "public");
    assert_eq!(s["language"], "en");
    assert_eq!(
        s["uri"],
        format!("https://rookery.test/users/alice/statuses/{id}")
    );
    assert_eq!(s["url"], format!("https://rookery.test/@alice/{id}"));
    let content = s["content"].as_str().unwrap();
    assert!(
        content.contains(
            "<a href=\"https://rookery.test/@bob\" class=\"u-url mention\">@<span>bob</span></a>"
        ),
        "{content}"
    );
    assert!(content.contains("@nobody"), "{content}");
    assert!(
        content.contains("href=\"https://example.com/x?a=1&amp;b=2\""),
        "{content}"
    );
    assert_eq!(s["mentions"][0]["username"], "bob");
    assert_eq!(s["mentions"][0]["acct"], "bob");
    assert_eq!(
        s["tags"],
        json!([{"name": "rust", "url": "https://rookery.test/tags/rust"}])
    );
    for key in ["media_attachments", "emojis", "filtered"] {
        assert!(s[key].is_array(), "{key}");
    }
    for key in ["reblog", "poll", "card", "in_reply_to_id", "edited_at"] {
        assert!(s[key].is_null(), "{key}");
    }
    assert_eq!(s["favourited"], false);
    assert!(s.get("text").is_none());
    // JSON bodies work the same (masto sends JSON).
    let r = app
        .client
        .post(app.url("/api/v1/statuses"))
        .bearer_auth(&alice)
        .json(&json!({"status": "from json", "sensitive": true, "spoiler_text": "cw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["sensitive"], true);
    assert_eq!(j["spoiler_text"], "cw");

    let (status, got, _) = app.get_auth(&format!("/api/v1/statuses/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(got["id"], id.as_str());
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(me["statuses_count"], 2);

    // Only the author deletes; the deleted status comes back with its source text.
    let bob = app.token("bob").await;
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deleted: Value = r.json().await.unwrap();
    assert_eq!(
        deleted["text"],
        "hello @bob and @nobody #Rust https://example.com/x?a=1&b=2"
    );
    assert_eq!(
        app.get_auth(&format!("/api/v1/statuses/{id}"), None)
            .await
            .0,
        404
    );
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(me["statuses_count"], 1);
}

async fn bad_statuses_are_refused_clearly(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_INSTANCE__MAX_CHARACTERS", "50")]).await;
    let alice = app.token("alice").await;
    let too_long = "x".repeat(51);
    let big = "y".repeat(1024 * 1024);
    for (form, want) in [
        (vec![("status", "   ")], 422),
        (vec![], 422),
        (vec![("status", too_long.as_str())], 422),
        (vec![("status", "hi"), ("visibility", "everyone")], 422),
        (vec![("status", "hi"), ("in_reply_to_id", "999999")], 404),
        (vec![("status", "hi"), ("in_reply_to_id", "not-an-id")], 404),
        (vec![("status", "hi"), ("media_ids[]", "1")], 422),
        (vec![("status", "hi"), ("sensitive", "maybe")], 422),
        (vec![("status", "hi"), ("language", "english please")], 422),
    ] {
        let (status, body) = app.post_auth("/api/v1/statuses", &alice, &form).await;
        assert_eq!(status, want, "{form:?}");
        assert!(body["error"].is_string(), "{body}");
    }
    crate::kit::assert_refused_as_too_large(
        // A client of its own: the refused connection is closed under it.
        reqwest::Client::new()
            .post(app.url("/api/v1/statuses"))
            .bearer_auth(&alice)
            .form(&[("status", big.as_str())]),
    )
    .await;
    for body in [
        "{\"status\": ",
        "\"just a string\"",
        "{\"status\": \"\\ud800\"}",
    ] {
        let r = app
            .client
            .post(app.url("/api/v1/statuses"))
            .bearer_auth(&alice)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
    }
    let r = app
        .client
        .post(app.url("/api/v1/statuses"))
        .bearer_auth(&alice)
        .header("Content-Type", "application/json")
        .body(vec![
            b'{', b'"', b's', b'"', b':', b'"', 0xff, 0xfe, b'"', b'}',
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // Without a token, or without write scope.
    let r = app
        .client
        .post(app.url("/api/v1/statuses"))
        .form(&[("status", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(me["statuses_count"], 0, "nothing was stored");
}

async fn follow_fans_out_to_home_and_paginates_with_links(backend: Backend) {
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
    // Posted before the follow: merged into bob's feed when he follows.
    app.post_auth("/api/v1/statuses", &alice, &[("status", "early")])
        .await;
    let (status, rel) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    assert_eq!(status, 200, "{rel}");
    assert_eq!(rel["following"], true);
    assert_eq!(rel["id"], alice_id.as_str());
    let mut ids = Vec::new();
    for i in 0..5 {
        let (_, s) = app
            .post_auth(
                "/api/v1/statuses",
                &alice,
                &[("status", &format!("post {i}"))],
            )
            .await;
        ids.push(s["id"].as_str().unwrap().to_owned());
    }
    eventually("fan-out to bob", || async {
        let (_, home, _) = app.get_auth("/api/v1/timelines/home", Some(&bob)).await;
        home.as_array().is_some_and(|a| a.len() == 6)
    })
    .await;
    let (_, home, _) = app.get_auth("/api/v1/timelines/home", Some(&bob)).await;
    assert_eq!(home[0]["content"], "<p>post 4</p>");
    assert_eq!(home[5]["content"], "<p>early</p>");

    // Pagination by the Link header, as client libraries follow it.
    let (status, page1, link) = app
        .get_auth("/api/v1/timelines/home?limit=2", Some(&bob))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page1.as_array().unwrap().len(), 2);
    let link = link.unwrap();
    assert!(
        link.contains("rel=\"next\"") && link.contains("rel=\"prev\""),
        "{link}"
    );
    let next = link
        .split(", ")
        .find(|l| l.ends_with("rel=\"next\""))
        .unwrap();
    let next_url = next.trim_start_matches('<').split('>').next().unwrap();
    assert!(
        next_url.starts_with("https://rookery.test/api/v1/timelines/home?limit=2&max_id="),
        "{next_url}"
    );
    let local_next = next_url.replace("https://rookery.test", &app.base);
    let (_, page2, _) = app.get_auth(&local_next, Some(&bob)).await;
    assert_eq!(page2[0]["id"], ids[2].as_str());
    assert_eq!(page2[1]["id"], ids[1].as_str());
    // min_id: the oldest ones just above it, still newest first.
    let (_, above, _) = app
        .get_auth(
            &format!("/api/v1/timelines/home?min_id={}&limit=2", ids[0]),
            Some(&bob),
        )
        .await;
    let got: Vec<&str> = above
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2].as_str(), ids[1].as_str()]);
    let (_, since, _) = app
        .get_auth(
            &format!("/api/v1/timelines/home?since_id={}&limit=2", ids[0]),
            Some(&bob),
        )
        .await;
    let got: Vec<&str> = since
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[4].as_str(), ids[3].as_str()]);
    assert_eq!(
        app.get_auth("/api/v1/timelines/home?max_id=x", Some(&bob))
            .await
            .0,
        400
    );
    assert_eq!(app.get_auth("/api/v1/timelines/home", None).await.0, 401);
    // Public timeline.
    let (_, public, _) = app
        .get_auth("/api/v1/timelines/public?local=true&limit=40", None)
        .await;
    assert_eq!(public.as_array().unwrap().len(), 6);

    // Relationships and counts.
    let (_, rels, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={alice_id}&id[]=1"),
            Some(&bob),
        )
        .await;
    assert_eq!(rels[0]["following"], true);
    assert_eq!(rels[1]["following"], false);
    let (_, a, _) = app
        .get_auth(&format!("/api/v1/accounts/{alice_id}"), None)
        .await;
    assert_eq!(a["followers_count"], 1);

    // Unfollow: alice's statuses leave bob's home feed.
    let (_, rel) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/unfollow"), &bob, &[])
        .await;
    assert_eq!(rel["following"], false);
    eventually("unmerged", || async {
        let (_, home, _) = app.get_auth("/api/v1/timelines/home", Some(&bob)).await;
        home.as_array().is_some_and(|a| a.is_empty())
    })
    .await;
    // Following oneself is refused.
    let bob_id = app
        .services
        .local_account("bob")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    assert_eq!(
        app.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &bob, &[])
            .await
            .0,
        422
    );
    assert_eq!(
        app.post_auth("/api/v1/accounts/12345/follow", &bob, &[])
            .await
            .0,
        404
    );
}

async fn visibility_is_enforced_on_every_read_path(backend: Backend) {
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
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    let post = |text: &'static str, vis: &'static str| {
        let app = &app;
        let alice = alice.clone();
        async move {
            let (_, s) = app
                .post_auth(
                    "/api/v1/statuses",
                    &alice,
                    &[("status", text), ("visibility", vis)],
                )
                .await;
            s["id"].as_str().unwrap().to_owned()
        }
    };
    let public = post("public", "public").await;
    let unlisted = post("unlisted", "unlisted").await;
    let private = post("followers only", "private").await;
    let direct = post("hi @carol", "direct").await;
    let see = |id: String, token: Option<String>| {
        let app = &app;
        async move {
            app.get_auth(&format!("/api/v1/statuses/{id}"), token.as_deref())
                .await
                .0
        }
    };
    assert_eq!(see(public.clone(), None).await, 200);
    assert_eq!(see(unlisted.clone(), None).await, 200);
    assert_eq!(see(private.clone(), None).await, 404);
    assert_eq!(see(private.clone(), Some(carol.clone())).await, 404);
    assert_eq!(see(private.clone(), Some(bob.clone())).await, 200);
    assert_eq!(see(private.clone(), Some(alice.clone())).await, 200);
    assert_eq!(see(direct.clone(), Some(bob.clone())).await, 404);
    assert_eq!(see(direct.clone(), Some(carol.clone())).await, 200);
    assert_eq!(see(direct.clone(), None).await, 404);
    // Context of a hidden status is hidden too.
    assert_eq!(
        app.get_auth(&format!("/api/v1/statuses/{private}/context"), Some(&carol))
            .await
            .0,
        404
    );
    // Account statuses: the follower sees private ones; nobody else does; direct never listed.
    let listed = |token: Option<String>| {
        let app = &app;
        let alice_id = alice_id.clone();
        async move {
            let (_, v, _) = app
                .get_auth(
                    &format!("/api/v1/accounts/{alice_id}/statuses"),
                    token.as_deref(),
                )
                .await;
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(None).await, vec![unlisted.clone(), public.clone()]);
    assert_eq!(
        listed(Some(carol.clone())).await,
        vec![unlisted.clone(), public.clone()]
    );
    assert_eq!(
        listed(Some(bob.clone())).await,
        vec![private.clone(), unlisted.clone(), public.clone()]
    );
    // Public timeline: public only.
    let (_, tl, _) = app.get_auth("/api/v1/timelines/public", None).await;
    let ids: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![public.as_str()]);
    // Home feeds: bob gets public, unlisted, private. Carol, mentioned in the direct one but
    // not following alice, gets it in her conversations and notifications, not in home (as
    // in Mastodon, where only mentioned followers get it there).
    eventually("fan-out", || async {
        let (_, b, _) = app.get_auth("/api/v1/timelines/home", Some(&bob)).await;
        let (_, c, _) = app.get_auth("/api/v1/conversations", Some(&carol)).await;
        b.as_array().is_some_and(|a| a.len() == 3) && c.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    let (_, c, _) = app.get_auth("/api/v1/conversations", Some(&carol)).await;
    assert_eq!(c[0]["last_status"]["id"], direct.as_str());
    let (_, home, _) = app.get_auth("/api/v1/timelines/home", Some(&carol)).await;
    assert_eq!(home, serde_json::json!([]));
}

async fn mentions_and_follows_notify(backend: Backend) {
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
    let (_, s) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "hey @bob")])
        .await;
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    eventually("mention notification", || async {
        let (_, n, _) = app.get_auth("/api/v1/notifications", Some(&bob)).await;
        n.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    let (_, n, _) = app.get_auth("/api/v1/notifications", Some(&bob)).await;
    assert_eq!(n[0]["type"], "mention");
    assert_eq!(n[0]["account"]["username"], "alice");
    assert_eq!(n[0]["status"]["id"], s["id"]);
    assert!(n[0]["created_at"].is_string() && n[0]["group_key"].is_string());
    eventually("follow notification", || async {
        let (_, n, _) = app.get_auth("/api/v1/notifications", Some(&alice)).await;
        n.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    let (_, n, _) = app
        .get_auth("/api/v1/notifications?types[]=follow", Some(&alice))
        .await;
    assert_eq!(n[0]["type"], "follow");
    assert!(n[0]["status"].is_null());
    let (_, n, _) = app
        .get_auth("/api/v1/notifications?exclude_types[]=follow", Some(&alice))
        .await;
    assert_eq!(n.as_array().unwrap().len(), 0);
    let (_, n, _) = app
        .get_auth("/api/v1/notifications?types[]=nonsense", Some(&alice))
        .await;
    assert_eq!(n.as_array().unwrap().len(), 0);
    let (_, n, _) = app.get_auth("/api/v1/notifications", Some(&alice)).await;
    let nid = n[0]["id"].as_str().unwrap();
    assert_eq!(
        app.post_auth(&format!("/api/v1/notifications/{nid}/dismiss"), &alice, &[])
            .await
            .0,
        200
    );
    let (_, n, _) = app.get_auth("/api/v1/notifications", Some(&alice)).await;
    assert!(n.as_array().unwrap().is_empty());
    assert_eq!(
        app.post_auth("/api/v1/notifications/clear", &bob, &[])
            .await
            .0,
        200
    );
    let (_, n, _) = app.get_auth("/api/v1/notifications", Some(&bob)).await;
    assert!(n.as_array().unwrap().is_empty());
    assert_eq!(app.get_auth("/api/v1/notifications", None).await.0, 401);
}

async fn replies_have_context(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let (_, root) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "root")])
        .await;
    let root_id = root["id"].as_str().unwrap();
    let (_, reply) = app
        .post_auth(
            "/api/v1/statuses",
            &bob,
            &[("status", "reply"), ("in_reply_to_id", root_id)],
        )
        .await;
    let reply_id = reply["id"].as_str().unwrap();
    assert_eq!(reply["in_reply_to_id"], root_id);
    assert_eq!(reply["in_reply_to_account_id"], root["account"]["id"]);
    let (_, deeper) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "deeper"), ("in_reply_to_id", reply_id)],
        )
        .await;
    let (_, ctx, _) = app
        .get_auth(&format!("/api/v1/statuses/{reply_id}/context"), None)
        .await;
    assert_eq!(ctx["ancestors"][0]["id"], root_id);
    assert_eq!(ctx["descendants"][0]["id"], deeper["id"]);
    let (_, r, _) = app
        .get_auth(&format!("/api/v1/statuses/{root_id}"), None)
        .await;
    assert_eq!(r["replies_count"], 1);
    let (_, ctx, _) = app
        .get_auth(&format!("/api/v1/statuses/{root_id}/context"), None)
        .await;
    assert_eq!(ctx["ancestors"].as_array().unwrap().len(), 0);
    assert_eq!(ctx["descendants"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get_auth("/api/v1/statuses/123/context", None).await.0,
        404
    );
}

async fn accounts_show_and_lookup(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.create_account("alice").await;
    let (status, a, _) = app
        .get_auth(&format!("/api/v1/accounts/{}", alice.account.id), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(a["username"], "alice");
    for acct in ["alice", "@alice", "alice@rookery.test", "ALICE"] {
        let (status, a, _) = app
            .get_auth(
                &format!("/api/v1/accounts/lookup?acct={}", acct.replace('@', "%40")),
                None,
            )
            .await;
        assert_eq!(status, 200, "{acct}");
        assert_eq!(a["id"], alice.account.id.to_string());
    }
    for acct in ["bob", "alice@elsewhere.example", "", "a b", "%00"] {
        let (status, body, _) = app
            .get_auth(&format!("/api/v1/accounts/lookup?acct={acct}"), None)
            .await;
        assert_eq!(status, 404, "{acct}");
        assert_eq!(body["error"], "Record not found");
    }
    for id in ["999", "abc", "-1", "99999999999999999999999"] {
        assert_eq!(
            app.get_auth(&format!("/api/v1/accounts/{id}"), None)
                .await
                .0,
            404,
            "{id}"
        );
    }
}

async fn follower_lists_and_single_notifications(backend: Backend) {
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
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &carol, &[])
        .await;
    let (status, followers, link) = app
        .get_auth(&format!("/api/v1/accounts/{alice_id}/followers"), None)
        .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = followers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["carol", "bob"], "newest follow first");
    assert!(link.unwrap().contains("/followers?max_id="));
    let (_, page, _) = app
        .get_auth(
            &format!("/api/v1/accounts/{alice_id}/followers?limit=1"),
            None,
        )
        .await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    let (_, following, _) = app
        .get_auth(&format!("/api/v1/accounts/{bob_id}/following"), None)
        .await;
    assert_eq!(following[0]["username"], "alice");
    assert_eq!(
        app.get_auth("/api/v1/accounts/999/followers", None).await.0,
        404
    );

    eventually("two follow notifications", || async {
        let (_, n, _) = app.get_auth("/api/v1/notifications", Some(&alice)).await;
        n.as_array().is_some_and(|a| a.len() == 2)
    })
    .await;
    let (_, from_bob, _) = app
        .get_auth(
            &format!("/api/v1/notifications?account_id={bob_id}"),
            Some(&alice),
        )
        .await;
    assert_eq!(from_bob.as_array().unwrap().len(), 1);
    assert_eq!(from_bob[0]["account"]["username"], "bob");
    let nid = from_bob[0]["id"].as_str().unwrap();
    let (status, one, _) = app
        .get_auth(&format!("/api/v1/notifications/{nid}"), Some(&alice))
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], nid);
    assert_eq!(
        app.get_auth(&format!("/api/v1/notifications/{nid}"), Some(&bob))
            .await
            .0,
        404,
        "not bob's"
    );
    assert_eq!(
        app.get_auth("/api/v1/notifications/123", Some(&alice))
            .await
            .0,
        404
    );
}
