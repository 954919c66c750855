//! Appeals of warnings: made through the strike page (CSRF-checked, once, within 20 days),
//! announced to staff by mail, approved (the action reversed, the warning overruled) or
//! rejected through the admin pages, with the user told by mail and the AccountWarning
//! entity showing the appeal's state; users without the permission change nothing.

use rookery_model::Role;
use rookery_testkit::{Backend, SmtpSink};
use serde_json::Value;

use crate::account_moderation::{act, admin_account, staff};
use crate::browser::Browser;
use crate::kit::{TestApp, on_every_backend};
use crate::mail::{mails, spawn_mailing};

on_every_backend!(
    appeals_through_the_pages,
    an_approved_appeal_lifts_a_suspension
);

/// The newest `moderation_warning` notification of the token's user.
async fn newest_warning(app: &TestApp, token: &str) -> Value {
    let (s, list, _) = app
        .get_auth(
            "/api/v1/notifications?types[]=moderation_warning",
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    list[0]["moderation_warning"].clone()
}

async fn appeal_id(app: &TestApp, warning: &str) -> String {
    app.sql_texts(&format!(
        "SELECT CAST(id AS TEXT) FROM appeals WHERE account_warning_id = {warning}"
    ))
    .await
    .pop()
    .unwrap_or_else(|| panic!("no appeal of {warning}"))
}

fn to(mail: &Value) -> String {
    mail["rcpt_tos"].to_string()
}

async fn appeals_through_the_pages(backend: Backend) {
    let sink = SmtpSink::start().unwrap();
    let app = spawn_mailing(backend, &sink, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let boss = staff(&app, "boss", Role::Admin).await;
    staff(&app, "mo", Role::Moderator).await;
    let plain = app.token("plain").await;
    let plain_id = app.account_id("plain").await;
    app.create_account("nosy").await;
    let quiet = [("send_email_notification", "0")];

    // plain is limited, and appeals through the warning's page.
    let mut form = vec![("type", "silence"), ("text", "too loud")];
    form.extend_from_slice(&quiet);
    let (s, body) = act(&app, &boss, &plain_id, "action", &form).await;
    assert_eq!(s, 200, "{body}");
    let warning = newest_warning(&app, &plain).await;
    assert!(warning["appeal"].is_null(), "{warning}");
    let wid = warning["id"].as_str().unwrap().to_owned();
    let strike = format!("/disputes/strikes/{wid}");
    let action = format!("{strike}/appeal");
    let mut browser = Browser::signed_in(&app, "plain").await;
    let page = browser.get(&strike).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Send the appeal"), "{}", page.html);

    // A forged form and an empty appeal change nothing.
    let page = browser
        .post(
            &action,
            &[("authenticity_token", "forged"), ("text", "let me be")],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = browser.submit(&strike, &action, &[("text", "  ")]).await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("can&#39;t be blank") || page.html.contains("can't be blank"));
    let long = "x".repeat(2001);
    let page = browser.submit(&strike, &action, &[("text", &long)]).await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("maximum is 2000"), "{}", page.html);
    assert!(
        app.sql_texts("SELECT CAST(id AS TEXT) FROM appeals")
            .await
            .is_empty()
    );

    let page = browser
        .submit(&strike, &action, &[("text", "I was <b>quiet</b>")])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Your appeal was sent"), "{}", page.html);
    assert!(
        page.html.contains("data-state=\"pending\""),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("I was &#60;b&#62;quiet"),
        "{}",
        page.html
    );
    let warning = newest_warning(&app, &plain).await;
    assert_eq!(warning["appeal"]["state"], "pending", "{warning}");
    assert_eq!(warning["appeal"]["text"], "I was <b>quiet</b>");

    // Once only: a second appeal is refused.
    let page = browser.get(&strike).await;
    assert!(!page.html.contains("Send the appeal"), "{}", page.html);
    let token = browser.get("/settings").await.field("authenticity_token");
    let page = browser
        .post(
            &action,
            &[("authenticity_token", token.as_str()), ("text", "again")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("already appealed"), "{}", page.html);
    assert_eq!(app.sql_texts("SELECT text FROM appeals").await.len(), 1);

    // Staff who may manage appeals are mailed (the admin and the moderator).
    let sent = mails(&sink, 2);
    assert!(sent.iter().all(|m| {
        m["text"]
            .as_str()
            .unwrap()
            .contains("appealed a moderation decision")
    }));
    assert!(sent.iter().any(|m| to(m).contains("boss@example.com")));
    assert!(sent.iter().any(|m| to(m).contains("mo@example.com")));

    // Someone without the permission sees nothing and decides nothing.
    let appeal = appeal_id(&app, &wid).await;
    let approve = format!("/admin/disputes/appeals/{appeal}/approve");
    let mut nosy = Browser::signed_in(&app, "nosy").await;
    assert_eq!(nosy.get("/admin/disputes/appeals").await.status, 403);
    let token = nosy.get("/settings").await.field("authenticity_token");
    let page = nosy
        .post(&approve, &[("authenticity_token", token.as_str())])
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(
        newest_warning(&app, &plain).await["appeal"]["state"],
        "pending"
    );
    assert_eq!(
        admin_account(&app, &boss, &plain_id).await["silenced"],
        true
    );

    // The moderator approves it: the limit is lifted, the warning overruled, plain told.
    let mut moderator = Browser::signed_in(&app, "mo").await;
    let page = moderator.get("/admin/disputes/appeals").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("@plain"), "{}", page.html);
    let page = moderator
        .submit("/admin/disputes/appeals", &approve, &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("The appeal is approved"),
        "{}",
        page.html
    );
    assert!(page.html.contains("No appeal here."), "{}", page.html);
    assert_eq!(
        admin_account(&app, &boss, &plain_id).await["silenced"],
        false
    );
    let warning = newest_warning(&app, &plain).await;
    assert_eq!(warning["appeal"]["state"], "approved", "{warning}");
    let (_, grouped, _) = app.get_auth("/api/v2/notifications", Some(&plain)).await;
    let group = grouped["notification_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["type"] == "moderation_warning")
        .cloned()
        .unwrap();
    assert_eq!(group["moderation_warning"]["appeal"]["state"], "approved");
    let page = browser.get(&strike).await;
    assert!(
        page.html.contains("This decision was reversed."),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("data-state=\"approved\""),
        "{}",
        page.html
    );
    let sent = mails(&sink, 3);
    let decided = sent.last().unwrap();
    assert!(to(decided).contains("plain@example.com"), "{decided}");
    assert!(
        decided["text"].as_str().unwrap().contains("approved"),
        "{decided}"
    );
    // Deciding twice is refused.
    let token = moderator
        .get("/admin/disputes/appeals")
        .await
        .field("authenticity_token");
    let page = moderator
        .post(&approve, &[("authenticity_token", token.as_str())])
        .await;
    assert_eq!(page.status, 422, "{}", page.html);

    // A warning appealed and rejected: the state says so, plain is told.
    let mut form = vec![("type", "none"), ("text", "be nice")];
    form.extend_from_slice(&quiet);
    assert_eq!(act(&app, &boss, &plain_id, "action", &form).await.0, 200);
    let second = newest_warning(&app, &plain).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let strike2 = format!("/disputes/strikes/{second}");
    let page = browser
        .submit(&strike2, &format!("{strike2}/appeal"), &[("text", "I am")])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let appeal2 = appeal_id(&app, &second).await;
    let page = moderator
        .submit(
            "/admin/disputes/appeals",
            &format!("/admin/disputes/appeals/{appeal2}/reject"),
            &[],
        )
        .await;
    assert!(
        page.html.contains("The appeal is rejected."),
        "{}",
        page.html
    );
    assert_eq!(
        newest_warning(&app, &plain).await["appeal"]["state"],
        "rejected"
    );
    let sent = mails(&sink, 6);
    assert!(
        sent.iter().any(|m| to(m).contains("plain@example.com")
            && m["text"].as_str().unwrap().contains("rejected")),
        "{sent:?}"
    );
    let page = moderator
        .get("/admin/disputes/appeals?status=decided")
        .await;
    assert!(page.html.contains("approved") && page.html.contains("rejected"));

    // Too late: a warning older than 20 days cannot be appealed.
    assert_eq!(act(&app, &boss, &plain_id, "action", &form).await.0, 200);
    let old = newest_warning(&app, &plain).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.sql(&format!(
        "UPDATE account_warnings SET created_at = created_at - {} WHERE id = {old}",
        21_i64 * 24 * 3600 * 1000
    ))
    .await;
    let strike3 = format!("/disputes/strikes/{old}");
    let page = browser.get(&strike3).await;
    assert!(page.html.contains("too late"), "{}", page.html);
    let token = browser.get("/settings").await.field("authenticity_token");
    let page = browser
        .post(
            &format!("{strike3}/appeal"),
            &[("authenticity_token", token.as_str()), ("text", "late")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(
        page.html.contains("It is too late to appeal this strike."),
        "{}",
        page.html
    );

    // Each decision is in the audit log.
    let logged = app
        .sql_texts("SELECT action FROM admin_action_logs WHERE target_type = 'Appeal' ORDER BY id")
        .await;
    assert_eq!(logged, ["approve", "reject"]);
}

/// A suspended user cannot sign in to the page, so the appeal is made through the use case
/// (as Mastodon's limited sign-in of suspended accounts would); approving it brings the
/// account back.
async fn an_approved_appeal_lifts_a_suspension(backend: Backend) {
    let sink = SmtpSink::start().unwrap();
    let app = spawn_mailing(backend, &sink, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let boss = staff(&app, "boss", Role::Admin).await;
    app.token("gone").await;
    let gone_id = app.account_id("gone").await;
    let form = [
        ("type", "suspend"),
        ("text", "spam"),
        ("send_email_notification", "0"),
    ];
    assert_eq!(act(&app, &boss, &gone_id, "action", &form).await.0, 200);
    assert_eq!(
        admin_account(&app, &boss, &gone_id).await["suspended"],
        true
    );
    let wid = app
        .sql_texts("SELECT CAST(id AS TEXT) FROM account_warnings")
        .await
        .pop()
        .unwrap();
    let local = app.services.local_account("gone").await.unwrap();
    app.services
        .appeals()
        .submit(
            &local,
            wid.parse::<i64>().map(rookery_model::Id::from_i64).unwrap(),
            "not spam",
        )
        .await
        .unwrap();
    mails(&sink, 1);
    let appeal = appeal_id(&app, &wid).await;
    // A moderator decides only for roles below theirs: not a fellow moderator's appeal.
    app.services
        .set_role("gone", Role::Moderator)
        .await
        .unwrap();
    staff(&app, "mo", Role::Moderator).await;
    let mut peer = Browser::signed_in(&app, "mo").await;
    let page = peer
        .submit(
            "/admin/disputes/appeals",
            &format!("/admin/disputes/appeals/{appeal}/approve"),
            &[],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.html);
    assert_eq!(
        admin_account(&app, &boss, &gone_id).await["suspended"],
        true
    );
    let mut admin = Browser::signed_in(&app, "boss").await;
    let page = admin
        .submit(
            "/admin/disputes/appeals",
            &format!("/admin/disputes/appeals/{appeal}/approve"),
            &[],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(
        admin_account(&app, &boss, &gone_id).await["suspended"],
        false
    );
    let mut back = Browser::signed_in(&app, "gone").await;
    let page = back.get(&format!("/disputes/strikes/{wid}")).await;
    assert!(
        page.html.contains("data-state=\"approved\""),
        "{}",
        page.html
    );
    let sent = mails(&sink, 2);
    assert!(to(sent.last().unwrap()).contains("gone@example.com"));
}
