//! The inbox under bad and hostile input: every check an inbox POST goes through (size,
//! signature, what it covers, digest, date, body, signer, authorship), each broken on its own
//! in an otherwise correct request; and authorized-fetch mode for ActivityPub GETs.
//!
//! Requests are signed as `mallory`, a real account on a second instance, whose actor the
//! instance under test fetches to check signatures, as it would from any peer.

use std::sync::atomic::Ordering;

use rookery_activitypub::keys::KeyPair;
use rookery_activitypub::signatures::{digest_header, http_date};
use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{assert_refused_as_too_large, eventually, on_every_backend, spawn_federating};

mod activity_types;
mod instance_actors;
mod media;
mod moves;
mod quotes;
mod reply_loops;
mod signatures;
mod support;
use support::*;

async fn a_signed_follow_is_accepted_and_processed(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let alice = p.a.token("alice").await;
    let (status, body) = signed_post(&p.a, "/users/alice/inbox", &p.follow(), &p.mallory).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(accepted(&p.a), 1);
    let from = format!("mallory@{}", p.b.domain());
    eventually("alice is notified of mallory's follow", || async {
        let (_, list, _) = p.a.get_auth("/api/v1/notifications", Some(&alice)).await;
        list.as_array().is_some_and(|l| {
            l.iter()
                .any(|n| n["type"] == "follow" && n["account"]["acct"] == from.as_str())
        })
    })
    .await;
    // The shared inbox takes a correctly signed activity too.
    let (status, body) = signed_post(
        &p.a,
        "/inbox",
        &create_note(&p.mallory.id, &p.mallory.id, 1),
        &p.mallory,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(accepted(&p.a), 2);
}

async fn an_unsigned_post_is_refused(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let body = p.follow();
    let unsigned: Vec<_> = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory)
        .headers()
        .into_iter()
        .filter(|(k, _)| k != "signature")
        .collect();
    for path in ["/users/alice/inbox", "/inbox"] {
        assert_refused(
            path,
            post(&p.a, path, &unsigned, &body).await,
            401,
            "not signed",
        );
    }
    // Not even a Digest or a Date: still a 401, not a 400 or a 500.
    assert_refused(
        "bare",
        post(&p.a, "/inbox", &[], &body).await,
        401,
        "not signed",
    );
    // A Signature header that is not one.
    let mut garbage = unsigned.clone();
    garbage.push(("signature".into(), "hello there".into()));
    assert_refused(
        "garbage signature",
        post(&p.a, "/inbox", &garbage, &body).await,
        401,
        "malformed",
    );
    assert_nothing_queued(&p.a).await;
}

async fn a_signature_by_another_key_is_refused(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let body = p.follow();
    let forger = KeyPair::generate().unwrap();
    let mut d = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory);
    d.key = &forger;
    assert_refused(
        "forged key",
        post(&p.a, "/users/alice/inbox", &d.headers(), &body).await,
        401,
        "does not match",
    );
    // A keyId naming one of A's own accounts, signed with that account's real key: local
    // accounts do not post to their own server's inbox.
    let alice = Actor::local_to(&p.a, "alice").await;
    let own = follow(&alice.id, &p.alice);
    assert_refused(
        "local key",
        signed_post(&p.a, "/users/alice/inbox", &own, &alice).await,
        401,
        "local key",
    );
    // A keyId whose actor does not exist.
    let mut d = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory);
    d.key_id = format!("http://{}/users/nobody#main-key", p.b.domain());
    assert_refused(
        "unknown signer",
        post(&p.a, "/users/alice/inbox", &d.headers(), &body).await,
        401,
        "not found",
    );
    // A keyId that is not a URL.
    let mut d = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory);
    d.key_id = "mallory".into();
    assert_refused(
        "keyId not a URL",
        post(&p.a, "/users/alice/inbox", &d.headers(), &body).await,
        401,
        "not a URL",
    );
    assert_nothing_queued(&p.a).await;
}

async fn a_digest_that_does_not_match_the_body_is_refused(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let body = p.follow();
    // Signed over a Digest of another body.
    let mut d = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory);
    d.digest = Some(digest_header(b"{}"));
    assert_refused(
        "digest of another body",
        post(&p.a, "/users/alice/inbox", &d.headers(), &body).await,
        401,
        "Digest",
    );
    // Correctly signed, then the body swapped in transit.
    let headers = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory).headers();
    let swapped = create_note(&p.mallory.id, &p.mallory.id, 2);
    assert_refused(
        "swapped body",
        post(&p.a, "/users/alice/inbox", &headers, &swapped).await,
        401,
        "Digest",
    );
    // A Digest header in an algorithm nobody checks.
    let mut d = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory);
    d.digest = Some("MD5=AAAAAAAAAAAAAAAAAAAAAA==".into());
    assert_refused(
        "unsupported digest",
        post(&p.a, "/users/alice/inbox", &d.headers(), &body).await,
        401,
        "digest",
    );
    assert_nothing_queued(&p.a).await;
}

async fn a_signature_that_leaves_out_a_required_header_is_refused(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let body = p.follow();
    for (left_out, covered) in [
        ("digest", vec!["(request-target)", "host", "date"]),
        ("(request-target)", vec!["host", "date", "digest"]),
        ("host", vec!["(request-target)", "date", "digest"]),
        ("date", vec!["(request-target)", "host", "digest"]),
    ] {
        let mut d = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory);
        d.covered = covered;
        assert_refused(
            left_out,
            post(&p.a, "/users/alice/inbox", &d.headers(), &body).await,
            401,
            &format!("does not cover {left_out}"),
        );
    }
    // Signed (correctly) for another server and replayed here.
    let mut d = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory);
    d.host = "elsewhere.example".into();
    assert_refused(
        "signed for another host",
        post(&p.a, "/users/alice/inbox", &d.headers(), &body).await,
        401,
        "signed for",
    );
    // Signed for alice's inbox, replayed at the shared inbox: the request target differs.
    let headers = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory).headers();
    assert_refused(
        "replayed at another path",
        post(&p.a, "/inbox", &headers, &body).await,
        401,
        "does not match",
    );
    assert_nothing_queued(&p.a).await;
}

async fn a_stale_or_future_date_is_refused(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let body = p.follow();
    for (what, date) in [
        ("13 hours old", http_date(now_unix(&p.a) - 13 * 3600)),
        ("13 hours ahead", http_date(now_unix(&p.a) + 13 * 3600)),
    ] {
        let mut d = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory);
        d.date = date;
        assert_refused(
            what,
            post(&p.a, "/users/alice/inbox", &d.headers(), &body).await,
            401,
            "skew",
        );
    }
    let mut d = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory);
    d.date = "yesterday".into();
    assert_refused(
        "not a date",
        post(&p.a, "/users/alice/inbox", &d.headers(), &body).await,
        401,
        "Date",
    );
    assert_nothing_queued(&p.a).await;
}

async fn an_oversized_body_is_refused(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let limit = p.a.services.settings.federation.inbox_max_bytes;
    for size in [10 * 1024 * 1024, limit + 1] {
        let body = vec![b' '; size];
        let headers = Draft::post(&p.a, "/users/alice/inbox", &body, &p.mallory).headers();
        let mut r = p.a.client.post(p.a.url("/users/alice/inbox")).body(body);
        for (k, v) in &headers {
            r = r.header(k.as_str(), v.as_str());
        }
        assert_refused_as_too_large(r).await;
    }
    assert_nothing_queued(&p.a).await;
}

async fn a_suspended_domain_is_answered_but_dropped(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    p.a.services
        .block_domain(
            rookery_service::moderation::Moderator::CLI,
            rookery_service::NewDomainBlock {
                domain: "blocked.example".into(),
                severity: "suspend".into(),
                reject_media: false,
                reject_reports: false,
                private_comment: String::new(),
                public_comment: String::new(),
                obfuscate: false,
            },
        )
        .await
        .unwrap();
    // Its actors are not even fetched (the name does not resolve): the request is dropped first.
    let id = "http://sub.blocked.example/users/x";
    let sender = Actor {
        id: id.into(),
        key_id: format!("{id}#main-key"),
        key: KeyPair::generate().unwrap(),
    };
    let (status, body) =
        signed_post(&p.a, "/users/alice/inbox", &follow(id, &p.alice), &sender).await;
    assert_eq!(status, 202, "{body}");
    let counters = p.a.services.federation_counters();
    assert_eq!(counters.inbox_count("dropped"), 1);
    assert_eq!(counters.fetches.load(Ordering::Relaxed), 0);
    assert_eq!(counters.fetch_failures.load(Ordering::Relaxed), 0);
    assert_nothing_queued(&p.a).await;
}

async fn a_body_that_is_not_an_activity_is_refused(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    for body in [
        &br#"{"hello":"world"}"#[..],
        b"[1,2]",
        b"{",
        b"",
        b"null",
        br#"{"type":"Note","id":"http://x.example/1","actor":"http://x.example/a","object":"x"}"#,
        br#"{"type":"Follow","actor":"http://x.example/a","object":"http://x.example/b"}"#,
        b"\xff\xfe{}",
    ] {
        let (status, reply) = signed_post(&p.a, "/users/alice/inbox", body, &p.mallory).await;
        assert_eq!(status, 400, "{:?}: {reply}", String::from_utf8_lossy(body));
        assert!(reply["error"].is_string(), "{reply}");
    }
    assert_nothing_queued(&p.a).await;
}

async fn an_activity_not_by_its_signer_is_refused(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let mallory = &p.mallory.id;
    // mallory's own Create of a Note she says alice wrote.
    assert_refused(
        "Note attributed to alice",
        signed_post(
            &p.a,
            "/users/alice/inbox",
            &create_note(mallory, &p.alice, 3),
            &p.mallory,
        )
        .await,
        401,
        "attributedTo",
    );
    // Activities whose actor is not the signer: alice, and another account on B.
    let bob = format!("http://{}/users/bob", p.b.domain());
    for actor in [&p.alice, &bob] {
        assert_refused(
            &format!("Create as {actor}"),
            signed_post(&p.a, "/inbox", &create_note(actor, actor, 4), &p.mallory).await,
            401,
            "did not sign",
        );
        assert_refused(
            &format!("Follow as {actor}"),
            signed_post(
                &p.a,
                "/users/alice/inbox",
                &follow(actor, &p.alice),
                &p.mallory,
            )
            .await,
            401,
            "did not sign",
        );
    }
    // mallory's own Delete, under an id on another server (taking the id of someone else's
    // future activity, so that theirs would be dropped as a repeat).
    let squat = to_bytes(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://elsewhere.example/users/bob/statuses/1#delete",
        "type": "Delete",
        "actor": mallory,
        "object": format!("{mallory}/statuses/1"),
    }));
    assert_refused(
        "an activity id on another server",
        signed_post(&p.a, "/inbox", &squat, &p.mallory).await,
        400,
        "not on its actor's server",
    );
    assert_nothing_queued(&p.a).await;
}

/// A signer whose server errors right now: the sender is asked to retry (503 with
/// `Retry-After`), not told the signature is bad, and the outcome is counted apart.
async fn a_signer_whose_key_cannot_be_fetched_now_is_asked_to_retry(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let router =
        axum::Router::new().fallback(|| async { axum::http::StatusCode::INTERNAL_SERVER_ERROR });
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let id = format!("http://{host}/users/down");
    let sender = Actor {
        key_id: format!("{id}#main-key"),
        id: id.clone(),
        key: KeyPair::generate().unwrap(),
    };
    let r = signed_post_response(&p.a, "/users/alice/inbox", &follow(&id, &p.alice), &sender).await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "300");
    let counters = p.a.services.federation_counters();
    assert_eq!(counters.inbox_count("key_unavailable"), 1);
    assert_eq!(counters.inbox_count("unauthorized"), 0);
    assert_nothing_queued(&p.a).await;
    let metrics = p.a.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("rookery_federation_total{what=\"inbox\",outcome=\"key_unavailable\"} 1"),
        "{metrics}"
    );
}

async fn the_inbox_of_an_unknown_user_is_not_found(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let body = p.follow();
    let (status, reply) = signed_post(&p.a, "/users/nobody/inbox", &body, &p.mallory).await;
    assert_eq!(status, 404, "{reply}");
    let (status, reply) = post(&p.a, "/users/nobody/inbox", &[], &body).await;
    assert_eq!(status, 404, "{reply}");
    assert_nothing_queued(&p.a).await;
}

/// A server on loopback serving documents at fixed paths (and taking any POST). `docs` gets
/// the server's `host:port`, so documents can name themselves; returns it.
async fn serve_documents(docs: impl FnOnce(&str) -> Vec<(String, Value)>) -> String {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut router = axum::Router::new();
    for (path, doc) in docs(&host) {
        let text = doc.to_string();
        router = router.route(
            &path,
            get(move || {
                let text = text.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, AP_JSON)], text) }
            })
            .post(|| async { axum::http::StatusCode::ACCEPTED }),
        );
    }
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    host
}

fn person(id: &str, username: &str, key: &KeyPair) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": username,
        "inbox": format!("{id}/inbox"),
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": key.public_key_pem(),
        },
    })
}

async fn an_actor_document_that_is_not_at_its_id_is_refused(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    // The forger's server: /users/good is honest; /users/liar says it is /users/good; and
    // /users/thief says it is mallory on B. All three publish the forger's key.
    let key = KeyPair::generate().unwrap();
    let host = serve_documents(|host| {
        let good = format!("http://{host}/users/good");
        vec![
            ("/users/good".to_owned(), person(&good, "good", &key)),
            ("/users/liar".to_owned(), person(&good, "liar", &key)),
            (
                "/users/thief".to_owned(),
                person(&p.mallory.id, "mallory", &key),
            ),
        ]
    })
    .await;
    let as_path = |path: &str| {
        let id = format!("http://{host}{path}");
        Actor {
            key_id: format!("{id}#main-key"),
            id,
            key: KeyPair::from_private_pem(&key.private_key_pem().unwrap()).unwrap(),
        }
    };
    let liar = as_path("/users/liar");
    assert_refused(
        "document id differs from its URL",
        signed_post(
            &p.a,
            "/users/alice/inbox",
            &follow(&liar.id, &p.alice),
            &liar,
        )
        .await,
        401,
        "says it is",
    );
    // The thief sends mallory's Follow, signed with a keyId on its own server whose document
    // claims to be mallory.
    let thief = as_path("/users/thief");
    assert_refused(
        "document claims an actor on another server",
        signed_post(&p.a, "/users/alice/inbox", &p.follow(), &thief).await,
        401,
        "says it is",
    );
    assert_nothing_queued(&p.a).await;
    // mallory's key on A is still her own: her real signature is accepted.
    let (status, body) = signed_post(&p.a, "/users/alice/inbox", &p.follow(), &p.mallory).await;
    assert_eq!(status, 202, "{body}");
    // And the forger's honest actor is accepted: the refusals were about the ids.
    let good = as_path("/users/good");
    let (status, body) = signed_post(
        &p.a,
        "/users/alice/inbox",
        &follow(&good.id, &p.alice),
        &good,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(accepted(&p.a), 2);
}

async fn authorized_fetch_requires_a_signature(backend: Backend) {
    let p = Pair::new(backend, &[("ROOKERY_FEDERATION__AUTHORIZED_FETCH", "true")]).await;
    let a = &p.a;
    let alice = a.token("alice").await;
    let (s, status) = a
        .post_auth("/api/v1/statuses", &alice, &[("status", "hello")])
        .await;
    assert_eq!(s, 200, "{status}");
    let status_path = format!("/users/alice/statuses/{}", status["id"].as_str().unwrap());
    let accept = [("accept".to_owned(), AP_JSON.to_owned())];
    let get = |path: String, headers: Vec<(String, String)>| async move {
        send(a, reqwest::Method::GET, &path, &headers, None).await
    };

    // Unsigned: the actor is only its key (as Mastodon serves it: peers fetch signers' keys
    // unsigned), every other ActivityPub document of a user is refused.
    for path in ["/users/alice", "/@alice"] {
        let (s, actor) = get(path.to_owned(), accept.to_vec()).await;
        assert_eq!(s, 200, "{path}: {actor}");
        assert_eq!(actor["id"], p.alice.as_str());
        assert_eq!(actor["publicKey"]["id"], format!("{}#main-key", p.alice));
        assert!(actor["publicKey"]["publicKeyPem"].is_string(), "{actor}");
        assert!(actor["inbox"].is_string() && actor["endpoints"]["sharedInbox"].is_string());
        for hidden in [
            "name",
            "summary",
            "outbox",
            "followers",
            "following",
            "published",
        ] {
            assert!(
                actor.get(hidden).is_none(),
                "{path} shows {hidden}: {actor}"
            );
        }
    }
    for path in [
        status_path.clone(),
        "/users/alice/outbox".to_owned(),
        "/users/alice/followers".to_owned(),
        "/users/alice/following".to_owned(),
        "/users/alice/collections/featured".to_owned(),
    ] {
        let (s, body) = get(path.clone(), accept.to_vec()).await;
        assert_eq!(s, 401, "{path}: {body}");
    }

    // ActivityPub-only URLs need the signature even when the request does not ask for JSON.
    for path in [
        "/users/alice/outbox",
        "/users/alice/followers",
        "/users/alice/collections/featured",
    ] {
        let (s, body) = get(path.to_owned(), Vec::new()).await;
        assert_eq!(s, 401, "{path} without Accept: {body}");
    }

    // Signed by mallory@B: served.
    let (s, actor) = get(
        "/users/alice".into(),
        Draft::get(a, "/users/alice", &p.mallory).headers(),
    )
    .await;
    assert_eq!(s, 200, "{actor}");
    assert_eq!(actor["id"], p.alice.as_str());
    assert_eq!(actor["type"], "Person");
    let (s, note) = get(
        status_path.clone(),
        Draft::get(a, &status_path, &p.mallory).headers(),
    )
    .await;
    assert_eq!(s, 200, "{note}");
    assert_eq!(note["type"], "Note");

    // Signed, but badly: another key, another path, too old, not covering the host.
    let forger = KeyPair::generate().unwrap();
    let mut d = Draft::get(a, "/users/alice", &p.mallory);
    d.key = &forger;
    let (s, body) = get("/users/alice".into(), d.headers()).await;
    assert_eq!(s, 401, "forged key: {body}");
    let (s, body) = get(
        "/users/alice/outbox".into(),
        Draft::get(a, "/users/alice", &p.mallory).headers(),
    )
    .await;
    assert_eq!(s, 401, "signed for another path: {body}");
    let mut d = Draft::get(a, "/users/alice", &p.mallory);
    d.date = http_date(now_unix(a) - 13 * 3600);
    let (s, body) = get("/users/alice".into(), d.headers()).await;
    assert_eq!(s, 401, "stale: {body}");
    let mut d = Draft::get(a, "/users/alice", &p.mallory);
    d.covered = vec!["(request-target)", "date"];
    let (s, body) = get("/users/alice".into(), d.headers()).await;
    assert_eq!(s, 401, "host not covered: {body}");

    // Browsers still get the profile page.
    let (s, _) = get("/users/alice".into(), vec![]).await;
    assert!(s == 302 || s == 303, "HTML request: {s}");
    let (s, _) = get(
        "/users/alice".into(),
        vec![("accept".into(), "text/html".into())],
    )
    .await;
    assert!(s == 302 || s == 303, "HTML request: {s}");

    // The instance actor is always served: peers fetch it to check our own signed fetches.
    let (s, actor) = get("/actor".into(), accept.to_vec()).await;
    assert_eq!(s, 200, "{actor}");
    assert!(actor["publicKey"]["publicKeyPem"].is_string(), "{actor}");

    // Without authorized fetch (B), the same unsigned GET is served.
    let (s, actor) = send(&p.b, reqwest::Method::GET, "/users/mallory", &accept, None).await;
    assert_eq!(s, 200, "{actor}");
    assert_eq!(actor["id"], p.mallory.id.as_str());
}

async fn two_authorized_fetch_instances_still_federate(backend: Backend) {
    let env = [("ROOKERY_FEDERATION__AUTHORIZED_FETCH", "true")];
    let (a, b) = tokio::join!(
        spawn_federating(backend, &env),
        spawn_federating(backend, &env)
    );
    a.create_account("alice").await;
    let bob = b.token("bob").await;
    // B fetches alice's actor from A, signed by B's instance actor; A checks that signature by
    // fetching B's instance actor, which B serves unsigned.
    let (s, alice, _) = b
        .get_auth(
            &format!("/api/v1/accounts/lookup?acct=alice@{}", a.domain()),
            Some(&bob),
        )
        .await;
    assert_eq!(s, 200, "{alice}");
    assert_eq!(alice["acct"], format!("alice@{}", a.domain()));
}

// What ends in queued work (processed activities, federation between instances) runs on every
// backend; the refusals, decided before anything is queued, on SQLite and PostgreSQL.
on_every_backend!(
    a_signed_follow_is_accepted_and_processed,
    an_actor_document_that_is_not_at_its_id_is_refused,
    authorized_fetch_requires_a_signature,
    two_authorized_fetch_instances_still_federate,
);

macro_rules! on_sqlite_and_postgres {
    ($($name:ident),* $(,)?) => {
        mod refusals {
            mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::super::$name(rookery_testkit::Backend::Sqlite).await } )* }
            mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::super::$name(rookery_testkit::Backend::Postgres).await } )* }
        }
    };
}

on_sqlite_and_postgres!(
    an_unsigned_post_is_refused,
    a_signature_by_another_key_is_refused,
    a_digest_that_does_not_match_the_body_is_refused,
    a_signature_that_leaves_out_a_required_header_is_refused,
    a_stale_or_future_date_is_refused,
    an_oversized_body_is_refused,
    a_suspended_domain_is_answered_but_dropped,
    a_body_that_is_not_an_activity_is_refused,
    an_activity_not_by_its_signer_is_refused,
    the_inbox_of_an_unknown_user_is_not_found,
    a_signer_whose_key_cannot_be_fetched_now_is_asked_to_retry,
);
