//! Signing up in a browser: the form's checks (CSRF, honeypot, time to fill, Mastodon's field
//! rules), hostile input shown back escaped, and the confirmation mail through a real SMTP
//! server.

use std::time::Duration;

use rookery_testkit::{Backend, SmtpSink};

use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(signing_up_in_a_browser);

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

pub(crate) struct SignUpForm {
    cookie: String,
    csrf: String,
    shown: String,
}

pub(crate) async fn open_form(app: &TestApp) -> SignUpForm {
    let r = app.get("/auth/sign_up").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = r.text().await.unwrap();
    SignUpForm {
        cookie,
        csrf: hidden(&html, "authenticity_token"),
        shown: hidden(&html, "shown"),
    }
}

pub(crate) async fn send(
    app: &TestApp,
    form: &SignUpForm,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut all = vec![
        ("authenticity_token", form.csrf.as_str()),
        ("shown", form.shown.as_str()),
    ];
    all.extend_from_slice(fields);
    let r = app
        .client
        .post(app.url("/auth/sign_up"))
        .header("cookie", &form.cookie)
        .form(&all)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

const GOOD: &[(&str, &str)] = &[
    ("username", "gina"),
    ("email", "gina@example.com"),
    ("password", "gina's password"),
    ("password_confirmation", "gina's password"),
    ("agreement", "1"),
];

async fn signing_up_in_a_browser(backend: Backend) {
    let sink = SmtpSink::start().unwrap();
    let port = sink.port().to_string();
    let app = spawn_with(
        backend,
        &[
            ("ROOKERY_SMTP__HOST", "127.0.0.1"),
            ("ROOKERY_SMTP__PORT", &port),
            ("ROOKERY_SMTP__SECURITY", "none"),
        ],
    )
    .await;
    let form = open_form(&app).await;
    // Sent at once: taken for a bot.
    let (status, page) = send(&app, &form, GOOD).await;
    assert_eq!(status, 422);
    assert!(page.contains("take a moment"));
    tokio::time::sleep(Duration::from_millis(3100)).await;
    // The honeypot filled in: refused the same way, nothing created.
    let mut trapped = GOOD.to_vec();
    trapped.push(("website", "http://spam.example"));
    let (status, _) = send(&app, &form, &trapped).await;
    assert_eq!(status, 422);
    // Without the cookie's nonce, the token is worthless.
    let forged = SignUpForm {
        cookie: "rookery_form=someone-else".into(),
        csrf: form.csrf.clone(),
        shown: form.shown.clone(),
    };
    assert_eq!(send(&app, &forged, GOOD).await.0, 403);
    assert!(app.services.local_account("gina").await.is_err());

    // Hostile input is refused field by field and shown back escaped.
    let (status, page) = send(
        &app,
        &form,
        &[
            ("username", "<script>alert(1)</script>"),
            ("email", "\"><img src=x onerror=alert(1)>"),
            ("password", "x"),
            ("password_confirmation", "x"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{page}"
    );
    assert!(page.contains("Username"));
    assert!(page.contains("must be accepted"), "{page}");
    let (status, page) = send(
        &app,
        &form,
        &[
            ("username", "gina"),
            ("email", "gina@example.com"),
            ("password", "gina's password"),
            ("password_confirmation", "not the same"),
            ("agreement", "1"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("differ"));

    let (status, page) = send(&app, &form, GOOD).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Check your inbox"));
    assert!(page.contains("@gina@rookery.test"));
    let gina = app.services.local_account("gina").await.unwrap();
    assert!(gina.user.confirmed_at.is_none());
    // The same name again is taken.
    let (status, page) = send(&app, &form, GOOD).await;
    assert_eq!(status, 422);
    assert!(page.contains("taken"), "{page}");

    let mail: serde_json::Value =
        serde_json::from_str(&sink.wait_for(1, Duration::from_secs(20)).unwrap()[0]).unwrap();
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["gina@example.com"]));
    let text = mail["text"].as_str().unwrap();
    let start = text.find("https://rookery.test/auth/confirmation").unwrap();
    let link = text[start..].split_whitespace().next().unwrap();
    let r = app
        .get(link.strip_prefix("https://rookery.test").unwrap())
        .await;
    assert_eq!(r.status(), 200);
    let gina = app.services.local_account("gina").await.unwrap();
    assert!(gina.user.confirmed_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_follows_the_registration_setting() {
    let closed = spawn_with(
        Backend::Sqlite,
        &[("ROOKERY_INSTANCE__REGISTRATIONS", "closed")],
    )
    .await;
    let r = closed.get("/auth/sign_up").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Sign-ups are closed"));

    let approval = spawn_with(
        Backend::Sqlite,
        &[("ROOKERY_INSTANCE__REGISTRATIONS", "approval")],
    )
    .await;
    let form = open_form(&approval).await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let (status, page) = send(&approval, &form, GOOD).await;
    assert_eq!(status, 422);
    assert!(page.contains("The reason"), "{page}");
    let mut with_reason = GOOD.to_vec();
    with_reason.push(("reason", "I <3 birds"));
    let (status, page) = send(&approval, &form, &with_reason).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("moderators review"));
    // Without mail the address counts as confirmed; the account waits for approval.
    let gina = approval.services.local_account("gina").await.unwrap();
    assert!(gina.user.confirmed_at.is_some());
    assert!(!gina.user.approved);
}
