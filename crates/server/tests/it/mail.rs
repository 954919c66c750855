//! Mail through a real SMTP server (aiosmtpd, started by the test): sign-up confirmation,
//! password reset and its notice, retries while the server refuses, and hostile input in
//! what is mailed.

use std::time::Duration;

use rookery_testkit::{Backend, SmtpSink};
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};
use crate::oauth::register;

on_every_backend!(confirmation_and_password_reset_by_mail);

pub(crate) async fn spawn_mailing(
    backend: Backend,
    sink: &SmtpSink,
    extra: &[(&str, &str)],
) -> TestApp {
    let port = sink.port().to_string();
    let mut env = vec![
        ("ROOKERY_SMTP__HOST", "127.0.0.1"),
        ("ROOKERY_SMTP__PORT", port.as_str()),
        ("ROOKERY_SMTP__SECURITY", "none"),
        (
            "ROOKERY_SMTP__FROM",
            "Rookery Test <notifications@rookery.test>",
        ),
    ];
    env.extend_from_slice(extra);
    spawn_with(backend, &env).await
}

pub(crate) fn mails(sink: &SmtpSink, n: usize) -> Vec<Value> {
    sink.wait_for(n, Duration::from_secs(20))
        .unwrap()
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect()
}

/// The link in a mail's text that starts with `prefix`.
pub(crate) fn link_in(mail: &Value, prefix: &str) -> String {
    let text = mail["text"].as_str().unwrap();
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// The path and query of a link to the test instance.
pub(crate) fn path_of(link: &str) -> String {
    link.strip_prefix("https://rookery.test")
        .unwrap()
        .to_owned()
}

/// A form page's CSRF token and the cookie it is bound to.
async fn form(app: &TestApp, path: &str) -> (String, String) {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        r.headers().get("x-frame-options").is_some(),
        "{path} can be framed"
    );
    let html = r.text().await.unwrap();
    let marker = "name=\"authenticity_token\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let token = html[start..].split('"').next().unwrap().to_owned();
    (token, cookie)
}

async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let r = app
        .client
        .post(app.url(path))
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn password_grant(app: &TestApp, id: &str, secret: &str, password: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", id),
            ("client_secret", secret),
            ("username", "dora@example.com"),
            ("password", password),
            ("scope", "read write"),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn confirmation_and_password_reset_by_mail(backend: Backend) {
    let sink = SmtpSink::start().unwrap();
    let app = spawn_mailing(backend, &sink, &[]).await;
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
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(app_token["access_token"].as_str().unwrap())
        .form(&[
            ("username", "dora"),
            ("email", "dora@example.com"),
            ("password", "a good password"),
            ("agreement", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();

    // Until the address is confirmed the account cannot be used, as in Mastodon.
    let (status, body, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error"],
        "Your login is missing a confirmed e-mail address"
    );
    let (status, body, _) = app
        .get_auth("/api/v1/emails/check_confirmation", Some(&token))
        .await;
    assert_eq!((status, body), (200, Value::Bool(false)));
    // As in Mastodon, the password grant still gives the app a token, whose calls wait for
    // the confirmation too.
    let (status, body) = password_grant(&app, &id, &secret, "a good password").await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = app
        .get_auth(
            "/api/v1/accounts/verify_credentials",
            body["access_token"].as_str(),
        )
        .await;
    assert_eq!(status, 403);

    let sent = mails(&sink, 1);
    let mail = &sent[0];
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["dora@example.com"]));
    assert_eq!(mail["mail_from"], "notifications@rookery.test");
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .ends_with("Confirm your e-mail address"),
        "{mail}"
    );
    assert!(mail["html"].as_str().unwrap().contains("@dora"));
    let link = link_in(
        mail,
        "https://rookery.test/auth/confirmation?confirmation_token=",
    );
    assert!(mail["html"].as_str().unwrap().contains(&link));

    // Asking again sends a new link and voids the first.
    let r = app
        .client
        .post(app.url("/api/v1/emails/confirmations"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sent = mails(&sink, 2);
    let second = link_in(
        &sent[1],
        "https://rookery.test/auth/confirmation?confirmation_token=",
    );
    assert_ne!(link, second);
    assert_eq!(app.get(&path_of(&link)).await.status(), 404);
    let r = app.get(&path_of(&second)).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Your address is confirmed")
    );
    // Once only.
    assert_eq!(app.get(&path_of(&second)).await.status(), 404);
    let (status, _, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(status, 200);
    let r = app
        .client
        .post(app.url("/api/v1/emails/confirmations"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Password reset: the answer never tells whether an address has an account.
    let (csrf, cookie) = form(&app, "/auth/password/new").await;
    let (status, unknown) = post_form(
        &app,
        "/auth/password",
        &cookie,
        &[
            ("authenticity_token", &csrf),
            ("email", "nobody@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (status, known) = post_form(
        &app,
        "/auth/password",
        &cookie,
        &[("authenticity_token", &csrf), ("email", "DORA@example.com")],
    )
    .await;
    assert_eq!((status, &known), (200, &unknown));
    // Without the cookie the form is refused, and nothing is sent.
    let (status, _) = post_form(
        &app,
        "/auth/password",
        "rookery_form=forged",
        &[("authenticity_token", &csrf), ("email", "dora@example.com")],
    )
    .await;
    assert_eq!(status, 403);
    let sent = mails(&sink, 3);
    let reset = &sent[2];
    assert!(
        reset["subject"]
            .as_str()
            .unwrap()
            .ends_with("Reset your password")
    );
    let link = link_in(
        reset,
        "https://rookery.test/auth/password/edit?reset_password_token=",
    );
    let reset_token = link.split('=').nth(1).unwrap().to_owned();
    let (csrf, cookie) = form(&app, &path_of(&link)).await;
    let fields = |password: &'static str, confirmation: &'static str| {
        vec![
            ("authenticity_token", csrf.clone()),
            ("reset_password_token", reset_token.clone()),
            ("password", password.to_owned()),
            ("password_confirmation", confirmation.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let r = app
                .client
                .post(app.url("/auth/password/edit"))
                .header("cookie", cookie)
                .form(&fields)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, page) = post(fields("a new password", "another one")).await;
    assert_eq!(status, 422);
    assert!(page.contains("differ"));
    let (status, _) = post(fields("short", "short")).await;
    assert_eq!(status, 422);
    let (status, page) = post(fields("a new password", "a new password")).await;
    assert_eq!(status, 200, "{page}");
    // Used once; every app was signed out.
    let (status, _) = post(fields("a third password", "a third password")).await;
    assert_eq!(status, 404);
    let (status, _, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(status, 401);
    let (status, _) = password_grant(&app, &id, &secret, "a good password").await;
    assert_eq!(status, 400);
    let (status, body) = password_grant(&app, &id, &secret, "a new password").await;
    assert_eq!(status, 200, "{body}");
    let sent = mails(&sink, 4);
    assert!(
        sent[3]["subject"]
            .as_str()
            .unwrap()
            .ends_with("Your password was changed")
    );
    assert_eq!(sink.messages().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_waits_while_the_server_refuses() {
    let sink = SmtpSink::start().unwrap();
    // A title that tries to add a header to every message.
    let app = spawn_mailing(
        Backend::Sqlite,
        &sink,
        &[("ROOKERY_INSTANCE__TITLE", "Evil\r\nBcc: victim@example.com")],
    )
    .await;
    app.create_account("erin").await;
    sink.refuse(true).unwrap();
    app.services
        .account_links()
        .request_password_reset("erin@example.com")
        .await
        .unwrap();
    eventually("the refused mail to be retried later", || async {
        app.sql_texts(
            "SELECT CAST(attempts AS TEXT) FROM jobs WHERE kind = 'send_password_reset' \
             AND state = 'ready' AND last_error IS NOT NULL",
        )
        .await
        .first()
        .is_some_and(|a| a == "1")
    })
    .await;
    assert!(sink.messages().unwrap().is_empty());
    sink.refuse(false).unwrap();
    app.sql("UPDATE jobs SET run_at = 0 WHERE kind = 'send_password_reset'")
        .await;
    let sent = mails(&sink, 1);
    let headers = sent[0]["headers"].as_array().unwrap();
    assert!(
        headers
            .iter()
            .all(|h| !h[0].as_str().unwrap().eq_ignore_ascii_case("bcc")),
        "{headers:?}"
    );
    assert_eq!(sent[0]["rcpt_tos"], serde_json::json!(["erin@example.com"]));

    // The operator's test message goes out at once, and a refusal is reported.
    app.services
        .mail()
        .send_test("ops@example.com")
        .await
        .unwrap();
    assert_eq!(
        mails(&sink, 2)[1]["rcpt_tos"],
        serde_json::json!(["ops@example.com"])
    );
    sink.refuse(true).unwrap();
    let refused = app.services.mail().send_test("ops@example.com").await;
    assert!(refused.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_mail_operators_hand_out_reset_links() {
    let app = spawn_with(Backend::Sqlite, &[]).await;
    app.create_account("finn").await;
    let link = app
        .services
        .account_links()
        .reset_link("finn")
        .await
        .unwrap();
    let (csrf, cookie) = form(&app, &path_of(&link)).await;
    let token = link.split('=').nth(1).unwrap();
    let (status, page) = post_form(
        &app,
        "/auth/password/edit",
        &cookie,
        &[
            ("authenticity_token", &csrf),
            ("reset_password_token", token),
            ("password", "finn's new password"),
            ("password_confirmation", "finn's new password"),
            ("keep_apps", "1"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let finn = app.services.local_account("finn").await.unwrap();
    assert!(
        app.services
            .check_password(&finn, "finn's new password")
            .await
    );
    // The page that asks for a link says that this server sends no mail.
    let (csrf, cookie) = form(&app, "/auth/password/new").await;
    let (status, page) = post_form(
        &app,
        "/auth/password",
        &cookie,
        &[("authenticity_token", &csrf), ("email", "finn@example.com")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("sends no e-mail"));
    assert!(
        app.sql_texts("SELECT kind FROM jobs WHERE queue = 'mailers'")
            .await
            .is_empty()
    );
}
