//! Reported posts: what they said is kept with the report (a post its author deletes stays
//! readable to the moderators), and a moderator removes some of them from the report page —
//! the posts are gone, their author has a `delete_statuses` warning naming them, the report is
//! resolved and every removal is in the audit log; refusals change nothing. Moderators leave
//! notes on a report for each other.

use rookery_model::Role;
use rookery_testkit::Backend;
use serde_json::Value;

use crate::browser::Browser;
use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::reports::count;

on_every_backend!(moderators_remove_reported_posts, moderators_leave_notes);

async fn post(app: &TestApp, token: &str, text: &str) -> String {
    let (s, body) = app
        .post_auth("/api/v1/statuses", token, &[("status", text)])
        .await;
    assert_eq!(s, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn statuses_count(app: &TestApp, token: &str) -> i64 {
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(token))
        .await;
    me["statuses_count"].as_i64().unwrap()
}

async fn moderators_remove_reported_posts(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    app.create_account("mod").await;
    app.services.set_role("mod", Role::Moderator).await.unwrap();
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let bob_id = app.account_id("bob").await;
    let first = post(&app, &bob, "first <nasty> post").await;
    let second = post(&app, &bob, "second nasty post").await;
    let third = post(&app, &bob, "the evidence I will delete").await;
    let unreported = post(&app, &bob, "an unreported post").await;
    let carols = post(&app, &carol, "carol's post").await;

    let (s, report) = app
        .post_auth(
            "/api/v1/reports",
            &alice,
            &[
                ("account_id", bob_id.as_str()),
                ("status_ids[]", first.as_str()),
                ("status_ids[]", second.as_str()),
                ("status_ids[]", third.as_str()),
                ("comment", "nasty"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{report}");
    let id = report["id"].as_str().unwrap().to_owned();

    // bob deletes one of them: the moderators still read what it said.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/statuses/{third}")))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut moderator = Browser::signed_in(&app, "mod").await;
    let path = format!("/admin/reports/{id}");
    let page = moderator.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("the evidence I will delete"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("Deleted since it was reported"),
        "{}",
        page.html
    );
    // Its content is shown escaped as the server stored it.
    assert!(
        page.html.contains("first &lt;nasty&gt; post"),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains(&format!("name=\"status_ids\" value=\"{first}\"")),
        "{}",
        page.html
    );
    assert_eq!(statuses_count(&app, &bob).await, 3);

    // Refusals: a post the report does not name, and someone else's; nothing changes.
    let action = format!("{path}/remove_posts");
    for other in [&unreported, &carols] {
        let page = moderator
            .submit(&path, &action, &[("status_ids", other.as_str())])
            .await;
        assert_eq!(page.status, 422, "{}", page.html);
        assert!(
            page.html.contains("Only posts the report points at"),
            "{}",
            page.html
        );
    }
    // Nothing chosen.
    let page = moderator.submit(&path, &action, &[]).await;
    assert_eq!(page.status, 422, "{}", page.html);
    // Only the deleted one: nothing left to remove.
    let page = moderator
        .submit(&path, &action, &[("status_ids", third.as_str())])
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("None of these posts"), "{}", page.html);
    assert_eq!(count(&app, "account_warnings").await, 0);
    assert_eq!(statuses_count(&app, &bob).await, 3);

    // A plain user may not.
    let mut user = Browser::signed_in(&app, "alice").await;
    let token = moderator.get(&path).await.field("authenticity_token");
    let page = user
        .post(
            &action,
            &[
                ("authenticity_token", token.as_str()),
                ("status_ids", first.as_str()),
            ],
        )
        .await;
    assert!(page.status == 403 || page.status == 303, "{}", page.status);
    let (s, _, _) = app
        .get_auth(&format!("/api/v1/statuses/{first}"), Some(&bob))
        .await;
    assert_eq!(s, 200);

    // The moderator removes the first two.
    let page = moderator
        .submit(
            &path,
            &action,
            &[
                ("status_ids", first.as_str()),
                ("status_ids", second.as_str()),
                ("text", "no nastiness here"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html
            .contains("2 post(s) removed; the report is resolved."),
        "{}",
        page.html
    );
    for gone in [&first, &second] {
        let (s, _, _) = app
            .get_auth(&format!("/api/v1/statuses/{gone}"), Some(&bob))
            .await;
        assert_eq!(s, 404);
    }
    let (s, _, _) = app
        .get_auth(&format!("/api/v1/statuses/{unreported}"), Some(&bob))
        .await;
    assert_eq!(s, 200);
    assert_eq!(statuses_count(&app, &bob).await, 1);
    // Still readable with the report.
    let page = moderator.get(&path).await;
    assert!(page.html.contains("second nasty post"), "{}", page.html);
    assert!(page.html.contains("Resolved by @mod"), "{}", page.html);

    // bob is warned, with the posts named.
    let (s, notes, _) = app
        .get_auth(
            "/api/v1/notifications?types[]=moderation_warning",
            Some(&bob),
        )
        .await;
    assert_eq!(s, 200, "{notes}");
    let warning = &notes[0]["moderation_warning"];
    assert_eq!(warning["action"], "delete_statuses", "{notes}");
    assert_eq!(warning["text"], "no nastiness here");
    let mut named: Vec<String> = warning["status_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    named.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(named, expected);

    // bob's account page shows it in its history.
    let page = moderator.get(&format!("/admin/accounts/{bob_id}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let history = &page.html[page.html.find("account-history").unwrap()..];
    assert!(history.contains("<td>delete_statuses</td>"), "{history}");
    assert!(history.contains("no nastiness here"), "{history}");

    // The audit log has each removal and the resolution.
    let logged = app
        .sql_texts("SELECT action || ' ' || target_type FROM admin_action_logs ORDER BY id")
        .await;
    assert_eq!(
        logged
            .iter()
            .filter(|l| l.as_str() == "destroy Status")
            .count(),
        2,
        "{logged:?}"
    );
    assert!(logged.iter().any(|l| l == "resolve Report"), "{logged:?}");
    assert!(
        logged.iter().any(|l| l == "delete_statuses Account"),
        "{logged:?}"
    );
    let (_, admin_report, _) = {
        let t = app
            .token_with_scopes("mod", "read admin:read admin:write")
            .await;
        app.get_auth(&format!("/api/v1/admin/reports/{id}"), Some(&t))
            .await
    };
    assert_eq!(
        admin_report["action_taken"],
        Value::Bool(true),
        "{admin_report}"
    );
}

async fn moderators_leave_notes(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    for (name, role) in [
        ("mod", Role::Moderator),
        ("mod2", Role::Moderator),
        ("boss", Role::Admin),
    ] {
        app.create_account(name).await;
        app.services.set_role(name, role).await.unwrap();
    }
    let alice = app.token("alice").await;
    app.token("bob").await;
    let bob_id = app.account_id("bob").await;
    let (s, report) = app
        .post_auth(
            "/api/v1/reports",
            &alice,
            &[("account_id", bob_id.as_str()), ("comment", "rude")],
        )
        .await;
    assert_eq!(s, 200, "{report}");
    let id = report["id"].as_str().unwrap().to_owned();
    let path = format!("/admin/reports/{id}");
    let action = format!("{path}/notes");

    let mut first = Browser::signed_in(&app, "mod").await;
    let page = first
        .submit(&path, &action, &[("content", "asked <alice> for links")])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Note added."), "{}", page.html);
    assert!(
        page.html.contains("asked &#60;alice&#62; for links"),
        "{}",
        page.html
    );
    for bad in ["   ", &"x".repeat(2001)] {
        let page = first.submit(&path, &action, &[("content", bad)]).await;
        assert_eq!(page.status, 422, "{}", page.html);
    }
    assert_eq!(count(&app, "report_notes").await, 1);
    let note = app
        .sql_texts("SELECT CAST(id AS TEXT) FROM report_notes")
        .await[0]
        .clone();
    let delete = format!("{path}/notes/{note}/delete");

    // Another moderator reads it but may not delete it; an admin may.
    let mut second = Browser::signed_in(&app, "mod2").await;
    let page = second.get(&path).await;
    assert!(page.html.contains("@mod,"), "{}", page.html);
    assert!(!page.html.contains(&delete), "{}", page.html);
    let page = second.submit(&path, &delete, &[]).await;
    assert_eq!(page.status, 403, "{}", page.html);
    assert_eq!(count(&app, "report_notes").await, 1);
    let mut boss = Browser::signed_in(&app, "boss").await;
    let page = boss.submit(&path, &delete, &[]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(count(&app, "report_notes").await, 0);

    // A note that resolves the report, in one step.
    let page = second
        .submit(
            &path,
            &action,
            &[("content", "nothing to act on"), ("resolve", "1")],
        )
        .await;
    assert!(
        page.html.contains("Note added; the report is resolved."),
        "{}",
        page.html
    );
    assert!(page.html.contains("Resolved by @mod2"), "{}", page.html);
    assert_eq!(count(&app, "report_notes").await, 1);
}
