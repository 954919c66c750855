//! `forward_to_domains`: a report about a post that answers someone on a third server reaches
//! that server too when the reporter asks (three live instances: the reporter's A, the
//! reported account's B, the answered account's C), and only the servers named.

use rookery_model::Role;
use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};
use crate::reports::staff;

on_every_backend!(a_report_reaches_the_server_of_the_answered_account);

async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> Value {
    let (s, body) = app.post_auth("/api/v1/statuses", token, form).await;
    assert_eq!(s, 200, "{body}");
    body
}

/// Looks up a post of another server by its URI, fetching it; its id here.
async fn resolve(app: &TestApp, token: &str, uri: &str) -> String {
    let (s, found, _) = app
        .get_auth(&format!("/api/v2/search?q={uri}&resolve=true"), Some(token))
        .await;
    assert_eq!(s, 200, "{found}");
    found["statuses"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{uri} not found: {found}"))
        .to_owned()
}

async fn reports(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, list, _) = app.get_auth("/api/v1/admin/reports", Some(token)).await;
    assert_eq!(s, 200, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

async fn a_report_reaches_the_server_of_the_answered_account(backend: Backend) {
    let a = spawn_federating(backend, &[]).await;
    let b = spawn_federating(backend, &[]).await;
    let c = spawn_federating(backend, &[]).await;
    let (db, dc) = (b.domain(), c.domain());
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let carol = c.token("carol").await;
    let scopes = "read admin:read admin:write";
    let b_mod = staff(&b, "bmod", Role::Moderator, scopes).await;
    let c_mod = staff(&c, "cmod", Role::Moderator, scopes).await;

    // carol@C posts; bob@B answers her; alice@A sees both.
    let carols = post(&c, &carol, &[("status", "a calm opinion")]).await;
    let carols_on_b = resolve(&b, &bob, carols["uri"].as_str().unwrap()).await;
    let answer = post(
        &b,
        &bob,
        &[
            ("status", &format!("@carol@{dc} you are an idiot")),
            ("in_reply_to_id", &carols_on_b),
        ],
    )
    .await;
    // C has the answer (carol was mentioned): a Flag naming it is understood there.
    eventually("the answer reaches C", || async {
        let (_, notes, _) = c
            .get_auth("/api/v1/notifications?types[]=mention", Some(&carol))
            .await;
        notes.as_array().is_some_and(|n| !n.is_empty())
    })
    .await;
    resolve(&a, &alice, carols["uri"].as_str().unwrap()).await;
    let answer_on_a = resolve(&a, &alice, answer["uri"].as_str().unwrap()).await;
    let (_, shown, _) = a
        .get_auth(&format!("/api/v1/statuses/{answer_on_a}"), Some(&alice))
        .await;
    let bob_on_a = shown["account"]["id"].as_str().unwrap().to_owned();
    assert!(shown["in_reply_to_account_id"].is_string(), "{shown}");

    // alice reports bob, forwarding to B and to C (and to a server with nothing to do with it).
    let (s, report) = a
        .post_auth(
            "/api/v1/reports",
            &alice,
            &[
                ("account_id", bob_on_a.as_str()),
                ("status_ids[]", answer_on_a.as_str()),
                ("comment", "abuse"),
                ("forward", "true"),
                ("forward_to_domains[]", db.as_str()),
                ("forward_to_domains[]", dc.as_str()),
                ("forward_to_domains[]", "unrelated.example"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{report}");
    eventually("B's moderators get the report", || async {
        !reports(&b, &b_mod).await.is_empty()
    })
    .await;
    eventually("C's moderators get the report", || async {
        !reports(&c, &c_mod).await.is_empty()
    })
    .await;
    let on_c = reports(&c, &c_mod).await;
    assert_eq!(on_c.len(), 1, "{on_c:?}");
    assert_eq!(on_c[0]["comment"], "abuse");
    assert_eq!(on_c[0]["target_account"]["username"], "bob");
    assert_eq!(on_c[0]["target_account"]["domain"], db.as_str());
    assert_eq!(
        on_c[0]["statuses"].as_array().map(Vec::len),
        Some(1),
        "{on_c:?}"
    );

    // Only C named: B, the reported account's own server, is left out, as in Mastodon.
    let (s, _) = a
        .post_auth(
            "/api/v1/reports",
            &alice,
            &[
                ("account_id", bob_on_a.as_str()),
                ("status_ids[]", answer_on_a.as_str()),
                ("comment", "again"),
                ("forward", "true"),
                ("forward_to_domains[]", dc.as_str()),
            ],
        )
        .await;
    assert_eq!(s, 200);
    eventually("C gets the second report", || async {
        reports(&c, &c_mod).await.len() == 2
    })
    .await;

    // Without `forward`, nothing leaves A.
    let (s, _) = a
        .post_auth(
            "/api/v1/reports",
            &alice,
            &[
                ("account_id", bob_on_a.as_str()),
                ("status_ids[]", answer_on_a.as_str()),
                ("forward_to_domains[]", dc.as_str()),
                ("forward_to_domains[]", db.as_str()),
            ],
        )
        .await;
    assert_eq!(s, 200);
    for (app, kind) in [(&a, "forward_report"), (&b, "ingress"), (&c, "ingress")] {
        eventually("the servers are done", || async {
            app.sql_texts(&format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE kind = '{kind}'"
            ))
            .await[0]
                == "0"
        })
        .await;
    }
    assert_eq!(reports(&b, &b_mod).await.len(), 1);
    assert_eq!(reports(&c, &c_mod).await.len(), 2);
}
