//! Quote posts with a server we did not write (Fedify's FEP-044f vocabulary): Rookery reads a
//! Fedify post's quote policy, asks its author's approval with a `QuoteRequest` and shows the
//! quote once Fedify's `Accept` names a `QuoteAuthorization`; a Fedify actor's quote of a
//! Rookery post is approved, and the `QuoteAuthorization` Rookery serves is one Fedify reads.

use rookery_testkit::Backend;
use serde_json::{Value, json};

use super::{Pair, status};
use crate::kit::{TestApp, eventually};
use crate::two_instances::{has_notification, post};

/// The status at `uri` as `token` on `app` finds it (fetched through a search).
async fn resolve(app: &TestApp, token: &str, uri: &str) -> Value {
    let (s, found, _) = app
        .get_auth(
            &format!("/api/v2/search?resolve=true&type=statuses&q={uri}"),
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    found["statuses"][0].clone()
}

async fn quotes_with_fedify(backend: Backend) {
    let pair = Pair::start(backend, true).await;
    let (app, peer) = (&pair.app, &pair.peer);
    let alice = app.token("alice").await;

    // carol lets anyone quote her post: Rookery reads that from Fedify's interactionPolicy.
    let open = peer
        .post(
            "post",
            json!({"actor": "carol", "content": "<p>quote me, Rookery</p>", "quotePolicy": "public"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let here = resolve(app, &alice, &open).await;
    assert_eq!(
        here["quote_approval"]["automatic"],
        json!(["public"]),
        "{here}"
    );
    assert_eq!(here["quote_approval"]["current_user"], "automatic");
    // Only carol may quote this one: Rookery refuses before asking.
    let closed = peer
        .post(
            "post",
            json!({"actor": "carol", "content": "<p>mine only</p>", "quotePolicy": "author"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let closed_here = resolve(app, &alice, &closed).await;
    assert_eq!(closed_here["quote_approval"]["current_user"], "denied");
    let (s, _) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[
                ("status", "x"),
                ("quoted_status_id", closed_here["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(s, 404);

    // alice quotes the open one: pending until Fedify's Accept comes back.
    let quote = post(
        app,
        &alice,
        &[
            ("status", "quoting carol"),
            ("quoted_status_id", here["id"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(quote["quote"]["state"], "pending");
    let request = peer
        .received("alice's QuoteRequest", |a| a["type"] == "QuoteRequest")
        .await;
    assert_eq!(request["actor"], json!(pair.actor("alice")));
    assert_eq!(request["parsed"]["objectId"], json!(open));
    let qid = quote["id"].as_str().unwrap().to_owned();
    eventually("carol's approval reaches Rookery", || async {
        status(app, &alice, &qid).await.1["quote"]["state"] == "accepted"
    })
    .await;
    // Rookery sends the post again with the approval; Fedify reads both properties.
    let update = peer
        .received("the quote with its approval", |a| {
            a["type"] == "Update" && !a["parsed"]["object"]["quoteAuthorization"].is_null()
        })
        .await;
    assert_eq!(update["parsed"]["object"]["quote"], json!(open));
    assert!(
        update["parsed"]["object"]["quoteAuthorization"]
            .as_str()
            .unwrap()
            .starts_with(&peer.actor("carol")),
        "{update}"
    );

    // carol quotes alice's post: Rookery approves it, and Fedify reads the approval.
    let mine = post(app, &alice, &[("status", "quote me, Fedify")]).await;
    let mine_uri = mine["uri"].as_str().unwrap().to_owned();
    let carols = peer
        .post(
            "post",
            json!({"actor": "carol", "content": "<p>carol quotes alice</p>", "quote": mine_uri}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    peer.state_until("Fedify reads Rookery's approval", |s| {
        s["quoteChecks"].as_array().is_some_and(|l| {
            l.iter().any(|c| {
                c["type"] == "QuoteAuthorization"
                    && c["interactingObject"] == json!(carols)
                    && c["interactionTarget"] == json!(mine_uri)
                    && c["attributedTo"] == json!(pair.actor("alice"))
            })
        })
    })
    .await;
    let carol_acct = peer.handle("carol");
    eventually("alice is told of carol's quote", || async {
        has_notification(app, &alice, "quote", &carol_acct).await
    })
    .await;
    let theirs = resolve(app, &alice, &carols).await;
    assert_eq!(theirs["quote"]["state"], "accepted", "{theirs}");
    assert_eq!(theirs["quote"]["quoted_status"]["id"], mine["id"]);
    eventually("Rookery counts carol's quote", || async {
        status(app, &alice, mine["id"].as_str().unwrap()).await.1["quotes_count"] == 1
    })
    .await;
}

crate::kit::on_sqlite_and_postgres!(quotes_with_fedify);
