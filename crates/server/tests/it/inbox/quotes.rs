//! Quotes from another server are checked before they count: a `quoteAuthorization` this
//! server did not give, or one that cannot be fetched, leaves the quote pending and the
//! quoted post without it; a `QuoteRequest` is answered only for a post of its actor, asked
//! from its actor's server (an id elsewhere is refused at the inbox).

use rookery_testkit::Backend;
use serde_json::{Value, json};

use super::support::*;
use crate::kit::{TestApp, eventually, on_every_backend};
use crate::two_instances::{has_notification, post};

/// A public Create of a Note by mallory quoting `quoted`, with `extra` properties.
fn quoting_note(p: &Pair, n: u64, quoted: &str, extra: Value) -> (String, Vec<u8>) {
    let mallory = &p.mallory.id;
    let id = format!("{mallory}/statuses/{n}");
    let mut note = json!({
        "id": id,
        "type": "Note",
        "attributedTo": mallory,
        "content": format!("<p>quoting, {n}</p>"),
        "to": [PUBLIC],
        "quote": quoted,
    });
    if let (Some(o), Some(e)) = (note.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": mallory,
        "to": [PUBLIC],
        "object": note,
    });
    (id, to_bytes(&create))
}

/// The status stored for `uri` on `app`, as `token` sees it.
async fn stored(app: &TestApp, token: &str, uri: &str) -> Value {
    let mut found = Vec::new();
    for _ in 0..200 {
        found = app
            .sql_texts(&format!(
                "SELECT CAST(id AS TEXT) FROM statuses WHERE uri = '{uri}'"
            ))
            .await;
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let id = found.first().expect("the quoting post is stored");
    app.get_auth(&format!("/api/v1/statuses/{id}"), Some(token))
        .await
        .1
}

async fn quotes_need_the_quoted_authors_approval(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let alice = p.a.token("alice").await;
    let original = post(&p.a, &alice, &[("status", "mine to approve")]).await;
    let oid = original["id"].as_str().unwrap().to_owned();
    let quoted = original["uri"].as_str().unwrap().to_owned();
    let verified = || async {
        p.a.sql_texts("SELECT kind FROM jobs WHERE kind IN ('ingress', 'verify_quote')")
            .await
            .is_empty()
    };

    // An approval alice never gave, on mallory's server and on ours: the quote stays pending.
    let forged = [
        format!("{}/quote_authorizations/1", p.mallory.id),
        format!("{}/quote_authorizations/1", p.alice),
    ];
    for (n, approval) in forged.iter().enumerate() {
        let (uri, create) = quoting_note(
            &p,
            1000 + serial() + n as u64,
            &quoted,
            json!({"quoteAuthorization": approval}),
        );
        let (status, reply) = signed_post(&p.a, "/inbox", &create, &p.mallory).await;
        assert_eq!(status, 202, "{reply}");
        eventually("the forged quote is checked", verified).await;
        let seen = stored(&p.a, &alice, &uri).await;
        assert_eq!(
            seen["quote"],
            json!({"state": "pending", "quoted_status": null}),
            "{seen}"
        );
    }
    let (_, mine, _) =
        p.a.get_auth(&format!("/api/v1/statuses/{oid}"), Some(&alice))
            .await;
    assert_eq!(mine["quotes_count"], 0);

    // A QuoteRequest whose id is on another server, or for someone else's post: no approval.
    let (uri, create) = quoting_note(&p, 2000 + serial(), &quoted, json!({}));
    let (status, _) = signed_post(&p.a, "/inbox", &create, &p.mallory).await;
    assert_eq!(status, 202);
    let request = |id: String, instrument: &str| {
        to_bytes(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "QuoteRequest",
            "actor": p.mallory.id,
            "object": quoted,
            "instrument": instrument,
        }))
    };
    let elsewhere = format!("https://elsewhere.example/quote-requests/{}", serial());
    let (status, _) = signed_post(&p.a, "/inbox", &request(elsewhere, &uri), &p.mallory).await;
    assert_eq!(
        status, 400,
        "an activity id on another server is refused at the door"
    );
    let someone_elses = format!("{}/users/alice/statuses/1", p.b.base);
    let id = format!("{}#quote-requests/{}", p.mallory.id, serial());
    let (status, _) = signed_post(&p.a, "/inbox", &request(id, &someone_elses), &p.mallory).await;
    assert_eq!(status, 202);
    eventually("the request for someone else's post is applied", verified).await;
    assert_eq!(
        stored(&p.a, &alice, &uri).await["quote"]["state"],
        "pending"
    );

    // A real request from mallory's server for mallory's post: approved, alice is told.
    let id = format!("{}#quote-requests/{}", p.mallory.id, serial());
    let (status, reply) = signed_post(&p.a, "/inbox", &request(id, &uri), &p.mallory).await;
    assert_eq!(status, 202, "{reply}");
    eventually("the quote is approved", || async {
        stored(&p.a, &alice, &uri).await["quote"]["state"] == "accepted"
    })
    .await;
    let seen = stored(&p.a, &alice, &uri).await;
    assert_eq!(seen["quote"]["quoted_status"]["id"], oid.as_str());
    let acct = format!("mallory@{}", p.b.domain());
    eventually("alice is told", || async {
        has_notification(&p.a, &alice, "quote", &acct).await
    })
    .await;

    // alice revokes it: asking again does not bring it back.
    let quoting_id = seen["id"].as_str().unwrap().to_owned();
    let (s, _) =
        p.a.post_auth(
            &format!("/api/v1/statuses/{oid}/quotes/{quoting_id}/revoke"),
            &alice,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    let id = format!("{}#quote-requests/{}", p.mallory.id, serial());
    let (status, _) = signed_post(&p.a, "/inbox", &request(id, &uri), &p.mallory).await;
    assert_eq!(status, 202);
    eventually("the repeated request is applied", verified).await;
    assert_eq!(
        stored(&p.a, &alice, &uri).await["quote"]["state"],
        "revoked"
    );

    // A claimed approval at the address this server would give it, guessed: still nothing
    // (a quote of a local post is approved only by answering its QuoteRequest).
    let (uri, create) = quoting_note(&p, 3000 + serial(), &quoted, json!({}));
    let (status, _) = signed_post(&p.a, "/inbox", &create, &p.mallory).await;
    assert_eq!(status, 202);
    let seen = stored(&p.a, &alice, &uri).await;
    let quote_id =
        p.a.sql_texts(&format!(
            "SELECT CAST(id AS TEXT) FROM quotes WHERE status_id = {}",
            seen["id"].as_str().unwrap()
        ))
        .await
        .pop()
        .unwrap();
    let mut note = serde_json::from_slice::<Value>(&create).unwrap()["object"].clone();
    note["quoteAuthorization"] = json!(format!("{}/quote_authorizations/{quote_id}", p.alice));
    note["updated"] = json!("2030-01-01T00:00:00Z");
    let update = to_bytes(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{uri}#updates/1"),
        "type": "Update",
        "actor": p.mallory.id,
        "object": note,
    }));
    let (status, _) = signed_post(&p.a, "/inbox", &update, &p.mallory).await;
    assert_eq!(status, 202);
    eventually("the guessed approval is checked", verified).await;
    assert_eq!(
        stored(&p.a, &alice, &uri).await["quote"]["state"],
        "pending"
    );
}

on_every_backend!(quotes_need_the_quoted_authors_approval);
