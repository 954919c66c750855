//! A user's own domain blocks (`/api/v1/domain_blocks`), on every engine.

use rookery_model::{Account, ActorType, Domain, Status, Username, Visibility};
use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(
    blocked_domains_disappear,
    silenced_domains_are_hidden_from_strangers
);

/// A remote account of `domain`, following `follows`, with one public status; the status id.
async fn remote_post(app: &TestApp, domain: &str, follows: Option<&str>) -> String {
    let now = app.services.clock.now();
    let ids = &app.services.ids;
    let account = Account {
        id: ids.next_id(),
        username: Username::parse("someone").unwrap(),
        domain: Some(Domain::parse(domain).unwrap()),
        display_name: String::new(),
        note: String::new(),
        uri: Some(format!("https://{domain}/users/someone")),
        url: None,
        inbox_url: Some(format!("https://{domain}/inbox")),
        shared_inbox_url: None,
        followers_url: None,
        avatar_remote_url: None,
        header_remote_url: None,
        avatar_key: None,
        header_key: None,
        actor_type: ActorType::Person,
        public_key_pem: String::new(),
        private_key_pem: None,
        locked: false,
        discoverable: true,
        profile: Default::default(),
        fields: Vec::new(),
        followers_count: 0,
        following_count: 0,
        statuses_count: 1,
        last_status_at: None,
        suspended_at: None,
        silenced_at: None,
        sensitized_at: None,
        fetched_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let id = ids.next_id();
    let status = Status {
        id,
        account_id: account.id,
        uri: Some(format!("https://{domain}/statuses/{id}")),
        url: None,
        local: false,
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: None,
        conversation_id: Some(id),
        text: "from afar".into(),
        content: "<p>from afar</p>".into(),
        spoiler_text: String::new(),
        visibility: Visibility::Public,
        sensitive: false,
        language: None,
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        edited_at: None,
        pinned_at: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.services.store.begin().await.unwrap();
    tx.insert_account(&account).await.unwrap();
    tx.insert_status(&status).await.unwrap();
    if let Some(target) = follows {
        tx.insert_follow(&rookery_store::Follow {
            id: ids.next_id(),
            account_id: account.id,
            target_account_id: target.parse().unwrap(),
            show_reblogs: true,
            notify: false,
            uri: Some(format!("https://{domain}/follows/1")),
            created_at: now,
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    id.to_string()
}

async fn public_ids(app: &TestApp, token: &str) -> Vec<String> {
    let (_, v, _) = app.get_auth("/api/v1/timelines/public", Some(token)).await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn blocked_domains_disappear(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let alice_id = app.account_id("alice").await;
    let far = remote_post(&app, "far.example", Some(&alice_id)).await;
    assert!(public_ids(&app, &alice).await.contains(&far));
    let followers = |app: &TestApp, id: String| {
        let path = format!("/api/v1/accounts/{id}/followers");
        let client = app.client.clone();
        let url = app.url(&path);
        async move {
            let v: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            v.as_array().unwrap().len()
        }
    };
    assert_eq!(followers(&app, alice_id.clone()).await, 1);

    let (st, body) = app
        .post_auth(
            "/api/v1/domain_blocks",
            &alice,
            &[("domain", "FAR.example")],
        )
        .await;
    assert_eq!((st, body), (200, json!({})));
    let (st, list, _) = app.get_auth("/api/v1/domain_blocks", Some(&alice)).await;
    assert_eq!((st, list), (200, json!(["far.example"])));
    assert!(!public_ids(&app, &alice).await.contains(&far));
    // The domain's followers are removed, as in Mastodon.
    assert_eq!(followers(&app, alice_id.clone()).await, 0);
    // Only for alice.
    assert!(public_ids(&app, &bob).await.contains(&far));
    assert_eq!(
        app.get_auth("/api/v1/domain_blocks", Some(&bob)).await.1,
        json!([])
    );

    // Bad input.
    for bad in ["", "not a domain", "rookery.test"] {
        let (st, v): (u16, Value) = app
            .post_auth("/api/v1/domain_blocks", &alice, &[("domain", bad)])
            .await;
        assert_eq!(st, 422, "{bad}: {v}");
    }
    assert_eq!(app.get_auth("/api/v1/domain_blocks", None).await.0, 401);

    let r = app
        .client
        .delete(app.url("/api/v1/domain_blocks?domain=far.example"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(public_ids(&app, &alice).await.contains(&far));
    assert_eq!(
        app.get_auth("/api/v1/domain_blocks", Some(&alice)).await.1,
        json!([])
    );
}

/// A moderator's `silence` block of a domain limits all its accounts (subdomains too): their
/// posts leave the public timeline of everyone who does not follow them.
async fn silenced_domains_are_hidden_from_strangers(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let loud = remote_post(&app, "a.loud.example", None).await;
    let quiet = remote_post(&app, "quiet.example", None).await;
    let (_, status, _) = app
        .get_auth(&format!("/api/v1/statuses/{loud}"), Some(&bob))
        .await;
    let author: i64 = status["account"]["id"].as_str().unwrap().parse().unwrap();
    let carol_id: i64 = app.account_id("carol").await.parse().unwrap();
    let mut tx = app.services.store.begin().await.unwrap();
    tx.insert_follow(&rookery_store::Follow {
        id: app.services.ids.next_id(),
        account_id: rookery_model::Id::from_i64(carol_id),
        target_account_id: rookery_model::Id::from_i64(author),
        show_reblogs: true,
        notify: false,
        uri: None,
        created_at: app.services.clock.now(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(public_ids(&app, &bob).await.contains(&loud));

    app.services
        .block_domain(
            rookery_service::moderation::Moderator::CLI,
            rookery_service::NewDomainBlock {
                domain: "loud.example".into(),
                severity: "silence".into(),
                reject_media: false,
                reject_reports: false,
                private_comment: String::new(),
                public_comment: String::new(),
                obfuscate: false,
            },
        )
        .await
        .unwrap();
    let bobs = public_ids(&app, &bob).await;
    assert!(!bobs.contains(&loud), "{bobs:?}");
    assert!(bobs.contains(&quiet));
    assert!(
        public_ids(&app, &carol).await.contains(&loud),
        "a follower still sees it"
    );
    let (_, anonymous) = app.get_json("/api/v1/timelines/public").await;
    assert!(!anonymous.to_string().contains(&loud));
}
