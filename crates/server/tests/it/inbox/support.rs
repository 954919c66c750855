//! Signed requests as a peer would send them, broken one part at a time by the tests.

use std::sync::atomic::Ordering;

use rookery_activitypub::keys::KeyPair;
use rookery_activitypub::signatures::{digest_header, http_date, sign};
use rookery_service::federation::RequestParts;
use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::kit::{TestApp, spawn_federating};

pub(super) const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub(super) const AP_JSON: &str = "application/activity+json";
pub(super) const POST_HEADERS: &[&str] = &["(request-target)", "host", "date", "digest"];
pub(super) const GET_HEADERS: &[&str] = &["(request-target)", "host", "date"];

/// An actor whose private key the test holds.
pub(super) struct Actor {
    pub(super) id: String,
    pub(super) key_id: String,
    pub(super) key: KeyPair,
}

impl Actor {
    /// The local account `username` of `app` (created if missing), with its real key.
    pub(super) async fn local_to(app: &TestApp, username: &str) -> Actor {
        if app.services.local_account(username).await.is_err() {
            app.create_account(username).await;
        }
        let account = app.services.local_account(username).await.unwrap().account;
        let pem = account.private_key_pem.unwrap();
        let id = format!("http://{}/users/{username}", app.domain());
        Actor {
            key_id: format!("{id}#main-key"),
            id,
            key: KeyPair::from_private_pem(&pem).unwrap(),
        }
    }
}

/// `app`'s clock, in Unix seconds.
pub(super) fn now_unix(app: &TestApp) -> i64 {
    app.services.clock.now().as_millis() / 1000
}

/// A fresh number, for activity ids.
pub(super) fn serial() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A request as a peer would sign it. Each field can be spoiled before [`Draft::headers`]
/// signs it, so a test breaks exactly one thing.
pub(super) struct Draft<'a> {
    pub(super) method: &'static str,
    pub(super) path: String,
    pub(super) host: String,
    pub(super) date: String,
    /// `Some` on POSTs.
    pub(super) digest: Option<String>,
    pub(super) covered: Vec<&'static str>,
    pub(super) key: &'a KeyPair,
    pub(super) key_id: String,
}

impl<'a> Draft<'a> {
    /// A correctly signed POST of `body` to `path` on `to`.
    pub(super) fn post(to: &TestApp, path: &str, body: &[u8], by: &'a Actor) -> Draft<'a> {
        Draft {
            method: "POST",
            path: path.to_owned(),
            host: to.domain(),
            date: http_date(now_unix(to)),
            digest: Some(digest_header(body)),
            covered: POST_HEADERS.to_vec(),
            key: &by.key,
            key_id: by.key_id.clone(),
        }
    }

    /// A correctly signed GET of `path` on `to`.
    pub(super) fn get(to: &TestApp, path: &str, by: &'a Actor) -> Draft<'a> {
        Draft {
            method: "GET",
            path: path.to_owned(),
            host: to.domain(),
            date: http_date(now_unix(to)),
            digest: None,
            covered: GET_HEADERS.to_vec(),
            key: &by.key,
            key_id: by.key_id.clone(),
        }
    }

    /// Host, Date, (Digest, Content-Type,) and the Signature over `covered`.
    pub(super) fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![
            ("host".to_owned(), self.host.clone()),
            ("date".to_owned(), self.date.clone()),
        ];
        if let Some(d) = &self.digest {
            headers.push(("digest".into(), d.clone()));
            headers.push(("content-type".into(), AP_JSON.into()));
        } else {
            headers.push(("accept".into(), AP_JSON.into()));
        }
        let parts = RequestParts {
            method: self.method.to_owned(),
            path_and_query: self.path.clone(),
            headers: headers.clone(),
        };
        let signature = sign(&parts, self.key, &self.key_id, &self.covered).unwrap();
        headers.push(("signature".into(), signature));
        headers
    }
}

/// Sends `headers` and `body` to `path`; (status, JSON body or `Null`).
pub(super) async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    headers: &[(String, String)],
    body: Option<Vec<u8>>,
) -> (u16, Value) {
    let mut r = app.client.request(method, app.url(path));
    for (k, v) in headers {
        r = r.header(k.as_str(), v.as_str());
    }
    if let Some(b) = body {
        r = r.body(b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// POSTs `body` with `headers` to `path`.
pub(super) async fn post(
    app: &TestApp,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Value) {
    send(
        app,
        reqwest::Method::POST,
        path,
        headers,
        Some(body.to_vec()),
    )
    .await
}

/// POSTs `body` to `path`, correctly signed by `by`.
pub(super) async fn signed_post(
    app: &TestApp,
    path: &str,
    body: &[u8],
    by: &Actor,
) -> (u16, Value) {
    post(app, path, &Draft::post(app, path, body, by).headers(), body).await
}

pub(super) fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// POSTs `body` to `path`, correctly signed by `by`; the whole response.
pub(super) async fn signed_post_response(
    app: &TestApp,
    path: &str,
    body: &[u8],
    by: &Actor,
) -> reqwest::Response {
    let mut r = app.client.post(app.url(path));
    for (k, v) in Draft::post(app, path, body, by).headers() {
        r = r.header(k.as_str(), v.as_str());
    }
    r.body(body.to_vec()).send().await.unwrap()
}

/// A Follow of `object` by `actor`.
pub(super) fn follow(actor: &str, object: &str) -> Vec<u8> {
    to_bytes(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}#follows/{}", serial()),
        "type": "Follow",
        "actor": actor,
        "object": object,
    }))
}

/// A public Create of a Note, by `actor`, attributed to `author`.
pub(super) fn create_note(actor: &str, author: &str, n: u32) -> Vec<u8> {
    let note = format!("{actor}/statuses/{n}");
    to_bytes(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": author,
            "content": "<p>words put in someone's mouth</p>",
            "published": "2024-01-01T00:00:00Z",
            "to": [PUBLIC],
        },
    }))
}

/// Inbox POSTs `app` has queued for processing so far.
pub(super) fn accepted(app: &TestApp) -> u64 {
    app.services.federation_counters().inbox_count("accepted")
}

/// Nothing was queued on `app`: no accepted inbox POST, no `ingress` job.
pub(super) async fn assert_nothing_queued(app: &TestApp) {
    assert_eq!(accepted(app), 0, "an inbox POST was accepted");
    let jobs = app
        .services
        .list_jobs(Some("ingress"), None, 100)
        .await
        .unwrap();
    assert!(jobs.is_empty(), "ingress jobs: {jobs:?}");
}

/// `status` is `expected`, and the error names the reason (`because`).
pub(super) fn assert_refused(
    what: &str,
    (status, body): (u16, Value),
    expected: u16,
    because: &str,
) {
    assert_eq!(status, expected, "{what}: {body}");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains(because),
        "{what}: expected an error about {because:?}, got {body}"
    );
}

/// Instance A (with `alice`) and instance B (with `mallory`, who sends to A).
pub(super) struct Pair {
    pub(super) a: TestApp,
    pub(super) b: TestApp,
    pub(super) mallory: Actor,
    pub(super) alice: String,
}

impl Pair {
    pub(super) async fn new(backend: Backend, a_env: &[(&str, &str)]) -> Pair {
        let (a, b) = tokio::join!(
            spawn_federating(backend, a_env),
            spawn_federating(backend, &[])
        );
        a.create_account("alice").await;
        let mallory = Actor::local_to(&b, "mallory").await;
        let alice = format!("http://{}/users/alice", a.domain());
        Pair {
            a,
            b,
            mallory,
            alice,
        }
    }

    /// A Follow of alice by mallory.
    pub(super) fn follow(&self) -> Vec<u8> {
        follow(&self.mallory.id, &self.alice)
    }
}
