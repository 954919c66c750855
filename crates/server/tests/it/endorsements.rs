//! Endorsements, account notes, familiar followers and removing a follower, on every engine.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{on_every_backend, spawn_with};

on_every_backend!(endorsements_notes_and_followers, follow_suggestions);

async fn endorsements_notes_and_followers(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let bob_id = app.account_id("bob").await;
    let carol_id = app.account_id("carol").await;
    let alice_id = app.account_id("alice").await;

    // Endorsing needs a follow (422), then shows in the relationship and the list.
    let (st, body) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/pin"), &alice, &[])
        .await;
    assert_eq!(st, 422, "{body}");
    app.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    let (st, rel) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/endorse"), &alice, &[])
        .await;
    assert_eq!(st, 200, "{rel}");
    assert_eq!(rel["endorsed"], true);
    let (_, list, _) = app.get_auth("/api/v1/endorsements", Some(&alice)).await;
    assert_eq!(list.as_array().unwrap()[0]["id"], bob_id.as_str());
    let (_, rel) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/unpin"), &alice, &[])
        .await;
    assert_eq!(rel["endorsed"], false);
    assert_eq!(
        app.get_auth("/api/v1/endorsements", Some(&alice)).await.1,
        json!([])
    );
    assert_eq!(
        app.post_auth("/api/v1/accounts/123/endorse", &alice, &[])
            .await
            .0,
        404
    );

    // Notes are private to their writer.
    let (st, rel) = app
        .post_auth(
            &format!("/api/v1/accounts/{bob_id}/note"),
            &alice,
            &[("comment", "met at the <fair>")],
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(rel["note"], "met at the <fair>");
    let (_, rels, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={bob_id}"),
            Some(&alice),
        )
        .await;
    assert_eq!(rels[0]["note"], "met at the <fair>");
    let (_, theirs, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={bob_id}"),
            Some(&carol),
        )
        .await;
    assert_eq!(theirs[0]["note"], "");
    let long = "x".repeat(2001);
    assert_eq!(
        app.post_auth(
            &format!("/api/v1/accounts/{bob_id}/note"),
            &alice,
            &[("comment", &long)]
        )
        .await
        .0,
        422
    );
    let (_, rel) = app
        .post_auth(
            &format!("/api/v1/accounts/{bob_id}/note"),
            &alice,
            &[("comment", "")],
        )
        .await;
    assert_eq!(rel["note"], "");

    // Familiar followers: bob (whom alice follows) follows carol.
    app.post_auth(&format!("/api/v1/accounts/{carol_id}/follow"), &bob, &[])
        .await;
    let (st, fam, _) = app
        .get_auth(
            &format!("/api/v1/accounts/familiar_followers?id[]={carol_id}&id[]={bob_id}"),
            Some(&alice),
        )
        .await;
    assert_eq!(st, 200, "{fam}");
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(fam[0]["id"], carol_id.as_str());
    assert_eq!(ids(&fam[0]["accounts"]), vec![bob_id.clone()]);
    assert_eq!(fam[1]["accounts"], json!([]));
    // The same with the ids in a JSON body of the GET, as Mastodon.py sends them.
    let asked = |body: String| {
        app.client
            .get(app.url("/api/v1/accounts/familiar_followers"))
            .bearer_auth(&alice)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = asked(json!({"id": [carol_id]}).to_string()).await.unwrap();
    assert_eq!(r.status(), 200);
    let from_body: Value = r.json().await.unwrap();
    assert_eq!(ids(&from_body[0]["accounts"]), vec![bob_id.clone()]);
    let r = asked("{not json".to_owned()).await.unwrap();
    assert_eq!(r.status(), 400);

    // Removing a follower ends their follow.
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &carol, &[])
        .await;
    let (st, rel) = app
        .post_auth(
            &format!("/api/v1/accounts/{carol_id}/remove_from_followers"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(st, 200, "{rel}");
    assert_eq!(rel["followed_by"], false);
    let (_, rels, _) = app
        .get_auth(
            &format!("/api/v1/accounts/relationships?id[]={alice_id}"),
            Some(&carol),
        )
        .await;
    assert_eq!(rels[0]["following"], false);
}

async fn follow_suggestions(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let erin = app.token("erin").await;
    app.create_account("carol").await;
    app.create_account("dave").await;
    let bob_id = app.account_id("bob").await;
    let carol_id = app.account_id("carol").await;
    let dave_id = app.account_id("dave").await;
    // Bob (whom alice follows) follows carol; erin follows dave (most followed otherwise).
    app.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    app.post_auth(&format!("/api/v1/accounts/{carol_id}/follow"), &bob, &[])
        .await;
    app.post_auth(&format!("/api/v1/accounts/{dave_id}/follow"), &erin, &[])
        .await;
    let (st, v2, _) = app.get_auth("/api/v2/suggestions", Some(&alice)).await;
    assert_eq!(st, 200, "{v2}");
    let list = v2.as_array().unwrap();
    assert_eq!(list[0]["account"]["id"], carol_id.as_str());
    assert_eq!(list[0]["sources"], json!(["friends_of_friends"]));
    assert_eq!(list[0]["source"], "past_interactions");
    let suggested: Vec<&str> = list
        .iter()
        .map(|s| s["account"]["id"].as_str().unwrap())
        .collect();
    assert!(suggested.contains(&dave_id.as_str()), "{v2}");
    assert!(!suggested.contains(&bob_id.as_str()), "followed already");
    let (st, v1, _) = app
        .get_auth("/api/v1/suggestions?limit=1", Some(&alice))
        .await;
    assert_eq!(st, 200);
    assert_eq!(v1.as_array().unwrap().len(), 1);
    // Dismissed: never again.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/suggestions/{carol_id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, again, _) = app.get_auth("/api/v2/suggestions", Some(&alice)).await;
    assert!(
        !again
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["account"]["id"] == carol_id.as_str()),
        "{again}"
    );
    assert_eq!(app.get_auth("/api/v2/suggestions", None).await.0, 401);
}
