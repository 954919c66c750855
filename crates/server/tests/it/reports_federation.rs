//! Reports across two live instances: a user of B reports a user of A with `forward=true`, and
//! A's moderators find the report (comment and posts) from B's instance actor; the same `Flag`
//! delivered again files nothing more; a server whose reports are rejected is not heard; a
//! reported post A's moderators remove is deleted on B too.

use rookery_model::Role;
use rookery_service::NewDomainBlock;
use rookery_service::moderation::Moderator;
use rookery_service::moderation::post_removal::PostRemoval;
use rookery_service::moderation::reports::ForwardReport;
use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};
use crate::reports::{count, staff};

on_every_backend!(a_forwarded_report_reaches_the_reported_server);

async fn jobs(app: &TestApp, kind: &str) -> i64 {
    app.sql_texts(&format!(
        "SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE kind = '{kind}' AND state <> 'dead'"
    ))
    .await[0]
        .parse()
        .unwrap()
}

/// Waits until B has sent its `Flag`s and A has processed what it received.
async fn settled(a: &TestApp, b: &TestApp) {
    eventually("B forwarded the report", || async {
        jobs(b, "forward_report").await == 0
    })
    .await;
    eventually("A took in what it received", || async {
        jobs(a, "ingress").await == 0
    })
    .await;
}

async fn a_forwarded_report_reaches_the_reported_server(backend: Backend) {
    let a = spawn_federating(backend, &[]).await;
    // B is `localhost:PORT`, so A can block B's host without blocking its own.
    let port = rookery_testkit::free_port().unwrap();
    let (listen, domain) = (format!("127.0.0.1:{port}"), format!("localhost:{port}"));
    let b = spawn_federating(
        backend,
        &[
            ("ROOKERY_SERVER__LISTEN", &listen),
            ("ROOKERY_SERVER__DOMAIN", &domain),
        ],
    )
    .await;
    let (da, db) = (a.domain(), b.domain());
    let alice = a.token("alice").await;
    let moderator = staff(&a, "amod", Role::Moderator, "read admin:read admin:write").await;
    let bob = b.token("bob").await;

    // bob@B follows alice@A and sees her post.
    let (s, alice_on_b, _) = b
        .get_auth(
            &format!("/api/v1/accounts/lookup?acct=alice@{da}"),
            Some(&bob),
        )
        .await;
    assert_eq!(s, 200, "{alice_on_b}");
    let alice_id_on_b = alice_on_b["id"].as_str().unwrap().to_owned();
    let (s, _) = b
        .post_auth(
            &format!("/api/v1/accounts/{alice_id_on_b}/follow"),
            &bob,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    eventually("bob follows alice", || async {
        let (_, rel, _) = b
            .get_auth(
                &format!("/api/v1/accounts/relationships?id[]={alice_id_on_b}"),
                Some(&bob),
            )
            .await;
        rel[0]["following"] == true
    })
    .await;
    let (s, posted) = a
        .post_auth("/api/v1/statuses", &alice, &[("status", "offensive words")])
        .await;
    assert_eq!(s, 200);
    let status_on_a = posted["id"].as_str().unwrap().to_owned();
    let home = || async {
        let (_, list, _) = b.get_auth("/api/v1/timelines/home", Some(&bob)).await;
        list.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .find(|s| {
                s["content"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("offensive")
            })
    };
    eventually("the post reaches B", || async { home().await.is_some() }).await;
    let status_on_b = home().await.unwrap()["id"].as_str().unwrap().to_owned();

    // bob reports alice on B and forwards the report to A.
    let (s, report) = b
        .post_auth(
            "/api/v1/reports",
            &bob,
            &[
                ("account_id", &alice_id_on_b),
                ("status_ids[]", &status_on_b),
                ("comment", "<b>rude</b> & mean"),
                ("forward", "true"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["forwarded"], true);
    let b_report = report["id"].as_str().unwrap().to_owned();

    // A's moderators find it: about alice, with her post and bob's comment, from B's server.
    let queue = || async {
        let (s, list, _) = a.get_auth("/api/v1/admin/reports", Some(&moderator)).await;
        assert_eq!(s, 200, "{list}");
        list.as_array().cloned().unwrap_or_default()
    };
    eventually("the report reaches A", || async {
        !queue().await.is_empty()
    })
    .await;
    let list = queue().await;
    assert_eq!(list.len(), 1, "{list:?}");
    let r = &list[0];
    assert_eq!(r["target_account"]["username"], "alice");
    assert_eq!(r["comment"], "rude & mean");
    assert_eq!(r["statuses"][0]["id"], status_on_a);
    assert_eq!(r["account"]["domain"], db);
    assert_eq!(r["category"], "other");
    let (_, notes, _) = a.get_auth("/api/v1/notifications", Some(&moderator)).await;
    assert_eq!(notes[0]["type"], "admin.report", "{notes}");
    assert_eq!(notes[0]["report"]["comment"], "rude & mean");
    // bob is not named on A.
    assert!(!r.to_string().contains("bob"), "{r}");
    settled(&a, &b).await;

    // The same Flag again (the first delivery's jobs long gone): still one report.
    let mut tx = b.services.store.begin().await.unwrap();
    rookery_jobs::enqueue(
        tx.as_mut(),
        &b.services.ids,
        b.services.clock.now(),
        &ForwardReport {
            report_id: b_report.parse().unwrap(),
            inbox: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    settled(&a, &b).await;
    assert_eq!(count(&a, "reports").await, 1);

    // A rejects B's reports (blocks name hosts without ports): a new report from B is not
    // heard.
    a.services
        .block_domain(
            Moderator::CLI,
            NewDomainBlock {
                domain: "localhost".into(),
                severity: "noop".into(),
                reject_media: false,
                reject_reports: true,
                private_comment: String::new(),
                public_comment: String::new(),
                obfuscate: false,
            },
        )
        .await
        .unwrap();
    let (s, again) = b
        .post_auth(
            "/api/v1/reports",
            &bob,
            &[
                ("account_id", &alice_id_on_b),
                ("comment", "again"),
                ("forward", "1"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{again}");
    settled(&a, &b).await;
    assert_eq!(count(&a, "reports").await, 1);
    let list: Vec<Value> = queue().await;
    assert_eq!(list.len(), 1);
    // B keeps both of bob's reports.
    assert_eq!(count(&b, "reports").await, 2);

    // A's moderators remove the reported post: B is told and deletes its copy.
    let report_id = list[0]["id"].as_str().unwrap().parse().unwrap();
    let removal = PostRemoval {
        report_id,
        status_ids: Vec::new(),
        text: "not here".into(),
        send_email: false,
    };
    let removed = a
        .services
        .account_actions()
        .remove_reported_posts(Moderator::CLI, &removal)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    eventually("the removed post is gone from B", || async {
        home().await.is_none()
    })
    .await;
    let (s, _, _) = b
        .get_auth(&format!("/api/v1/statuses/{status_on_b}"), Some(&bob))
        .await;
    assert_eq!(s, 404);
}
