//! Changing the e-mail address from the settings page: with the password, a link to the new
//! address (through a real SMTP server) that makes it the account's, a notice to the old one;
//! without mail the change is made at once.

use rookery_testkit::{Backend, SmtpSink};
use serde_json::Value;

use crate::browser::Browser;
use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::mail::{link_in, mails, path_of, spawn_mailing};
use crate::oauth::register;

on_every_backend!(changing_the_address_by_mail);

async fn change(browser: &mut Browser<'_>, email: &str, password: &str) -> crate::browser::Page {
    browser
        .submit(
            "/settings/email",
            "/settings/email",
            &[("email", email), ("current_password", password)],
        )
        .await
}

/// The password grant with `login`: its status.
async fn grant(app: &TestApp, login: &str) -> u16 {
    let (id, secret) = register(app, "read", "urn:ietf:wg:oauth:2.0:oob").await;
    app.client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("username", login),
            ("password", "a good password"),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn changing_the_address_by_mail(backend: Backend) {
    let sink = SmtpSink::start().unwrap();
    let app = spawn_mailing(backend, &sink, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    app.create_account("alice").await;
    app.create_account("bob").await;
    let mut browser = Browser::signed_in(&app, "alice").await;
    let page = browser.get("/settings/email").await;
    assert!(page.html.contains("alice@example.com"), "{}", page.html);

    // Refused: a wrong password, a taken address, a broken one, the same one.
    for (email, password, says) in [
        ("new@example.com", "not it", "current password is not right"),
        ("BOB@example.com", "a good password", "already taken"),
        ("not an address", "a good password", "is invalid"),
        (
            "alice@example.com",
            "a good password",
            "the one you have already",
        ),
    ] {
        let page = change(&mut browser, email, password).await;
        assert_eq!(page.status, 422, "{email}: {}", page.html);
        assert!(page.html.contains(says), "{says}: {}", page.html);
    }
    // Without the form's token.
    let page = browser
        .post(
            "/settings/email",
            &[
                ("email", "x@example.com"),
                ("current_password", "a good password"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);

    // A reset link mailed to the old address before the change.
    let page = Browser::new(&app)
        .submit(
            "/auth/password/new",
            "/auth/password",
            &[("email", "alice@example.com")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let reset = mails(&sink, 1).remove(0);
    let reset_link = path_of(&link_in(
        &reset,
        "https://rookery.test/auth/password/edit?reset_password_token=",
    ));

    let page = change(&mut browser, "alice.new@example.com", "a good password").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html
            .contains("We sent a link to alice.new@example.com"),
        "{}",
        page.html
    );
    let sent: Vec<Value> = mails(&sink, 3).into_iter().skip(1).collect();
    let to = |m: &Value| m["rcpt_tos"][0].as_str().unwrap_or_default().to_owned();
    let confirm = sent
        .iter()
        .find(|m| to(m) == "alice.new@example.com")
        .unwrap_or_else(|| panic!("{sent:?}"));
    assert!(
        confirm["subject"]
            .as_str()
            .unwrap()
            .contains("Confirm your new e-mail address")
    );
    let notice = sent
        .iter()
        .find(|m| to(m) == "alice@example.com")
        .unwrap_or_else(|| panic!("{sent:?}"));
    assert!(
        notice["subject"]
            .as_str()
            .unwrap()
            .contains("is being changed")
    );
    assert!(
        notice["text"]
            .as_str()
            .unwrap()
            .contains("alice.new@example.com")
    );

    // Until the link is opened, the old address is the account's.
    let page = browser.get("/settings/email").await;
    assert!(
        page.html
            .contains("A link was sent to <strong>alice.new@example.com"),
        "{}",
        page.html
    );
    assert_eq!(grant(&app, "alice.new@example.com").await, 400);
    assert_eq!(grant(&app, "alice@example.com").await, 200);

    let link = path_of(&link_in(confirm, "https://rookery.test/auth/confirmation?"));
    let opened = app.get(&link).await;
    assert_eq!(opened.status(), 200);
    let local = app.services.local_account("alice").await.unwrap();
    assert_eq!(local.user.email.as_str(), "alice.new@example.com");
    assert_eq!(grant(&app, "alice.new@example.com").await, 200);
    assert_eq!(grant(&app, "alice@example.com").await, 400);
    assert_eq!(app.get(&link).await.status(), 404, "a link works once");
    // The reset link mailed to the old address died with it.
    let token = reset_link.split('=').nth(1).unwrap().to_owned();
    let page = Browser::new(&app)
        .submit(
            &reset_link,
            "/auth/password/edit",
            &[
                ("reset_password_token", token.as_str()),
                ("password", "a new password"),
                ("password_confirmation", "a new password"),
            ],
        )
        .await;
    assert_eq!(page.status, 404, "{}", page.html);
    let page = browser.get("/settings/email").await;
    assert!(!page.html.contains("A link was sent"), "{}", page.html);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_mail_the_change_is_made_at_once() {
    let app = spawn_with(
        Backend::Sqlite,
        &[("ROOKERY_RATE_LIMITS__ENABLED", "false")],
    )
    .await;
    app.create_account("carol").await;
    let mut browser = Browser::signed_in(&app, "carol").await;
    let page = change(&mut browser, "carol@elsewhere.example", "a good password").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("Your e-mail address is changed"),
        "{}",
        page.html
    );
    let local = app.services.local_account("carol").await.unwrap();
    assert_eq!(local.user.email.as_str(), "carol@elsewhere.example");
}
