//! Filters (`/api/v2/filters…`, `/api/v1/filters`): CRUD, matching on every read, `hide`
//! leaving statuses out, the streams, and bad input, on every engine.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};
use crate::streaming::Sse;

on_every_backend!(
    filters_mark_hide_and_stream,
    filter_crud_sub_resources_v1_and_bad_input,
);

async fn post(app: &TestApp, token: &str, text: &str) -> String {
    let (st, body) = app
        .post_auth("/api/v1/statuses", token, &[("status", text)])
        .await;
    assert_eq!(st, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Sends JSON with `method`; (status, body).
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

/// Statuses of a timeline by id.
async fn timeline(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let (st, v, _) = app.get_auth(path, Some(token)).await;
    assert_eq!(st, 200, "{path}: {v}");
    v.as_array().unwrap().clone()
}

fn find<'a>(list: &'a [Value], id: &str) -> Option<&'a Value> {
    list.iter().find(|s| s["id"] == id)
}

async fn filters_mark_hide_and_stream(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let bob_id = app.account_id("bob").await;
    let (st, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    assert_eq!(st, 200);

    // A form as Tusky sends it: keywords_attributes[][keyword] grouped as Rails groups them.
    let (st, filter) = app
        .post_auth(
            "/api/v2/filters",
            &alice,
            &[
                ("title", "Spoilers"),
                ("context[]", "home"),
                ("context[]", "public"),
                ("context[]", "notifications"),
                ("context[]", "thread"),
                ("keywords_attributes[][keyword]", "Dragon"),
                ("keywords_attributes[][whole_word]", "true"),
                ("keywords_attributes[][keyword]", "c++"),
                ("keywords_attributes[][whole_word]", "false"),
                ("keywords_attributes[][keyword]", ".*"),
            ],
        )
        .await;
    assert_eq!(st, 200, "{filter}");
    assert_eq!(filter["filter_action"], "warn");
    assert_eq!(filter["expires_at"], Value::Null);
    assert_eq!(
        filter["context"],
        json!(["home", "public", "notifications", "thread"])
    );
    let words: Vec<(&str, bool)> = filter["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["keyword"].as_str().unwrap(),
                k["whole_word"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(words, vec![("Dragon", true), ("c++", false), (".*", true)]);
    assert_eq!(filter["statuses"], json!([]));
    let fid = filter["id"].as_str().unwrap().to_owned();

    let mut user = Sse::open(&app.base, "/api/v1/streaming/user", Some(&alice)).await;
    let dragon = post(&app, &bob, "<b>the DRAGON</b> awakens").await;
    let dragons = post(&app, &bob, "dragons everywhere").await;
    let cpp = post(&app, &bob, "I love C++ templates").await;
    let plain = post(&app, &bob, "nothing to see").await;
    // The stream marks what matches.
    let mut seen = std::collections::HashMap::new();
    while seen.len() < 4 {
        let data = user.expect("update").await;
        let s: Value = serde_json::from_str(&data).unwrap();
        seen.insert(s["id"].as_str().unwrap().to_owned(), s);
    }
    assert_eq!(
        seen[&dragon]["filtered"][0]["keyword_matches"],
        json!(["Dragon"])
    );
    assert_eq!(seen[&dragons]["filtered"], json!([]));
    assert_eq!(seen[&plain]["filtered"], json!([]));

    let home = timeline(&app, &alice, "/api/v1/timelines/home").await;
    let hit = &find(&home, &dragon).unwrap()["filtered"];
    assert_eq!(hit.as_array().unwrap().len(), 1, "{hit}");
    assert_eq!(hit[0]["filter"]["id"], fid.as_str());
    assert_eq!(hit[0]["filter"]["title"], "Spoilers");
    assert!(hit[0]["filter"].get("keywords").is_none(), "{hit}");
    assert_eq!(hit[0]["keyword_matches"], json!(["Dragon"]));
    assert_eq!(hit[0]["status_matches"], Value::Null);
    assert_eq!(find(&home, &dragons).unwrap()["filtered"], json!([]));
    assert_eq!(
        find(&home, &cpp).unwrap()["filtered"][0]["keyword_matches"],
        json!(["c++"])
    );
    // A regex-looking keyword is literal.
    assert_eq!(find(&home, &plain).unwrap()["filtered"], json!([]));
    // Without a token nothing is marked.
    let (_, public, _) = app.get_auth("/api/v1/timelines/public", None).await;
    assert_eq!(
        find(public.as_array().unwrap(), &dragon).unwrap()["filtered"],
        json!([])
    );
    // Boosts carry the match on both.
    let (st, boost) = app
        .post_auth(&format!("/api/v1/statuses/{dragon}/reblog"), &bob, &[])
        .await;
    assert_eq!(st, 200);
    let boost_id = boost["id"].as_str().unwrap().to_owned();
    eventually("the boost at home", || async {
        find(
            &timeline(&app, &alice, "/api/v1/timelines/home").await,
            &boost_id,
        )
        .is_some()
    })
    .await;
    let home = timeline(&app, &alice, "/api/v1/timelines/home").await;
    let b = find(&home, &boost_id).unwrap();
    assert_eq!(b["filtered"][0]["filter"]["id"], fid.as_str());
    assert_eq!(b["reblog"]["filtered"][0]["filter"]["id"], fid.as_str());

    // A status filter on the plain post.
    let (st, fs) = app
        .post_auth(
            &format!("/api/v2/filters/{fid}/statuses"),
            &alice,
            &[("status_id", plain.as_str())],
        )
        .await;
    assert_eq!(st, 200, "{fs}");
    assert_eq!(fs["status_id"], plain.as_str());
    let (st, _) = app
        .post_auth(
            &format!("/api/v2/filters/{fid}/statuses"),
            &alice,
            &[("status_id", plain.as_str())],
        )
        .await;
    assert_eq!(st, 422);
    let (_, single, _) = app
        .get_auth(&format!("/api/v1/statuses/{plain}"), Some(&alice))
        .await;
    assert_eq!(single["filtered"][0]["status_matches"], json!([plain]));
    assert_eq!(single["filtered"][0]["keyword_matches"], Value::Null);

    // Hide: gone from home, public and the notifications of a mention; still on the profile
    // (the account context is not in the filter), marked.
    let (st, changed) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v2/filters/{fid}"),
        &alice,
        json!({"filter_action": "hide"}),
    )
    .await;
    assert_eq!(st, 200, "{changed}");
    assert_eq!(changed["filter_action"], "hide");
    // The boost came first; then the change.
    loop {
        let (name, data) = user.next().await.unwrap();
        if name == "filters_changed" {
            assert_eq!(data, "undefined"); // as Mastodon's streaming server writes it
            break;
        }
        assert_eq!(name, "update", "{data}");
    }
    let home = timeline(&app, &alice, "/api/v1/timelines/home").await;
    for gone in [&dragon, &cpp, &plain, &boost_id] {
        assert!(find(&home, gone).is_none(), "{gone} still at home");
    }
    // A page whose only status is hidden is empty but still links on (apps stop at a page
    // without a next link).
    let (st, first, link) = app
        .get_auth("/api/v1/timelines/home?limit=1", Some(&alice))
        .await;
    assert_eq!((st, first), (200, json!([])));
    let link = link.expect("a Link header on an emptied page");
    assert!(link.contains("rel=\"next\""), "{link}");
    assert!(find(&home, &dragons).is_some());
    let public = timeline(&app, &alice, "/api/v1/timelines/public").await;
    assert!(find(&public, &dragon).is_none());
    let profile = timeline(&app, &alice, &format!("/api/v1/accounts/{bob_id}/statuses")).await;
    assert!(
        !find(&profile, &dragon).unwrap()["filtered"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The stream leaves out what a hide filter matches; the next post arrives.
    let hidden = post(&app, &bob, "@alice here be dragon").await;
    let shown = post(&app, &bob, "@alice all clear").await;
    loop {
        let (name, data) = user.next().await.unwrap();
        if name == "filters_changed" {
            continue; // one per change above
        }
        let v: Value = serde_json::from_str(&data)
            .unwrap_or_else(|e| panic!("{name}: {data:?} is not JSON: {e}"));
        let id = if name == "notification" {
            v["status"]["id"].clone()
        } else {
            v["id"].clone()
        };
        assert_ne!(id, hidden.as_str(), "{name}: hidden status streamed");
        if name == "notification" && id == shown.as_str() {
            break;
        }
    }
    let (_, notes, _) = app.get_auth("/api/v1/notifications", Some(&alice)).await;
    let mentioned: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["status"]["id"].as_str())
        .collect();
    assert!(mentioned.contains(&shown.as_str()));
    assert!(!mentioned.contains(&hidden.as_str()));
    // A thread leaves it out too.
    let reply = {
        let (st, r) = app
            .post_auth(
                "/api/v1/statuses",
                &bob,
                &[("status", "a dragon reply"), ("in_reply_to_id", &dragons)],
            )
            .await;
        assert_eq!(st, 200);
        r["id"].as_str().unwrap().to_owned()
    };
    let (_, ctx, _) = app
        .get_auth(&format!("/api/v1/statuses/{dragons}/context"), Some(&alice))
        .await;
    assert!(find(ctx["descendants"].as_array().unwrap(), &reply).is_none());

    // An expired filter no longer applies.
    let (st, soon) = send(
        &app,
        reqwest::Method::POST,
        "/api/v2/filters",
        &alice,
        json!({"title": "brief", "context": ["account"], "expires_in": 1,
               "keywords_attributes": [{"keyword": "everywhere"}]}),
    )
    .await;
    assert_eq!(st, 200, "{soon}");
    assert!(soon["expires_at"].is_string());
    let profile = timeline(&app, &alice, &format!("/api/v1/accounts/{bob_id}/statuses")).await;
    assert_eq!(
        find(&profile, &dragons).unwrap()["filtered"][0]["filter"]["title"],
        "brief"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let profile = timeline(&app, &alice, &format!("/api/v1/accounts/{bob_id}/statuses")).await;
    assert_eq!(find(&profile, &dragons).unwrap()["filtered"], json!([]));

    // Deleting the filter shows everything again.
    let (st, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v2/filters/{fid}"),
        &alice,
        json!({}),
    )
    .await;
    assert_eq!(st, 200);
    let home = timeline(&app, &alice, "/api/v1/timelines/home").await;
    assert!(find(&home, &dragon).is_some());
}

async fn filter_crud_sub_resources_v1_and_bad_input(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let mallory = app.token("mallory").await;
    let post_id = post(&app, &alice, "mine").await;

    // Bad input: 422 with Mastodon's messages, nothing stored.
    for body in [
        json!({"title": "", "context": ["home"]}),
        json!({"title": "t", "context": []}),
        json!({"title": "t"}),
        json!({"title": "t", "context": ["nowhere"]}),
        json!({"title": "t", "context": ["home"], "filter_action": "shout"}),
        json!({"title": "t", "context": ["home"], "expires_in": -5}),
        json!({"title": "t", "context": ["home"], "expires_in": "soon"}),
        json!({"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}),
        json!({"title": "t", "context": ["home"], "keywords_attributes": "word"}),
    ] {
        let (st, v) = send(
            &app,
            reqwest::Method::POST,
            "/api/v2/filters",
            &alice,
            body.clone(),
        )
        .await;
        assert_eq!(st, 422, "{body} -> {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    let (_, v, _) = app.get_auth("/api/v2/filters", Some(&alice)).await;
    assert_eq!(v, json!([]));
    // 1,000 keywords are fine; 1,001 are not.
    let many: Vec<Value> = (0..1000)
        .map(|i| json!({"keyword": format!("w{i}")}))
        .collect();
    let (st, big) = send(
        &app,
        reqwest::Method::POST,
        "/api/v2/filters",
        &alice,
        json!({"title": "big", "context": ["home"], "keywords_attributes": many}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(big["keywords"].as_array().unwrap().len(), 1000);
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"keyword": format!("w{i}")}))
        .collect();
    let (st, _) = send(
        &app,
        reqwest::Method::POST,
        "/api/v2/filters",
        &alice,
        json!({"title": "bigger", "context": ["home"], "keywords_attributes": too_many}),
    )
    .await;
    assert_eq!(st, 422);
    let big_id = big["id"].as_str().unwrap();
    let (st, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v2/filters/{big_id}"),
        &alice,
        json!({}),
    )
    .await;
    assert_eq!(st, 200);

    // A filter with no keywords is fine (status filters only).
    let (st, f) = send(
        &app,
        reqwest::Method::POST,
        "/api/v2/filters",
        &alice,
        json!({"title": "quiet", "context": ["home", "account"], "expires_in": 3600}),
    )
    .await;
    assert_eq!(st, 200, "{f}");
    let fid = f["id"].as_str().unwrap().to_owned();
    // Keywords as their own resource.
    let (st, kw) = app
        .post_auth(
            &format!("/api/v2/filters/{fid}/keywords"),
            &alice,
            &[("keyword", "noise"), ("whole_word", "false")],
        )
        .await;
    assert_eq!(st, 200, "{kw}");
    assert_eq!(kw["whole_word"], false);
    let kid = kw["id"].as_str().unwrap().to_owned();
    let (st, kw2) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v2/filters/keywords/{kid}"),
        &alice,
        json!({"keyword": "loud noise", "whole_word": true}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        (kw2["keyword"].as_str(), kw2["whole_word"].as_bool()),
        (Some("loud noise"), Some(true))
    );
    let (_, kws, _) = app
        .get_auth(&format!("/api/v2/filters/{fid}/keywords"), Some(&alice))
        .await;
    assert_eq!(kws.as_array().unwrap().len(), 1);
    // keywords_attributes on update: change, add, destroy in one go; expiry cleared.
    let (st, f) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v2/filters/{fid}"),
        &alice,
        json!({"expires_in": "", "keywords_attributes": [
            {"id": kid, "_destroy": true},
            {"keyword": "fresh"}
        ]}),
    )
    .await;
    assert_eq!(st, 200, "{f}");
    assert_eq!(f["expires_at"], Value::Null);
    let kws: Vec<&str> = f["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keyword"].as_str().unwrap())
        .collect();
    assert_eq!(kws, vec!["fresh"]);
    let (st, fs) = app
        .post_auth(
            &format!("/api/v2/filters/{fid}/statuses"),
            &alice,
            &[("status_id", post_id.as_str())],
        )
        .await;
    assert_eq!(st, 200);
    let fsid = fs["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get_auth(&format!("/api/v2/filters/statuses/{fsid}"), Some(&alice))
            .await
            .1["status_id"],
        post_id.as_str()
    );
    // An unknown status or a missing one: 404 / 422.
    assert_eq!(
        app.post_auth(
            &format!("/api/v2/filters/{fid}/statuses"),
            &alice,
            &[("status_id", "123")]
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.post_auth(&format!("/api/v2/filters/{fid}/statuses"), &alice, &[])
            .await
            .0,
        422
    );

    // Someone else's filter, keyword and status filter are 404 for every verb.
    for path in [
        format!("/api/v2/filters/{fid}"),
        format!("/api/v2/filters/{fid}/keywords"),
        format!("/api/v2/filters/{fid}/statuses"),
        format!("/api/v2/filters/statuses/{fsid}"),
        "/api/v2/filters/nonsense".to_owned(),
    ] {
        assert_eq!(app.get_auth(&path, Some(&mallory)).await.0, 404, "{path}");
    }
    let fresh_id = f["keywords"][0]["id"].as_str().unwrap().to_owned();
    for (method, path) in [
        (reqwest::Method::PUT, format!("/api/v2/filters/{fid}")),
        (reqwest::Method::DELETE, format!("/api/v2/filters/{fid}")),
        (
            reqwest::Method::PUT,
            format!("/api/v2/filters/keywords/{fresh_id}"),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v2/filters/keywords/{fresh_id}"),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v2/filters/statuses/{fsid}"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v2/filters/{fid}/keywords"),
        ),
    ] {
        let (st, _) = send(
            &app,
            method.clone(),
            &path,
            &mallory,
            json!({"keyword": "x", "title": "x"}),
        )
        .await;
        assert_eq!(st, 404, "{method} {path}");
    }
    assert_eq!(
        app.get_auth("/api/v2/filters", Some(&mallory)).await.1,
        json!([])
    );
    assert_eq!(
        app.get_auth("/api/v1/filters", Some(&mallory)).await.1,
        json!([])
    );
    assert_eq!(app.get_auth("/api/v2/filters", None).await.0, 401);
    // Still all there for alice.
    let (_, mine, _) = app
        .get_auth(&format!("/api/v2/filters/{fid}"), Some(&alice))
        .await;
    assert_eq!(mine["statuses"].as_array().unwrap().len(), 1);
    let (st, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v2/filters/statuses/{fsid}"),
        &alice,
        json!({}),
    )
    .await;
    assert_eq!(st, 200);
    let (st, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v2/filters/keywords/{fresh_id}"),
        &alice,
        json!({}),
    )
    .await;
    assert_eq!(st, 200);

    // Version 1: each keyword a filter; irreversible is hide.
    let (st, v1) = app
        .post_auth(
            "/api/v1/filters",
            &alice,
            &[
                ("phrase", "spider"),
                ("context[]", "home"),
                ("irreversible", "true"),
                ("whole_word", "false"),
            ],
        )
        .await;
    assert_eq!(st, 200, "{v1}");
    assert_eq!(v1["phrase"], "spider");
    assert_eq!(v1["irreversible"], true);
    assert_eq!(v1["whole_word"], false);
    assert_eq!(v1["context"], json!(["home"]));
    let v1_id = v1["id"].as_str().unwrap().to_owned();
    let (_, v2s, _) = app.get_auth("/api/v2/filters", Some(&alice)).await;
    let made = v2s
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["title"] == "spider")
        .unwrap();
    assert_eq!(made["filter_action"], "hide");
    assert_eq!(made["keywords"][0]["id"], v1_id.as_str());
    let (st, v1b) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/filters/{v1_id}"),
        &alice,
        json!({"phrase": "spiders", "irreversible": false, "context": ["home", "public"]}),
    )
    .await;
    assert_eq!(st, 200, "{v1b}");
    assert_eq!(
        (v1b["phrase"].as_str(), v1b["irreversible"].as_bool()),
        (Some("spiders"), Some(false))
    );
    assert_eq!(
        app.get_auth(&format!("/api/v1/filters/{v1_id}"), Some(&alice))
            .await
            .1["context"],
        json!(["home", "public"])
    );
    assert_eq!(
        app.get_auth(&format!("/api/v1/filters/{v1_id}"), Some(&mallory))
            .await
            .0,
        404
    );
    let (st, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/filters/{v1_id}"),
        &alice,
        json!({}),
    )
    .await;
    assert_eq!(st, 200);
    let (_, v2s, _) = app.get_auth("/api/v2/filters", Some(&alice)).await;
    assert!(
        !v2s.as_array()
            .unwrap()
            .iter()
            .any(|f| f["title"] == "spider"),
        "{v2s}"
    );
}
