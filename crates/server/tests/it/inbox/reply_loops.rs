//! A hostile server's posts that answer each other: the thread back-fill never closes the
//! loop, and `/context` answers at once whatever the store holds.

use rookery_activitypub::keys::KeyPair;
use rookery_testkit::Backend;
use serde_json::json;

use super::support::*;
use super::{person, serve_documents};
use crate::kit::{eventually, on_every_backend};

async fn posts_that_answer_each_other_are_not_linked_in_a_loop(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let alice = p.a.token("alice").await;
    let key = KeyPair::generate().unwrap();
    let alice_uri = p.alice.clone();
    let host = serve_documents(|host| {
        let actor = format!("http://{host}/users/h");
        let note = |me: &str, parent: &str| {
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("http://{host}/notes/{me}"),
                "type": "Note",
                "attributedTo": actor,
                "inReplyTo": format!("http://{host}/notes/{parent}"),
                "to": [PUBLIC, alice_uri],
                "content": format!("<p>post {me}</p>"),
                "tag": [{"type": "Mention", "href": alice_uri}],
            })
        };
        vec![
            ("/users/h".to_owned(), person(&actor, "h", &key)),
            ("/notes/a".to_owned(), note("a", "b")),
            ("/notes/b".to_owned(), note("b", "a")),
        ]
    })
    .await;
    let actor = format!("http://{host}/users/h");
    let by = Actor {
        key_id: format!("{actor}#main-key"),
        id: actor.clone(),
        key: KeyPair::from_private_pem(&key.private_key_pem().unwrap()).unwrap(),
    };
    let a_uri = format!("http://{host}/notes/a");
    let create = to_bytes(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{a_uri}/activity"),
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC, p.alice],
        "object": format!("{a_uri}"),
    }));
    let (status, reply) = signed_post(&p.a, "/users/alice/inbox", &create, &by).await;
    assert_eq!(status, 202, "{reply}");
    eventually("both posts are stored and the jobs settled", || async {
        p.a.sql_texts("SELECT uri FROM statuses WHERE uri LIKE '%/notes/%'")
            .await
            .len()
            == 2
            && p.a
                .sql_texts("SELECT kind FROM jobs WHERE kind IN ('ingress', 'fetch_parent')")
                .await
                .is_empty()
    })
    .await;
    // b answers a (a was here when b came); a is not made to answer b.
    let app = &p.a;
    let id_of = |uri: String| async move {
        app.sql_texts(&format!(
            "SELECT CAST(id AS TEXT) FROM statuses WHERE uri = '{uri}'"
        ))
        .await
        .remove(0)
    };
    let a_id = id_of(a_uri.clone()).await;
    let b_id = id_of(format!("http://{host}/notes/b")).await;
    let (_, a_status, _) =
        p.a.get_auth(&format!("/api/v1/statuses/{a_id}"), Some(&alice))
            .await;
    assert!(a_status["in_reply_to_id"].is_null(), "{a_status}");
    let (_, b_status, _) =
        p.a.get_auth(&format!("/api/v1/statuses/{b_id}"), Some(&alice))
            .await;
    assert_eq!(b_status["in_reply_to_id"], a_id.as_str(), "{b_status}");
    let (status, context, _) =
        p.a.get_auth(&format!("/api/v1/statuses/{b_id}/context"), Some(&alice))
            .await;
    assert_eq!(status, 200);
    assert_eq!(context["ancestors"].as_array().map(Vec::len), Some(1));
}

on_every_backend!(posts_that_answer_each_other_are_not_linked_in_a_loop);
