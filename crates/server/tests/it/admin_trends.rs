//! Staff's review of trends through `/api/v1/admin/trends/*`: pending items listed for staff
//! only, approving shows them under review mode, rejecting hides them, each logged; users
//! without the permission or the scope are refused with nothing changed; unknown ids are 404 —
//! on every engine.

use rookery_model::Role;
use rookery_service::moderation::Moderator;
use rookery_store::Page;
use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(
    staff_review_hashtags_under_review_mode,
    staff_review_statuses_and_links,
    review_needs_the_permission_and_the_scope,
);

const ADMIN_SCOPES: &str = "read write admin:read admin:write";

async fn staff_token(app: &TestApp, name: &str, role: Role) -> String {
    app.services
        .create_local_account(rookery_service::NewLocalAccount {
            username: name.into(),
            email: format!("{name}@example.com"),
            password: Some("a good password".into()),
            role,
            confirmed: true,
            approved: true,
            send_confirmation: false,
        })
        .await
        .unwrap();
    app.token_with_scopes(name, ADMIN_SCOPES).await
}

async fn post_status(app: &TestApp, token: &str, text: &str) -> String {
    let (status, s) = app
        .post_json_auth("/api/v1/statuses", token, &json!({ "status": text }))
        .await;
    assert_eq!(status, 200, "{s}");
    s["id"].as_str().unwrap().to_owned()
}

/// Three accounts use `#alpha #beta #gamma`, then the trends are scored.
async fn trending_tags(app: &TestApp) {
    for name in ["alice", "bob", "carol"] {
        let t = app.token(name).await;
        post_status(app, &t, "#alpha #beta #gamma").await;
    }
    app.services.trends().refresh().await.unwrap();
}

fn field(list: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t[key].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {list}"))
}

/// The audit log's entries as `action target_type target_name`, oldest first.
async fn audit(app: &TestApp) -> Vec<String> {
    let mut rows: Vec<String> = app
        .services
        .audit_log()
        .list(
            Moderator::CLI,
            Page {
                max_id: None,
                limit: 200,
            },
            None,
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|l| format!("{} {} {}", l.action, l.target_type, l.target_name))
        .collect();
    rows.reverse();
    rows
}

async fn staff_review_hashtags_under_review_mode(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_TRENDS__REVIEW", "true")]).await;
    trending_tags(&app).await;
    let admin = staff_token(&app, "root", Role::Moderator).await;

    // The public sees nothing yet; staff see every scored hashtag, waiting for review.
    let (_, public, _) = app.get_auth("/api/v1/trends/tags", None).await;
    assert_eq!(public, json!([]));
    let (status, list, _) = app
        .get_auth("/api/v1/admin/trends/tags", Some(&admin))
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(field(&list, "name"), ["alpha", "beta", "gamma"]);
    let alpha = find(&list, "alpha");
    assert!(!alpha["id"].as_str().unwrap().is_empty());
    assert_eq!(alpha["requires_review"], true);
    assert_eq!(alpha["trendable"], false);
    assert_eq!(alpha["usable"], true);
    assert_eq!(alpha["listable"], true);
    assert_eq!(alpha["history"].as_array().unwrap().len(), 7);
    assert_eq!(alpha["history"][0]["accounts"], "3");
    assert!(alpha["url"].as_str().unwrap().ends_with("/tags/alpha"));

    // Mastodon's limit and offset, with the Link header.
    let (_, first, link) = app
        .get_auth("/api/v1/admin/trends/tags?limit=2", Some(&admin))
        .await;
    assert_eq!(first.as_array().unwrap().len(), 2);
    let link = link.unwrap();
    assert!(
        link.contains("/api/v1/admin/trends/tags?limit=2&offset=2>; rel=\"next\""),
        "{link}"
    );
    let (_, rest, _) = app
        .get_auth("/api/v1/admin/trends/tags?limit=2&offset=2", Some(&admin))
        .await;
    assert_eq!(rest.as_array().unwrap().len(), 1);
    let (status, _, _) = app
        .get_auth("/api/v1/admin/trends/tags?limit=abc", Some(&admin))
        .await;
    assert_eq!(status, 400);

    // Approving shows it to the public; rejecting keeps it out.
    let id = |name: &str| find(&list, name)["id"].as_str().unwrap().to_owned();
    let (status, approved) = app
        .post_auth(
            &format!("/api/v1/admin/trends/tags/{}/approve", id("alpha")),
            &admin,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["name"], "alpha");
    assert_eq!(approved["trendable"], true);
    assert_eq!(approved["requires_review"], false);
    let (status, rejected) = app
        .post_auth(
            &format!("/api/v1/admin/trends/tags/{}/reject", id("beta")),
            &admin,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["trendable"], false);
    assert_eq!(rejected["requires_review"], false);
    // Only approve and reject are decisions.
    let (status, _) = app
        .post_auth(
            &format!("/api/v1/admin/trends/tags/{}/ignore", id("gamma")),
            &admin,
            &[],
        )
        .await;
    assert_eq!(status, 404);
    let (_, public, _) = app.get_auth("/api/v1/trends/tags", None).await;
    assert_eq!(field(&public, "name"), ["alpha"]);
    // Staff still see all three, and what is left to review.
    let (_, list, _) = app
        .get_auth("/api/v1/admin/trends/tags", Some(&admin))
        .await;
    assert_eq!(field(&list, "name"), ["alpha", "beta", "gamma"]);
    assert_eq!(find(&list, "gamma")["requires_review"], true);
    assert_eq!(find(&list, "beta")["requires_review"], false);
    // A rejected hashtag can be approved later (and the other way round).
    let (status, again) = app
        .post_auth(
            &format!("/api/v1/admin/trends/tags/{}/approve", id("beta")),
            &admin,
            &[],
        )
        .await;
    assert_eq!((status, &again["trendable"]), (200, &json!(true)));
    let (_, public, _) = app.get_auth("/api/v1/trends/tags", None).await;
    assert_eq!(field(&public, "name"), ["alpha", "beta"]);

    // The command line reviews through the same use case, logged too.
    rookery::admin_trends::trends(
        &app.services,
        &rookery::cli::TrendsCommand::Reject {
            kind: "tag".into(),
            name: "alpha".into(),
        },
    )
    .await
    .unwrap();
    let (_, public, _) = app.get_auth("/api/v1/trends/tags", None).await;
    assert_eq!(field(&public, "name"), ["beta"]);
    assert_eq!(
        audit(&app).await,
        [
            "approve Tag #alpha",
            "reject Tag #beta",
            "approve Tag #beta",
            "reject Tag #alpha",
        ]
    );
}

async fn staff_review_statuses_and_links(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_TRENDS__REVIEW", "true")]).await;
    let admin = staff_token(&app, "root", Role::Admin).await;
    let alice = app.token("alice").await;
    let popular = post_status(&app, &alice, "Look at this").await;
    let mut shared = Vec::new();
    for name in ["bob", "carol", "dave"] {
        let t = app.token(name).await;
        let (status, _) = app
            .post_auth(&format!("/api/v1/statuses/{popular}/favourite"), &t, &[])
            .await;
        assert_eq!(status, 200);
        shared.push(post_status(&app, &t, "A good read").await);
    }
    app.sql(
        "INSERT INTO preview_cards (id, url, title, description, kind, author_name, author_url, \
         provider_name, provider_url, fetched_at) VALUES \
         (9001, 'https://news.example/story', 'A story', '', 'link', '', '', 'News', '', 0)",
    )
    .await;
    for id in &shared {
        app.sql(&format!(
            "INSERT INTO status_preview_cards (status_id, preview_card_id) VALUES ({id}, 9001)"
        ))
        .await;
    }
    app.services.trends().refresh().await.unwrap();

    // Statuses: pending for staff, hidden from the public until approved.
    let (status, list, _) = app
        .get_auth("/api/v1/admin/trends/statuses", Some(&admin))
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(field(&list, "id"), [popular.as_str()]);
    assert_eq!(list[0]["requires_review"], true);
    assert_eq!(list[0]["favourites_count"], 3);
    let (_, public, _) = app.get_auth("/api/v1/trends/statuses", None).await;
    assert_eq!(public, json!([]));
    let (status, approved) = app
        .post_auth(
            &format!("/api/v1/admin/trends/statuses/{popular}/approve"),
            &admin,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["id"], popular.as_str());
    assert_eq!(approved["requires_review"], false);
    let (_, public, _) = app.get_auth("/api/v1/trends/statuses", None).await;
    assert_eq!(field(&public, "id"), [popular.as_str()]);
    let (status, _) = app
        .post_auth(
            &format!("/api/v1/admin/trends/statuses/{popular}/reject"),
            &admin,
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let (_, public, _) = app.get_auth("/api/v1/trends/statuses", None).await;
    assert_eq!(public, json!([]));

    // Links: the card's id is what approve and reject take.
    let (status, links, _) = app
        .get_auth("/api/v1/admin/trends/links", Some(&admin))
        .await;
    assert_eq!(status, 200, "{links}");
    assert_eq!(field(&links, "url"), ["https://news.example/story"]);
    assert_eq!(links[0]["id"], "9001");
    assert_eq!(links[0]["requires_review"], true);
    assert_eq!(links[0]["title"], "A story");
    assert_eq!(links[0]["history"][0]["accounts"], "3");
    let (status, link) = app
        .post_auth("/api/v1/admin/trends/links/9001/approve", &admin, &[])
        .await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(
        (&link["id"], &link["requires_review"]),
        (&json!("9001"), &json!(false))
    );
    let (_, public, _) = app.get_auth("/api/v1/trends/links", None).await;
    assert_eq!(field(&public, "url"), ["https://news.example/story"]);
    assert!(public[0].get("requires_review").is_none(), "{public}");
    let (status, _) = app
        .post_auth("/api/v1/admin/trends/links/9001/reject", &admin, &[])
        .await;
    assert_eq!(status, 200);
    let (_, public, _) = app.get_auth("/api/v1/trends/links", None).await;
    assert_eq!(public, json!([]));

    // Unknown or malformed ids are 404, for every kind.
    for kind in ["tags", "statuses", "links"] {
        for id in ["123456789", "nope"] {
            let (status, body) = app
                .post_auth(
                    &format!("/api/v1/admin/trends/{kind}/{id}/approve"),
                    &admin,
                    &[],
                )
                .await;
            assert_eq!(status, 404, "{kind}/{id}: {body}");
            assert!(body["error"].is_string(), "{body}");
        }
    }
    let log = audit(&app).await;
    let status_url = format!("https://rookery.test/@alice/{popular}");
    assert_eq!(
        log,
        [
            format!("approve Status {status_url}"),
            format!("reject Status {status_url}"),
            "approve PreviewCard https://news.example/story".to_owned(),
            "reject PreviewCard https://news.example/story".to_owned(),
        ]
    );
}

async fn review_needs_the_permission_and_the_scope(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_TRENDS__REVIEW", "true")]).await;
    trending_tags(&app).await;
    let user = staff_token(&app, "mallory", Role::User).await;
    let moderator = staff_token(&app, "mod", Role::Moderator).await;
    let (_, list, _) = app
        .get_auth("/api/v1/admin/trends/tags", Some(&moderator))
        .await;
    let gamma = find(&list, "gamma")["id"].as_str().unwrap().to_owned();

    // A user whose role lacks ManageTaxonomies: 403 for every route, nothing changed.
    for path in ["tags", "statuses", "links"] {
        let (status, body, _) = app
            .get_auth(&format!("/api/v1/admin/trends/{path}"), Some(&user))
            .await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["error"], "This action is not allowed");
    }
    for action in ["approve", "reject"] {
        let (status, _) = app
            .post_auth(
                &format!("/api/v1/admin/trends/tags/{gamma}/{action}"),
                &user,
                &[],
            )
            .await;
        assert_eq!(status, 403);
    }
    // Staff with a token lacking the admin scopes: 403 too.
    let plain = app.token("mod").await;
    let (status, _, _) = app
        .get_auth("/api/v1/admin/trends/tags", Some(&plain))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .post_auth(
            &format!("/api/v1/admin/trends/tags/{gamma}/approve"),
            &plain,
            &[],
        )
        .await;
    assert_eq!(status, 403);
    // Anonymous: 401.
    let (status, _, _) = app.get_auth("/api/v1/admin/trends/tags", None).await;
    assert_eq!(status, 401);

    let (_, list, _) = app
        .get_auth("/api/v1/admin/trends/tags", Some(&moderator))
        .await;
    assert_eq!(find(&list, "gamma")["requires_review"], true);
    let (_, public, _) = app.get_auth("/api/v1/trends/tags", None).await;
    assert_eq!(public, json!([]));
    assert!(audit(&app).await.is_empty());
}
