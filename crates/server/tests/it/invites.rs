//! Invite links: made and withdrawn at the command line, signing up through one in a browser
//! or an app while sign-ups are closed or reviewed, and refused once used up, expired or
//! withdrawn.

use std::time::Duration;

use rookery_testkit::Backend;
use serde_json::Value;

use crate::browser::Browser;
use crate::cli::admin_on;
use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::oauth::register;

on_every_backend!(invites_open_closed_sign_ups);

/// `rookery admin invites ARGS` on the app's own database.
fn admin(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    admin_on(app, "invites", args)
}

/// The code of the link `admin invites create` printed.
fn created(app: &TestApp, args: &[&str]) -> String {
    let (code, out, err) = admin(app, &[&["create"], args].concat());
    assert_eq!(code, 0, "{err}");
    let link = out.lines().next().unwrap();
    let code = link
        .strip_prefix("https://rookery.test/invite/")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(code.len(), 12, "{out}");
    code.to_owned()
}

/// Fills in the sign-up form of `/invite/CODE` (waiting out the bot deterrent).
async fn sign_up(browser: &mut Browser<'_>, code: &str, name: &str) -> (u16, String) {
    let page = browser.get(&format!("/invite/{code}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("You were invited"), "{}", page.html);
    assert_eq!(page.field("invite_code"), code);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let email = format!("{name}@example.com");
    let page = browser
        .post(
            "/auth/sign_up",
            &[
                (
                    "authenticity_token",
                    page.field("authenticity_token").as_str(),
                ),
                ("shown", page.field("shown").as_str()),
                ("invite_code", code),
                ("username", name),
                ("email", email.as_str()),
                ("password", "a good password"),
                ("password_confirmation", "a good password"),
                ("agreement", "1"),
            ],
        )
        .await;
    (page.status, page.html)
}

async fn invites_open_closed_sign_ups(backend: Backend) {
    let app = spawn_with(
        backend,
        &[
            ("ROOKERY_INSTANCE__REGISTRATIONS", "closed"),
            ("ROOKERY_RATE_LIMITS__ENABLED", "false"),
        ],
    )
    .await;
    // Closed: no form without an invite.
    assert_eq!(app.get("/auth/sign_up").await.status(), 403);

    let once = created(
        &app,
        &["--uses", "1", "--expires", "7d", "--comment", "for Jo"],
    );
    let mut browser = Browser::new(&app);
    let (status, html) = sign_up(&mut browser, &once, "jo").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Welcome!"), "{html}");
    let jo = app.services.local_account("jo").await.unwrap();
    assert!(jo.user.approved);

    // Used up: the page says so, and a form sent with the code is refused.
    let page = Browser::new(&app).get(&format!("/invite/{once}")).await;
    assert_eq!(page.status, 404, "{}", page.html);
    assert!(page.html.contains("no longer works"), "{}", page.html);
    let (code, out, _) = admin(&app, &["list"]);
    assert_eq!(code, 0);
    let line = out.lines().find(|l| l.starts_with(&once)).unwrap();
    assert!(
        line.contains("1/1") && line.contains("used up") && line.contains("for Jo"),
        "{out}"
    );

    // From an app, while closed: the API takes `invite_code` as Mastodon's does.
    let any = created(&app, &[]);
    let (id, secret) = register(&app, "read write", "urn:ietf:wg:oauth:2.0:oob").await;
    let app_token: Value = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", "read write"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app_token = app_token["access_token"].as_str().unwrap().to_owned();
    let form = |name: &'static str, code: &str| {
        vec![
            ("username", name.to_owned()),
            ("email", format!("{name}@example.com")),
            ("password", "a good password".to_owned()),
            ("agreement", "true".to_owned()),
            ("invite_code", code.to_owned()),
        ]
    };
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&app_token)
        .form(&form("kim", &any))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&app_token)
        .form(&form("lee", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "closed without an invite");
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&app_token)
        .form(&form("lee", &once))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["details"]["invite_code"][0]["error"], "ERR_INVALID",
        "{body}"
    );
    assert!(app.services.local_account("lee").await.is_err());

    // A sign-up that fails (a taken username) gives the use back.
    let twice = created(&app, &["--uses", "2"]);
    let (status, html) = sign_up(&mut Browser::new(&app), &twice, "jo").await;
    assert_eq!(status, 422, "{html}");
    let (_, out, _) = admin(&app, &["list"]);
    let line = out.lines().find(|l| l.starts_with(&twice)).unwrap();
    assert!(line.contains("0/2"), "{out}");

    // Withdrawn and expired links stop working.
    let (code, out, err) = admin(&app, &["revoke", &twice]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("withdrawn"), "{out}");
    assert_eq!(
        Browser::new(&app)
            .get(&format!("/invite/{twice}"))
            .await
            .status,
        404
    );
    let (code, _, err) = admin(&app, &["revoke", &twice]);
    assert_ne!(code, 0, "a second revoke: {err}");
    let soon = created(&app, &["--expires", "1h"]);
    app.sql(&format!(
        "UPDATE invites SET expires_at = 1000 WHERE code = '{soon}'"
    ))
    .await;
    assert_eq!(
        Browser::new(&app)
            .get(&format!("/invite/{soon}"))
            .await
            .status,
        404
    );
    for bad in ["--uses=0", "--expires=7y", "--expires=-1d"] {
        let (code, _, err) = admin(&app, &["create", bad]);
        assert_ne!(code, 0, "{bad}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Unknown and hostile codes.
    for code in ["nope", "%3Cscript%3E", &"x".repeat(500)] {
        let page = Browser::new(&app).get(&format!("/invite/{code}")).await;
        assert_eq!(page.status, 404, "{code}");
        assert!(!page.html.contains("<script>"), "{}", page.html);
    }
}
