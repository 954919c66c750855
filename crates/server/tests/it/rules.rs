//! The server's rules kept in the `rules` table: imported once from the configuration, then
//! added, edited and deleted by staff (the use case, the admin page, the command line), each
//! change logged; the instance API, the about and sign-up pages and reports follow the table —
//! on every engine.

use rookery::admin_rules::RulesCommand;
use rookery_model::{Id, Role};
use rookery_service::ServiceError;
use rookery_service::moderation::Moderator;
use rookery_service::moderation::rules::RuleChange;
use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(
    configured_rules_are_imported_once,
    staff_keep_the_rules_and_everyone_sees_them,
    reports_cite_rules_from_the_table,
    rules_through_the_admin_page,
);

const CONFIGURED: &str = r#"["Be kind", {text = "No spam", hint = "Ads count"}]"#;

async fn shown(app: &TestApp) -> Value {
    let (status, rules) = app.get_json("/api/v1/instance/rules").await;
    assert_eq!(status, 200, "{rules}");
    rules
}

fn texts(rules: &Value) -> Vec<String> {
    rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn count(app: &TestApp, query: &str) -> String {
    app.sql_texts(query).await.pop().unwrap()
}

async fn configured_rules_are_imported_once(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_INSTANCE__RULES", CONFIGURED)]).await;
    // Imported at start with the numbers they had (what earlier reports cite).
    assert_eq!(
        shown(&app).await,
        json!([
            {"id": "1", "text": "Be kind", "hint": ""},
            {"id": "2", "text": "No spam", "hint": "Ads count"},
        ])
    );
    // Afterwards the table is the source: starting again imports nothing, even once every
    // rule is deleted.
    let rules = app.services.rules();
    rules.delete(Moderator::CLI, Id::from_i64(2)).await.unwrap();
    assert_eq!(rules.seed_from_config().await.unwrap(), 0);
    assert_eq!(texts(&shown(&app).await), ["Be kind"]);
    rules.delete(Moderator::CLI, Id::from_i64(1)).await.unwrap();
    assert_eq!(rules.seed_from_config().await.unwrap(), 0);
    assert_eq!(shown(&app).await, json!([]));
    assert_eq!(
        count(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM rules").await,
        "2"
    );

    // Without configured rules, nothing is imported and nothing shown.
    let bare = spawn_with(backend, &[]).await;
    assert_eq!(bare.services.rules().seed_from_config().await.unwrap(), 0);
    assert_eq!(shown(&bare).await, json!([]));
}

async fn staff_keep_the_rules_and_everyone_sees_them(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_INSTANCE__RULES", CONFIGURED)]).await;
    let s = &app.services;
    app.create_account("boss").await;
    s.set_role("boss", Role::Admin).await.unwrap();
    let boss = Moderator::of(
        &s.local_account("boss").await.unwrap(),
        rookery_model::Permission::ManageRules,
    )
    .unwrap();

    // Added after the others; the configured list is no longer read.
    let added = s
        .rules()
        .create(boss, "  No <script>  ", "Or anything else", None)
        .await
        .unwrap();
    assert_eq!(added.text, "No <script>");
    let rules = shown(&app).await;
    assert_eq!(texts(&rules), ["Be kind", "No spam", "No <script>"]);
    assert_eq!(rules[2]["id"], added.id.to_string());
    // Both instance entities carry the same list.
    assert_eq!(app.get_json("/api/v1/instance").await.1["rules"], rules);
    assert_eq!(app.get_json("/api/v2/instance").await.1["rules"], rules);

    // Moved first and reworded.
    let change = RuleChange {
        text: Some("No scripts".into()),
        hint: None,
        priority: Some(-1),
    };
    s.rules().update(boss, added.id, change).await.unwrap();
    let rules = shown(&app).await;
    assert_eq!(texts(&rules), ["No scripts", "Be kind", "No spam"]);
    assert_eq!(rules[0]["hint"], "Or anything else");

    // Deleted: gone from the list, the about and sign-up pages.
    s.rules().delete(boss, Id::from_i64(2)).await.unwrap();
    assert_eq!(texts(&shown(&app).await), ["No scripts", "Be kind"]);
    for path in ["/about", "/auth/sign_up"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(html.contains("No scripts"), "{path}: {html}");
        assert!(!html.contains("No spam"), "{path}: {html}");
    }

    // Refused: empty or overlong text, a rule already deleted, unknown ids; nothing changes.
    for text in ["   ", &"x".repeat(301)] {
        let e = s.rules().create(boss, text, "", None).await.unwrap_err();
        assert!(matches!(e, ServiceError::Invalid { .. }), "{e:?}");
    }
    let again = s.rules().delete(boss, Id::from_i64(2)).await.unwrap_err();
    assert!(matches!(again, ServiceError::NotFound(_)), "{again:?}");
    let change = RuleChange {
        text: Some("Back".into()),
        ..RuleChange::default()
    };
    let e = s
        .rules()
        .update(boss, Id::from_i64(2), change)
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::NotFound(_)), "{e:?}");

    // A moderator's role lacks ManageRules.
    app.create_account("mod").await;
    s.set_role("mod", Role::Moderator).await.unwrap();
    let local = s.local_account("mod").await.unwrap();
    assert!(matches!(
        Moderator::of(&local, rookery_model::Permission::ManageRules),
        Err(ServiceError::Forbidden)
    ));

    // The command line works the same table.
    let out = rookery::admin_rules::rules(
        s,
        &RulesCommand::Add {
            text: "Credit artists".into(),
            hint: String::new(),
            priority: None,
        },
    )
    .await
    .unwrap();
    assert!(out.starts_with("Rule "), "{out}");
    let listed = rookery::admin_rules::rules(s, &RulesCommand::List { json: true })
        .await
        .unwrap();
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed, shown(&app).await);
    assert_eq!(texts(&listed), ["No scripts", "Be kind", "Credit artists"]);
    let id = listed[2]["id"].as_str().unwrap().to_owned();
    rookery::admin_rules::rules(s, &RulesCommand::Delete { id: id.clone() })
        .await
        .unwrap();
    assert!(
        rookery::admin_rules::rules(s, &RulesCommand::Delete { id })
            .await
            .is_err()
    );

    // Every change is in the audit log (the import from the configuration is not an action).
    let log = app
        .sql_texts(
            "SELECT action || ' ' || target_type FROM admin_action_logs \
             WHERE target_type = 'Rule' ORDER BY id",
        )
        .await;
    assert_eq!(
        log,
        [
            "create Rule",
            "update Rule",
            "destroy Rule",
            "create Rule",
            "destroy Rule"
        ]
    );
}

async fn reports_cite_rules_from_the_table(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_INSTANCE__RULES", CONFIGURED)]).await;
    let s = &app.services;
    let added = s
        .rules()
        .create(Moderator::CLI, "Credit artists", "", None)
        .await
        .unwrap();
    let alice = app.token("alice").await;
    app.token("bob").await;
    let bob_id = app.account_id("bob").await;
    let report = |rules: Vec<String>| {
        let app = &app;
        let alice = alice.clone();
        let bob_id = bob_id.clone();
        async move {
            let mut form = vec![
                ("account_id".to_owned(), bob_id),
                ("category".to_owned(), "violation".to_owned()),
            ];
            form.extend(rules.into_iter().map(|r| ("rule_ids[]".to_owned(), r)));
            let r = app
                .client
                .post(app.url("/api/v1/reports"))
                .bearer_auth(&alice)
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Rules from the table, the imported and the added, may be cited.
    let (status, filed) = report(vec!["2".into(), added.id.to_string()]).await;
    assert_eq!(status, 200, "{filed}");
    assert_eq!(filed["category"], "violation");
    let mut cited: Vec<String> = serde_json::from_value(filed["rule_ids"].clone()).unwrap();
    cited.sort();
    let mut expected = vec!["2".to_owned(), added.id.to_string()];
    expected.sort();
    assert_eq!(cited, expected);
    // Unknown ids are refused, and nothing is stored.
    for bad in ["3", "999999999999", "abc"] {
        let (status, body) = report(vec![bad.into()]).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    assert_eq!(
        count(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM reports").await,
        "1"
    );

    // A deleted rule can no longer be cited, but the report that cites it still shows it.
    s.rules()
        .delete(Moderator::CLI, Id::from_i64(2))
        .await
        .unwrap();
    let (status, body) = report(vec!["2".into()]).await;
    assert_eq!(status, 422, "{body}");
    app.create_account("mod").await;
    s.set_role("mod", Role::Moderator).await.unwrap();
    let moderator = app
        .token_with_scopes("mod", "read write admin:read admin:write")
        .await;
    let id = filed["id"].as_str().unwrap();
    let (status, shown_report, _) = app
        .get_auth(&format!("/api/v1/admin/reports/{id}"), Some(&moderator))
        .await;
    assert_eq!(status, 200, "{shown_report}");
    let mut texts = texts(&shown_report["rules"]);
    texts.sort();
    assert_eq!(texts, ["Credit artists", "No spam"]);
}

async fn rules_through_the_admin_page(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    app.create_account("boss").await;
    app.services.set_role("boss", Role::Admin).await.unwrap();
    app.create_account("mod").await;
    app.services.set_role("mod", Role::Moderator).await.unwrap();
    let mut moderator = Browser::signed_in(&app, "mod").await;
    assert_eq!(moderator.get("/admin/rules").await.status, 403);
    let refused = moderator
        .post(
            "/admin/rules",
            &[("text", "Sneaky"), ("authenticity_token", "x")],
        )
        .await;
    assert_ne!(refused.status, 200);

    let mut admin = Browser::signed_in(&app, "boss").await;
    let page = admin.get("/admin/rules").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("href=\"/admin/rules\""), "{}", page.html);
    assert!(page.html.contains("No rules."), "{}", page.html);
    let page = admin
        .submit(
            "/admin/rules",
            "/admin/rules",
            &[("text", "Be <kind>"), ("hint", "Always"), ("priority", "")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("The rule is added."), "{}", page.html);
    assert!(
        page.html.contains("Be &#60;kind&#62;"),
        "escaped: {}",
        page.html
    );
    assert!(!page.html.contains("Be <kind>"), "escaped: {}", page.html);
    let page = admin
        .submit("/admin/rules", "/admin/rules", &[("text", "  ")])
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    let page = admin
        .submit(
            "/admin/rules",
            "/admin/rules",
            &[("text", "No spam"), ("priority", "soon")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert_eq!(texts(&shown(&app).await), ["Be <kind>"]);

    let id = shown(&app).await[0]["id"].as_str().unwrap().to_owned();
    let page = admin
        .submit(
            "/admin/rules",
            &format!("/admin/rules/{id}"),
            &[("text", "Be kind"), ("hint", ""), ("priority", "5")],
        )
        .await;
    assert!(page.html.contains("The rule is saved."), "{}", page.html);
    assert_eq!(
        shown(&app).await,
        json!([{"id": id, "text": "Be kind", "hint": ""}])
    );
    let page = admin
        .submit("/admin/rules", &format!("/admin/rules/{id}/delete"), &[])
        .await;
    assert!(page.html.contains("The rule is deleted."), "{}", page.html);
    assert_eq!(shown(&app).await, json!([]));
    let page = admin
        .submit("/admin/rules", "/admin/rules/123/delete", &[])
        .await;
    assert_eq!(page.status, 404, "{}", page.html);
    // Logged, and the audit log page names the rule.
    let page = admin.get("/admin/action_logs").await;
    assert!(page.html.contains("Be kind"), "{}", page.html);
}
