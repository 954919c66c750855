//! The signature schemes beside draft-cavage with `Date`: RFC 9421 message signatures,
//! `hs2019` with `(created)`, Ed25519 Multikeys (FEP-521a); the key-refetch limit; and, going
//! out, the double knock and redirects re-signed per hop, against a peer that insists on
//! RFC 9421 and checks every signature it gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lc_rs::signature::KeyPair as _;
use rookery_activitypub::keys::{KeyPair, PublicKey};
use rookery_activitypub::signatures::{self, Incoming, SignatureHeader, http_date, message};
use rookery_service::federation::RequestParts;
use rookery_testkit::Backend;
use serde_json::{Value, json};

use super::support::*;
use crate::kit::{eventually, on_every_backend};

/// An RFC 9421 POST of `body` to `path` on `p.a`, signed by `by` at `created`.
fn rfc9421_post(
    p: &Pair,
    path: &str,
    body: &[u8],
    by: &Actor,
    created: i64,
) -> Vec<(String, String)> {
    let mut headers = vec![
        ("host".to_owned(), p.a.domain()),
        ("content-type".to_owned(), AP_JSON.to_owned()),
        (
            "content-digest".to_owned(),
            message::content_digest_header(body),
        ),
    ];
    let parts = RequestParts {
        method: "POST".into(),
        path_and_query: path.into(),
        headers: headers.clone(),
    };
    let (input, signature) = message::sign(
        &parts,
        "http",
        &by.key,
        &by.key_id,
        &["@method", "@target-uri", "content-digest"],
        created,
    )
    .unwrap();
    headers.push(("signature-input".into(), input));
    headers.push(("signature".into(), signature));
    headers
}

async fn rfc9421_and_created_signatures_are_accepted(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let now = now_unix(&p.a);
    let path = "/users/alice/inbox";
    let body = p.follow();
    let (status, reply) = post(
        &p.a,
        path,
        &rfc9421_post(&p, path, &body, &p.mallory, now),
        &body,
    )
    .await;
    assert_eq!(status, 202, "{reply}");
    let counters = p.a.services.federation_counters();
    assert_eq!(counters.verified_rfc9421.load(Ordering::Relaxed), 1);
    // The body swapped under its Content-Digest; a signature from yesterday; a signature for
    // another inbox: each refused.
    let other = p.follow();
    let headers = rfc9421_post(&p, path, &body, &p.mallory, now);
    let (status, reply) = post(&p.a, path, &headers, &other).await;
    assert_eq!(status, 401, "{reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("Digest"),
        "{reply}"
    );
    let stale = rfc9421_post(&p, path, &other, &p.mallory, now - 86_400);
    let (status, reply) = post(&p.a, path, &stale, &other).await;
    assert_eq!(status, 401, "{reply}");
    let elsewhere = rfc9421_post(&p, "/inbox", &other, &p.mallory, now);
    let (status, reply) = post(&p.a, path, &elsewhere, &other).await;
    assert_eq!(status, 401, "{reply}");
    // hs2019 with (created) and no Date header at all.
    let headers = created_instead_of_date(&p, path, &other, now);
    let (status, reply) = post(&p.a, path, &headers, &other).await;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(counters.verified_rfc9421.load(Ordering::Relaxed), 1);
    assert!(counters.verified_cavage.load(Ordering::Relaxed) >= 1);
}

fn created_instead_of_date(p: &Pair, path: &str, body: &[u8], now: i64) -> Vec<(String, String)> {
    let mut headers = vec![
        ("host".to_owned(), p.a.domain()),
        ("digest".to_owned(), signatures::digest_header(body)),
        ("content-type".to_owned(), AP_JSON.to_owned()),
    ];
    let parts = RequestParts {
        method: "POST".into(),
        path_and_query: path.into(),
        headers: headers.clone(),
    };
    let mut sig = SignatureHeader {
        key_id: p.mallory.key_id.clone(),
        algorithm: Some("hs2019".into()),
        headers: ["(request-target)", "host", "(created)", "digest"]
            .map(String::from)
            .to_vec(),
        signature: Vec::new(),
        created: Some(now),
        expires: None,
    };
    let text = signatures::signing_string(&parts, &sig).unwrap();
    sig.signature = p.mallory.key.sign_sha256(text.as_bytes()).unwrap();
    headers.push((
        "signature".into(),
        format!("{},created={now}", sig.to_header()),
    ));
    headers
}

/// A server on loopback with one actor, `/users/eve`, who publishes an RSA `publicKey` and an
/// Ed25519 Multikey; counts GETs of the actor.
struct Eve {
    id: String,
    rsa: KeyPair,
    ed: aws_lc_rs::signature::Ed25519KeyPair,
    fetched: Arc<AtomicUsize>,
}

async fn serve_eve() -> Eve {
    use axum::routing::get;
    let rsa = KeyPair::generate().unwrap();
    let ed = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let id = format!("http://{host}/users/eve");
    let mut multicodec = vec![0xed, 0x01];
    multicodec.extend(ed.public_key().as_ref());
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                     "https://w3id.org/security/multikey/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": "eve",
        "inbox": format!("{id}/inbox"),
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": rsa.public_key_pem()},
        "assertionMethod": [
            {"id": format!("{id}#ed25519-key"), "type": "Multikey", "controller": id,
             "publicKeyMultibase": rookery_activitypub::keys::multibase_base58btc(&multicodec)},
            {"id": format!("{id}#stolen"), "type": "Multikey", "controller": "http://elsewhere.example/x",
             "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
            "http://elsewhere.example/keys/1"
        ],
    })
    .to_string();
    let fetched = Arc::new(AtomicUsize::new(0));
    let count = fetched.clone();
    let router = axum::Router::new().route(
        "/users/eve",
        get(move || {
            count.fetch_add(1, Ordering::SeqCst);
            let doc = doc.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, AP_JSON)], doc) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Eve {
        id,
        rsa,
        ed,
        fetched,
    }
}

/// A draft-cavage POST to alice signed with Eve's Ed25519 key (`hs2019`).
fn ed25519_post(p: &Pair, eve: &Eve, body: &[u8]) -> Vec<(String, String)> {
    let path = "/users/alice/inbox";
    let mut headers = vec![
        ("host".to_owned(), p.a.domain()),
        ("date".to_owned(), http_date(now_unix(&p.a))),
        ("digest".to_owned(), signatures::digest_header(body)),
        ("content-type".to_owned(), AP_JSON.to_owned()),
    ];
    let parts = RequestParts {
        method: "POST".into(),
        path_and_query: path.into(),
        headers: headers.clone(),
    };
    let mut sig = SignatureHeader {
        key_id: format!("{}#ed25519-key", eve.id),
        algorithm: Some("hs2019".into()),
        headers: POST_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        signature: Vec::new(),
        created: None,
        expires: None,
    };
    let text = signatures::signing_string(&parts, &sig).unwrap();
    sig.signature = eve.ed.sign(text.as_bytes()).as_ref().to_vec();
    headers.push(("signature".into(), sig.to_header()));
    headers
}

async fn an_ed25519_multikey_signs_for_its_actor(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let eve = serve_eve().await;
    let body = follow(&eve.id, &p.alice);
    let (status, reply) = post(
        &p.a,
        "/users/alice/inbox",
        &ed25519_post(&p, &eve, &body),
        &body,
    )
    .await;
    assert_eq!(status, 202, "{reply}");
    // Her RSA key signs too; a key of another controller listed by her does not count.
    let again = follow(&eve.id, &p.alice);
    let by_rsa = Actor {
        id: eve.id.clone(),
        key_id: format!("{}#main-key", eve.id),
        key: KeyPair::from_private_pem(&eve.rsa.private_key_pem().unwrap()).unwrap(),
    };
    let (status, reply) = signed_post(&p.a, "/users/alice/inbox", &again, &by_rsa).await;
    assert_eq!(status, 202, "{reply}");
    let stored =
        p.a.services
            .store
            .account_by_uri(&eve.id)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(PublicKey::all_from_pem(&stored.public_key_pem).len(), 2);
}

async fn junk_in_an_actors_name_refetches_its_key_once(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let eve = serve_eve().await;
    let forger = Actor {
        id: eve.id.clone(),
        key_id: format!("{}#main-key", eve.id),
        key: KeyPair::generate().unwrap(),
    };
    for _ in 0..5 {
        let body = follow(&eve.id, &p.alice);
        let (status, reply) = signed_post(&p.a, "/users/alice/inbox", &body, &forger).await;
        assert_eq!(status, 401, "{reply}");
    }
    // Fetched when first seen and once more for the failed signature; then not again.
    assert_eq!(eve.fetched.load(Ordering::SeqCst), 2);
    let counters = p.a.services.federation_counters();
    assert_eq!(counters.key_refetches.load(Ordering::Relaxed), 1);
    assert_eq!(counters.key_refetches_skipped.load(Ordering::Relaxed), 4);
    let metrics = p.a.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("rookery_federation_total{what=\"key_refetch\",outcome=\"skipped\"} 4"),
        "{metrics}"
    );
}

/// What the strict peer saw: (method, path, scheme of a valid signature or the refusal).
type Seen = Arc<std::sync::Mutex<Vec<(String, String, String)>>>;

/// A peer that takes only RFC 9421 and checks each signature against the signer's key,
/// fetched from the instance under test. `/old/bob` redirects to `/users/bob`.
async fn serve_strict_peer(rookery: String) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let seen: Seen = Arc::default();
    let key = KeyPair::generate().unwrap();
    let bob = format!("http://{host}/users/bob");
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": bob, "type": "Person", "preferredUsername": "bob",
        "inbox": format!("{bob}/inbox"),
        "followers": format!("{bob}/followers"),
        "publicKey": {"id": format!("{bob}#main-key"), "owner": bob, "publicKeyPem": key.public_key_pem()},
    })
    .to_string();
    let state = (seen.clone(), doc, rookery);
    let router = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (seen, doc, rookery) = state.clone();
        async move { strict(req, &seen, &doc, &rookery).await }
    });
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (host, seen)
}

async fn strict(
    req: axum::extract::Request,
    seen: &Seen,
    doc: &str,
    rookery: &str,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let request = RequestParts {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect(),
    };
    let verdict = check(&request, &body, rookery).await;
    seen.lock().unwrap().push((
        request.method.clone(),
        request.path_and_query.clone(),
        verdict.clone().unwrap_or_else(|e| e),
    ));
    if verdict.is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match (request.method.as_str(), request.path_and_query.as_str()) {
        ("GET", "/old/bob") => (
            StatusCode::FOUND,
            [(axum::http::header::LOCATION, "/users/bob")],
        )
            .into_response(),
        ("GET", "/users/bob") => (
            [(axum::http::header::CONTENT_TYPE, AP_JSON)],
            doc.to_owned(),
        )
            .into_response(),
        ("POST", _) => StatusCode::ACCEPTED.into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `Ok("rfc9421")` for a valid RFC 9421 signature by a key of `rookery`; `Err(why)` else.
async fn check(req: &RequestParts, body: &[u8], rookery: &str) -> Result<String, String> {
    let sig = Incoming::from_request(req).map_err(|e| e.to_string())?;
    if sig.scheme() != "rfc9421" {
        return Err("cavage refused".into());
    }
    sig.ensure_covers(!body.is_empty())
        .map_err(|e| e.to_string())?;
    if !body.is_empty() {
        sig.verify_body(req, body).map_err(|e| e.to_string())?;
    }
    let actor = sig
        .key_id()
        .split('#')
        .next()
        .unwrap_or_default()
        .to_owned();
    if !actor.starts_with(&format!("http://{rookery}/")) {
        return Err(format!("signed by {actor}"));
    }
    let doc: Value = reqwest::Client::new()
        .get(&actor)
        .header("accept", AP_JSON)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let pem = doc["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap_or_default();
    let key = PublicKey::from_pem(pem).map_err(|e| e.to_string())?;
    sig.verify(req, "http", &key).map_err(|e| e.to_string())?;
    Ok(sig.scheme().to_owned())
}

async fn a_peer_that_wants_rfc9421_gets_it_on_the_second_knock(backend: Backend) {
    let p = Pair::new(backend, &[]).await;
    let (host, seen) = serve_strict_peer(p.a.domain()).await;
    let alice = p.a.token("alice").await;
    // The old URL redirects: each hop is signed for its own URL.
    let (status, found, _) =
        p.a.get_auth(
            &format!("/api/v2/search?resolve=true&type=accounts&q=http://{host}/old/bob"),
            Some(&alice),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    let bob = found["accounts"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{found} {:?}", seen.lock().unwrap()))
        .to_owned();
    let log = seen.lock().unwrap().clone();
    assert_eq!(
        log,
        vec![
            (
                "GET".to_owned(),
                "/old/bob".to_owned(),
                "cavage refused".to_owned()
            ),
            ("GET".into(), "/old/bob".into(), "rfc9421".into()),
            ("GET".into(), "/users/bob".into(), "rfc9421".into()),
            // Stored from its id, fetched with the scheme remembered for the host.
            ("GET".into(), "/users/bob".into(), "rfc9421".into()),
        ]
    );
    // Deliveries to the host now start with RFC 9421: one knock.
    let (status, body) =
        p.a.post_auth(&format!("/api/v1/accounts/{bob}/follow"), &alice, &[])
            .await;
    assert_eq!(status, 200, "{body}");
    eventually("the Follow is delivered", || async {
        seen.lock()
            .unwrap()
            .iter()
            .any(|(m, path, v)| m == "POST" && path == "/users/bob/inbox" && v == "rfc9421")
    })
    .await;
    assert!(
        !seen
            .lock()
            .unwrap()
            .iter()
            .any(|(m, _, v)| m == "POST" && v != "rfc9421"),
        "{:?}",
        seen.lock().unwrap()
    );
    let counters = p.a.services.federation_counters();
    assert_eq!(counters.second_knocks.load(Ordering::Relaxed), 1);
}

on_every_backend!(
    rfc9421_and_created_signatures_are_accepted,
    an_ed25519_multikey_signs_for_its_actor,
    junk_in_an_actors_name_refetches_its_key_once,
    a_peer_that_wants_rfc9421_gets_it_on_the_second_knock,
);
