//! Notifications by e-mail: off until chosen on the settings page, then each chosen kind is
//! mailed (through a real SMTP server) with who did what, the post's text and a link; other
//! kinds are not.

use std::time::Duration;

use rookery_testkit::{Backend, SmtpSink};
use serde_json::Value;

use crate::browser::Browser;
use crate::kit::{eventually, on_every_backend};
use crate::mail::{mails, spawn_mailing};

on_every_backend!(chosen_notifications_are_mailed);

async fn chosen_notifications_are_mailed(backend: Backend) {
    let sink = SmtpSink::start().unwrap();
    let app = spawn_mailing(backend, &sink, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let (s, _) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &bob,
            &[("display_name", "<b>Bob</b>")],
        )
        .await;
    assert_eq!(s, 200);
    let alice_id = app.account_id("alice").await;

    let mut browser = Browser::new(&app);
    let page = browser
        .submit(
            "/auth/sign_in",
            "/auth/sign_in",
            &[("login", "alice"), ("password", "a good password")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.html);
    let page = browser.get("/settings/notifications").await;
    assert!(
        !page.html.contains("checked"),
        "off by default: {}",
        page.html
    );
    let page = browser
        .post(
            "/settings/notifications",
            &[("kinds", "mention"), ("kinds", "favourite")],
        )
        .await;
    assert_eq!(page.status, 403, "without the form's token");
    let token = browser
        .get("/settings/notifications")
        .await
        .field("authenticity_token");
    let page = browser
        .post(
            "/settings/notifications",
            &[
                ("authenticity_token", token.as_str()),
                ("kinds", "mention"),
                ("kinds", "favourite"),
                ("kinds", "admin.report"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(page.html.matches(" checked").count(), 2, "{}", page.html);

    // A follow is not chosen: no mail (the notification is made first).
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    assert_eq!(s, 200);
    eventually("the follow notification", || async {
        let (_, list, _) = app.get_auth("/api/v1/notifications", Some(&alice)).await;
        list.as_array()
            .is_some_and(|l| l.iter().any(|n| n["type"] == "follow"))
    })
    .await;

    let (s, _) = app
        .post_auth(
            "/api/v1/statuses",
            &bob,
            &[("status", "@alice lunch at <noon>?")],
        )
        .await;
    assert_eq!(s, 200);
    let (s, mine) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "sunny today")])
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post_auth(
            &format!(
                "/api/v1/statuses/{}/favourite",
                mine["id"].as_str().unwrap()
            ),
            &bob,
            &[],
        )
        .await;
    assert_eq!(s, 200);

    let sent = mails(&sink, 2);
    let subject = |m: &Value| m["subject"].as_str().unwrap_or_default().to_owned();
    let mention = sent
        .iter()
        .find(|m| subject(m).contains("mentioned you"))
        .unwrap_or_else(|| panic!("{sent:?}"));
    assert_eq!(mention["rcpt_tos"][0], "alice@example.com");
    assert!(
        subject(mention).contains("<b>Bob</b> (@bob) mentioned you"),
        "{mention}"
    );
    let text = mention["text"].as_str().unwrap();
    assert!(text.contains("@alice lunch at <noon>?"), "{text}");
    assert!(text.contains("https://rookery.test/@bob/"), "{text}");
    let html = mention["html"].as_str().unwrap();
    assert!(html.contains("&#60;b&#62;Bob&#60;/b&#62;"), "{html}");
    assert!(!html.contains("<b>Bob"), "{html}");
    let favourite = sent
        .iter()
        .find(|m| subject(m).contains("favourited your post"))
        .unwrap_or_else(|| panic!("{sent:?}"));
    assert!(favourite["text"].as_str().unwrap().contains("sunny today"));
    // A muted account's mentions are not shown, so not mailed either.
    let bob_id = app.account_id("bob").await;
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/mute"), &alice, &[])
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post_auth("/api/v1/statuses", &bob, &[("status", "@alice again?")])
        .await;
    assert_eq!(s, 200);
    // Nothing else came (the follow, the muted mention).
    assert!(sink.wait_for(3, Duration::from_millis(1500)).is_err());
}
