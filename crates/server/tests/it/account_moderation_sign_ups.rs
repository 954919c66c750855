//! Sign-ups waiting for approval reach staff (an `admin.sign_up` notification and a mail),
//! approval is mailed to the new user, and a warning is mailed when asked.

use rookery_model::Role;
use rookery_testkit::{Backend, SmtpSink};
use serde_json::Value;

use crate::account_moderation::{act, staff};
use crate::browser::Browser;
use crate::kit::{TestApp, on_every_backend};
use crate::mail::{mails, spawn_mailing};
use crate::oauth::register;

on_every_backend!(staff_hear_of_sign_ups_and_users_of_decisions);

async fn app_token(app: &TestApp) -> String {
    let (id, secret) = register(app, "read write", "urn:ietf:wg:oauth:2.0:oob").await;
    let r: Value = app
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
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_owned()
}

async fn sign_ups_notified(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, list, _) = app
        .get_auth("/api/v1/notifications?types[]=admin.sign_up", Some(token))
        .await;
    assert_eq!(s, 200, "{list}");
    list.as_array().unwrap().clone()
}

fn to(mail: &Value) -> String {
    mail["rcpt_tos"].to_string()
}

async fn staff_hear_of_sign_ups_and_users_of_decisions(backend: Backend) {
    let sink = SmtpSink::start().unwrap();
    let app = spawn_mailing(
        backend,
        &sink,
        &[
            ("ROOKERY_INSTANCE__REGISTRATIONS", "approval"),
            ("ROOKERY_RATE_LIMITS__ENABLED", "false"),
        ],
    )
    .await;
    let boss = staff(&app, "boss", Role::Admin).await;
    let mo = staff(&app, "mo", Role::Moderator).await;
    let plain = app.token("plain").await;

    let token = app_token(&app).await;
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&token)
        .form(&[
            ("username", "newbie"),
            ("email", "newbie@example.com"),
            ("password", "a good password"),
            ("agreement", "1"),
            ("locale", "en"),
            ("reason", "I like birds"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let newbie = app.account_id("newbie").await;

    // What moderators see of it: the reason given and the address it came from.
    let (s, seen, _) = app
        .get_auth(&format!("/api/v1/admin/accounts/{newbie}"), Some(&boss))
        .await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["invite_request"], "I like birds", "{seen}");
    assert_eq!(seen["ip"], "127.0.0.1", "{seen}");
    assert_eq!(seen["ips"][0]["ip"], "127.0.0.1", "{seen}");
    let mut page = Browser::signed_in(&app, "boss").await;
    let list = page.get("/admin/accounts?status=pending").await;
    assert!(list.html.contains("<td>I like birds</td>"), "{}", list.html);

    // A reason longer than Mastodon keeps is refused, and nothing is created.
    let long = "b".repeat(421);
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&token)
        .form(&[
            ("username", "wordy"),
            ("email", "wordy@example.com"),
            ("password", "a good password"),
            ("agreement", "1"),
            ("reason", long.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let refused: Value = r.json().await.unwrap();
    assert_eq!(
        refused["details"]["reason"][0]["error"], "ERR_TOO_LONG",
        "{refused}"
    );
    assert_eq!(
        app.sql_texts("SELECT username FROM accounts WHERE username = 'wordy'")
            .await
            .len(),
        0
    );

    for t in [&boss, &mo] {
        let list = sign_ups_notified(&app, t).await;
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["type"], "admin.sign_up");
        assert_eq!(list[0]["account"]["id"], newbie.as_str());
    }
    assert!(sign_ups_notified(&app, &plain).await.is_empty());
    let (_, grouped, _) = app.get_auth("/api/v2/notifications", Some(&boss)).await;
    assert!(
        grouped["notification_groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["type"] == "admin.sign_up"),
        "{grouped}"
    );
    // The confirmation to the new user, one mail to each staff member.
    let sent = mails(&sink, 3);
    let staff_mails: Vec<&Value> = sent
        .iter()
        .filter(|m| m["text"].as_str().unwrap().contains("waits for approval"))
        .collect();
    assert_eq!(staff_mails.len(), 2, "{sent:?}");
    assert!(
        staff_mails
            .iter()
            .all(|m| m["text"].as_str().unwrap().contains("I like birds")),
        "{staff_mails:?}"
    );
    assert!(
        staff_mails
            .iter()
            .any(|m| to(m).contains("boss@example.com"))
    );
    assert!(staff_mails.iter().any(|m| to(m).contains("mo@example.com")));

    // Approved: the new user is told.
    let (s, body) = act(&app, &mo, &newbie, "approve", &[]).await;
    assert_eq!(s, 200, "{body}");
    let sent = mails(&sink, 4);
    let approved = sent.last().unwrap();
    assert!(to(approved).contains("newbie@example.com"), "{approved}");
    assert!(
        approved["text"].as_str().unwrap().contains("approved"),
        "{approved}"
    );

    // A warning by mail when asked, with the link to it; none when not.
    let plain_id = app.account_id("plain").await;
    let (s, _) = act(
        &app,
        &boss,
        &plain_id,
        "action",
        &[
            ("type", "none"),
            ("text", "be nice"),
            ("send_email_notification", "0"),
        ],
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = act(
        &app,
        &boss,
        &plain_id,
        "action",
        &[
            ("type", "none"),
            ("text", "be nicer"),
            ("send_email_notification", "1"),
        ],
    )
    .await;
    assert_eq!(s, 200);
    let sent = mails(&sink, 5);
    let warned = sent.last().unwrap();
    assert!(to(warned).contains("plain@example.com"), "{warned}");
    let text = warned["text"].as_str().unwrap();
    assert!(
        text.contains("be nicer") && !text.contains("be nice\n"),
        "{text}"
    );
    assert!(
        text.contains("https://rookery.test/disputes/strikes/"),
        "{text}"
    );
    // The link leads to the warning, for its owner only.
    let link = crate::mail::link_in(warned, "https://rookery.test/disputes/strikes/");
    let path = crate::mail::path_of(&link);
    let mut browser = Browser::signed_in(&app, "plain@example.com").await;
    let page = browser.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("be nicer"), "{}", page.html);
    let mut other = Browser::signed_in(&app, "boss@example.com").await;
    assert_eq!(other.get(&path).await.status, 404);
    assert_eq!(browser.get("/disputes/strikes/123").await.status, 404);
    assert_eq!(browser.get("/disputes/strikes/x%00").await.status, 404);
    let anonymous = app.get(&path).await;
    assert_eq!(anonymous.status().as_u16(), 303);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        sink.messages().unwrap().len(),
        5,
        "no mail for the quiet warning"
    );
}
