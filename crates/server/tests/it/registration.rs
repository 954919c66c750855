//! Signing up over the API, on every engine.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::oauth::{get_with, register};

on_every_backend!(registration_follows_the_instance_setting);

async fn app_token(app: &TestApp) -> String {
    let (id, secret) = register(app, "read write follow", "urn:ietf:wg:oauth:2.0:oob").await;
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "read write"),
        ])
        .send()
        .await
        .unwrap();
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn sign_up(app: &TestApp, token: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(token)
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn registration_follows_the_instance_setting(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let token = app_token(&app).await;
    let good = [
        ("username", "dora"),
        ("email", "dora@example.com"),
        ("password", "a good password"),
        ("agreement", "1"),
        ("locale", "en"),
    ];
    // Every refused field at once, with Mastodon's codes (apps show each by its input).
    let (status, body) = sign_up(
        &app,
        &token,
        &[("username", "admin"), ("email", "nope"), ("password", "")],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["details"],
        json!({
            "username": [{"error": "ERR_RESERVED", "description": "is reserved"}],
            "email": [{"error": "ERR_INVALID", "description": "is invalid"}],
            "password": [{"error": "ERR_BLANK", "description": "can't be blank"}],
            "agreement": [{"error": "ERR_ACCEPTED", "description": "must be accepted"}],
        })
    );
    assert_eq!(
        body["error"],
        "Validation failed: Username is reserved, Email is invalid, Password can't be blank, \
         Agreement must be accepted"
    );
    let (status, t) = sign_up(&app, &token, &good).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["token_type"], "Bearer");
    let (status, me) = get_with(
        &app,
        "/api/v1/accounts/verify_credentials",
        t["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "dora");
    for (fields, want) in [
        (
            vec![
                ("username", "Dora"),
                ("email", "d2@example.com"),
                ("password", "a good password"),
                ("agreement", "1"),
            ],
            422,
        ),
        (
            vec![
                ("username", "erin"),
                ("email", "DORA@example.com"),
                ("password", "a good password"),
                ("agreement", "1"),
            ],
            422,
        ),
        (
            vec![
                ("username", "erin"),
                ("email", "e@example.com"),
                ("password", "short"),
                ("agreement", "1"),
            ],
            422,
        ),
        (
            vec![
                ("username", "erin"),
                ("email", "e@example.com"),
                ("password", "a good password"),
            ],
            422,
        ),
        (
            vec![
                ("username", "admin"),
                ("email", "e@example.com"),
                ("password", "a good password"),
                ("agreement", "1"),
            ],
            422,
        ),
        (
            vec![
                ("username", "er in"),
                ("email", "e@example.com"),
                ("password", "a good password"),
                ("agreement", "1"),
            ],
            422,
        ),
        (
            vec![
                ("username", "erin"),
                ("email", "nope"),
                ("password", "a good password"),
                ("agreement", "1"),
            ],
            422,
        ),
    ] {
        let (status, body) = sign_up(&app, &token, &fields).await;
        assert_eq!(status, want, "{fields:?} {body}");
        assert!(body["details"].is_object(), "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("Validation failed"),
            "{body}"
        );
    }
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Approval: the token exists, but the account waits.
    let app2 = spawn_with(backend, &[("ROOKERY_INSTANCE__REGISTRATIONS", "approval")]).await;
    let token2 = app_token(&app2).await;
    let (status, _) = sign_up(&app2, &token2, &good).await;
    assert_eq!(status, 422, "a reason is required");
    let mut with_reason = good.to_vec();
    with_reason.push(("reason", "I like birds"));
    let (status, t) = sign_up(&app2, &token2, &with_reason).await;
    assert_eq!(status, 200);
    let (status, body) = get_with(
        &app2,
        "/api/v1/accounts/verify_credentials",
        t["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "Your login is currently pending approval");

    // Closed.
    let app3 = spawn_with(backend, &[("ROOKERY_INSTANCE__REGISTRATIONS", "closed")]).await;
    let token3 = app_token(&app3).await;
    let (status, body) = sign_up(&app3, &token3, &good).await;
    assert_eq!(status, 403);
    assert!(body["error"].is_string());
}
