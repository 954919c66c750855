//! Trends: hashtags used by several accounts, posts favourited and boosted, links with cards
//! shared by several accounts trend after the periodic refresh; private, sensitive and lonely
//! ones never do; review, the off switch, paging and bad parameters — on every engine.

use rookery::cli::TrendsCommand;
use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(
    hashtags_used_by_several_accounts_trend,
    favourited_and_boosted_public_posts_trend,
    links_with_cards_shared_by_several_accounts_trend,
    review_shows_only_approved_items_and_off_shows_nothing,
);

async fn post(app: &TestApp, token: &str, body: Value) -> String {
    let (status, s) = app.post_json_auth("/api/v1/statuses", token, &body).await;
    assert_eq!(status, 200, "{s}");
    s["id"].as_str().unwrap().to_owned()
}

/// What the `refresh_trends` job does, run now.
async fn refresh(app: &TestApp) {
    app.services.trends().refresh().await.unwrap();
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t[key].as_str().unwrap().to_owned())
        .collect()
}

async fn hashtags_used_by_several_accounts_trend(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let mut tokens = Vec::new();
    for name in ["alice", "bob", "carol"] {
        tokens.push(app.token(name).await);
    }
    for t in &tokens {
        post(&app, t, json!({"status": "Hello #Rookery #one #two"})).await;
        // Followers-only posts never count.
        post(
            &app,
            t,
            json!({"status": "#hushed", "visibility": "private"}),
        )
        .await;
    }
    post(&app, &tokens[0], json!({"status": "Only me #lonely"})).await;
    let (status, before, _) = app.get_auth("/api/v1/trends/tags", None).await;
    assert_eq!((status, before), (200, json!([])));
    refresh(&app).await;

    let (status, list, link) = app.get_auth("/api/v1/trends/tags", None).await;
    assert_eq!(status, 200, "{list}");
    let mut got = names(&list, "name");
    got.sort();
    assert_eq!(got, ["Rookery", "one", "two"]);
    assert!(link.is_none(), "{link:?}");
    let tag = &list[0];
    assert_eq!(tag["history"].as_array().unwrap().len(), 7);
    assert_eq!(tag["history"][0]["accounts"], "3");
    assert_eq!(tag["history"][0]["uses"], "3");
    assert!(
        tag["url"]
            .as_str()
            .unwrap()
            .starts_with("https://rookery.test/tags/")
    );
    assert!(tag.get("following").is_none());
    // The old path answers the same; a signed-in viewer sees `following`.
    let (_, alias, _) = app.get_auth("/api/v1/trends", None).await;
    assert_eq!(alias, list);
    let (_, mine, _) = app.get_auth("/api/v1/trends/tags", Some(&tokens[1])).await;
    assert_eq!(mine[0]["following"], false);

    // Offset paging with Mastodon's Link header.
    let (_, first, link) = app.get_auth("/api/v1/trends/tags?limit=2", None).await;
    assert_eq!(names(&first, "name"), got_first_two(&list));
    let link = link.unwrap();
    assert!(
        link.contains("/api/v1/trends/tags?limit=2&offset=2>; rel=\"next\""),
        "{link}"
    );
    assert!(!link.contains("prev"), "{link}");
    let (_, rest, link) = app
        .get_auth("/api/v1/trends/tags?limit=2&offset=2", None)
        .await;
    assert_eq!(names(&rest, "name"), [list[2]["name"].as_str().unwrap()]);
    let link = link.unwrap();
    assert!(!link.contains("next"), "{link}");
    assert!(link.contains("limit=2&offset=0>; rel=\"prev\""), "{link}");
    let (_, past, _) = app.get_auth("/api/v1/trends/tags?offset=50", None).await;
    assert_eq!(past, json!([]));
    let (status, clamped, _) = app.get_auth("/api/v1/trends/tags?limit=500", None).await;
    assert_eq!((status, clamped.as_array().unwrap().len()), (200, 3));

    // Bad parameters are refused, never a server error.
    for q in ["limit=abc", "offset=-1", "offset=1.5", "limit=-3"] {
        for path in ["tags", "statuses", "links"] {
            let (status, body, _) = app
                .get_auth(&format!("/api/v1/trends/{path}?{q}"), None)
                .await;
            assert_eq!(status, 400, "{path}?{q}: {body}");
            assert!(body["error"].is_string(), "{body}");
        }
    }

    // Rejected without review mode: gone at once, and after the next refresh too.
    rookery::admin_trends::trends(
        &app.services,
        &TrendsCommand::Reject {
            kind: "tag".into(),
            name: "#one".into(),
        },
    )
    .await
    .unwrap();
    refresh(&app).await;
    let (_, list, _) = app.get_auth("/api/v1/trends/tags", None).await;
    let mut got = names(&list, "name");
    got.sort();
    assert_eq!(got, ["Rookery", "two"]);
}

fn got_first_two(list: &Value) -> Vec<String> {
    names(list, "name").into_iter().take(2).collect()
}

async fn favourited_and_boosted_public_posts_trend(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let public = post(&app, &alice, json!({"status": "Look at this"})).await;
    let sensitive = post(
        &app,
        &alice,
        json!({"status": "Careful", "sensitive": true, "spoiler_text": "cw"}),
    )
    .await;
    let private = post(
        &app,
        &alice,
        json!({"status": "Friends only", "visibility": "private"}),
    )
    .await;
    let quiet = post(&app, &alice, json!({"status": "Nobody cares"})).await;
    for (i, name) in ["bob", "carol", "dave"].into_iter().enumerate() {
        let t = app.token(name).await;
        for id in [&public, &sensitive] {
            let action = if i == 0 { "reblog" } else { "favourite" };
            let (status, _) = app
                .post_auth(&format!("/api/v1/statuses/{id}/{action}"), &t, &[])
                .await;
            assert_eq!(status, 200);
        }
    }
    let (_, f) = app
        .post_auth(
            &format!("/api/v1/statuses/{quiet}/favourite"),
            &app.token("bob").await,
            &[],
        )
        .await;
    assert_eq!(f["favourites_count"], 1);
    // However popular, a followers-only post never trends.
    app.sql(&format!(
        "UPDATE statuses SET favourites_count = 50 WHERE id = {private}"
    ))
    .await;
    refresh(&app).await;

    let (status, list, _) = app.get_auth("/api/v1/trends/statuses", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(names(&list, "id"), [public.as_str()]);
    assert_eq!(list[0]["favourites_count"], 2);
    assert_eq!(list[0]["reblogs_count"], 1);

    // A viewer who blocks (or mutes) the author does not see it.
    let erin = app.token("erin").await;
    let alice_id = app.account_id("alice").await;
    let (status, _) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/block"), &erin, &[])
        .await;
    assert_eq!(status, 200);
    let (_, hidden, _) = app.get_auth("/api/v1/trends/statuses", Some(&erin)).await;
    assert_eq!(hidden, json!([]));
    let (_, shown, _) = app
        .get_auth("/api/v1/trends/statuses", Some(&app.token("bob").await))
        .await;
    assert_eq!(names(&shown, "id"), [public.as_str()]);

    // An author who is no longer discoverable leaves the trends at the next refresh.
    app.sql("UPDATE accounts SET discoverable = FALSE WHERE username = 'alice'")
        .await;
    refresh(&app).await;
    let (_, list, _) = app.get_auth("/api/v1/trends/statuses", None).await;
    assert_eq!(list, json!([]));
}

async fn links_with_cards_shared_by_several_accounts_trend(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let mut shared = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let t = app.token(name).await;
        shared.push(post(&app, &t, json!({"status": "A good read"})).await);
    }
    let alone = post(&app, &app.token("dave").await, json!({"status": "Mine"})).await;
    // Cards are stored as the link-preview job stores them (no network in this test).
    app.sql(
        "INSERT INTO preview_cards (id, url, title, description, kind, author_name, author_url, \
         provider_name, provider_url, fetched_at) VALUES \
         (9001, 'https://news.example/story', 'A story', 'What happened', 'link', '', '', \
          'News', '', 0), \
         (9002, 'https://blog.example/post', 'A post', '', 'link', '', '', '', '', 0)",
    )
    .await;
    for id in &shared {
        app.sql(&format!(
            "INSERT INTO status_preview_cards (status_id, preview_card_id) VALUES ({id}, 9001)"
        ))
        .await;
    }
    app.sql(&format!(
        "INSERT INTO status_preview_cards (status_id, preview_card_id) VALUES ({alone}, 9002)"
    ))
    .await;
    refresh(&app).await;

    let (status, list, _) = app.get_auth("/api/v1/trends/links", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(names(&list, "url"), ["https://news.example/story"]);
    let link = &list[0];
    assert_eq!(link["title"], "A story");
    assert_eq!(link["type"], "link");
    assert_eq!(link["provider_name"], "News");
    assert_eq!(link["history"].as_array().unwrap().len(), 7);
    assert_eq!(link["history"][0]["accounts"], "3");
    assert_eq!(link["history"][0]["uses"], "3");

    // Marked sensitive afterwards, the shares stop counting.
    app.sql(&format!(
        "UPDATE statuses SET sensitive = TRUE WHERE id IN ({})",
        shared.join(", ")
    ))
    .await;
    app.sql("DELETE FROM trends").await;
    refresh(&app).await;
    let (_, list, _) = app.get_auth("/api/v1/trends/links", None).await;
    assert_eq!(list, json!([]));
}

async fn review_shows_only_approved_items_and_off_shows_nothing(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_TRENDS__REVIEW", "true")]).await;
    for name in ["alice", "bob", "carol"] {
        let t = app.token(name).await;
        post(&app, &t, json!({"status": "#approved #pending #rejected"})).await;
    }
    refresh(&app).await;
    let (status, list, _) = app.get_auth("/api/v1/trends/tags", None).await;
    assert_eq!((status, list), (200, json!([])));
    // The operator sees what would trend, reviews it, and only the approved shows.
    let listed = rookery::admin_trends::trends(
        &app.services,
        &TrendsCommand::List {
            kind: Some("tag".into()),
            json: false,
        },
    )
    .await
    .unwrap();
    assert!(
        listed.contains("#approved") && listed.contains("pending"),
        "{listed}"
    );
    for (command, name) in [("approve", "approved"), ("reject", "rejected")] {
        let (kind, name) = ("tag".to_owned(), name.to_owned());
        let c = if command == "approve" {
            TrendsCommand::Approve { kind, name }
        } else {
            TrendsCommand::Reject { kind, name }
        };
        rookery::admin_trends::trends(&app.services, &c)
            .await
            .unwrap();
    }
    let (_, list, _) = app.get_auth("/api/v1/trends/tags", None).await;
    assert_eq!(names(&list, "name"), ["approved"]);
    let json = rookery::admin_trends::trends(
        &app.services,
        &TrendsCommand::List {
            kind: None,
            json: true,
        },
    )
    .await
    .unwrap();
    let rows: Value = serde_json::from_str(&json).unwrap();
    let review = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["review"].clone())
    };
    assert_eq!(review("#approved"), Some(json!("approved")));
    assert_eq!(review("#rejected"), Some(json!("rejected")));
    assert_eq!(review("#pending"), Some(json!("pending")));
    // Unknown items and kinds are refused with a message.
    for c in [
        TrendsCommand::Approve {
            kind: "tag".into(),
            name: "nobodyusedthis".into(),
        },
        TrendsCommand::Approve {
            kind: "status".into(),
            name: "not-an-id".into(),
        },
        TrendsCommand::Reject {
            kind: "account".into(),
            name: "alice".into(),
        },
    ] {
        assert!(
            rookery::admin_trends::trends(&app.services, &c)
                .await
                .is_err()
        );
    }
    // The refresh runs on the scheduler.
    assert!(
        rookery_service::periodic_jobs()
            .iter()
            .any(|p| p.name == "refresh_trends")
    );

    // Off: nothing is shown, whatever was scored.
    let off = spawn_with(backend, &[("ROOKERY_TRENDS__ENABLED", "false")]).await;
    for name in ["alice", "bob", "carol"] {
        let t = off.token(name).await;
        post(&off, &t, json!({"status": "#quiet"})).await;
    }
    refresh(&off).await;
    for path in ["tags", "statuses", "links"] {
        let (status, list, link) = off.get_auth(&format!("/api/v1/trends/{path}"), None).await;
        assert_eq!((status, list, link), (200, json!([]), None));
    }
}
