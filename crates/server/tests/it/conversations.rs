//! Direct conversations (`/api/v1/conversations`), on every engine.

use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};
use crate::streaming::Sse;

on_every_backend!(
    direct_threads_are_conversations,
    a_reply_to_fewer_people_never_reaches_the_others
);

async fn a_reply_to_fewer_people_never_reaches_the_others(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    let first = post(
        &app,
        &alice,
        &[
            ("status", "@bob @carol both of you"),
            ("visibility", "direct"),
        ],
    )
    .await;
    let aside = post(
        &app,
        &alice,
        &[
            ("status", "@bob only you"),
            ("visibility", "direct"),
            ("in_reply_to_id", first.as_str()),
        ],
    )
    .await;
    eventually("bob sees the aside", || async {
        conversations(&app, &bob)
            .await
            .iter()
            .any(|c| c["last_status"]["id"] == aside.as_str())
    })
    .await;
    let c = conversations(&app, &carol).await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["last_status"]["id"], first.as_str());
    // The status carol saw goes: her conversation ends rather than showing the aside.
    assert_eq!(
        delete(&app, &alice, &format!("/api/v1/statuses/{first}")).await,
        200
    );
    eventually("carol's conversation ends", || async {
        conversations(&app, &carol).await.is_empty()
    })
    .await;
    let b = conversations(&app, &bob).await;
    assert_eq!(b[0]["last_status"]["id"], aside.as_str());
}

async fn post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> String {
    let (st, s) = app.post_auth("/api/v1/statuses", token, form).await;
    assert_eq!(st, 200, "{s}");
    s["id"].as_str().unwrap().to_owned()
}

async fn conversations(app: &TestApp, token: &str) -> Vec<Value> {
    let (st, v, _) = app.get_auth("/api/v1/conversations", Some(token)).await;
    assert_eq!(st, 200, "{v}");
    v.as_array().unwrap().clone()
}

async fn delete(app: &TestApp, token: &str, path: &str) -> u16 {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn direct_threads_are_conversations(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let carol = app.token("carol").await;
    assert_eq!(app.get_auth("/api/v1/conversations", None).await.0, 401);
    assert!(conversations(&app, &alice).await.is_empty());

    let mut direct = Sse::open(&app.base, "/api/v1/streaming/direct", Some(&bob)).await;
    post(
        &app,
        &alice,
        &[("status", "public, not a conversation @bob")],
    )
    .await;
    let first = post(
        &app,
        &alice,
        &[("status", "@bob a secret"), ("visibility", "direct")],
    )
    .await;
    let event: Value = serde_json::from_str(&direct.expect("conversation").await).unwrap();
    eventually("bob's conversation", || async {
        conversations(&app, &bob).await.len() == 1
    })
    .await;
    let c = conversations(&app, &bob).await.remove(0);
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(event["id"], id.as_str(), "the stream's id is the list's");
    assert_eq!(c["unread"], true);
    assert_eq!(c["last_status"]["id"], first.as_str());
    let names: Vec<&str> = c["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice"]);
    let mine = conversations(&app, &alice).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], id.as_str());
    assert_eq!(mine[0]["unread"], false);
    assert_eq!(mine[0]["accounts"][0]["username"], "bob");
    assert!(conversations(&app, &carol).await.is_empty());
    // Also with a trailing slash, as Mastodon.py asks.
    let (st, slashed, _) = app.get_auth("/api/v1/conversations/", Some(&bob)).await;
    assert_eq!(st, 200, "{slashed}");
    assert_eq!(slashed[0]["id"], id.as_str());

    // A reply in the thread moves it on, for both.
    let reply = post(
        &app,
        &bob,
        &[
            ("status", "@alice got it"),
            ("visibility", "direct"),
            ("in_reply_to_id", first.as_str()),
        ],
    )
    .await;
    eventually("alice sees the reply", || async {
        let c = conversations(&app, &alice).await;
        c.len() == 1 && c[0]["last_status"]["id"] == reply.as_str()
    })
    .await;
    assert_eq!(conversations(&app, &alice).await[0]["unread"], true);
    assert_eq!(conversations(&app, &alice).await[0]["id"], id.as_str());

    // Reading; others cannot touch it.
    let (st, read) = app
        .post_auth(&format!("/api/v1/conversations/{id}/read"), &alice, &[])
        .await;
    assert_eq!(st, 200, "{read}");
    assert_eq!(read["unread"], false);
    assert_eq!(read["id"], id.as_str());
    assert_eq!(conversations(&app, &alice).await[0]["unread"], false);
    for path in [
        format!("/api/v1/conversations/{id}/read"),
        "/api/v1/conversations/x/read".into(),
    ] {
        assert_eq!(app.post_auth(&path, &carol, &[]).await.0, 404, "{path}");
    }
    assert_eq!(
        delete(&app, &carol, &format!("/api/v1/conversations/{id}")).await,
        404
    );

    // A second thread comes first; pages follow the Link header.
    let other = post(
        &app,
        &alice,
        &[("status", "@bob another thing"), ("visibility", "direct")],
    )
    .await;
    eventually("two conversations", || async {
        conversations(&app, &bob).await.len() == 2
    })
    .await;
    let (_, page, link) = app
        .get_auth("/api/v1/conversations?limit=1", Some(&bob))
        .await;
    assert_eq!(page[0]["last_status"]["id"], other.as_str());
    let next = link
        .unwrap()
        .split(',')
        .find(|p| p.contains("rel=\"next\""))
        .and_then(|p| p.split(['<', '>']).nth(1))
        .unwrap()
        .trim_start_matches("https://rookery.test")
        .to_owned();
    let (_, page2, _) = app.get_auth(&next, Some(&bob)).await;
    assert_eq!(page2[0]["id"], id.as_str());

    // Removing it from one's list leaves the other's.
    assert_eq!(
        delete(&app, &bob, &format!("/api/v1/conversations/{id}")).await,
        200
    );
    assert_eq!(conversations(&app, &bob).await.len(), 1);
    assert_eq!(conversations(&app, &alice).await.len(), 2);

    // Deleting the newest status falls back to the one before; deleting all ends it.
    assert_eq!(
        delete(&app, &bob, &format!("/api/v1/statuses/{reply}")).await,
        200
    );
    eventually("the conversation falls back", || async {
        conversations(&app, &alice)
            .await
            .iter()
            .any(|c| c["id"] == id.as_str() && c["last_status"]["id"] == first.as_str())
    })
    .await;
    assert_eq!(
        delete(&app, &alice, &format!("/api/v1/statuses/{first}")).await,
        200
    );
    eventually("the conversation ends", || async {
        conversations(&app, &alice)
            .await
            .iter()
            .all(|c| c["id"] != id.as_str())
    })
    .await;
    let left = conversations(&app, &alice).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["last_status"]["id"], other.as_str());
    assert_eq!(
        app.get_auth("/api/v1/conversations?max_id=abc", Some(&alice))
            .await
            .0,
        400
    );
}
