//! Federation policy as the use cases apply it.

use rookery_model::BlockSeverity;
use rookery_service::NewDomainBlock;
use rookery_service::moderation::Moderator;
use rookery_testkit::Backend;

use crate::kit::{on_every_backend, spawn_with};

fn block(domain: &str, severity: &str) -> NewDomainBlock {
    NewDomainBlock {
        domain: domain.into(),
        severity: severity.into(),
        reject_media: false,
        reject_reports: false,
        private_comment: String::new(),
        public_comment: String::new(),
        obfuscate: false,
    }
}

async fn the_nearest_domain_block_applies(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let s = &app.services;
    s.block_domain(Moderator::CLI, block("example.com", "silence"))
        .await
        .unwrap();
    s.block_domain(Moderator::CLI, block("bad.example.com", "suspend"))
        .await
        .unwrap();
    let severity = |host: &'static str| async move {
        s.domain_block_for(host).await.unwrap().map(|b| b.severity)
    };
    assert_eq!(
        severity("a.bad.example.com").await,
        Some(BlockSeverity::Suspend)
    );
    assert_eq!(
        severity("BAD.example.com").await,
        Some(BlockSeverity::Suspend)
    );
    assert_eq!(
        severity("good.example.com").await,
        Some(BlockSeverity::Silence)
    );
    assert_eq!(severity("example.org").await, None);
    assert_eq!(severity("notexample.com").await, None);
    assert_eq!(severity("").await, None);
    // The instance's own domain (and its parents) cannot be blocked.
    assert!(
        s.block_domain(Moderator::CLI, block("rookery.test", "suspend"))
            .await
            .is_err()
    );
    assert!(
        s.block_domain(Moderator::CLI, block("test", "suspend"))
            .await
            .is_err()
    );
    let long = "x".repeat(1001);
    let mut b = block("c.example", "noop");
    b.private_comment = long;
    assert!(s.block_domain(Moderator::CLI, b).await.is_err());
}

async fn ap_get(app: &crate::kit::TestApp, path: &str) -> (u16, serde_json::Value) {
    let r = app
        .client
        .get(app.url(path))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    if status == 200 {
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/activity+json")
        );
    }
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn notes_activities_and_collections_are_served(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let alice_id = app
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id;
    let (code, _) = app
        .post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    assert_eq!(code, 200);
    let (_, public) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                ("status", "hello @bob #Rust"),
                ("language", "en"),
                ("spoiler_text", "cw"),
            ],
        )
        .await;
    let (_, unlisted) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "quiet"), ("visibility", "unlisted")],
        )
        .await;
    let (_, private) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", "friends"), ("visibility", "private")],
        )
        .await;
    let (_, reply) = app
        .post_auth(
            "/api/v1/statuses",
            &bob,
            &[
                ("status", "@alice hi"),
                ("in_reply_to_id", public["id"].as_str().unwrap()),
            ],
        )
        .await;
    let base = "https://rookery.test";
    let actor = format!("{base}/users/alice");
    let id = public["id"].as_str().unwrap();

    let (code, note) = ap_get(&app, &format!("/users/alice/statuses/{id}")).await;
    assert_eq!(code, 200, "{note}");
    assert_eq!(note["type"], "Note");
    assert_eq!(note["id"], format!("{actor}/statuses/{id}"));
    assert_eq!(note["id"], public["uri"]);
    assert_eq!(note["attributedTo"], actor);
    assert_eq!(note["to"], serde_json::json!([rookery_activitypub::PUBLIC]));
    assert_eq!(
        note["cc"],
        serde_json::json!([format!("{actor}/followers"), format!("{base}/users/bob")])
    );
    assert_eq!(note["summary"], "cw");
    assert_eq!(note["contentMap"]["en"], note["content"]);
    assert!(note["@context"].is_array());
    let tags = note["tag"].as_array().unwrap();
    assert!(
        tags.iter()
            .any(|t| t["type"] == "Mention" && t["name"] == "@bob@rookery.test")
    );
    assert!(
        tags.iter()
            .any(|t| t["type"] == "Hashtag" && t["href"] == format!("{base}/tags/rust"))
    );
    // The typed parser reads it back as other servers would.
    let parsed: rookery_activitypub::vocab::Object = serde_json::from_value(note.clone()).unwrap();
    assert_eq!(parsed.author(), Some(actor.as_str()));

    // Unlisted: followers in `to`, public in `cc`. Replies point at their parent.
    let (_, n) = ap_get(
        &app,
        &format!("/users/alice/statuses/{}", unlisted["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(n["to"], serde_json::json!([format!("{actor}/followers")]));
    assert_eq!(n["cc"][0], rookery_activitypub::PUBLIC);
    let (_, r) = ap_get(
        &app,
        &format!("/users/bob/statuses/{}", reply["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(r["inReplyTo"], note["id"]);

    // The Create activity, which other servers parse as a valid activity by alice.
    let (code, create) = ap_get(&app, &format!("/users/alice/statuses/{id}/activity")).await;
    assert_eq!(code, 200);
    assert_eq!(create["type"], "Create");
    assert_eq!(create["object"]["id"], note["id"]);
    let a = rookery_activitypub::vocab::Activity::parse(create.to_string().as_bytes()).unwrap();
    a.check_authorship(&actor).unwrap();

    // Not served: followers-only posts, other people's posts under this name, bad ids.
    let pid = private["id"].as_str().unwrap();
    for path in [
        format!("/users/alice/statuses/{pid}"),
        format!("/users/alice/statuses/{pid}/activity"),
        format!("/users/bob/statuses/{id}"),
        "/users/alice/statuses/notanid".to_owned(),
        "/users/alice/statuses/99999999999".to_owned(),
        "/users/nobody/outbox".to_owned(),
    ] {
        assert_eq!(ap_get(&app, &path).await.0, 404, "{path}");
    }
    // Browsers are sent to the post's page, which shows it.
    let r = app.get(&format!("/users/alice/statuses/{id}")).await;
    assert_eq!(r.status(), 303);
    let page = app
        .get(&format!("/@alice/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("hello") && page.contains("@alice@rookery.test"),
        "{page}"
    );

    // Outbox: totals, then a page of public and unlisted posts only, newest first.
    let (_, outbox) = ap_get(&app, "/users/alice/outbox").await;
    assert_eq!(outbox["type"], "OrderedCollection");
    assert_eq!(outbox["totalItems"], 3);
    let (_, page1) = ap_get(&app, "/users/alice/outbox?page=true").await;
    assert_eq!(page1["type"], "OrderedCollectionPage");
    let items = page1["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0]["object"]["id"],
        format!("{actor}/statuses/{}", unlisted["id"].as_str().unwrap())
    );
    assert_eq!(items[1]["object"]["id"], note["id"]);
    let next = page1["next"]
        .as_str()
        .unwrap()
        .trim_start_matches(base)
        .to_owned();
    let (_, page2) = ap_get(&app, &next).await;
    assert_eq!(page2["orderedItems"].as_array().unwrap().len(), 0);

    // Followers and following: counts and pages of actor ids.
    crate::kit::eventually("follow counted", || async {
        ap_get(&app, "/users/alice/followers").await.1["totalItems"] == 1
    })
    .await;
    let (_, page) = ap_get(&app, "/users/alice/followers?page=1").await;
    assert_eq!(
        page["orderedItems"],
        serde_json::json!([format!("{base}/users/bob")])
    );
    let (_, following) = ap_get(&app, "/users/bob/following?page=1").await;
    assert_eq!(
        following["orderedItems"],
        serde_json::json!([actor.clone()])
    );

    // Featured: pinned public posts, inline.
    let (code, _) = app
        .post_auth(&format!("/api/v1/statuses/{id}/pin"), &alice, &[])
        .await;
    assert_eq!(code, 200);
    let (_, featured) = ap_get(&app, "/users/alice/collections/featured").await;
    assert_eq!(featured["totalItems"], 1);
    assert_eq!(featured["orderedItems"][0]["id"], note["id"]);
}

on_every_backend!(
    the_nearest_domain_block_applies,
    notes_activities_and_collections_are_served,
);
