//! Relationships that change after they are made: follow options (`reblogs`, `notify`) and
//! timed mutes, on every engine.

use rookery_testkit::Backend;
use serde_json::json;

use crate::kit::{eventually, on_every_backend, spawn_with};

on_every_backend!(follow_options_change_and_apply, timed_mutes_end);

/// Following again with `reblogs=0&notify=1` changes the follow (Mastodon.py's suite found
/// them ignored), and boosts then stay out of home.
async fn follow_options_change_and_apply(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let bob_id = app.account_id("bob").await;
    let follow = format!("/api/v1/accounts/{bob_id}/follow");
    let (st, rel) = app.post_auth(&follow, &alice, &[]).await;
    assert_eq!(st, 200);
    assert_eq!(
        (rel["showing_reblogs"].clone(), rel["notifying"].clone()),
        (json!(true), json!(false))
    );
    let (st, rel) = app
        .post_auth(&follow, &alice, &[("reblogs", "0"), ("notify", "1")])
        .await;
    assert_eq!(st, 200, "{rel}");
    assert_eq!(rel["following"], true);
    assert_eq!(
        (rel["showing_reblogs"].clone(), rel["notifying"].clone()),
        (json!(false), json!(true))
    );
    // Leaving them out keeps them.
    let (_, rel) = app.post_auth(&follow, &alice, &[]).await;
    assert_eq!(
        (rel["showing_reblogs"].clone(), rel["notifying"].clone()),
        (json!(false), json!(true))
    );
    // Bob's boost stays out of alice's home; his own post arrives, with a `status` notification.
    let (_, carols) = app
        .post_auth("/api/v1/statuses", &carol, &[("status", "boost me")])
        .await;
    let carols_id = carols["id"].as_str().unwrap();
    let (st, boost) = app
        .post_auth(&format!("/api/v1/statuses/{carols_id}/reblog"), &bob, &[])
        .await;
    assert_eq!(st, 200);
    let (_, own) = app
        .post_auth("/api/v1/statuses", &bob, &[("status", "my own")])
        .await;
    let own_id = own["id"].as_str().unwrap().to_owned();
    eventually("bob's post at home", || async {
        let (_, home, _) = app.get_auth("/api/v1/timelines/home", Some(&alice)).await;
        home.as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == own_id.as_str())
    })
    .await;
    let (_, home, _) = app.get_auth("/api/v1/timelines/home", Some(&alice)).await;
    assert!(
        !home
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == boost["id"]),
        "{home}"
    );
    eventually("the status notification", || async {
        let (_, n, _) = app
            .get_auth("/api/v1/notifications?types[]=status", Some(&alice))
            .await;
        n.as_array()
            .unwrap()
            .iter()
            .any(|x| x["status"]["id"] == own_id.as_str())
    })
    .await;
}

/// A mute with `duration` ends: reads ignore it at once, and the scheduler's job removes it
/// so relationships and the mute list stop showing it.
async fn timed_mutes_end(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    app.create_account("bob").await;
    let bob_id = app.account_id("bob").await;
    let (st, rel) = app
        .post_auth(
            &format!("/api/v1/accounts/{bob_id}/mute"),
            &alice,
            &[("duration", "1")],
        )
        .await;
    assert_eq!(st, 200, "{rel}");
    assert_eq!(rel["muting"], true);
    let (_, mutes, _) = app.get_auth("/api/v1/mutes", Some(&alice)).await;
    assert_eq!(mutes.as_array().unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // Ended: the relationship says so at once (Mastodon.py's suite checks it seconds later).
    let (_, rels, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={bob_id}"),
            Some(&alice),
        )
        .await;
    assert_eq!(rels[0]["muting"], false);
    let (_, mutes, _) = app.get_auth("/api/v1/mutes", Some(&alice)).await;
    assert_eq!(mutes, json!([]), "not listed either");
    // What the scheduler runs every minute removes the row.
    let mut tx = app.services.store.begin().await.unwrap();
    rookery_jobs::enqueue(
        tx.as_mut(),
        &app.services.ids,
        app.services.clock.now(),
        &rookery_service::PruneExpiredMutes {},
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    eventually("the mute row to go", || async {
        app.services
            .store
            .hidden_accounts(
                app.services
                    .local_account("alice")
                    .await
                    .unwrap()
                    .account
                    .id,
                rookery_model::Timestamp::from_millis(0),
                false,
            )
            .await
            .unwrap()
            .is_empty()
    })
    .await;
}
