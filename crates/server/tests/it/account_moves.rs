//! Moving an account between two live instances: the new account names the old one as an
//! alias, the old one moves; followers on both servers follow the new account, and both servers
//! show where it went. A move to an account that does not name the old one is refused.

use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};
use crate::two_instances::{lookup, relationship};

async fn following(app: &TestApp, token: &str, id: &str) -> bool {
    relationship(app, token, id).await["following"] == true
}

async fn account(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_auth(&format!("/api/v1/accounts/{id}"), Some(token))
        .await
        .1
}

/// A local actor document of `app`, as a peer asks for it.
async fn actor(app: &TestApp, username: &str) -> Value {
    app.client
        .get(app.url(&format!("/users/{username}")))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn followers_move_to_the_new_account(backend: rookery_testkit::Backend) {
    let (a, b) = tokio::join!(
        spawn_federating(backend, &[]),
        spawn_federating(backend, &[])
    );
    let alice = a.token("alice").await;
    let carol = b.token("carol").await;
    // bob, who moves, and dan, where he moves to.
    b.token("bob").await;
    b.token("dan").await;
    // alice (on A) and carol (on B) follow bob on B.
    let bob_on_a = lookup(&a, &alice, &format!("bob@{}", b.domain())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    a.post_auth(&format!("/api/v1/accounts/{bob_on_a}/follow"), &alice, &[])
        .await;
    let bob_on_b = b.account_id("bob").await;
    b.post_auth(&format!("/api/v1/accounts/{bob_on_b}/follow"), &carol, &[])
        .await;
    eventually("alice follows bob", || async {
        following(&a, &alice, &bob_on_a).await
    })
    .await;

    let moves = b.services.account_moves();
    let bob = b.services.local_account("bob").await.unwrap();
    let dan = b.services.local_account("dan").await.unwrap();
    // dan does not name bob yet: refused, nothing changes.
    let refused = moves.move_to(&bob, "dan").await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(account(&b, &carol, &bob_on_b).await.get("moved").is_none());
    let aliases = moves.add_alias(&dan, "bob").await.unwrap();
    assert_eq!(aliases, [format!("http://{}/users/bob", b.domain())]);
    let target = moves.move_to(&bob, "dan").await.unwrap();
    assert_eq!(target.username.as_str(), "dan");
    // A second move so soon is refused.
    assert!(moves.move_to(&bob, "carol").await.is_err());

    // On B: carol follows dan instead; bob shows where he went.
    let dan_on_b = b.account_id("dan").await;
    eventually("carol follows dan", || async {
        following(&b, &carol, &dan_on_b).await && !following(&b, &carol, &bob_on_b).await
    })
    .await;
    assert_eq!(account(&b, &carol, &bob_on_b).await["moved"]["acct"], "dan");
    // Their actors say it to other servers.
    let bob_actor = actor(&b, "bob").await;
    assert_eq!(
        bob_actor["movedTo"],
        format!("http://{}/users/dan", b.domain())
    );
    let dan_actor = actor(&b, "dan").await;
    assert_eq!(
        dan_actor["alsoKnownAs"],
        serde_json::json!([format!("http://{}/users/bob", b.domain())])
    );

    // On A: the Move was checked against dan's aliases; alice follows dan, not bob.
    let dan_on_a = lookup(&a, &alice, &format!("dan@{}", b.domain())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("alice follows dan", || async {
        following(&a, &alice, &dan_on_a).await && !following(&a, &alice, &bob_on_a).await
    })
    .await;
    assert_eq!(
        account(&a, &alice, &bob_on_a).await["moved"]["acct"],
        format!("dan@{}", b.domain())
    );
    // And B counts alice among dan's followers.
    eventually("dan has two followers on B", || async {
        account(&b, &carol, &dan_on_b).await["followers_count"] == 2
    })
    .await;
}

/// The settings page: naming an alias, moving with the password, the profile's notice.
async fn moving_through_the_settings_page(backend: rookery_testkit::Backend) {
    let app = crate::kit::spawn_with(backend, &[]).await;
    let carol = app.token("carol").await;
    app.create_account("bob").await;
    app.create_account("dan").await;
    let bob_id = app.account_id("bob").await;
    let dan_id = app.account_id("dan").await;
    app.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &carol, &[])
        .await;

    let mut dan = crate::browser::Browser::signed_in(&app, "dan").await;
    let page = dan.get("/settings/migration").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("id=\"no-aliases\""), "{}", page.html);
    // Someone unknown cannot be named.
    let page = dan
        .submit(
            "/settings/migration",
            "/settings/aliases",
            &[("alias", "ghost")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    let page = dan
        .submit(
            "/settings/migration",
            "/settings/aliases",
            &[("alias", "@bob")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let bob_uri = "https://rookery.test/users/bob";
    assert!(
        page.html
            .contains(&format!("<span class=\"alias\">{bob_uri}</span>")),
        "{}",
        page.html
    );

    let mut bob = crate::browser::Browser::signed_in(&app, "bob").await;
    // A wrong password moves nothing.
    let page = bob
        .submit(
            "/settings/migration",
            "/settings/migration",
            &[("target", "dan"), ("password", "not it")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(!page.html.contains("id=\"moved-to\""));
    let page = bob
        .submit(
            "/settings/migration",
            "/settings/migration",
            &[("target", "dan"), ("password", "a good password")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("id=\"moved-to\""), "{}", page.html);
    eventually("carol follows dan instead", || async {
        following(&app, &carol, &dan_id).await && !following(&app, &carol, &bob_id).await
    })
    .await;
    let profile = app.get("/@bob").await.text().await.unwrap();
    assert!(
        profile.contains("This account has moved to <a href=\"") && profile.contains(">@dan</a>"),
        "{profile}"
    );
    // dan no longer names bob.
    let page = dan
        .submit(
            "/settings/migration",
            "/settings/aliases",
            &[("alias", bob_uri), ("action", "remove")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("id=\"no-aliases\""), "{}", page.html);
}

on_every_backend!(
    followers_move_to_the_new_account,
    moving_through_the_settings_page
);
