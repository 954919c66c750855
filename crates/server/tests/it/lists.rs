//! Lists: CRUD, members, the list timeline filled by the fan-out (replies policy, exclusive
//! lists), the list stream, and other users kept out; on every engine.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};
use crate::streaming::{Sse, ws_connect, ws_next, ws_send};

on_every_backend!(
    lists_are_managed_and_kept_private,
    list_timelines_follow_members_and_policies,
    list_streams_carry_members_posts,
);

async fn follow(app: &TestApp, token: &str, target: &str) {
    let (st, rel) = app
        .post_auth(&format!("/api/v1/accounts/{target}/follow"), token, &[])
        .await;
    assert_eq!(st, 200, "{rel}");
    assert_eq!(rel["following"], true, "{rel}");
}

async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> String {
    let (st, s) = app.post_auth("/api/v1/statuses", token, form).await;
    assert_eq!(st, 200, "{s}");
    s["id"].as_str().unwrap().to_owned()
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Value,
) -> (u16, Value) {
    let r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

fn status_ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn timeline(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let (st, v, _) = app.get_auth(path, Some(token)).await;
    assert_eq!(st, 200, "{path}: {v}");
    status_ids(&v)
}

async fn lists_are_managed_and_kept_private(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let bob_id = app.account_id("bob").await;
    app.create_account("carol").await;
    let carol_id = app.account_id("carol").await;
    follow(&app, &alice, &bob_id).await;

    assert_eq!(app.get_auth("/api/v1/lists", None).await.0, 401);
    let (st, v, _) = app.get_auth("/api/v1/lists", Some(&alice)).await;
    assert_eq!((st, v), (200, json!([])));

    // Creating: the title is required; the policy has three values.
    let (st, e) = app.post_auth("/api/v1/lists", &alice, &[]).await;
    assert_eq!(st, 422);
    assert_eq!(e["error"], "Validation failed: Title can't be blank");
    let (st, e) = app
        .post_auth("/api/v1/lists", &alice, &[("title", "   ")])
        .await;
    assert_eq!(
        (st, e["error"].as_str()),
        (422, Some("Validation failed: Title can't be blank"))
    );
    let (st, _) = app
        .post_auth(
            "/api/v1/lists",
            &alice,
            &[("title", "x"), ("replies_policy", "everyone")],
        )
        .await;
    assert_eq!(st, 422);
    let (st, l) = app
        .post_auth("/api/v1/lists", &alice, &[("title", "Friends <3")])
        .await;
    assert_eq!(st, 200, "{l}");
    let id = l["id"].as_str().unwrap().to_owned();
    assert_eq!(
        l,
        json!({"id": id, "title": "Friends <3", "replies_policy": "list", "exclusive": false})
    );
    // JSON (masto), with the newer fields.
    let (st, quiet) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/lists",
        &alice,
        json!({"title": "Quiet", "replies_policy": "none", "exclusive": true}),
    )
    .await;
    assert_eq!(st, 200, "{quiet}");
    assert_eq!(quiet["replies_policy"], "none");
    assert_eq!(quiet["exclusive"], true);
    let quiet_id = quiet["id"].as_str().unwrap().to_owned();
    let (_, all, _) = app.get_auth("/api/v1/lists", Some(&alice)).await;
    let titles: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Friends <3", "Quiet"]);

    // Updating: only what is sent changes.
    let (st, l) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/lists/{id}"),
        &alice,
        json!({"replies_policy": "followed"}),
    )
    .await;
    assert_eq!(st, 200, "{l}");
    assert_eq!(l["title"], "Friends <3");
    assert_eq!(l["replies_policy"], "followed");
    let (st, _) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/lists/{id}"),
        &alice,
        json!({"title": ""}),
    )
    .await;
    assert_eq!(st, 422);
    let (_, l, _) = app
        .get_auth(&format!("/api/v1/lists/{id}"), Some(&alice))
        .await;
    assert_eq!(l["title"], "Friends <3");

    // Members: followed accounts only (404 otherwise, as Mastodon), once each.
    let members = format!("/api/v1/lists/{id}/accounts");
    let (st, _) = app
        .post_auth(&members, &alice, &[("account_ids[]", carol_id.as_str())])
        .await;
    assert_eq!(st, 404, "carol is not followed");
    let (st, _) = app
        .post_auth(&members, &alice, &[("account_ids[]", "not-an-id")])
        .await;
    assert_eq!(st, 404);
    let (st, v) = app
        .post_auth(&members, &alice, &[("account_ids[]", bob_id.as_str())])
        .await;
    assert_eq!((st, v), (200, json!({})));
    let (st, e) = app
        .post_auth(&members, &alice, &[("account_ids[]", bob_id.as_str())])
        .await;
    assert_eq!(st, 422);
    assert_eq!(
        e["error"],
        "Validation failed: Account has already been taken"
    );
    let (st, m, _) = app.get_auth(&members, Some(&alice)).await;
    assert_eq!(st, 200);
    assert_eq!(m[0]["id"], bob_id.as_str());
    let (st, m, link) = app
        .get_auth(&format!("{members}?limit=0"), Some(&alice))
        .await;
    assert_eq!((st, m.as_array().unwrap().len()), (200, 1));
    assert!(link.is_none(), "limit=0 is unpaged");
    let (_, of_bob, _) = app
        .get_auth(&format!("/api/v1/accounts/{bob_id}/lists"), Some(&alice))
        .await;
    assert_eq!(status_ids(&of_bob), [id.as_str()]);
    let (_, of_carol, _) = app
        .get_auth(&format!("/api/v1/accounts/{carol_id}/lists"), Some(&alice))
        .await;
    assert_eq!(of_carol, json!([]));

    // Someone else's list does not exist for them, whatever they try.
    for path in [
        format!("/api/v1/lists/{id}"),
        format!("/api/v1/lists/{id}/accounts"),
        format!("/api/v1/timelines/list/{id}"),
        "/api/v1/lists/12345".to_owned(),
        "/api/v1/lists/nope".to_owned(),
    ] {
        assert_eq!(app.get_auth(&path, Some(&bob)).await.0, 404, "{path}");
    }
    let (_, theirs, _) = app.get_auth("/api/v1/lists", Some(&bob)).await;
    assert_eq!(theirs, json!([]));
    let (_, bobs_view, _) = app
        .get_auth(&format!("/api/v1/accounts/{bob_id}/lists"), Some(&bob))
        .await;
    assert_eq!(bobs_view, json!([]));
    for (method, path) in [
        (reqwest::Method::PUT, format!("/api/v1/lists/{id}")),
        (reqwest::Method::DELETE, format!("/api/v1/lists/{id}")),
        (
            reqwest::Method::POST,
            format!("/api/v1/lists/{id}/accounts"),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/lists/{id}/accounts"),
        ),
    ] {
        let (st, _) = send(
            &app,
            method.clone(),
            &path,
            &bob,
            json!({"title": "mine", "account_ids": [bob_id]}),
        )
        .await;
        assert_eq!(st, 404, "{method} {path}");
    }
    let (_, m, _) = app.get_auth(&members, Some(&alice)).await;
    assert_eq!(m.as_array().unwrap().len(), 1);

    // Removing members (query string, as some clients send it), then the list.
    let r = app
        .client
        .delete(app.url(&format!("{members}?account_ids[]={bob_id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, m, _) = app.get_auth(&members, Some(&alice)).await;
    assert_eq!(m, json!([]));
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/lists/{quiet_id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.get_auth(&format!("/api/v1/lists/{quiet_id}"), Some(&alice))
            .await
            .0,
        404
    );
    // A token without the lists scope is refused.
    let narrow = app.token_with_scopes("alice", "read:statuses").await;
    assert_eq!(app.get_auth("/api/v1/lists", Some(&narrow)).await.0, 403);
}

async fn list_timelines_follow_members_and_policies(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let dave = app.token("dave").await;
    let bob_id = app.account_id("bob").await;
    let carol_id = app.account_id("carol").await;
    let dave_id = app.account_id("dave").await;
    for t in [&bob_id, &carol_id, &dave_id] {
        follow(&app, &alice, t).await;
    }
    let before = post(&app, &bob, &[("status", "before the list")]).await;
    let (_, l) = app
        .post_auth("/api/v1/lists", &alice, &[("title", "Bob")])
        .await;
    let list = l["id"].as_str().unwrap().to_owned();
    let tl = format!("/api/v1/timelines/list/{list}");
    let (st, _) = app
        .post_auth(
            &format!("/api/v1/lists/{list}/accounts"),
            &alice,
            &[("account_ids[]", bob_id.as_str())],
        )
        .await;
    assert_eq!(st, 200);
    // A new member brings their recent posts.
    assert_eq!(timeline(&app, &alice, &tl).await, [before.as_str()]);

    // Members' posts arrive; others' do not. Replies: only to members (`list`), to oneself
    // always.
    let from_carol = post(&app, &carol, &[("status", "carol here")]).await;
    let from_bob = post(&app, &bob, &[("status", "bob here")]).await;
    let to_carol = post(
        &app,
        &bob,
        &[
            ("status", "@carol hi"),
            ("in_reply_to_id", from_carol.as_str()),
        ],
    )
    .await;
    let to_self = post(
        &app,
        &bob,
        &[
            ("status", "and more"),
            ("in_reply_to_id", from_bob.as_str()),
        ],
    )
    .await;
    let direct = post(
        &app,
        &bob,
        &[("status", "@alice psst"), ("visibility", "direct")],
    )
    .await;
    // A reply to the owner reaches the list whatever the policy (as in Mastodon).
    let mine = post(&app, &alice, &[("status", "alice's own post")]).await;
    let to_owner = post(
        &app,
        &bob,
        &[("status", "@alice yes"), ("in_reply_to_id", mine.as_str())],
    )
    .await;
    eventually("bob's posts in alice's home", || async {
        timeline(&app, &alice, "/api/v1/timelines/home")
            .await
            .contains(&to_owner)
    })
    .await;
    // The direct post has been fanned out once alice has its mention.
    eventually("the direct post reached alice", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=mention", Some(&alice))
            .await;
        n.as_array()
            .is_some_and(|a| a.iter().any(|x| x["status"]["id"] == direct.as_str()))
    })
    .await;
    eventually("the list catches up", || async {
        timeline(&app, &alice, &tl).await.contains(&to_owner)
    })
    .await;
    let got = timeline(&app, &alice, &tl).await;
    assert_eq!(
        got,
        [
            to_owner.clone(),
            to_self.clone(),
            from_bob.clone(),
            before.clone()
        ]
    );
    assert!(!got.contains(&to_carol) && !got.contains(&from_carol) && !got.contains(&direct));

    // `followed`: replies to anyone alice follows.
    send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/lists/{list}"),
        &alice,
        json!({"replies_policy": "followed"}),
    )
    .await;
    let to_carol2 = post(
        &app,
        &bob,
        &[
            ("status", "@carol again"),
            ("in_reply_to_id", from_carol.as_str()),
        ],
    )
    .await;
    eventually("a reply to someone followed", || async {
        timeline(&app, &alice, &tl).await.contains(&to_carol2)
    })
    .await;

    // Paging works as on home.
    let (_, page, link) = app.get_auth(&format!("{tl}?limit=2"), Some(&alice)).await;
    assert_eq!(page.as_array().unwrap().len(), 2);
    assert!(link.unwrap().contains("max_id="));

    // An exclusive list keeps its members out of home (but not mentions of alice).
    let (_, ex) = app
        .post_auth(
            "/api/v1/lists",
            &alice,
            &[("title", "Dave only"), ("exclusive", "true")],
        )
        .await;
    let ex_id = ex["id"].as_str().unwrap().to_owned();
    app.post_auth(
        &format!("/api/v1/lists/{ex_id}/accounts"),
        &alice,
        &[("account_ids[]", dave_id.as_str())],
    )
    .await;
    let quiet = post(&app, &dave, &[("status", "only in the list")]).await;
    let loud = post(&app, &dave, &[("status", "@alice look")]).await;
    let marker = post(&app, &bob, &[("status", "after dave")]).await;
    eventually("dave's posts in the exclusive list", || async {
        let got = timeline(&app, &alice, &format!("/api/v1/timelines/list/{ex_id}")).await;
        got.contains(&quiet) && got.contains(&loud)
    })
    .await;
    eventually("bob's later post at home", || async {
        timeline(&app, &alice, "/api/v1/timelines/home")
            .await
            .contains(&marker)
    })
    .await;
    let home = timeline(&app, &alice, "/api/v1/timelines/home").await;
    assert!(
        !home.contains(&quiet),
        "exclusive list member kept out of home"
    );
    assert!(home.contains(&loud), "a mention still reaches home");

    // Deleting a post removes it from the list.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/statuses/{from_bob}")))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!timeline(&app, &alice, &tl).await.contains(&from_bob));

    // Unfollowing removes the member (Mastodon's rule) and their posts.
    let (st, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/unfollow"), &alice, &[])
        .await;
    assert_eq!(st, 200);
    // At once, not after a job: apps (and Mastodon.py's suite) read the list right after.
    let (_, m, _) = app
        .get_auth(&format!("/api/v1/lists/{list}/accounts"), Some(&alice))
        .await;
    assert_eq!(m, json!([]));
    eventually("bob's posts leave the list", || async {
        timeline(&app, &alice, &tl).await.is_empty()
    })
    .await;
}

async fn list_streams_carry_members_posts(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let bob_id = app.account_id("bob").await;
    let carol_id = app.account_id("carol").await;
    follow(&app, &alice, &bob_id).await;
    follow(&app, &alice, &carol_id).await;
    let (_, l) = app
        .post_auth("/api/v1/lists", &alice, &[("title", "Bob")])
        .await;
    let list = l["id"].as_str().unwrap().to_owned();
    app.post_auth(
        &format!("/api/v1/lists/{list}/accounts"),
        &alice,
        &[("account_ids[]", bob_id.as_str())],
    )
    .await;

    // Someone else's list, a missing or malformed id: refused as Mastodon does.
    let base = app.base.clone();
    for (who, query, want) in [
        (&bob, format!("?list={list}"), 404),
        (&alice, "?list=1".to_owned(), 404),
        (&alice, "?list=abc".to_owned(), 404),
        (&alice, String::new(), 400),
    ] {
        let r = reqwest::get(format!(
            "{base}/api/v1/streaming/list{query}{}access_token={who}",
            if query.is_empty() { "?" } else { "&" }
        ))
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), want, "{query}");
    }

    // Server-sent events: bob's post arrives, carol's does not.
    let mut sse = Sse::open(
        &base,
        &format!("/api/v1/streaming/list?list={list}"),
        Some(&alice),
    )
    .await;
    post(&app, &carol, &[("status", "not for the list")]).await;
    let id = post(&app, &bob, &[("status", "for the list")]).await;
    let data = sse.expect("update").await;
    let v: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(v["id"], id.as_str());
    // Once bob's next post arrives, carol's would have been seen before it.
    let marker = post(&app, &bob, &[("status", "marker")]).await;
    let v: Value = serde_json::from_str(&sse.expect("update").await).unwrap();
    assert_eq!(v["id"], marker.as_str(), "only members' posts");
    // And its deletion.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sse.expect("delete").await, id);

    // WebSocket: subscribing to someone else's list is an error message; one's own works.
    let mut ws = ws_connect(&app, "", Some(&bob)).await;
    ws_send(
        &mut ws,
        json!({"type": "subscribe", "stream": "list", "list": list}),
    )
    .await;
    assert_eq!(ws_next(&mut ws).await["status"], 404);
    let mut ws = ws_connect(&app, "", Some(&alice)).await;
    ws_send(
        &mut ws,
        json!({"type": "subscribe", "stream": "list", "list": list}),
    )
    .await;
    ws_send(&mut ws, json!({"type": "nonsense"})).await;
    assert_eq!(ws_next(&mut ws).await["status"], 400);
    let id = post(&app, &bob, &[("status", "over the socket")]).await;
    let e = ws_next(&mut ws).await;
    assert_eq!(e["event"], "update");
    assert_eq!(e["stream"], json!(["list", list]));
    let payload: Value = serde_json::from_str(e["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["id"], id.as_str());
}
