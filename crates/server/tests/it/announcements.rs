//! Announcements: `rookery admin announcements …` (the real binary on the test's database),
//! `GET /api/v1/announcements`, dismissing and reacting, and bad input, on every engine.

use rookery_service::announcements::NewAnnouncement;
use rookery_service::custom_emojis::NewEmoji;
use rookery_store::Announcement;
use serde_json::Value;

use crate::cli::admin_on;
use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::media::files::make_png;
use crate::streaming::Sse;

on_every_backend!(
    announcements_from_the_command_line,
    announcements_as_mastodon_lists_them,
    dismissing_marks_read,
    reactions,
    refusals,
    user_streams_hear_of_announcements,
);

/// `rookery admin announcements ARGS` on the app's own database.
fn admin(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    admin_on(app, "announcements", args)
}

async fn add(app: &TestApp, new: NewAnnouncement) -> Announcement {
    app.services.announcements().add(new).await.unwrap()
}

fn published(text: &str) -> NewAnnouncement {
    NewAnnouncement {
        text: text.to_owned(),
        published: true,
        ..NewAnnouncement::default()
    }
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let (st, body, _) = app.get_auth("/api/v1/announcements", Some(token)).await;
    assert_eq!(st, 200, "{body}");
    body.as_array().unwrap().clone()
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

/// PUT or DELETE a reaction; (status, body).
async fn reaction(
    app: &TestApp,
    method: reqwest::Method,
    token: Option<&str>,
    id: &str,
    name: &str,
) -> (u16, Value) {
    let path = format!("/api/v1/announcements/{id}/reactions/{}", urlencoding(name));
    let mut r = app.client.request(method, app.url(&path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn put() -> reqwest::Method {
    reqwest::Method::PUT
}

fn delete() -> reqwest::Method {
    reqwest::Method::DELETE
}

async fn announcements_from_the_command_line(backend: rookery_testkit::Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;

    let (code, out, err) = admin(&app, &["add", "--text", "Maintenance tonight"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Added announcement "), "{out}");
    assert!(out.contains("(published)"), "{out}");
    let first = out
        .trim_start_matches("Added announcement ")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    let (code, out, err) = admin(
        &app,
        &[
            "add",
            "--text",
            "Meetup",
            "--starts-at",
            "2030-05-01",
            "--ends-at",
            "2030-05-02T18:30:00+02:00",
            "--all-day",
            "--unpublished",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(unpublished)"), "{out}");
    let second = out
        .trim_start_matches("Added announcement ")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(ids(&list(&app, &alice).await), vec![first.clone()]);

    let (code, out, _) = admin(&app, &["list", "--json"]);
    assert_eq!(code, 0);
    let rows: Value = serde_json::from_str(&out).unwrap();
    let meetup = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == second.as_str())
        .unwrap();
    assert_eq!(meetup["published"], false);
    assert_eq!(meetup["all_day"], true);
    assert_eq!(meetup["starts_at"], "2030-05-01T00:00:00.000Z");
    assert_eq!(meetup["ends_at"], "2030-05-02T16:30:00.000Z");
    let (code, out, _) = admin(&app, &["list"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Maintenance tonight") && out.contains("unpublished"),
        "{out}"
    );

    let (code, out, err) = admin(&app, &["publish", &second]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Published"), "{out}");
    let shown = list(&app, &alice).await;
    // Oldest first by the time each is about: the meetup (2030) after the maintenance.
    assert_eq!(ids(&shown), vec![first.clone(), second.clone()]);
    assert_eq!(shown[1]["starts_at"], "2030-05-01T00:00:00.000Z");
    assert_eq!(shown[1]["all_day"], true);

    let (code, _, err) = admin(&app, &["unpublish", &first]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ids(&list(&app, &alice).await), vec![second.clone()]);
    let (code, _, err) = admin(&app, &["remove", &second]);
    assert_eq!(code, 0, "{err}");
    assert!(list(&app, &alice).await.is_empty());

    // Refusals: a clear message and a failing exit code.
    let (code, _, err) = admin(&app, &["remove", &second]);
    assert_ne!(code, 0);
    assert!(err.contains("no announcement"), "{err}");
    let (code, _, err) = admin(&app, &["publish", "nope"]);
    assert_ne!(code, 0);
    assert!(err.contains("no announcement"), "{err}");
    let (code, _, err) = admin(&app, &["add", "--text", "   "]);
    assert_ne!(code, 0);
    assert!(err.contains("blank"), "{err}");
    let (code, _, err) = admin(
        &app,
        &[
            "add",
            "--text",
            "x",
            "--starts-at",
            "soon",
            "--ends-at",
            "later",
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("--starts-at"), "{err}");
    let (code, _, _) = admin(&app, &["add", "--text", "x", "--starts-at", "2030-01-01"]);
    assert_ne!(code, 0, "--starts-at needs --ends-at");
    let (code, _, err) = admin(
        &app,
        &[
            "add",
            "--text",
            "x",
            "--starts-at",
            "2030-01-02",
            "--ends-at",
            "2030-01-01",
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("before"), "{err}");
    assert!(!err.contains("panicked"), "refusals never panic: {err}");
}

async fn announcements_as_mastodon_lists_them(backend: rookery_testkit::Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    app.services
        .custom_emojis()
        .add(NewEmoji {
            shortcode: "blobcat".into(),
            image: make_png(16, 16),
            category: None,
            visible_in_picker: true,
        })
        .await
        .unwrap();
    let day = 86_400_000;
    let now = app.services.clock.now();
    let hostile = add(
        &app,
        published(
            "<script>alert(1)</script> & \"quotes\" see https://example.com/a?b=1&c=2 \
             #Rust #rust @alice @nobody :blobcat: :missing:",
        ),
    )
    .await;
    // Long over, and not yet begun: listed all the same (the times are those of what is
    // announced, shown beside it).
    let ended = add(
        &app,
        NewAnnouncement {
            starts_at: Some(now.plus_millis(-10 * day)),
            ends_at: Some(now.plus_millis(-9 * day)),
            ..published("ended")
        },
    )
    .await;
    let future = add(
        &app,
        NewAnnouncement {
            starts_at: Some(now.plus_millis(9 * day)),
            ends_at: Some(now.plus_millis(10 * day)),
            all_day: true,
            ..published("future")
        },
    )
    .await;
    let hidden = add(
        &app,
        NewAnnouncement {
            published: false,
            ..published("not yet published")
        },
    )
    .await;

    let shown = list(&app, &alice).await;
    assert_eq!(
        ids(&shown),
        vec![
            ended.id.to_string(),
            hostile.id.to_string(),
            future.id.to_string()
        ],
        "published ones only, oldest first by the time they are about"
    );
    assert!(!ids(&shown).contains(&hidden.id.to_string()));

    let a = &shown[1];
    let mut keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "all_day",
            "content",
            "emojis",
            "ends_at",
            "id",
            "mentions",
            "published_at",
            "reactions",
            "read",
            "starts_at",
            "statuses",
            "tags",
            "updated_at"
        ]
    );
    let content = a["content"].as_str().unwrap();
    assert!(!content.contains("<script"), "{content}");
    assert!(content.starts_with("<p>&lt;script&gt;"), "{content}");
    assert!(content.contains("&amp; &quot;quotes&quot;"), "{content}");
    assert!(
        content.contains("href=\"https://example.com/a?b=1&amp;c=2\""),
        "{content}"
    );
    assert!(
        content.contains("href=\"https://rookery.test/tags/rust\""),
        "{content}"
    );
    assert!(
        content.contains("href=\"https://rookery.test/@alice\" class=\"u-url mention\""),
        "{content}"
    );
    assert!(content.contains("@nobody"), "{content}");
    assert!(content.contains(":blobcat:"), "{content}");
    assert_eq!(a["starts_at"], Value::Null);
    assert_eq!(a["ends_at"], Value::Null);
    assert_eq!(a["all_day"], false);
    assert_eq!(a["read"], false);
    assert_eq!(a["published_at"], hostile.created_at.to_rfc3339());
    assert_eq!(a["updated_at"], hostile.updated_at.to_rfc3339());
    assert_eq!(a["statuses"], serde_json::json!([]));
    assert_eq!(a["reactions"], serde_json::json!([]));
    assert_eq!(a["mentions"].as_array().unwrap().len(), 1);
    assert_eq!(a["mentions"][0]["username"], "alice");
    assert_eq!(a["mentions"][0]["acct"], "alice");
    assert_eq!(a["mentions"][0]["url"], "https://rookery.test/@alice");
    assert_eq!(a["mentions"][0]["id"], app.account_id("alice").await);
    assert_eq!(
        a["tags"],
        serde_json::json!([{"name": "rust", "url": "https://rookery.test/tags/rust"}])
    );
    let emojis = a["emojis"].as_array().unwrap();
    assert_eq!(emojis.len(), 1, "{emojis:?}");
    assert_eq!(emojis[0]["shortcode"], "blobcat");
    assert!(emojis[0]["url"].as_str().unwrap().starts_with("https://"));

    let f = &shown[2];
    assert_eq!(f["all_day"], true);
    assert_eq!(
        f["starts_at"],
        now.plus_millis(9 * day).to_rfc3339().as_str()
    );
    assert_eq!(
        f["ends_at"],
        now.plus_millis(10 * day).to_rfc3339().as_str()
    );

    // Publishing later sets published_at; unpublishing hides it again.
    let area = app.services.announcements();
    area.set_published(hidden.id, true).await.unwrap();
    let shown = list(&app, &alice).await;
    let h = shown
        .iter()
        .find(|a| a["id"] == hidden.id.to_string().as_str())
        .unwrap();
    assert_ne!(h["published_at"], Value::Null);
    area.set_published(hidden.id, false).await.unwrap();
    assert!(!ids(&list(&app, &alice).await).contains(&hidden.id.to_string()));

    // Without a token: 401, as Mastodon.
    let (st, body, _) = app.get_auth("/api/v1/announcements", None).await;
    assert_eq!(st, 401, "{body}");
    assert_eq!(body["error"], "The access token is invalid");
    // Any scope will do for reading.
    let push_only = app.token_with_scopes("bob", "push").await;
    assert_eq!(list(&app, &push_only).await.len(), 3);
}

async fn dismissing_marks_read(backend: rookery_testkit::Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let a = add(&app, published("one")).await;
    let b = add(&app, published("two")).await;
    let path = format!("/api/v1/announcements/{}/dismiss", a.id);

    let (st, body) = app.post_auth(&path, &alice, &[]).await;
    assert_eq!((st, body), (200, serde_json::json!({})));
    // Again: no change.
    let (st, _) = app.post_auth(&path, &alice, &[]).await;
    assert_eq!(st, 200);

    let mine = list(&app, &alice).await;
    // Dismissed ones stay listed, read (Mastodon ignores `with_dismissed`).
    assert_eq!(ids(&mine), vec![a.id.to_string(), b.id.to_string()]);
    assert_eq!(mine[0]["read"], true);
    assert_eq!(mine[1]["read"], false);
    let (st, with, _) = app
        .get_auth("/api/v1/announcements?with_dismissed=true", Some(&alice))
        .await;
    assert_eq!(st, 200);
    assert_eq!(with, Value::Array(mine));
    let theirs = list(&app, &bob).await;
    assert_eq!(theirs[0]["read"], false, "read is per user");

    // write:accounts is needed (or write).
    let read_only = app.token_with_scopes("carol", "read").await;
    let (st, _) = app.post_auth(&path, &read_only, &[]).await;
    assert_eq!(st, 403);
    let narrow = app.token_with_scopes("carol", "read write:accounts").await;
    let (st, _) = app.post_auth(&path, &narrow, &[]).await;
    assert_eq!(st, 200);

    // Unknown, malformed and unpublished: Mastodon's 404.
    let hidden = add(
        &app,
        NewAnnouncement {
            published: false,
            ..published("draft")
        },
    )
    .await;
    for id in [
        "123456789".to_owned(),
        "abc".to_owned(),
        hidden.id.to_string(),
    ] {
        let (st, body) = app
            .post_auth(&format!("/api/v1/announcements/{id}/dismiss"), &alice, &[])
            .await;
        assert_eq!(st, 404, "{id}: {body}");
        assert_eq!(body, serde_json::json!({"error": "Record not found"}));
    }
    let r = app.client.post(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

async fn reactions(backend: rookery_testkit::Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    app.services
        .custom_emojis()
        .add(NewEmoji {
            shortcode: "blobcat".into(),
            image: make_png(16, 16),
            category: None,
            visible_in_picker: true,
        })
        .await
        .unwrap();
    let a = add(&app, published("react to me")).await;
    let id = a.id.to_string();

    for (token, name) in [
        (&alice, "👍"),
        (&bob, "👍"),
        (&bob, "blobcat"),
        (&alice, "👍"),
    ] {
        let (st, body) = reaction(&app, put(), Some(token), &id, name).await;
        assert_eq!((st, body), (200, serde_json::json!({})), "{name}");
    }
    let shown = list(&app, &alice).await;
    let r = shown[0]["reactions"].as_array().unwrap();
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        r[0],
        serde_json::json!({"name": "👍", "count": 2, "me": true}),
        "a Unicode emoji has no url; adding it twice counts once"
    );
    assert_eq!(r[1]["name"], "blobcat");
    assert_eq!(r[1]["count"], 1);
    assert_eq!(r[1]["me"], false);
    assert!(
        r[1]["url"].as_str().unwrap().starts_with("https://"),
        "{r:?}"
    );
    assert!(r[1]["static_url"].as_str().unwrap().starts_with("https://"));
    let theirs = list(&app, &bob).await;
    assert_eq!(theirs[0]["reactions"][1]["me"], true);

    let (st, _) = reaction(&app, delete(), Some(&alice), &id, "👍").await;
    assert_eq!(st, 200);
    let shown = list(&app, &alice).await;
    assert_eq!(
        shown[0]["reactions"][0],
        serde_json::json!({"name": "👍", "count": 1, "me": false})
    );
    // A reaction the user does not have: 404.
    let (st, body) = reaction(&app, delete(), Some(&alice), &id, "👍").await;
    assert_eq!(
        (st, body["error"].as_str()),
        (404, Some("Record not found"))
    );
    let (st, _) = reaction(&app, delete(), Some(&bob), &id, "blobcat").await;
    assert_eq!(st, 200);
    let (st, _) = reaction(&app, delete(), Some(&bob), &id, "👍").await;
    assert_eq!(st, 200);
    assert_eq!(
        list(&app, &alice).await[0]["reactions"],
        serde_json::json!([])
    );

    // Eight different reactions at most; one already there may still be added.
    let eight = ["😀", "🎉", "❤️", "🚀", "👀", "🇫🇷", "👩‍💻", "blobcat"];
    for name in eight {
        let (st, body) = reaction(&app, put(), Some(&alice), &id, name).await;
        assert_eq!(st, 200, "{name}: {body}");
    }
    let (st, body) = reaction(&app, put(), Some(&bob), &id, "🤔").await;
    assert_eq!(st, 422, "{body}");
    assert_eq!(
        body["error"],
        "Validation failed: Maximum number of different reactions reached"
    );
    let (st, body) = reaction(&app, put(), Some(&bob), &id, "🎉").await;
    assert_eq!(st, 200, "{body}");
    let shown = list(&app, &bob).await;
    let names: Vec<&str> = shown[0]["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, eight, "in the order they were first used");
    assert_eq!(shown[0]["reactions"][1]["count"], 2);
}

async fn refusals(backend: rookery_testkit::Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let a = add(&app, published("hello")).await;
    let id = a.id.to_string();

    for name in [
        "nope",
        "not_an_emoji_here",
        "a",
        "👍👍",
        "<b>x</b>",
        ":blobcat:",
    ] {
        let (st, body) = reaction(&app, put(), Some(&alice), &id, name).await;
        assert_eq!(st, 422, "{name}: {body}");
        assert_eq!(
            body["error"], "Validation failed: Name is not a recognized emoji",
            "{name}"
        );
    }
    for bad in ["999999999", "abc"] {
        let (st, body) = reaction(&app, put(), Some(&alice), bad, "👍").await;
        assert_eq!(st, 404, "{body}");
        assert_eq!(body, serde_json::json!({"error": "Record not found"}));
        let (st, _) = reaction(&app, delete(), Some(&alice), bad, "👍").await;
        assert_eq!(st, 404);
    }
    let (st, body) = reaction(&app, put(), None, &id, "👍").await;
    assert_eq!(st, 401, "{body}");
    let read_only = app.token_with_scopes("bob", "read").await;
    let (st, _) = reaction(&app, put(), Some(&read_only), &id, "👍").await;
    assert_eq!(st, 403);
    let favourites = app
        .token_with_scopes("carol", "read write:favourites")
        .await;
    let (st, _) = reaction(&app, put(), Some(&favourites), &id, "👍").await;
    assert_eq!(st, 200);

    // Unpublished: not found, as if it did not exist.
    app.services
        .announcements()
        .set_published(a.id, false)
        .await
        .unwrap();
    let (st, _) = reaction(&app, put(), Some(&alice), &id, "👍").await;
    assert_eq!(st, 404);
    // Removed: its reactions go with it.
    app.services.announcements().remove(a.id).await.unwrap();
    assert!(
        app.services
            .announcements()
            .list()
            .await
            .unwrap()
            .is_empty()
    );
}

async fn user_streams_hear_of_announcements(backend: rookery_testkit::Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let mut user = Sse::open(&app.base, "/api/v1/streaming/user", Some(&alice)).await;
    let mut public = Sse::open(&app.base, "/api/v1/streaming/public", Some(&alice)).await;

    // Published: the announcement as everyone sees it (no `read`).
    let a = add(&app, published("Hello #everyone")).await;
    let id = a.id.to_string();
    let data = user.expect("announcement").await;
    let v: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(v["id"], id.as_str());
    assert!(v["content"].as_str().unwrap().contains("everyone"), "{v}");
    assert!(v.get("read").is_none(), "{v}");
    assert_eq!(v["reactions"], serde_json::json!([]));

    // Reactions, as Mastodon sends them, to others too.
    let (st, _) = reaction(&app, put(), Some(&bob), &id, "👍").await;
    assert_eq!(st, 200);
    let data = user.expect("announcement.reaction").await;
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap(),
        serde_json::json!({"name": "👍", "count": 1, "announcement_id": id})
    );
    let (st, _) = reaction(&app, delete(), Some(&bob), &id, "👍").await;
    assert_eq!(st, 200);
    let data = user.expect("announcement.reaction").await;
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap(),
        serde_json::json!({"name": "👍", "count": 0, "announcement_id": id})
    );

    // Unpublished and published again from the command line (through a job).
    let (code, _, err) = admin(&app, &["unpublish", &id]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(user.expect("announcement.delete").await, id);
    let (code, _, err) = admin(&app, &["publish", &id]);
    assert_eq!(code, 0, "{err}");
    let data = user.expect("announcement").await;
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["id"],
        id.as_str()
    );
    let (code, _, err) = admin(&app, &["remove", &id]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(user.expect("announcement.delete").await, id);

    // Other streams do not carry them: the next event on the public one is a post.
    let (st, _) = app
        .post_auth("/api/v1/statuses", &bob, &[("status", "after")])
        .await;
    assert_eq!(st, 200);
    let (name, _) = public.next().await.unwrap();
    assert_eq!(name, "update");
}
