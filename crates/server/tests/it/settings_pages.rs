//! Signing in to the web pages, two-factor authentication (codes computed by an independent
//! TOTP implementation), sessions and the password, through the pages as a browser uses them.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::browser::{Browser, now_unix, totp};
use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::oauth::register;

on_every_backend!(settings_with_two_factor_sign_in);

async fn sign_in(browser: &mut Browser<'_>, login: &str, password: &str) -> crate::browser::Page {
    browser
        .submit(
            "/auth/sign_in",
            "/auth/sign_in",
            &[("login", login), ("password", password)],
        )
        .await
}

/// The text between `start` and `end` in `html`.
fn between<'h>(html: &'h str, start: &str, end: &str) -> &'h str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start} in {html}")) + start.len();
    let to = html[from..].find(end).unwrap() + from;
    &html[from..to]
}

async fn password_grant(app: &TestApp, password: &str) -> (u16, Value) {
    let (id, secret) = register(app, "read", "urn:ietf:wg:oauth:2.0:oob").await;
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("username", "hana@example.com"),
            ("password", password),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn settings_with_two_factor_sign_in(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("hana").await;
    let mut a = Browser::new(&app);

    // Signed out, the settings send the browser to sign in.
    let page = a.get("/settings").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/auth/sign_in"));
    let page = sign_in(&mut a, "hana@example.com", "wrong password").await;
    assert_eq!(page.status, 401);
    assert!(a.cookie("rookery_session").is_none());
    let page = sign_in(&mut a, "hana", "a good password").await;
    assert_eq!(page.status, 303, "{}", page.html);
    assert_eq!(page.location.as_deref(), Some("/settings"));
    let page = a.get("/settings").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("@hana"));

    // Two-factor authentication: a key, a QR code, then the first code turns it on.
    let page = a
        .submit("/settings/two_factor", "/settings/two_factor/setup", &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<svg"));
    let secret = between(&page.html, "Key: <code>", "</code>").to_owned();
    let page = a
        .submit(
            "/settings/two_factor",
            "/settings/two_factor/enable",
            &[("code", "000000")],
        )
        .await;
    assert_eq!(page.status, 422);
    let code = totp(&secret, now_unix());
    let page = a
        .submit(
            "/settings/two_factor",
            "/settings/two_factor/enable",
            &[("code", &code)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let codes: Vec<String> = page
        .html
        .split("<li><code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{}", page.html);
    assert!(app.services.local_account("hana").await.unwrap().user.two_factor);

    // The password alone is no longer a grant, with Mastodon's error.
    let (status, body) = password_grant(&app, "a good password").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");

    // Signing in now takes the second step; a code works once.
    let mut b = Browser::new(&app);
    b.agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1";
    let page = sign_in(&mut b, "hana@example.com", "a good password").await;
    assert_eq!(page.status, 200);
    assert!(b.cookie("rookery_session").is_none());
    let ticket = page.field("ticket");
    let csrf = page.field("authenticity_token");
    let page = b
        .post(
            "/auth/sign_in/two_factor",
            &[
                ("authenticity_token", &csrf),
                ("ticket", &ticket),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(page.status, 401, "a code is accepted once");
    // A ticket is bound to the browser that passed the password.
    let mut c = Browser::new(&app);
    let other = c.get("/auth/sign_in").await;
    let page = c
        .post(
            "/auth/sign_in/two_factor",
            &[
                ("authenticity_token", &other.field("authenticity_token")),
                ("ticket", &ticket),
                ("code", &totp(&secret, now_unix() + 30)),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = b
        .post(
            "/auth/sign_in/two_factor",
            &[
                ("authenticity_token", &csrf),
                ("ticket", &ticket),
                ("code", &totp(&secret, now_unix() + 30)),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.html);
    assert!(b.cookie("rookery_session").is_some());

    // Both browsers are listed; the first signs the second out.
    let page = a.get("/settings/sessions").await;
    assert!(page.html.contains("Firefox on Linux"), "{}", page.html);
    assert!(page.html.contains("Safari on iOS"), "{}", page.html);
    let b_id = between(&page.html, "/settings/sessions/", "/revoke").to_owned();
    let page = a
        .submit(
            "/settings/sessions",
            &format!("/settings/sessions/{b_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(!page.html.contains("Safari on iOS"));
    assert_eq!(b.get("/settings").await.status, 303);

    // A recovery code signs in once.
    let with_code = |page: &crate::browser::Page, code: &str| {
        vec![
            ("authenticity_token", page.field("authenticity_token")),
            ("ticket", page.field("ticket")),
            ("code", code.to_owned()),
        ]
    };
    for (attempt, expected) in [(0, 303), (1, 401)] {
        b.forget("rookery_session");
        let page = sign_in(&mut b, "hana", "a good password").await;
        let fields = with_code(&page, &codes[0]);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = b.post("/auth/sign_in/two_factor", &fields).await;
        assert_eq!(done.status, expected, "recovery code, attempt {attempt}");
    }

    // The password, with the current one; other browsers are signed out.
    let page = a
        .submit(
            "/settings/password",
            "/settings/password",
            &[
                ("current_password", "not it"),
                ("password", "hana's new password"),
                ("password_confirmation", "hana's new password"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    let page = a
        .submit(
            "/settings/password",
            "/settings/password",
            &[
                ("current_password", "a good password"),
                ("password", "hana's new password"),
                ("password_confirmation", "hana's new password"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Your password is changed"));
    assert_eq!(a.get("/settings").await.status, 200);

    // Turning it off takes the password and a code.
    let page = a
        .submit(
            "/settings/two_factor",
            "/settings/two_factor/disable",
            &[("current_password", "hana's new password"), ("code", "123456")],
        )
        .await;
    assert_eq!(page.status, 422);
    let page = a
        .submit(
            "/settings/two_factor",
            "/settings/two_factor/disable",
            &[
                ("current_password", "hana's new password"),
                ("code", &codes[1]),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(!app.services.local_account("hana").await.unwrap().user.two_factor);
    let (status, _) = password_grant(&app, "hana's new password").await;
    assert_eq!(status, 200);

    // Signing out ends the session; forms without their cookie are refused.
    let page = a.submit("/settings", "/auth/sign_out", &[]).await;
    assert_eq!(page.status, 303);
    assert!(a.cookie("rookery_session").is_none());
    assert_eq!(a.get("/settings").await.status, 303);
    let mut d = Browser::new(&app);
    let forged = d
        .post(
            "/auth/sign_in",
            &[
                ("authenticity_token", "forged"),
                ("login", "hana"),
                ("password", "hana's new password"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
}
