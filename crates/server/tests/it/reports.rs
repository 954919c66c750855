//! Reports: a user reports an account to the moderators, who are notified and mailed and work
//! the queue through the admin API (Mastodon.py's `test_admin_reports` flow) and the command
//! line; refusals store nothing; every moderator's step is in the audit log.

use rookery_model::Role;
use rookery_testkit::{Backend, SmtpSink};
use serde_json::Value;

use crate::kit::{TestApp, on_every_backend, spawn_with};
use crate::mail::{mails, spawn_mailing};

on_every_backend!(
    a_report_reaches_the_moderators,
    bad_reports_are_refused_and_nothing_is_stored,
    moderators_work_the_queue
);

const ADMIN_SCOPES: &str = "read write admin:read admin:write";

/// A staff member with `role` and a token with `scopes`.
pub(crate) async fn staff(app: &TestApp, username: &str, role: Role, scopes: &str) -> String {
    app.services
        .create_local_account(rookery_service::NewLocalAccount {
            username: username.into(),
            email: format!("{username}@example.com"),
            password: Some("a good password".into()),
            role,
            confirmed: true,
            approved: true,
            send_confirmation: false,
        })
        .await
        .unwrap();
    app.token_with_scopes(username, scopes).await
}

pub(crate) async fn count(app: &TestApp, table: &str) -> i64 {
    app.sql_texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
        .await[0]
        .parse()
        .unwrap()
}

async fn post(app: &TestApp, token: &str, text: &str, visibility: &str) -> String {
    let (s, body) = app
        .post_auth(
            "/api/v1/statuses",
            token,
            &[("status", text), ("visibility", visibility)],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn a_report_reaches_the_moderators(backend: Backend) {
    let sink = SmtpSink::start().unwrap();
    let app = spawn_mailing(backend, &sink, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let moderator = staff(&app, "mod", Role::Moderator, ADMIN_SCOPES).await;
    let bob_id = app.account_id("bob").await;
    let spam = post(&app, &bob, "buy my stuff", "public").await;

    let (s, report) = app
        .post_auth(
            "/api/v1/reports",
            &alice,
            &[
                ("account_id", &bob_id),
                ("status_ids[]", &spam),
                ("comment", "this is spam"),
                ("category", "spam"),
                ("forward", "false"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["category"], "spam");
    assert_eq!(report["comment"], "this is spam");
    assert_eq!(report["action_taken"], false);
    assert_eq!(report["action_taken_at"], Value::Null);
    assert_eq!(report["forwarded"], false);
    assert_eq!(report["status_ids"], serde_json::json!([spam]));
    assert_eq!(report["rule_ids"], serde_json::json!([]));
    assert_eq!(report["target_account"]["id"], bob_id);
    let id = report["id"].as_str().unwrap().to_owned();

    // In the queue, with the post and who filed it.
    let (s, list, _) = app
        .get_auth("/api/v1/admin/reports", Some(&moderator))
        .await;
    assert_eq!(s, 200, "{list}");
    let listed = &list[0];
    assert_eq!(listed["id"], id);
    assert_eq!(listed["account"]["username"], "alice");
    assert_eq!(listed["account"]["email"], "alice@example.com");
    assert_eq!(listed["target_account"]["username"], "bob");
    assert_eq!(listed["statuses"][0]["id"], spam);
    assert_eq!(listed["assigned_account"], Value::Null);

    // The moderator is notified (one by one and grouped), the reporter is not.
    let (s, notes, _) = app
        .get_auth("/api/v1/notifications", Some(&moderator))
        .await;
    assert_eq!(s, 200, "{notes}");
    assert_eq!(notes[0]["type"], "admin.report", "{notes}");
    assert_eq!(notes[0]["report"]["id"], id);
    assert_eq!(notes[0]["report"]["target_account"]["id"], bob_id);
    assert_eq!(notes[0]["account"]["username"], "alice");
    let (s, grouped, _) = app
        .get_auth("/api/v2/notifications", Some(&moderator))
        .await;
    assert_eq!(s, 200, "{grouped}");
    let group = &grouped["notification_groups"][0];
    assert_eq!(group["type"], "admin.report", "{grouped}");
    assert_eq!(group["report"]["id"], id);
    let (s, own, _) = app.get_auth("/api/v1/notifications", Some(&alice)).await;
    assert_eq!(s, 200);
    assert_eq!(own, serde_json::json!([]));

    // And mailed.
    let sent = mails(&sink, 1);
    assert_eq!(sent[0]["rcpt_tos"], serde_json::json!(["mod@example.com"]));
    let text = sent[0]["text"].as_str().unwrap();
    assert!(text.contains("reported @bob"), "{text}");
    assert!(text.contains("this is spam"), "{text}");
    assert!(
        text.contains(&format!("/admin/reports/{id}")),
        "the mail links the page: {text}"
    );

    // A second report by the same person reaches the moderator too (sent as Mastodon.py
    // sends it, with a trailing slash, which Mastodon accepts).
    let (s, second) = app
        .post_auth(
            "/api/v1/reports/",
            &alice,
            &[("account_id", &bob_id), ("comment", "and again")],
        )
        .await;
    assert_eq!(s, 200, "{second}");
    let (_, notes, _) = app
        .get_auth(
            "/api/v1/notifications?types[]=admin.report",
            Some(&moderator),
        )
        .await;
    assert_eq!(notes.as_array().map(Vec::len), Some(2), "{notes}");
    assert_eq!(notes[0]["report"]["id"], second["id"]);

    // Without the staff role, or without the admin scopes: 403, and nothing changes.
    let (s, _, _) = app.get_auth("/api/v1/admin/reports", Some(&alice)).await;
    assert_eq!(s, 403);
    let alice_admin = app.token_with_scopes("alice", ADMIN_SCOPES).await;
    let (s, _) = app
        .post_auth(
            &format!("/api/v1/admin/reports/{id}/resolve"),
            &alice_admin,
            &[],
        )
        .await;
    assert_eq!(s, 403);
    let plain = app.token("mod").await;
    let (s, _, _) = app.get_auth("/api/v1/admin/reports", Some(&plain)).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post_auth(&format!("/api/v1/admin/reports/{id}/resolve"), &plain, &[])
        .await;
    assert_eq!(s, 403);
    let (_, shown, _) = app
        .get_auth(&format!("/api/v1/admin/reports/{id}"), Some(&moderator))
        .await;
    assert_eq!(shown["action_taken"], false);
    assert_eq!(count(&app, "admin_action_logs").await, 0);
}

async fn bad_reports_are_refused_and_nothing_is_stored(backend: Backend) {
    let app = spawn_with(
        backend,
        &[("ROOKERY_INSTANCE__RULES", r#"["Be kind", "No spam"]"#)],
    )
    .await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let alice_id = app.account_id("alice").await;
    let bob_id = app.account_id("bob").await;
    let carols = post(&app, &carol, "not bob's", "public").await;
    let hidden = post(&app, &bob, "only for bob's followers", "private").await;

    let report = |form: Vec<(String, String)>| {
        let app = &app;
        let alice = alice.clone();
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/reports"))
                .bearer_auth(&alice)
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap_or_default())
        }
    };
    let with = |extra: &[(&str, &str)]| {
        let mut form = vec![("account_id".to_owned(), bob_id.clone())];
        form.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        form
    };

    // Yourself.
    let (s, body) = report(vec![("account_id".into(), alice_id.clone())]).await;
    assert_eq!(s, 422, "{body}");
    // No account, an unknown one, one that is not an id.
    let (s, body) = report(vec![("comment".into(), "who?".into())]).await;
    assert_eq!(s, 422, "{body}");
    let (s, _) = report(vec![("account_id".into(), "1234567".into())]).await;
    assert_eq!(s, 404);
    let (s, _) = report(vec![("account_id".into(), "'; DROP TABLE reports".into())]).await;
    assert_eq!(s, 404);
    // Someone else's post, a post bob's followers only see, a post that does not exist.
    let (s, body) = report(with(&[("status_ids[]", &carols)])).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("status"), "{body}");
    let (s, body) = report(with(&[("status_ids[]", &hidden)])).await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = report(with(&[("status_ids[]", "999999999")])).await;
    assert_eq!(s, 422, "{body}");
    // 10,000 post ids.
    let mut many = with(&[]);
    for i in 0..10_000 {
        many.push(("status_ids[]".into(), (1_000_000 + i).to_string()));
    }
    let (s, body) = report(many).await;
    assert_eq!(s, 422, "{body}");
    // A comment of a megabyte, and one just over Mastodon's 1,000 characters.
    let (s, _) = report(with(&[("comment", &"x".repeat(1 << 20))])).await;
    assert!((400..500).contains(&s), "{s}");
    let (s, body) = report(with(&[("comment", &"é".repeat(1001))])).await;
    assert_eq!(s, 422, "{body}");
    // A category Mastodon does not have; rules the instance does not have.
    let (s, body) = report(with(&[("category", "crimes")])).await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = report(with(&[("rule_ids[]", "3")])).await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = report(with(&[("forward", "maybe")])).await;
    assert!(matches!(s, 400 | 422), "{s} {body}");
    // Without the write:reports scope.
    let read_only = app.token_with_scopes("alice", "read").await;
    let (s, _) = app
        .post_auth("/api/v1/reports", &read_only, &[("account_id", &bob_id)])
        .await;
    assert_eq!(s, 403);
    assert_eq!(count(&app, "reports").await, 0);
    assert_eq!(count(&app, "report_statuses").await, 0);

    // The same at its limits is taken: exactly 1,000 characters, a rule (making it a
    // violation), a post bob's followers see once alice follows him.
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    assert_eq!(s, 200);
    let comment = "é".repeat(1000);
    let (s, body) = report(with(&[
        ("comment", &comment),
        ("rule_ids[]", "2"),
        ("category", "spam"),
        ("status_ids[]", &hidden),
    ]))
    .await;
    assert_eq!(s, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["category"], "violation");
    assert_eq!(body["rule_ids"], serde_json::json!(["2"]));
    assert_eq!(body["status_ids"], serde_json::json!([hidden]));
    assert_eq!(count(&app, "reports").await, 1);
}

async fn moderators_work_the_queue(backend: Backend) {
    let app = spawn_with(
        backend,
        &[("ROOKERY_INSTANCE__RULES", r#"["Be kind", "No spam"]"#)],
    )
    .await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let admin = staff(&app, "boss", Role::Admin, ADMIN_SCOPES).await;
    let boss_id = app.account_id("boss").await;
    let bob_id = app.account_id("bob").await;
    let alice_id = app.account_id("alice").await;
    let st = post(&app, &bob, "api crimes", "public").await;
    // JSON bodies work as forms do.
    let (s, report) = app
        .post_json_auth(
            "/api/v1/reports",
            &alice,
            &serde_json::json!({"account_id": bob_id, "status_ids": [st], "comment": "api crimes"}),
        )
        .await;
    assert_eq!(s, 200, "{report}");
    let id = report["id"].as_str().unwrap().to_owned();
    let (s, second) = app
        .post_auth("/api/v1/reports", &bob, &[("account_id", &alice_id)])
        .await;
    assert_eq!(s, 200, "{second}");
    let second_id = second["id"].as_str().unwrap().to_owned();

    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (s, list, link) = app.get_auth("/api/v1/admin/reports", Some(&admin)).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(ids(&list), vec![second_id.clone(), id.clone()]);
    assert!(link.is_some());
    // Paged: one at a time, the Link header leading on.
    let (_, page, link) = app
        .get_auth("/api/v1/admin/reports?limit=1", Some(&admin))
        .await;
    assert_eq!(ids(&page), vec![second_id.clone()]);
    let link = link.unwrap();
    let next = link
        .split(", ")
        .find(|l| l.contains("rel=\"next\""))
        .and_then(|l| l.split(['<', '>']).nth(1))
        .unwrap()
        .to_owned();
    let next = next.strip_prefix("https://rookery.test").unwrap();
    let (_, page, _) = app.get_auth(next, Some(&admin)).await;
    assert_eq!(ids(&page), vec![id.clone()]);
    // Filters.
    let (_, by_alice, _) = app
        .get_auth(
            &format!("/api/v1/admin/reports?account_id={alice_id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(ids(&by_alice), vec![id.clone()]);
    let (_, about_alice, _) = app
        .get_auth(
            &format!("/api/v1/admin/reports?target_account_id={alice_id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(ids(&about_alice), vec![second_id.clone()]);

    // Resolve: taken by the admin, gone from the queue, in the resolved list.
    let (s, resolved) = app
        .post_auth(&format!("/api/v1/admin/reports/{id}/resolve"), &admin, &[])
        .await;
    assert_eq!(s, 200, "{resolved}");
    assert_eq!(resolved["action_taken"], true);
    assert!(resolved["action_taken_at"].is_string());
    assert_eq!(resolved["action_taken_by_account"]["id"], boss_id);
    let (_, list, _) = app.get_auth("/api/v1/admin/reports", Some(&admin)).await;
    assert_eq!(ids(&list), vec![second_id.clone()]);
    let (_, list, _) = app
        .get_auth("/api/v1/admin/reports?resolved=true", Some(&admin))
        .await;
    assert_eq!(ids(&list), vec![id.clone()]);
    // Reopen.
    let (s, reopened) = app
        .post_auth(&format!("/api/v1/admin/reports/{id}/reopen"), &admin, &[])
        .await;
    assert_eq!(s, 200);
    assert_eq!(reopened["action_taken"], false);
    assert_eq!(reopened["action_taken_by_account"], Value::Null);
    let (_, list, _) = app.get_auth("/api/v1/admin/reports", Some(&admin)).await;
    assert!(ids(&list).contains(&id));
    // Assign and unassign.
    let (s, assigned) = app
        .post_auth(
            &format!("/api/v1/admin/reports/{id}/assign_to_self"),
            &admin,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(assigned["assigned_account"]["id"], boss_id);
    let (_, unassigned) = app
        .post_auth(&format!("/api/v1/admin/reports/{id}/unassign"), &admin, &[])
        .await;
    assert_eq!(unassigned["assigned_account"], Value::Null);
    // Show, and update: rules make it a violation; other categories drop them.
    let (s, shown, _) = app
        .get_auth(&format!("/api/v1/admin/reports/{id}"), Some(&admin))
        .await;
    assert_eq!(s, 200);
    assert_eq!(shown["id"], id);
    assert_eq!(shown["comment"], "api crimes");
    assert_eq!(shown["statuses"][0]["id"], st);
    let put = |form: Vec<(&'static str, &'static str)>| {
        let app = &app;
        let admin = admin.clone();
        let id = id.clone();
        async move {
            let r = app
                .client
                .put(app.url(&format!("/api/v1/admin/reports/{id}")))
                .bearer_auth(&admin)
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, updated) = put(vec![("category", "violation"), ("rule_ids[]", "1")]).await;
    assert_eq!(s, 200, "{updated}");
    assert_eq!(updated["category"], "violation");
    assert_eq!(updated["rules"][0]["text"], "Be kind");
    let (s, updated) = put(vec![("category", "legal")]).await;
    assert_eq!(s, 200, "{updated}");
    assert_eq!(updated["category"], "legal");
    assert_eq!(updated["rules"], serde_json::json!([]));
    let (s, _) = put(vec![("category", "nonsense")]).await;
    assert_eq!(s, 422);
    let (s, _) = put(vec![("category", "violation"), ("rule_ids[]", "9")]).await;
    assert_eq!(s, 422);
    // Unknown reports.
    let (s, _, _) = app
        .get_auth("/api/v1/admin/reports/12345", Some(&admin))
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .post_auth("/api/v1/admin/reports/nope/resolve", &admin, &[])
        .await;
    assert_eq!(s, 404);

    // Every step is in the audit log, by the admin, about the report.
    let actions = app
        .sql_texts(&format!(
            "SELECT action FROM admin_action_logs WHERE target_type = 'Report' \
             AND target_id = {id} AND account_id = {boss_id} ORDER BY id"
        ))
        .await;
    assert_eq!(
        actions,
        vec![
            "resolve",
            "reopen",
            "assigned_to_self",
            "unassigned",
            "update",
            "update"
        ]
    );

    // The command line goes through the same use cases.
    use rookery::admin_reports::{ReportsCommand, reports};
    let out = reports(
        &app.services,
        &ReportsCommand::List {
            resolved: false,
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert!(out.contains(&id) && out.contains(&second_id), "{out}");
    let out = reports(
        &app.services,
        &ReportsCommand::Show {
            id: second_id.clone(),
        },
    )
    .await
    .unwrap();
    assert!(out.contains("@alice") && out.contains("@bob"), "{out}");
    reports(
        &app.services,
        &ReportsCommand::Resolve {
            id: second_id.clone(),
        },
    )
    .await
    .unwrap();
    let (_, shown, _) = app
        .get_auth(&format!("/api/v1/admin/reports/{second_id}"), Some(&admin))
        .await;
    assert_eq!(shown["action_taken"], true);
    assert_eq!(shown["action_taken_by_account"], Value::Null);
    assert!(
        reports(&app.services, &ReportsCommand::Show { id: "x".into() })
            .await
            .is_err()
    );
    let by_cli = app
        .sql_texts(&format!(
            "SELECT action FROM admin_action_logs WHERE target_id = {second_id} \
             AND account_id IS NULL"
        ))
        .await;
    assert_eq!(by_cli, vec!["resolve"]);
}
