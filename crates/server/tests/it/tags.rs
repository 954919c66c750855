//! Hashtags: `GET /api/v1/tags/:name`, following them (public posts reach home), and
//! `GET /api/v1/followed_tags`, on every engine.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};

on_every_backend!(followed_hashtags_feed_home);

async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> String {
    let (st, body) = app.post_auth("/api/v1/statuses", token, form).await;
    assert_eq!(st, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn home(app: &TestApp, token: &str) -> Vec<String> {
    let (_, v, _) = app.get_auth("/api/v1/timelines/home", Some(token)).await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn followed_hashtags_feed_home(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;

    // Any valid name answers; unused ones have an empty id and a quiet week.
    let (st, tag, _) = app.get_auth("/api/v1/tags/Rust", Some(&alice)).await;
    assert_eq!(st, 200, "{tag}");
    assert_eq!(tag["id"], "");
    assert_eq!(tag["name"], "Rust");
    assert_eq!(tag["url"], "https://rookery.test/tags/rust");
    assert_eq!(tag["following"], false);
    let history = tag["history"].as_array().unwrap();
    assert_eq!(history.len(), 7);
    assert!(
        history
            .iter()
            .all(|d| d["uses"] == "0" && d["accounts"] == "0")
    );
    assert!(history[0]["day"].as_str().unwrap().parse::<i64>().unwrap() > 1_700_000_000);
    let (_, anon, _) = app.get_auth("/api/v1/tags/rust", None).await;
    assert!(anon.get("following").is_none(), "{anon}");
    for bad in ["a%20b", "123", "%23", "x-y"] {
        assert_eq!(
            app.get_auth(&format!("/api/v1/tags/{bad}"), Some(&alice))
                .await
                .0,
            404,
            "{bad}"
        );
    }
    assert_eq!(
        app.post_auth("/api/v1/tags/rust/follow", &bob, &[]).await.0,
        200
    );
    assert_eq!(
        app.post_auth("/api/v1/tags/x-y/follow", &alice, &[])
            .await
            .0,
        404
    );

    // Following: bob's public posts with the tag reach alice's home; unlisted ones do not.
    let (st, followed) = app.post_auth("/api/v1/tags/rust/follow", &alice, &[]).await;
    assert_eq!(st, 200);
    assert_eq!(followed["following"], true);
    assert_ne!(followed["id"], "");
    let (st, _) = app.post_auth("/api/v1/tags/rust/follow", &alice, &[]).await;
    assert_eq!(st, 200, "following twice is fine");
    let hidden = post(
        &app,
        &bob,
        &[("status", "quiet #rust"), ("visibility", "unlisted")],
    )
    .await;
    let shown = post(&app, &bob, &[("status", "loud #Rust")]).await;
    eventually("the tagged post at home", || async {
        home(&app, &alice).await.contains(&shown)
    })
    .await;
    assert!(!home(&app, &alice).await.contains(&hidden));
    let (_, tag, _) = app.get_auth("/api/v1/tags/rust", Some(&alice)).await;
    assert_eq!(tag["following"], true);
    // Only public posts count (the unlisted one does not), as in Mastodon.
    assert_eq!(tag["history"][0]["uses"], "1");
    assert_eq!(tag["history"][0]["accounts"], "1");

    // The list, paged by follow.
    app.post_auth("/api/v1/tags/fediverse/follow", &alice, &[])
        .await;
    let (st, page, link) = app
        .get_auth("/api/v1/followed_tags?limit=1", Some(&alice))
        .await;
    assert_eq!(st, 200);
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&page), vec!["fediverse"]);
    let next = link
        .unwrap()
        .split(',')
        .find(|p| p.contains("rel=\"next\""))
        .and_then(|p| p.split(['<', '>']).nth(1))
        .unwrap()
        .trim_start_matches("https://rookery.test")
        .to_owned();
    let (_, rest, _) = app.get_auth(&next, Some(&alice)).await;
    assert_eq!(names(&rest), vec!["rust"]);
    assert_eq!(app.get_auth("/api/v1/followed_tags", None).await.0, 401);

    // Unfollowing stops it.
    let (_, unfollowed) = app
        .post_auth("/api/v1/tags/RUST/unfollow", &alice, &[])
        .await;
    assert_eq!(unfollowed["following"], false);
    let later = post(&app, &bob, &[("status", "more #rust")]).await;
    let marker = post(&app, &alice, &[("status", "my own")]).await;
    eventually("alice's own post", || async {
        home(&app, &alice).await.contains(&marker)
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!home(&app, &alice).await.contains(&later));
}
