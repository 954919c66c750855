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
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        + start.len();
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
    assert!(
        app.services
            .local_account("hana")
            .await
            .unwrap()
            .user
            .two_factor
    );

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
            &[
                ("current_password", "hana's new password"),
                ("code", "123456"),
            ],
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
    assert!(
        !app.services
            .local_account("hana")
            .await
            .unwrap()
            .user
            .two_factor
    );
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

/// Apps sign in through the OAuth pages unchanged: with two-factor authentication on, the
/// sign-in page asks for a code before the consent page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_sign_in_asks_for_the_second_factor() {
    let app = spawn_with(Backend::Sqlite, &[]).await;
    let local = app.create_account("hana").await;
    let sign_ins = app.services.sign_ins();
    let setup = sign_ins.begin_two_factor(&local).await.unwrap();
    sign_ins
        .enable_two_factor(&local, &totp(&setup.secret, now_unix()))
        .await
        .unwrap();

    let oob = "urn:ietf:wg:oauth:2.0:oob";
    let (id, secret) = register(&app, "read", oob).await;
    let query =
        format!("/oauth/authorize?response_type=code&client_id={id}&redirect_uri={oob}&scope=read");
    let mut browser = Browser::new(&app);
    let form = browser.get(&query).await;
    assert_eq!(form.status, 200);
    let csrf = form.field("csrf");
    let fields = [
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", oob),
        ("scope", "read"),
        ("csrf", csrf.as_str()),
        ("login", "hana@example.com"),
        ("password", "a good password"),
    ];
    let step = browser.post("/oauth/authorize", &fields).await;
    assert_eq!(step.status, 200, "{}", step.html);
    assert!(step.html.contains("Two-factor authentication"));
    let ticket = step.field("ticket");
    let csrf = step.field("csrf");
    // The half-done ticket cannot approve anything.
    let skipped = browser
        .post(
            "/oauth/authorize/decision",
            &[
                ("ticket", &ticket),
                ("csrf", &csrf),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(skipped.status, 400);
    let wrong = browser
        .post(
            "/oauth/authorize/two_factor",
            &[("ticket", &ticket), ("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    let consent = browser
        .post(
            "/oauth/authorize/two_factor",
            &[
                ("ticket", &ticket),
                ("csrf", &csrf),
                ("code", &totp(&setup.secret, now_unix() + 30)),
            ],
        )
        .await;
    assert_eq!(consent.status, 200, "{}", consent.html);
    let done = browser
        .post(
            "/oauth/authorize/decision",
            &[
                ("ticket", consent.field("ticket").as_str()),
                ("csrf", consent.field("csrf").as_str()),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(done.status, 200);
    let code = between(&done.html, "id=\"code\" value=\"", "\"").to_owned();
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("redirect_uri", oob),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Guessing is limited per account, whatever address the guesses come from: ten failed
/// passwords, or ten failed codes, in an hour, and then even the right one is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_passwords_and_codes_are_limited_per_account() {
    let app = spawn_with(Backend::Sqlite, &[]).await;
    app.create_account("hana").await;
    for _ in 0..10 {
        let (status, _) = password_grant(&app, "wrong").await;
        assert_eq!(status, 400);
    }
    let (status, body) = password_grant(&app, "a good password").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("Too many failed attempts"),
        "{body}"
    );
    let mut browser = Browser::new(&app);
    let page = sign_in(&mut browser, "HANA@example.com", "a good password").await;
    assert_eq!(page.status, 429);

    // The second factor, on another account.
    let local = app.create_account("ines").await;
    let sign_ins = app.services.sign_ins();
    let setup = sign_ins.begin_two_factor(&local).await.unwrap();
    sign_ins
        .enable_two_factor(&local, &totp(&setup.secret, now_unix()))
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    let step = sign_in(&mut browser, "ines", "a good password").await;
    assert_eq!(step.status, 200);
    let post = |code: String| {
        [
            ("authenticity_token", step.field("authenticity_token")),
            ("ticket", step.field("ticket")),
            ("code", code),
        ]
    };
    for _ in 0..10 {
        let fields = post("000000".into());
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            browser
                .post("/auth/sign_in/two_factor", &fields)
                .await
                .status,
            401
        );
    }
    let fields = post(totp(&setup.secret, now_unix() + 30));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        browser
            .post("/auth/sign_in/two_factor", &fields)
            .await
            .status,
        429
    );
}
