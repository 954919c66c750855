//! The instance beyond its entity: activity, peers, extended description, rules, translation
//! languages, custom emoji, and the profile directory, on every engine.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{on_every_backend, spawn_with};

on_every_backend!(instance_extras_and_directory_answer, terms_of_service);

/// `GET /api/v1/instance/terms_of_service[/:date]`: 404 without terms, Mastodon's
/// TermsOfService with them (escaped), and 404 for another day; the configured rules.
async fn terms_of_service(backend: Backend) {
    let none = spawn_with(backend, &[]).await;
    assert_eq!(
        none.get_json("/api/v1/instance/terms_of_service").await.0,
        404
    );
    let app = spawn_with(
        backend,
        &[
            (
                "ROOKERY_INSTANCE__TERMS_OF_SERVICE",
                "Be kind.\n\nNo <script>.",
            ),
            ("ROOKERY_INSTANCE__TERMS_OF_SERVICE_DATE", "2026-03-01"),
            (
                "ROOKERY_INSTANCE__RULES",
                r#"["Be <kind>", {text = "No spam", hint = "Ads count"}]"#,
            ),
        ],
    )
    .await;
    // The rules, numbered in order, in the list and in both instance entities.
    let rules = json!([
        {"id": "1", "text": "Be <kind>", "hint": ""},
        {"id": "2", "text": "No spam", "hint": "Ads count"},
    ]);
    assert_eq!(
        app.get_json("/api/v1/instance/rules").await,
        (200, rules.clone())
    );
    assert_eq!(app.get_json("/api/v1/instance").await.1["rules"], rules);
    assert_eq!(app.get_json("/api/v2/instance").await.1["rules"], rules);
    let (st, terms) = app.get_json("/api/v1/instance/terms_of_service").await;
    assert_eq!(st, 200, "{terms}");
    assert_eq!(
        terms,
        json!({
            "effective_date": "2026-03-01",
            "effective": true,
            "content": "<p>Be kind.</p><p>No &lt;script&gt;.</p>",
            "succeeded_by": null,
        })
    );
    let (st, same) = app
        .get_json("/api/v1/instance/terms_of_service/2026-03-01")
        .await;
    assert_eq!((st, same), (200, terms));
    for other in ["2025-01-01", "not-a-date", "%00"] {
        let path = format!("/api/v1/instance/terms_of_service/{other}");
        assert_eq!(app.get_json(&path).await.0, 404, "{other}");
    }
}

async fn instance_extras_and_directory_answer(backend: Backend) {
    let app = spawn_with(
        backend,
        &[("ROOKERY_INSTANCE__DESCRIPTION", "A <small> place")],
    )
    .await;
    let alice = app.token("alice").await;
    app.create_account("bob").await;
    let (st, _) = app
        .post_auth("/api/v1/statuses", &alice, &[("status", "counted")])
        .await;
    assert_eq!(st, 200);

    let (st, weeks) = app.get_json("/api/v1/instance/activity").await;
    assert_eq!(st, 200);
    let weeks = weeks.as_array().unwrap();
    assert_eq!(weeks.len(), 12);
    assert_eq!(weeks[0]["statuses"], "1", "{weeks:?}");
    assert_eq!(weeks[0]["registrations"], "2");
    assert_eq!(weeks[0]["logins"], "1", "alice got a token");
    let week: i64 = weeks[0]["week"].as_str().unwrap().parse().unwrap();
    let next: i64 = weeks[1]["week"].as_str().unwrap().parse().unwrap();
    assert_eq!(week - next, 7 * 86_400);
    // A Monday, 00:00 UTC (1970-01-05 was one).
    assert_eq!((week - 4 * 86_400).rem_euclid(7 * 86_400), 0);
    assert!(weeks[11]["statuses"] == "0");

    assert_eq!(
        app.get_json("/api/v1/instance/peers").await,
        (200, json!([]))
    );
    let (st, ext) = app.get_json("/api/v1/instance/extended_description").await;
    assert_eq!(st, 200);
    assert_eq!(ext["content"], "<p>A &lt;small&gt; place</p>");
    assert!(ext["updated_at"].is_string());
    assert_eq!(
        app.get_json("/api/v1/instance/rules").await,
        (200, json!([]))
    );
    let (st, langs) = app.get_json("/api/v1/instance/languages").await;
    assert_eq!(st, 200);
    let langs = langs.as_array().unwrap();
    assert!(langs.len() > 180);
    assert!(langs.contains(&json!({"code": "en", "name": "English"})));
    assert_eq!(
        app.get_json("/api/v1/instance/translation_languages").await,
        (200, json!({}))
    );
    assert_eq!(
        app.get_json("/api/v1/custom_emojis").await,
        (200, json!([]))
    );

    // The directory: discoverable local people, newest first with order=new.
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let (st, dir) = app.get_json("/api/v1/directory?order=new&local=true").await;
    assert_eq!(st, 200);
    assert_eq!(names(&dir), vec!["bob", "alice"]);
    let (_, active) = app.get_json("/api/v1/directory").await;
    assert_eq!(names(&active)[0], "alice", "the one who posted first");
    let (_, second) = app
        .get_json("/api/v1/directory?order=new&limit=1&offset=1")
        .await;
    assert_eq!(names(&second), vec!["alice"]);
    assert_eq!(app.get_json("/api/v1/directory?order=loud").await.0, 422);
    assert_eq!(app.get_json("/api/v1/directory?offset=x").await.0, 400);
}
