//! Scheduled statuses: kept with their media, listed, moved, cancelled, published once by the
//! job at their time, and bad input, on every engine.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};
use crate::media::{files::make_png, processed, upload};

on_every_backend!(statuses_are_scheduled_moved_cancelled_and_published_once);

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .form(form)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

async fn png(app: &TestApp, token: &str) -> String {
    let (st, m) = upload(app, token, "a.png", make_png(8, 8), &[]).await;
    assert!(st == 200 || st == 202, "{st} {m}");
    let id = m["id"].as_str().unwrap().to_owned();
    processed(app, token, &id).await;
    id
}

async fn statuses_are_scheduled_moved_cancelled_and_published_once(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let alice_id = app.account_id("alice").await;
    let (st, _) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    assert_eq!(st, 200);
    let media = png(&app, &alice).await;

    // Kept for later, with its media held and its parameters as asked.
    let (st, s) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                ("status", "later, with a picture"),
                ("visibility", "private"),
                ("media_ids[]", &media),
                ("scheduled_at", "4000-01-01T12:13:14+02:00"),
            ],
        )
        .await;
    assert_eq!(st, 200, "{s}");
    let sid = s["id"].as_str().unwrap().to_owned();
    assert_eq!(s["scheduled_at"], "4000-01-01T10:13:14.000Z");
    assert_eq!(s["params"]["text"], "later, with a picture");
    assert_eq!(s["params"]["visibility"], "private");
    assert_eq!(s["params"]["sensitive"], Value::Null);
    assert_eq!(s["params"]["media_ids"][0], media.as_str());
    assert_eq!(s["params"]["with_rate_limit"], false);
    assert_eq!(s["media_attachments"][0]["id"], media.as_str());
    assert!(
        s.get("content").is_none(),
        "a ScheduledStatus, not a Status"
    );

    let (st, taken) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "now"), ("media_ids[]", &media)],
        )
        .await;
    assert_eq!(st, 422, "held media cannot go elsewhere: {taken}");

    // A poll, as JSON.
    let r = app
        .client
        .post(app.url("/api/v1/statuses"))
        .bearer_auth(&alice)
        .json(
            &serde_json::json!({"status": "vote later", "scheduled_at": "4000-01-02T00:00:00Z",
            "poll": {"options": ["a", "b"], "expires_in": 600}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let polled: Value = r.json().await.unwrap();
    assert_eq!(polled["params"]["poll"]["options"][1], "b");
    assert_eq!(polled["params"]["poll"]["expires_in"], 600);
    let pid = polled["id"].as_str().unwrap().to_owned();

    // Listed (newest first), shown, and another user's are not found.
    let (st, list, link) = app
        .get_auth("/api/v1/scheduled_statuses", Some(&alice))
        .await;
    assert_eq!(st, 200);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![pid.as_str(), sid.as_str()]);
    assert!(link.unwrap().contains("max_id="));
    let (_, one, _) = app
        .get_auth("/api/v1/scheduled_statuses?limit=1", Some(&alice))
        .await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    let path = format!("/api/v1/scheduled_statuses/{sid}");
    assert_eq!(
        app.get_auth(&path, Some(&alice)).await.1["id"],
        sid.as_str()
    );
    assert_eq!(app.get_auth(&path, Some(&bob)).await.0, 404);
    assert_eq!(
        send(&app, reqwest::Method::DELETE, &path, &bob, &[])
            .await
            .0,
        404
    );
    assert_eq!(
        send(
            &app,
            reqwest::Method::PUT,
            &path,
            &bob,
            &[("scheduled_at", "4000-01-01T00:00:00Z")]
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.get_auth("/api/v1/scheduled_statuses/nope", Some(&alice))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_auth("/api/v1/scheduled_statuses", None).await.0,
        401
    );

    // Moved earlier; too soon and nonsense are refused.
    let (st, moved) = send(
        &app,
        reqwest::Method::PUT,
        &path,
        &alice,
        &[("scheduled_at", "4000-01-01T09:00:00Z")],
    )
    .await;
    assert_eq!(st, 200, "{moved}");
    assert_eq!(moved["scheduled_at"], "4000-01-01T09:00:00.000Z");
    let soon = app.services.clock.now().plus_millis(60_000).to_rfc3339();
    let (st, e) = send(
        &app,
        reqwest::Method::PUT,
        &path,
        &alice,
        &[("scheduled_at", &soon)],
    )
    .await;
    assert_eq!(st, 422, "{e}");
    assert!(e["error"].as_str().unwrap().contains("5 minutes"), "{e}");
    for bad in [soon.as_str(), "tomorrow", "4000-13-45T00:00:00Z"] {
        let (st, e) = app
            .post_auth(
                "/api/v1/statuses",
                &alice,
                &[("status", "x"), ("scheduled_at", bad)],
            )
            .await;
        assert_eq!(st, 422, "{bad}: {e}");
    }
    // Checked as posting is.
    for form in [
        vec![("status", ""), ("scheduled_at", "4000-01-03T00:00:00Z")],
        vec![
            ("status", "x"),
            ("visibility", "everyone"),
            ("scheduled_at", "4000-01-03T00:00:00Z"),
        ],
        vec![
            ("status", "x"),
            ("in_reply_to_id", "12345"),
            ("scheduled_at", "4000-01-03T00:00:00Z"),
        ],
    ] {
        let (st, e) = app.post_auth("/api/v1/statuses", &alice, &form).await;
        assert!(st == 422 || st == 404, "{form:?}: {st} {e}");
    }
    // A time in the past posts at once, as Mastodon.
    let (st, now) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                ("status", "already"),
                ("scheduled_at", "2001-01-01T00:00:00Z"),
            ],
        )
        .await;
    assert_eq!(st, 200);
    assert!(now["content"].as_str().unwrap().contains("already"));

    // Mastodon's daily limit: 25 on one day.
    for i in 0..25 {
        let (st, e) = app
            .post_auth(
                "/api/v1/statuses",
                &alice,
                &[
                    ("status", &format!("n{i}")),
                    ("scheduled_at", "4001-06-01T10:00:00Z"),
                ],
            )
            .await;
        assert_eq!(st, 200, "{i}: {e}");
    }
    let (st, e) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                ("status", "one more"),
                ("scheduled_at", "4001-06-01T23:00:00Z"),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(e["error"].as_str().unwrap().contains("25"), "{e}");

    // Cancelled: its media are free again.
    let media2 = png(&app, &alice).await;
    let (_, c) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                ("status", "never"),
                ("media_ids[]", &media2),
                ("scheduled_at", "4000-02-01T00:00:00Z"),
            ],
        )
        .await;
    let cpath = format!("/api/v1/scheduled_statuses/{}", c["id"].as_str().unwrap());
    let (st, body) = send(&app, reqwest::Method::DELETE, &cpath, &alice, &[]).await;
    assert_eq!((st, body), (200, serde_json::json!({})));
    assert_eq!(app.get_auth(&cpath, Some(&alice)).await.0, 404);
    let (st, _) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "now with it"), ("media_ids[]", &media2)],
        )
        .await;
    assert_eq!(st, 200);

    // Its time comes: every job of it runs (the one of its first time too), it is posted once,
    // with its media and visibility, reaches a follower's home, and leaves the list.
    app.sql(&format!(
        "UPDATE scheduled_statuses SET scheduled_at = 1 WHERE id IN ({sid}, {pid})"
    ))
    .await;
    app.sql("UPDATE jobs SET run_at = 1 WHERE kind = 'publish_scheduled_status'")
        .await;
    eventually("the scheduled status in bob's home", || async {
        let (_, home, _) = app.get_auth("/api/v1/timelines/home", Some(&bob)).await;
        home.as_array().is_some_and(|l| {
            l.iter().any(|s| {
                s["content"]
                    .as_str()
                    .unwrap_or("")
                    .contains("later, with a picture")
            })
        })
    })
    .await;
    eventually("both published", || async {
        let (_, list, _) = app
            .get_auth("/api/v1/scheduled_statuses?limit=40", Some(&alice))
            .await;
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == sid.as_str() || x["id"] == pid.as_str())
    })
    .await;
    let (_, mine, _) = app
        .get_auth(
            &format!("/api/v1/accounts/{alice_id}/statuses?limit=40"),
            Some(&alice),
        )
        .await;
    let later: Vec<&Value> = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["content"]
                .as_str()
                .unwrap()
                .contains("later, with a picture")
        })
        .collect();
    assert_eq!(later.len(), 1, "published exactly once");
    assert_eq!(later[0]["visibility"], "private");
    assert_eq!(later[0]["media_attachments"][0]["id"], media.as_str());
    let voted = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["content"].as_str().unwrap().contains("vote later"))
        .expect("the poll status");
    assert_eq!(voted["poll"]["options"][0]["title"], "a");
    assert_eq!(voted["poll"]["expired"], false);
}
