//! Notification policy and requests (`/api/v2/notifications/policy`,
//! `/api/v1/notifications/requests…`), on every engine.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};

on_every_backend!(policy_filters_drops_and_requests_answer);

async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> String {
    let (st, body) = app.post_auth("/api/v1/statuses", token, form).await;
    assert_eq!(st, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// (kind, sender username, status id) of the user's notifications.
async fn notes(app: &TestApp, token: &str, extra: &str) -> Vec<(String, String, String)> {
    let (st, v, _) = app
        .get_auth(
            &format!("/api/v1/notifications?limit=80{extra}"),
            Some(token),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap().to_owned(),
                n["account"]["username"].as_str().unwrap().to_owned(),
                n["status"]["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn requests(app: &TestApp, token: &str) -> Vec<Value> {
    let (st, v, _) = app
        .get_auth("/api/v1/notifications/requests", Some(token))
        .await;
    assert_eq!(st, 200, "{v}");
    v.as_array().unwrap().clone()
}

fn request_of<'a>(list: &'a [Value], username: &str) -> Option<&'a Value> {
    list.iter()
        .find(|r| r["account"]["username"].as_str() == Some(username))
}

async fn policy_filters_drops_and_requests_answer(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let dave = app.token("dave").await;
    let erin = app.token("erin").await;
    let frank = app.token("frank").await;
    let erin_id = app.account_id("erin").await;

    // Mastodon's defaults: private mentions and limited accounts filtered, the rest accepted.
    let (st, p, _) = app
        .get_auth("/api/v2/notifications/policy", Some(&alice))
        .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["for_not_following"], "accept");
    assert_eq!(p["for_not_followers"], "accept");
    assert_eq!(p["for_new_accounts"], "accept");
    assert_eq!(p["for_private_mentions"], "filter");
    assert_eq!(p["for_limited_accounts"], "filter");
    assert_eq!(p["summary"]["pending_requests_count"], 0);
    assert_eq!(p["summary"]["pending_notifications_count"], 0);
    let (_, v1, _) = app
        .get_auth("/api/v1/notifications/policy", Some(&alice))
        .await;
    assert_eq!(v1["filter_private_mentions"], true);
    assert_eq!(v1["filter_not_following"], false);
    assert_eq!(
        app.get_auth("/api/v2/notifications/policy", None).await.0,
        401
    );

    // A private mention from a stranger waits as a request; a public one arrives.
    let secret = post(
        &app,
        &bob,
        &[("status", "@alice psst"), ("visibility", "direct")],
    )
    .await;
    let open = post(&app, &bob, &[("status", "@alice hello")]).await;
    eventually("the public mention", || async {
        notes(&app, &alice, "").await.iter().any(|n| n.2 == open)
    })
    .await;
    eventually("bob's request", || async {
        request_of(&requests(&app, &alice).await, "bob").is_some()
    })
    .await;
    assert!(!notes(&app, &alice, "").await.iter().any(|n| n.2 == secret));
    assert!(
        notes(&app, &alice, "&include_filtered=true")
            .await
            .iter()
            .any(|n| n.2 == secret)
    );
    let list = requests(&app, &alice).await;
    let bob_request = request_of(&list, "bob").unwrap().clone();
    assert_eq!(bob_request["notifications_count"], "1");
    assert_eq!(
        bob_request["last_status"]["id"].as_str(),
        Some(secret.as_str())
    );
    let bob_request_id = bob_request["id"].as_str().unwrap().to_owned();
    let (st, one, _) = app
        .get_auth(
            &format!("/api/v1/notifications/requests/{bob_request_id}"),
            Some(&alice),
        )
        .await;
    assert_eq!((st, &one["id"]), (200, &bob_request["id"]));
    let (_, p, _) = app
        .get_auth("/api/v2/notifications/policy", Some(&alice))
        .await;
    assert_eq!(p["summary"]["pending_requests_count"], 1);
    assert_eq!(p["summary"]["pending_notifications_count"], 1);
    // Grouped lists and unread counts leave it out too.
    let (_, grouped, _) = app.get_auth("/api/v2/notifications", Some(&alice)).await;
    let statuses: Vec<&str> = grouped["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(!statuses.contains(&secret.as_str()), "{grouped}");

    // A reply to a private mention alice started is never filtered.
    let started = post(
        &app,
        &alice,
        &[("status", "@frank hi"), ("visibility", "direct")],
    )
    .await;
    let answer = post(
        &app,
        &frank,
        &[
            ("status", "@alice hi back"),
            ("visibility", "direct"),
            ("in_reply_to_id", &started),
        ],
    )
    .await;
    eventually("frank's answer", || async {
        notes(&app, &alice, "").await.iter().any(|n| n.2 == answer)
    })
    .await;

    // Strangers filtered: carol's favourite waits; a bad value changes nothing.
    let (st, body) = app
        .patch_auth(
            "/api/v2/notifications/policy",
            &alice,
            &[("for_not_following", "maybe"), ("for_new_accounts", "drop")],
        )
        .await;
    assert_eq!(st, 422, "{body}");
    let (st, p) = app
        .patch_auth(
            "/api/v2/notifications/policy",
            &alice,
            &[("for_not_following", "filter")],
        )
        .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["for_not_following"], "filter");
    assert_eq!(p["for_new_accounts"], "accept");
    let mine = post(&app, &alice, &[("status", "like me")]).await;
    let (st, _) = app
        .post_auth(&format!("/api/v1/statuses/{mine}/favourite"), &carol, &[])
        .await;
    assert_eq!(st, 200);
    eventually("carol's request", || async {
        request_of(&requests(&app, &alice).await, "carol").is_some()
    })
    .await;
    assert!(!notes(&app, &alice, "").await.iter().any(|n| n.1 == "carol"));

    // Strangers dropped: nothing at all; someone alice follows still gets through.
    let (st, _) = app
        .patch_auth(
            "/api/v2/notifications/policy",
            &alice,
            &[("for_not_following", "drop")],
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = app
        .post_auth(&format!("/api/v1/accounts/{erin_id}/follow"), &alice, &[])
        .await;
    assert_eq!(st, 200);
    let dropped = post(&app, &dave, &[("status", "@alice are you there")]).await;
    let followed = post(&app, &erin, &[("status", "@alice it's me")]).await;
    eventually("erin's mention", || async {
        notes(&app, &alice, "")
            .await
            .iter()
            .any(|n| n.2 == followed)
    })
    .await;
    // Give dave's (earlier) job the same time, then make sure it left no trace.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !notes(&app, &alice, "&include_filtered=true")
            .await
            .iter()
            .any(|n| n.2 == dropped)
    );
    assert!(request_of(&requests(&app, &alice).await, "dave").is_none());

    // Someone else cannot see or answer alice's requests.
    let path = format!("/api/v1/notifications/requests/{bob_request_id}");
    assert_eq!(app.get_auth(&path, Some(&erin)).await.0, 404);
    assert_eq!(
        app.post_auth(&format!("{path}/accept"), &erin, &[]).await.0,
        404
    );
    assert_eq!(
        app.post_auth(&format!("{path}/dismiss"), &erin, &[])
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_auth("/api/v1/notifications/requests/nonsense", Some(&alice))
            .await
            .0,
        404
    );

    // Accepting merges bob's notifications and lets later ones through.
    let (st, body) = app.post_auth(&format!("{path}/accept"), &alice, &[]).await;
    assert_eq!((st, body), (200, serde_json::json!({})));
    assert!(notes(&app, &alice, "").await.iter().any(|n| n.2 == secret));
    assert!(request_of(&requests(&app, &alice).await, "bob").is_none());
    let (_, merged, _) = app
        .get_auth("/api/v1/notifications/requests/merged", Some(&alice))
        .await;
    assert_eq!(merged["merged"], true);
    let again = post(
        &app,
        &bob,
        &[("status", "@alice again"), ("visibility", "direct")],
    )
    .await;
    eventually("bob's next private mention", || async {
        notes(&app, &alice, "").await.iter().any(|n| n.2 == again)
    })
    .await;

    // Dismissing (several at once, unknown ids skipped) deletes what was held back.
    let carol_request = request_of(&requests(&app, &alice).await, "carol").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, _) = app
        .post_auth(
            "/api/v1/notifications/requests/dismiss",
            &alice,
            &[
                ("id[]", carol_request.as_str()),
                ("id[]", "12345"),
                ("id[]", "x"),
            ],
        )
        .await;
    assert_eq!(st, 200);
    assert!(requests(&app, &alice).await.is_empty());
    assert!(
        !notes(&app, &alice, "&include_filtered=true")
            .await
            .iter()
            .any(|n| n.1 == "carol")
    );
    let (_, p, _) = app
        .get_auth("/api/v2/notifications/policy", Some(&alice))
        .await;
    assert_eq!(p["summary"]["pending_requests_count"], 0);

    // Version 1 writes booleans.
    let r = app
        .client
        .put(app.url("/api/v1/notifications/policy"))
        .bearer_auth(&alice)
        .form(&[
            ("filter_not_following", "false"),
            ("filter_new_accounts", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v1: Value = r.json().await.unwrap();
    assert_eq!(v1["filter_not_following"], false);
    assert_eq!(v1["filter_new_accounts"], true);
    let (_, p, _) = app
        .get_auth("/api/v2/notifications/policy", Some(&alice))
        .await;
    assert_eq!(p["for_not_following"], "accept");
    assert_eq!(p["for_new_accounts"], "filter");
}
