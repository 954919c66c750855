//! Severed relationships: a moderator's suspension of a remote account or of a domain, and a
//! user's block of a domain, end follows with remote accounts; each local account that lost
//! some gets a `severed_relationships` notification (v1 and v2, never grouped, filterable by
//! type) with the counts, and can download the lost accounts as CSV — only its own.

use rookery_model::{Account, ActorType, Domain, Id, Role, Username};
use rookery_testkit::Backend;
use serde_json::Value;

use crate::account_moderation::{act, staff};
use crate::browser::Browser;
use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(severed_relationships_are_told_and_listed);

/// A remote account `username@domain`; its id.
async fn remote(app: &TestApp, username: &str, domain: &str) -> Id {
    let now = app.services.clock.now();
    let account = Account {
        id: app.services.ids.next_id(),
        username: Username::parse(username).unwrap(),
        domain: Some(Domain::parse(domain).unwrap()),
        display_name: String::new(),
        note: String::new(),
        uri: Some(format!("https://{domain}/users/{username}")),
        url: None,
        inbox_url: Some(format!("https://{domain}/users/{username}/inbox")),
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
        statuses_count: 0,
        last_status_at: None,
        suspended_at: None,
        silenced_at: None,
        sensitized_at: None,
        fetched_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.services.store.begin().await.unwrap();
    tx.insert_account(&account).await.unwrap();
    tx.commit().await.unwrap();
    account.id
}

/// `follower` follows `target`.
async fn follow(app: &TestApp, follower: Id, target: Id) {
    let mut tx = app.services.store.begin().await.unwrap();
    tx.insert_follow(&rookery_store::Follow {
        id: app.services.ids.next_id(),
        account_id: follower,
        target_account_id: target,
        show_reblogs: true,
        notify: false,
        uri: Some(format!("https://far.example/follows/{follower}-{target}")),
        created_at: app.services.clock.now(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn local(app: &TestApp, username: &str) -> Id {
    app.services
        .local_account(username)
        .await
        .unwrap()
        .account
        .id
}

/// The user's `severed_relationships` notifications (v1), newest first.
async fn severed(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, list, _) = app
        .get_auth(
            "/api/v1/notifications?types[]=severed_relationships",
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    list.as_array().unwrap().clone()
}

async fn severed_relationships_are_told_and_listed(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_RATE_LIMITS__ENABLED", "false")]).await;
    let boss = staff(&app, "boss", Role::Admin).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let dave = app.token("dave").await;
    let (alice_id, bob_id, dave_id) = (
        local(&app, "alice").await,
        local(&app, "bob").await,
        local(&app, "dave").await,
    );
    let r1 = remote(&app, "r1", "far.example").await;
    let r2 = remote(&app, "r2", "far.example").await;
    let s1 = remote(&app, "s1", "sub.far.example").await;
    let x = remote(&app, "x", "near.example").await;
    let o1 = remote(&app, "o1", "other.example").await;
    let o2 = remote(&app, "o2", "other.example").await;
    follow(&app, alice_id, r1).await;
    follow(&app, r2, alice_id).await;
    follow(&app, s1, alice_id).await;
    follow(&app, bob_id, r1).await;
    follow(&app, alice_id, x).await;
    follow(&app, x, bob_id).await;
    follow(&app, dave_id, o1).await;
    follow(&app, o2, dave_id).await;
    follow(&app, o1, o2).await; // between two remote accounts: nobody here to tell

    // A remote account suspended: alice lost a follow, bob a follower.
    let (s, body) = act(
        &app,
        &boss,
        &x.to_string(),
        "action",
        &[("type", "suspend")],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let told = severed(&app, &alice).await;
    assert_eq!(told.len(), 1, "{told:?}");
    let event = &told[0]["event"];
    assert_eq!(event["type"], "account_suspension", "{event}");
    assert_eq!(event["target_name"], "x@near.example");
    assert_eq!(event["following_count"], 1);
    assert_eq!(event["followers_count"], 0);
    assert_eq!(event["purged"], false);
    assert_eq!(event["id"], told[0]["id"]);
    let told = severed(&app, &bob).await;
    assert_eq!(told[0]["event"]["followers_count"], 1, "{told:?}");
    assert_eq!(told[0]["event"]["following_count"], 0);

    // A domain suspended (its subdomains with it): alice lost r1, r2 and s1; bob r1.
    let (s, body) = app
        .post_auth(
            "/api/v1/admin/domain_blocks",
            &boss,
            &[("domain", "far.example"), ("severity", "suspend")],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let told = severed(&app, &alice).await;
    assert_eq!(told.len(), 2, "{told:?}");
    let event = told[0]["event"].clone();
    assert_eq!(event["type"], "domain_block", "{event}");
    assert_eq!(event["target_name"], "far.example");
    assert_eq!(event["following_count"], 1);
    assert_eq!(event["followers_count"], 2);
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&alice))
        .await;
    assert_eq!(me["following_count"], 0, "{me}");
    assert_eq!(me["followers_count"], 0, "{me}");
    let told = severed(&app, &bob).await;
    assert_eq!(told[0]["event"]["type"], "domain_block");
    assert_eq!(told[0]["event"]["following_count"], 1);

    // Grouped notifications carry the event and never group severances.
    let (s, grouped, _) = app
        .get_auth(
            "/api/v2/notifications?grouped_types[]=severed_relationships",
            Some(&alice),
        )
        .await;
    assert_eq!(s, 200, "{grouped}");
    let groups: Vec<&Value> = grouped["notification_groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["type"] == "severed_relationships")
        .collect();
    assert_eq!(groups.len(), 2, "{grouped}");
    assert!(groups.iter().all(|g| {
        g["group_key"].as_str().unwrap().starts_with("ungrouped-") && g["notifications_count"] == 1
    }));
    assert_eq!(groups[0]["event"]["type"], "domain_block", "{grouped}");
    assert_eq!(groups[1]["event"]["type"], "account_suspension");
    let (_, only, _) = app
        .get_auth(
            "/api/v2/notifications?types[]=severed_relationships",
            Some(&alice),
        )
        .await;
    assert_eq!(only["notification_groups"].as_array().unwrap().len(), 2);
    let (_, without, _) = app
        .get_auth(
            "/api/v1/notifications?exclude_types[]=severed_relationships",
            Some(&alice),
        )
        .await;
    assert!(
        !without.to_string().contains("severed_relationships"),
        "{without}"
    );

    // The lost accounts, as CSV, for alice only.
    let id = event["id"].as_str().unwrap().to_owned();
    let mut browser = Browser::signed_in(&app, "alice").await;
    let page = browser.get("/severed_relationships").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("far.example"), "{}", page.html);
    assert!(page.html.contains("x@near.example"), "{}", page.html);
    let page = browser
        .get(&format!("/severed_relationships/{id}/following.csv"))
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(
        page.html,
        "Account address,Show boosts,Notify on new posts,Languages\nr1@far.example,true,false,\n"
    );
    let page = browser
        .get(&format!("/severed_relationships/{id}/followers.csv"))
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let mut lines: Vec<&str> = page.html.lines().collect();
    assert_eq!(lines.remove(0), "Account address");
    lines.sort_unstable();
    assert_eq!(lines, ["r2@far.example", "s1@sub.far.example"]);
    let mut other = Browser::signed_in(&app, "bob").await;
    for file in ["following", "followers"] {
        let page = other
            .get(&format!("/severed_relationships/{id}/{file}.csv"))
            .await;
        assert_eq!(page.status, 404, "{file}: {}", page.html);
    }
    assert_eq!(
        app.get(&format!("/severed_relationships/{id}/following.csv"))
            .await
            .status()
            .as_u16(),
        303
    );

    // dave blocks a domain: the follows both ways end, and he is told.
    let (s, body) = app
        .post_auth(
            "/api/v1/domain_blocks",
            &dave,
            &[("domain", "other.example")],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let told = severed(&app, &dave).await;
    assert_eq!(told.len(), 1, "{told:?}");
    let event = &told[0]["event"];
    assert_eq!(event["type"], "user_domain_block", "{event}");
    assert_eq!(event["target_name"], "other.example");
    assert_eq!(event["following_count"], 1);
    assert_eq!(event["followers_count"], 1);
    let (_, grouped, _) = app.get_auth("/api/v2/notifications", Some(&dave)).await;
    assert!(
        grouped["notification_groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["type"] == "severed_relationships"
                && g["event"]["type"] == "user_domain_block"),
        "{grouped}"
    );
    let mut browser = Browser::signed_in(&app, "dave").await;
    let id = event["id"].as_str().unwrap();
    let page = browser
        .get(&format!("/severed_relationships/{id}/following.csv"))
        .await;
    assert!(
        page.html.ends_with("\no1@other.example,true,false,\n"),
        "{}",
        page.html
    );
    // Nobody else heard of it.
    assert!(severed(&app, &boss).await.is_empty());
}
