//! Quote posts (Mastodon 4.5): on one instance (policies, approval, revocation, the
//! `quote` notification, the list of quotes) and between two live instances, where a quote
//! of a remote post waits for its author's server to approve it (`QuoteRequest`, `Accept`
//! with a `QuoteAuthorization`) and a revocation travels back.

use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating, spawn_with};
use crate::two_instances::{has_notification, lookup, post, relationship};

async fn status(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, body, _) = app
        .get_auth(&format!("/api/v1/statuses/{id}"), Some(token))
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

async fn quotes_on_one_instance(backend: rookery_testkit::Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let original = post(&app, &alice, &[("status", "quote me")]).await;
    let oid = original["id"].as_str().unwrap();
    assert_eq!(
        original["quote_approval"],
        serde_json::json!({"automatic": ["public"], "manual": [], "current_user": "automatic"})
    );
    assert_eq!(original["quote"], Value::Null);

    // bob quotes it: approved at once, alice is told, the quote shows the post.
    let quote = post(
        &app,
        &bob,
        &[("status", "well said"), ("quoted_status_id", oid)],
    )
    .await;
    let qid = quote["id"].as_str().unwrap().to_owned();
    assert_eq!(quote["quote"]["state"], "accepted", "{quote}");
    assert_eq!(quote["quote"]["quoted_status"]["id"], oid);
    assert_eq!(quote["quote"]["quoted_status"]["quotes_count"], 1);
    let content = quote["content"].as_str().unwrap();
    assert!(
        content.starts_with("<p class=\"quote-inline\">RE: <a href=\""),
        "{content}"
    );
    eventually("alice is told of the quote", || async {
        has_notification(&app, &alice, "quote", "bob").await
    })
    .await;
    assert_eq!(status(&app, &alice, oid).await["quotes_count"], 1);
    let (s, list, _) = app
        .get_auth(&format!("/api/v1/statuses/{oid}/quotes"), Some(&alice))
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], qid.as_str());
    // Quoting a quote: its own quote is shown by id only.
    let nested = post(
        &app,
        &alice,
        &[("status", "and so on"), ("quoted_status_id", &qid)],
    )
    .await;
    assert_eq!(
        nested["quote"]["quoted_status"]["quote"],
        serde_json::json!({"state": "accepted", "quoted_status_id": oid})
    );

    // Only the quoted post's author revokes; then the post is shown without it.
    let revoke = format!("/api/v1/statuses/{oid}/quotes/{qid}/revoke");
    let (s, _) = app.post_auth(&revoke, &bob, &[]).await;
    assert_eq!(s, 403);
    let (s, revoked) = app.post_auth(&revoke, &alice, &[]).await;
    assert_eq!(s, 200, "{revoked}");
    assert_eq!(
        revoked["quote"],
        serde_json::json!({"state": "revoked", "quoted_status": null})
    );
    assert_eq!(status(&app, &alice, oid).await["quotes_count"], 0);

    // Policies: nobody, followers, and the author's default.
    let closed = post(
        &app,
        &alice,
        &[
            ("status", "not for quoting"),
            ("quote_approval_policy", "nobody"),
        ],
    )
    .await;
    let cid = closed["id"].as_str().unwrap();
    assert_eq!(
        status(&app, &bob, cid).await["quote_approval"]["current_user"],
        "denied"
    );
    let (s, body) = app
        .post_auth(
            "/api/v1/statuses",
            &bob,
            &[("status", "sneaky"), ("quoted_status_id", cid)],
        )
        .await;
    assert_eq!(s, 404, "{body}");
    let followers = post(
        &app,
        &alice,
        &[
            ("status", "followers may"),
            ("quote_approval_policy", "followers"),
        ],
    )
    .await;
    let fid = followers["id"].as_str().unwrap();
    assert_eq!(
        status(&app, &bob, fid).await["quote_approval"]["current_user"],
        "denied"
    );
    let alice_id = app.account_id("alice").await;
    app.post_auth(&format!("/api/v1/accounts/{alice_id}/follow"), &bob, &[])
        .await;
    assert_eq!(
        status(&app, &bob, fid).await["quote_approval"]["current_user"],
        "automatic"
    );
    let (s, body) = app
        .post_auth(
            "/api/v1/statuses",
            &bob,
            &[
                ("status", "x"),
                ("quoted_status_id", fid),
                ("quote_approval_policy", "anyone"),
            ],
        )
        .await;
    assert_eq!(s, 422, "{body}");
    // The owner changes who may quote.
    let (s, changed) = app
        .put_auth(
            &format!("/api/v1/statuses/{fid}/interaction_policy"),
            &alice,
            &[("quote_approval_policy", "nobody")],
        )
        .await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(
        changed["quote_approval"]["automatic"],
        serde_json::json!([])
    );
    assert_eq!(
        status(&app, &bob, fid).await["quote_approval"]["current_user"],
        "denied"
    );
    let (s, _) = app
        .put_auth(
            &format!("/api/v1/statuses/{fid}/interaction_policy"),
            &bob,
            &[("quote_approval_policy", "public")],
        )
        .await;
    assert_eq!(s, 404);

    // Someone else's followers-only post cannot be quoted; one's own makes the quote so too.
    let private = post(
        &app,
        &alice,
        &[("status", "between us"), ("visibility", "private")],
    )
    .await;
    let pid = private["id"].as_str().unwrap();
    assert_eq!(
        private["quote_approval"]["automatic"],
        serde_json::json!([])
    );
    let (s, body) = app
        .post_auth(
            "/api/v1/statuses",
            &bob,
            &[("status", "leak"), ("quoted_status_id", pid)],
        )
        .await;
    assert!(s == 422 || s == 404, "{s} {body}");
    let own = post(
        &app,
        &alice,
        &[
            ("status", "as I said"),
            ("quoted_status_id", pid),
            ("visibility", "public"),
        ],
    )
    .await;
    assert_eq!(own["visibility"], "private");
    assert_eq!(own["quote"]["state"], "accepted");

    // The default policy is the user's to choose.
    let (s, me) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[("source[quote_policy]", "followers")],
        )
        .await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["source"]["quote_policy"], "followers");
    let (_, prefs, _) = app.get_auth("/api/v1/preferences", Some(&alice)).await;
    assert_eq!(prefs["posting:default:quote_policy"], "followers");
    let later = post(&app, &alice, &[("status", "default policy")]).await;
    assert_eq!(
        later["quote_approval"]["automatic"],
        serde_json::json!(["followers"])
    );
    let (s, _) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[("source[quote_policy]", "friends")],
        )
        .await;
    assert_eq!(s, 422);

    // Its author blocks the viewer: the quote no longer shows the post.
    let blocked = post(&app, &alice, &[("status", "soon out of reach")]).await;
    let bq = post(
        &app,
        &bob,
        &[
            ("status", "quoting before the block"),
            ("quoted_status_id", blocked["id"].as_str().unwrap()),
        ],
    )
    .await;
    let bob_id = app.account_id("bob").await;
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/block"), &alice, &[])
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        status(&app, &bob, bq["id"].as_str().unwrap()).await["quote"],
        serde_json::json!({"state": "unauthorized", "quoted_status": null})
    );

    // The quoted post deleted: the quote says so.
    let (s, _) = app
        .client
        .delete(app.url(&format!("/api/v1/statuses/{pid}")))
        .bearer_auth(&alice)
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(s, 200);
    let own = status(&app, &alice, own["id"].as_str().unwrap()).await;
    assert_eq!(
        own["quote"],
        serde_json::json!({"state": "deleted", "quoted_status": null})
    );
}

async fn quotes_travel(backend: rookery_testkit::Backend) {
    let (a, b) = tokio::join!(
        spawn_federating(backend, &[]),
        spawn_federating(backend, &[])
    );
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let alice_on_b = lookup(&b, &bob, &format!("alice@{}", a.domain())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.post_auth(&format!("/api/v1/accounts/{alice_on_b}/follow"), &bob, &[])
        .await;
    eventually("bob follows alice", || async {
        relationship(&b, &bob, &alice_on_b).await["following"] == true
    })
    .await;
    let original = post(&a, &alice, &[("status", "quote me from afar")]).await;
    let closed = post(
        &a,
        &alice,
        &[
            ("status", "not from afar"),
            ("quote_approval_policy", "nobody"),
        ],
    )
    .await;
    let on_b = |uri: String| {
        let b = &b;
        let bob = &bob;
        async move {
            let (_, found, _) = b
                .get_auth(
                    &format!("/api/v2/search?resolve=true&type=statuses&q={uri}"),
                    Some(bob),
                )
                .await;
            found["statuses"][0].clone()
        }
    };
    let remote = on_b(original["uri"].as_str().unwrap().to_owned()).await;
    assert_eq!(
        remote["quote_approval"]["automatic"],
        serde_json::json!(["public"])
    );
    assert_eq!(remote["quote_approval"]["current_user"], "automatic");
    // The policy travels with the post: B refuses what A would.
    let remote_closed = on_b(closed["uri"].as_str().unwrap().to_owned()).await;
    assert_eq!(remote_closed["quote_approval"]["current_user"], "denied");
    let (s, _) = b
        .post_auth(
            "/api/v1/statuses",
            &bob,
            &[
                ("status", "x"),
                ("quoted_status_id", remote_closed["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(s, 404);

    // bob quotes alice's post: pending until A approves it.
    let quote = post(
        &b,
        &bob,
        &[
            ("status", "agreed, from B"),
            ("quoted_status_id", remote["id"].as_str().unwrap()),
        ],
    )
    .await;
    let qid = quote["id"].as_str().unwrap().to_owned();
    assert_eq!(quote["quote"]["state"], "pending", "{quote}");
    eventually("A approves bob's quote", || async {
        status(&b, &bob, &qid).await["quote"]["state"] == "accepted"
    })
    .await;
    let approved = status(&b, &bob, &qid).await;
    assert_eq!(approved["quote"]["quoted_status"]["id"], remote["id"]);
    let bob_acct = format!("bob@{}", b.domain());
    eventually("alice is told of the quote", || async {
        has_notification(&a, &alice, "quote", &bob_acct).await
    })
    .await;
    let oid = original["id"].as_str().unwrap();
    eventually("A counts and lists the quote", || async {
        status(&a, &alice, oid).await["quotes_count"] == 1
    })
    .await;
    let (_, list, _) = a
        .get_auth(&format!("/api/v1/statuses/{oid}/quotes"), Some(&alice))
        .await;
    let quote_on_a = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list[0]["quote"]["state"], "accepted");
    // The approval A published names both posts.
    let approvals = a
        .sql_texts("SELECT approval_uri FROM quotes WHERE approval_uri IS NOT NULL")
        .await;
    let approval_url = approvals
        .iter()
        .find(|u| u.contains("/quote_authorizations/"))
        .unwrap()
        .clone();
    let (_, doc) = a.get_activity(&approval_url).await;
    assert_eq!(doc["type"], "QuoteAuthorization", "{doc}");
    assert_eq!(doc["interactionTarget"], original["uri"]);
    assert_eq!(doc["interactingObject"], quote["uri"]);

    // alice revokes: B hears of it.
    let (s, body) = a
        .post_auth(
            &format!("/api/v1/statuses/{oid}/quotes/{quote_on_a}/revoke"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    eventually("the revocation reaches B", || async {
        status(&b, &bob, &qid).await["quote"]["state"] == "revoked"
    })
    .await;
    assert_eq!(a.get_activity(&approval_url).await.0, 404);
}

on_every_backend!(quotes_on_one_instance, quotes_travel);
