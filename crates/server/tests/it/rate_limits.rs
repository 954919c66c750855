//! Rate limits: per token and per address, with Mastodon's headers, and the few sign-in and
//! sign-up attempts an address may make.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{on_every_backend, spawn_with};

on_every_backend!(
    rate_limits_answer_429_with_headers,
    sign_in_attempts_are_few_per_address,
);

async fn rate_limits_answer_429_with_headers(backend: Backend) {
    let app = spawn_with(
        backend,
        &[
            ("ROOKERY_RATE_LIMITS__PER_TOKEN", "5"),
            ("ROOKERY_RATE_LIMITS__PER_ADDRESS", "3"),
        ],
    )
    .await;
    // Registering the app and getting its token count as the address's (two of its three).
    let token = app.token("alice").await;
    for remaining in ["0"] {
        let r = app.get("/api/v1/instance").await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-ratelimit-limit"], "3");
        assert_eq!(r.headers()["x-ratelimit-remaining"], remaining);
        assert!(
            r.headers()["x-ratelimit-reset"]
                .to_str()
                .unwrap()
                .ends_with('Z')
        );
    }
    let r = app.get("/api/v1/instance").await;
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "Too many requests");
    // Operational endpoints are not limited.
    assert_eq!(app.get("/health").await.status(), 200);
    // A made-up token buys no allowance of its own: it is the address's, spent.
    let r = app
        .client
        .get(app.url("/api/v1/instance"))
        .bearer_auth("made-up-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // Nor do sign-in attempts.
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // A token has its own, larger allowance.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = app
            .client
            .get(app.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 429]);
}

/// Password guessing from one address stops after Mastodon's 25 attempts in five minutes,
/// even with a large per-address allowance.
async fn sign_in_attempts_are_few_per_address(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__PER_ADDRESS", "1000")]).await;
    app.create_account("alice").await;
    let mut statuses = Vec::new();
    for _ in 0..27 {
        let r = app
            .client
            .post(app.url("/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "guess"),
                ("client_id", "x"),
                ("client_secret", "y"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(statuses[..25].iter().all(|s| *s != 429), "{statuses:?}");
    assert_eq!(&statuses[25..], &[429, 429]);
    // Other grants are not sign-in attempts: apps exchanging codes are not held up (as in
    // Mastodon, which throttles its password form only).
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "x"),
            ("client_secret", "y"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status().as_u16(), 429);
    // The test client connects from loopback, which is believed as a proxy by default: another
    // client behind it, named by `X-Forwarded-For`, has attempts of its own.
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .header("x-forwarded-for", "203.0.113.7")
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status().as_u16(), 429);
    // The rest of the API is not held up by it.
    assert_eq!(app.get("/api/v1/instance").await.status(), 200);
}
