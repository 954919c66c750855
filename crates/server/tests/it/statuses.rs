//! Statuses beyond posting, on every engine: edits and history, hashtag timelines, pins,
//! account search and the tagged filter.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{on_every_backend, spawn_with};

on_every_backend!(
    statuses_are_edited_with_history,
    hashtag_timelines,
    pinned_statuses,
    account_search_and_tagged_statuses,
);

async fn statuses_are_edited_with_history(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let (_, s) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "frist")])
        .await;
    let id = s["id"].as_str().unwrap().to_owned();
    let (_, h, _) = app
        .get_auth(&format!("/api/v1/statuses/{id}/history"), None)
        .await;
    assert_eq!(h.as_array().unwrap().len(), 1);
    let edit = |token: String, form: Vec<(&'static str, &'static str)>| {
        let app = &app;
        let id = id.clone();
        async move {
            let r = app
                .client
                .put(app.url(&format!("/api/v1/statuses/{id}")))
                .bearer_auth(token)
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, e) = edit(
        alice.clone(),
        vec![("status", "first, with @bob"), ("spoiler_text", "typo")],
    )
    .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["id"], id.as_str());
    assert!(e["content"].as_str().unwrap().contains("first, with"));
    assert!(e["edited_at"].is_string());
    assert_eq!(e["spoiler_text"], "typo");
    assert_eq!(e["sensitive"], true);
    edit(alice.clone(), vec![("status", "first!")]).await;
    let (_, h, _) = app
        .get_auth(&format!("/api/v1/statuses/{id}/history"), None)
        .await;
    let versions: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["content"].as_str().unwrap())
        .collect();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0], "<p>frist</p>");
    assert_eq!(versions[2], "<p>first!</p>");
    assert_eq!(h[0]["account"]["username"], "alice");
    let (_, src, _) = app
        .get_auth(&format!("/api/v1/statuses/{id}/source"), Some(&alice))
        .await;
    assert_eq!(src["text"], "first!");
    assert_eq!(src["id"], id.as_str());
    // Only the author edits; anyone who sees the status reads its source, as in Mastodon;
    // blank edits are refused.
    assert_eq!(edit(bob.clone(), vec![("status", "hijack")]).await.0, 404);
    let (st, theirs, _) = app
        .get_auth(&format!("/api/v1/statuses/{id}/source"), Some(&bob))
        .await;
    assert_eq!((st, &theirs["text"]), (200, &json!("first!")));
    assert_eq!(edit(alice.clone(), vec![("status", "  ")]).await.0, 422);
    assert_eq!(
        edit(alice.clone(), vec![("status", "x"), ("media_ids[]", "1")])
            .await
            .0,
        422
    );
    let (_, now, _) = app.get_auth(&format!("/api/v1/statuses/{id}"), None).await;
    assert_eq!(now["content"], "<p>first!</p>");
}

async fn hashtag_timelines(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let (_, public) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "#Rust is great #rust")],
        )
        .await;
    app.post_auth(
        "/api/v1/statuses",
        &alice,
        &[("status", "#rust unlisted"), ("visibility", "unlisted")],
    )
    .await;
    app.post_auth("/api/v1/statuses", &alice, &[("status", "#other")])
        .await;
    let (_, edited) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "no tag yet")])
        .await;
    let id = edited["id"].as_str().unwrap();
    app.client
        .put(app.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&alice)
        .form(&[("status", "now #RUST")])
        .send()
        .await
        .unwrap();
    for tag in ["rust", "RUST", "Rust"] {
        let (status, tl, link) = app
            .get_auth(&format!("/api/v1/timelines/tag/{tag}"), None)
            .await;
        assert_eq!(status, 200);
        let ids: Vec<&str> = tl
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![id, public["id"].as_str().unwrap()], "{tag}");
        assert!(link.unwrap().contains("/api/v1/timelines/tag/"));
    }
    let (_, tl, _) = app
        .get_auth("/api/v1/timelines/tag/rust?local=true&limit=1", None)
        .await;
    assert_eq!(tl.as_array().unwrap().len(), 1);
    let (_, tl, _) = app
        .get_auth("/api/v1/timelines/tag/rust?remote=true", None)
        .await;
    assert!(tl.as_array().unwrap().is_empty());
    for tag in ["nothing", "a'b", "%E2%80%AE", "x%20y"] {
        let (status, tl, _) = app
            .get_auth(&format!("/api/v1/timelines/tag/{tag}"), None)
            .await;
        assert_eq!(status, 200, "{tag}");
        assert!(tl.as_array().unwrap().is_empty(), "{tag}");
    }
}

async fn pinned_statuses(backend: Backend) {
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
    let mut ids = Vec::new();
    for i in 0..6 {
        let (_, s) = app
            .post_auth(
                "/api/v1/statuses",
                &alice,
                &[("status", &format!("pin me {i}"))],
            )
            .await;
        assert_eq!(
            s["pinned"], false,
            "own statuses say whether they are pinned"
        );
        ids.push(s["id"].as_str().unwrap().to_owned());
    }
    for id in &ids[..5] {
        let (status, s) = app
            .post_auth(&format!("/api/v1/statuses/{id}/pin"), &alice, &[])
            .await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["pinned"], true);
    }
    let (status, body) = app
        .post_auth(&format!("/api/v1/statuses/{}/pin", ids[5]), &alice, &[])
        .await;
    assert_eq!(status, 422, "{body}");
    let (_, pinned, _) = app
        .get_auth(
            &format!("/api/v1/accounts/{alice_id}/statuses?pinned=true"),
            None,
        )
        .await;
    assert_eq!(pinned.as_array().unwrap().len(), 5);
    assert_eq!(
        pinned[0]["id"],
        ids[4].as_str(),
        "most recently pinned first"
    );
    assert!(
        pinned[0].get("pinned").is_none(),
        "only the author sees `pinned`"
    );
    let (_, s) = app
        .post_auth(&format!("/api/v1/statuses/{}/unpin", ids[0]), &alice, &[])
        .await;
    assert_eq!(s["pinned"], false);
    assert_eq!(
        app.post_auth(&format!("/api/v1/statuses/{}/pin", ids[5]), &alice, &[])
            .await
            .0,
        200
    );
    assert_eq!(
        app.post_auth(&format!("/api/v1/statuses/{}/pin", ids[5]), &bob, &[])
            .await
            .0,
        404
    );
    let (_, d) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "secret @bob"), ("visibility", "direct")],
        )
        .await;
    assert_eq!(
        app.post_auth(&format!("/api/v1/statuses/{}/unpin", ids[1]), &alice, &[])
            .await
            .0,
        200
    );
    assert_eq!(
        app.post_auth(
            &format!("/api/v1/statuses/{}/pin", d["id"].as_str().unwrap()),
            &alice,
            &[]
        )
        .await
        .0,
        422
    );
}

async fn account_search_and_tagged_statuses(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    app.create_account("alicia").await;
    app.create_account("bob").await;
    app.create_account("a_b").await;
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, found, _) = app
        .get_auth("/api/v1/accounts/search?q=ali", Some(&alice))
        .await;
    assert_eq!(status, 200);
    let mut got = names(&found);
    got.sort();
    assert_eq!(got, vec!["alice", "alicia"]);
    let (_, exact, _) = app
        .get_auth(
            "/api/v1/accounts/search?q=%40alice%40rookery.test",
            Some(&alice),
        )
        .await;
    assert_eq!(names(&exact)[0], "alice");
    // LIKE wildcards in the query are literal.
    let (_, lit, _) = app
        .get_auth("/api/v1/accounts/search?q=a_", Some(&alice))
        .await;
    assert_eq!(names(&lit), vec!["a_b"]);
    let (_, none, _) = app
        .get_auth("/api/v1/accounts/search?q=%25", Some(&alice))
        .await;
    assert!(names(&none).is_empty());
    let (_, remote, _) = app
        .get_auth(
            "/api/v1/accounts/search?q=alice%40elsewhere.example",
            Some(&alice),
        )
        .await;
    assert!(names(&remote).is_empty());
    assert_eq!(
        app.get_auth("/api/v1/accounts/search?q=ali", None).await.0,
        401
    );
    // Paging by offset ends (Mastodon.py's fetch_remaining looped forever when it was
    // ignored), and following=true keeps to followed accounts.
    let mut seen = Vec::new();
    for offset in 0..4 {
        let (st, page, _) = app
            .get_auth(
                &format!("/api/v1/accounts/search?q=ali&limit=1&offset={offset}"),
                Some(&alice),
            )
            .await;
        assert_eq!(st, 200);
        seen.extend(names(&page));
    }
    seen.sort();
    assert_eq!(seen, vec!["alice", "alicia"]);
    assert_eq!(
        app.get_auth("/api/v1/accounts/search?q=ali&offset=x", Some(&alice))
            .await
            .0,
        400
    );
    let (_, followed, _) = app
        .get_auth("/api/v1/accounts/search?q=ali&following=true", Some(&alice))
        .await;
    assert!(names(&followed).is_empty(), "{followed}");
    let alicia = app.account_id("alicia").await;
    let (st, _) = app
        .post_auth(&format!("/api/v1/accounts/{alicia}/follow"), &alice, &[])
        .await;
    assert_eq!(st, 200);
    let (_, followed, _) = app
        .get_auth("/api/v1/accounts/search?q=ali&following=true", Some(&alice))
        .await;
    assert_eq!(names(&followed), vec!["alicia"]);

    let alice_id = app
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id
        .to_string();
    let (_, tagged) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "about #Birds")])
        .await;
    app.post_auth("/api/v1/statuses", &alice, &[("status", "about cats")])
        .await;
    let (_, list, _) = app
        .get_auth(
            &format!("/api/v1/accounts/{alice_id}/statuses?tagged=birds"),
            None,
        )
        .await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![tagged["id"].as_str().unwrap()]);
    let (_, list, _) = app
        .get_auth(
            &format!("/api/v1/accounts/{alice_id}/statuses?tagged=%27%20OR%201%3D1"),
            None,
        )
        .await;
    assert!(list.as_array().unwrap().is_empty());
}
