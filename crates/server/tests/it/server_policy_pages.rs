//! The sign-up page under server-wide policy: a blocked e-mail domain and a blocked network
//! are refused there as over the API; a network blocked with `no_access` reaches nothing —
//! API, pages, streaming — until the block is lifted.

use std::time::Duration;

use rookery_service::moderation::Moderator;
use rookery_service::moderation::ip_blocks::IpBlockInput;
use rookery_testkit::Backend;

use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(
    the_sign_up_page_applies_email_and_ip_blocks,
    no_access_reaches_nothing
);

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Opens the form, waits out the bot deterrent and sends it; (status, page).
async fn sign_up(app: &TestApp, name: &str, email: &str) -> (u16, String) {
    let r = app.get("/auth/sign_up").await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = r.text().await.unwrap();
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let csrf = hidden(&html, "authenticity_token");
    let shown = hidden(&html, "shown");
    let r = app
        .client
        .post(app.url("/auth/sign_up"))
        .header("cookie", cookie)
        .form(&[
            ("authenticity_token", csrf.as_str()),
            ("shown", shown.as_str()),
            ("username", name),
            ("email", email),
            ("password", "a good password"),
            ("password_confirmation", "a good password"),
            ("agreement", "1"),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn the_sign_up_page_applies_email_and_ip_blocks(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let s = &app.services;
    s.email_blocks()
        .block_domain(Moderator::CLI, "spam.example")
        .await
        .unwrap();
    let (status, html) = sign_up(&app, "sam", "sam@relay.spam.example").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("uses a disallowed e-mail provider"), "{html}");
    assert!(s.local_account("sam").await.is_err());

    let block = s
        .ip_blocks()
        .create(
            Moderator::CLI,
            IpBlockInput {
                ip: Some("127.0.0.0/8".into()),
                severity: Some("sign_up_block".into()),
                ..IpBlockInput::default()
            },
        )
        .await
        .unwrap();
    let (status, html) = sign_up(&app, "sam", "sam@example.com").await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("Sign-ups from your network"), "{html}");
    assert!(s.local_account("sam").await.is_err());
    s.ip_blocks()
        .delete(Moderator::CLI, block.id)
        .await
        .unwrap();
    let (status, html) = sign_up(&app, "sam", "sam@example.com").await;
    assert_eq!(status, 200, "{html}");
    assert!(s.local_account("sam").await.is_ok());
}

async fn no_access_reaches_nothing(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let paths = [
        "/api/v1/instance",
        "/",
        "/about",
        "/api/v1/streaming/health",
        "/.well-known/nodeinfo",
    ];
    for path in paths {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    let s = &app.services;
    let block = s
        .ip_blocks()
        .create(
            Moderator::CLI,
            IpBlockInput {
                ip: Some("127.0.0.0/8".into()),
                severity: Some("no_access".into()),
                ..IpBlockInput::default()
            },
        )
        .await
        .unwrap();
    for path in paths {
        assert_eq!(app.get(path).await.status(), 403, "{path}");
    }
    s.ip_blocks()
        .delete(Moderator::CLI, block.id)
        .await
        .unwrap();
    for path in paths {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
}
