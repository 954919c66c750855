//! Attachments changed by an edit (`PUT /api/v1/statuses/:id` with `media_ids[]`), as
//! Mastodon allows: added from the author's uploads, taken away, put in another order; never
//! someone else's upload or one attached elsewhere.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use super::{make_png, processed, upload};
use crate::kit::{TestApp, on_every_backend, spawn_with};

async fn uploaded(app: &TestApp, token: &str, w: u32) -> String {
    let (_, m) = upload(app, token, "x.png", make_png(w, 32), &[]).await;
    let id = m["id"].as_str().unwrap().to_owned();
    assert_eq!(processed(app, token, &id).await.0, 200);
    id
}

async fn edit(app: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .put(app.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

fn attached(status: &Value) -> Vec<String> {
    status["media_attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn edits_change_attachments(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let (a, b, c) = (
        uploaded(&app, &alice, 40).await,
        uploaded(&app, &alice, 41).await,
        uploaded(&app, &alice, 42).await,
    );
    let (st, status) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                ("status", "pictures"),
                ("media_ids[]", &a),
                ("media_ids[]", &b),
            ],
        )
        .await;
    assert_eq!(st, 200, "{status}");
    let sid = status["id"].as_str().unwrap().to_owned();

    // Text only, attachments resent as they are: unchanged.
    let (st, same) = edit(
        &app,
        &alice,
        &sid,
        json!({"status": "pictures!", "media_ids": [a, b]}),
    )
    .await;
    assert_eq!(st, 200, "{same}");
    assert_eq!(attached(&same), [a.clone(), b.clone()]);

    // One added, one taken away, another order, with a description for the new one.
    let (st, changed) = edit(
        &app,
        &alice,
        &sid,
        json!({"status": "pictures", "media_ids": [c, a],
               "media_attributes": [{"id": c, "description": "the third"}]}),
    )
    .await;
    assert_eq!(st, 200, "{changed}");
    assert_eq!(attached(&changed), [c.clone(), a.clone()]);
    assert_eq!(changed["media_attachments"][0]["description"], "the third");
    // The one let go may be used again.
    let (st, other) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "reuse"), ("media_ids[]", &b)],
        )
        .await;
    assert_eq!(st, 200, "{other}");
    assert_eq!(attached(&other), std::slice::from_ref(&b));

    // Not attachable: another's upload, one attached to another post, an unknown id. Refused
    // whole, with Mastodon's text, and nothing changes.
    let bobs = uploaded(&app, &bob, 43).await;
    for refused in [bobs.as_str(), b.as_str(), "12345"] {
        let (st, body) = edit(
            &app,
            &alice,
            &sid,
            json!({"status": "changed", "media_ids": [a, refused]}),
        )
        .await;
        assert_eq!(st, 422, "{refused}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("not found or already attached"),
            "{body}"
        );
    }
    let (_, now, _) = app
        .get_auth(&format!("/api/v1/statuses/{sid}"), Some(&alice))
        .await;
    assert_eq!(attached(&now), [c.clone(), a.clone()]);
    assert!(!now["content"].as_str().unwrap().contains("changed"));

    // Five is more than a post may carry.
    let more: Vec<String> = vec![
        uploaded(&app, &alice, 44).await,
        uploaded(&app, &alice, 45).await,
        uploaded(&app, &alice, 46).await,
    ];
    let mut five = vec![c.clone(), a.clone()];
    five.extend(more);
    let (st, body) = edit(
        &app,
        &alice,
        &sid,
        json!({"status": "x", "media_ids": five}),
    )
    .await;
    assert_eq!(st, 422, "{body}");
}

on_every_backend!(edits_change_attachments);
