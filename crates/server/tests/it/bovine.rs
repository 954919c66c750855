//! Federation with a second server we did not write: bovine-herd, an ActivityPub server in
//! Python (`tests/e2e/bovine_peer.py`, installed by `scripts/setup-e2e`), on loopback over
//! HTTPS next to a Rookery instance with authorized fetch on (bovine serves its actors only to
//! signed fetches, and signs its own). The test drives bovine's actor `bea` through bovine's
//! client and Rookery's `alice` through the client API, and checks each side from the other.

use std::process::Command;
use std::time::Duration;

use rookery_testkit::{Backend, TempDir, TestCerts};
use serde_json::{Value, json};

use crate::kit::{TestApp, eventually, spawn_federating};
use crate::two_instances::{home, lookup, post, relationship};

struct Bovine {
    _process: crate::e2e::PeerProcess,
    port: u16,
    actor: String,
    control: String,
    http: reqwest::Client,
}

impl Bovine {
    fn start(dir: &std::path::Path, certs: &TestCerts, trusted: &std::path::Path) -> Bovine {
        let python = crate::e2e::e2e_dir().join("bovine-venv/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run scripts/setup-e2e (it installs bovine-herd from PyPI; needs \
             the Debian package python3-venv), or use scripts/test",
            python.display()
        );
        let script = dir.join("bovine_peer.py");
        std::fs::write(&script, include_str!("../e2e/bovine_peer.py")).unwrap();
        let log = dir.join("peer.log");
        let mut command = Command::new(&python);
        command
            .arg(&script)
            .current_dir(dir)
            .env("PEER_DIR", dir)
            .env("PEER_CERT", &certs.server_cert)
            .env("PEER_KEY", &certs.server_key)
            .env("SSL_CERT_FILE", trusted);
        let (process, ready) = crate::e2e::start_peer(command, &log, "bovine");
        Bovine {
            _process: process,
            port: ready["port"].as_u64().unwrap() as u16,
            actor: ready["actor"].as_str().unwrap().to_owned(),
            control: format!("http://127.0.0.1:{}", ready["control"]),
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: reqwest::Method, what: &str, body: Value) -> Value {
        let r = self
            .http
            .request(method, format!("{}/control/{what}", self.control))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let out: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "bovine {what} {body}: {out}");
        out
    }

    /// Waits (20 s at most) for an activity in bea's inbox that `check` accepts.
    async fn received(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let inbox = self.call(reqwest::Method::GET, "inbox", json!({})).await;
            if let Some(found) = inbox.as_array().and_then(|l| l.iter().find(|a| check(a))) {
                return found.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "bovine never received {what}; its inbox: {inbox:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// An id, or the id of an object bovine's inbox shows resolved.
fn id_of(v: &Value) -> &str {
    v.as_str().or_else(|| v["id"].as_str()).unwrap_or_default()
}

async fn federates_with_bovine(backend: Backend) {
    let dir = TempDir::new("rookery-bovine").unwrap();
    let (ours, theirs) = (dir.path().join("rookery"), dir.path().join("peer"));
    std::fs::create_dir_all(&ours).unwrap();
    std::fs::create_dir_all(&theirs).unwrap();
    // One test CA and one certificate for 127.0.0.1 serve both sides: Python's OpenSSL picks
    // a CA by its name, and two test CAs share theirs.
    let certs = TestCerts::generate(&ours).unwrap();
    let bundle = certs.ca.clone();
    let peer = Bovine::start(&theirs, &certs, &bundle);
    let app: TestApp = spawn_federating(
        backend,
        &[
            ("ROOKERY_SERVER__HTTPS", "true"),
            ("ROOKERY_FEDERATION__ALLOW_HTTP", "false"),
            ("ROOKERY_FEDERATION__AUTHORIZED_FETCH", "true"),
            (
                "ROOKERY_FEDERATION__EXTRA_CA_FILE",
                bundle.to_str().unwrap(),
            ),
            (
                "ROOKERY_SERVER__TLS_CERT",
                certs.server_cert.to_str().unwrap(),
            ),
            (
                "ROOKERY_SERVER__TLS_KEY",
                certs.server_key.to_str().unwrap(),
            ),
        ],
    )
    .await;
    let alice = app.token("alice").await;
    let alice_uri = format!("https://{}/users/alice", app.domain());

    // Discovery: bea by WebFinger, her actor fetched signed.
    let bea = lookup(&app, &alice, &format!("bea@127.0.0.1:{}", peer.port)).await;
    assert_eq!(bea["uri"], json!(peer.actor), "{bea}");
    let bea_id = bea["id"].as_str().unwrap().to_owned();

    // alice follows bea; bovine accepts when told to.
    app.post_auth(&format!("/api/v1/accounts/{bea_id}/follow"), &alice, &[])
        .await;
    let follow = peer
        .received("alice's Follow", |a| a["type"] == "Follow")
        .await;
    assert_eq!(id_of(&follow["actor"]), alice_uri);
    peer.call(reqwest::Method::POST, "accept", json!({"actor": alice_uri}))
        .await;
    eventually("alice follows bea", || async {
        relationship(&app, &alice, &bea_id).await["following"] == true
    })
    .await;

    // bea posts publicly (bovine writes the public collection as `as:Public`).
    let posted = peer
        .call(
            reqwest::Method::POST,
            "post",
            json!({"content": "<p>moo from bovine</p>"}),
        )
        .await;
    eventually("bea's post in alice's home", || async {
        home(&app, &alice)
            .await
            .iter()
            .any(|s| s["uri"] == posted["id"] && s["visibility"] == "public")
    })
    .await;

    // bea follows alice; Rookery accepts.
    peer.call(reqwest::Method::POST, "follow", json!({"uri": alice_uri}))
        .await;
    peer.received("Rookery's Accept", |a| a["type"] == "Accept")
        .await;
    eventually("bea follows alice", || async {
        relationship(&app, &alice, &bea_id).await["followed_by"] == true
    })
    .await;

    // alice posts: bea gets it; bea likes it: Rookery counts it.
    let mine = post(&app, &alice, &[("status", "hello bovine")]).await;
    let create = peer
        .received("alice's post", |a| {
            a["type"] == "Create"
                && (a["object"]["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("hello bovine"))
                    || a["object"] == mine["uri"])
        })
        .await;
    assert_eq!(id_of(&create["actor"]), alice_uri);
    peer.call(
        reqwest::Method::POST,
        "like",
        json!({"object": mine["uri"], "author": alice_uri}),
    )
    .await;
    let id = mine["id"].as_str().unwrap().to_owned();
    eventually("bea's like counted", || async {
        app.get_auth(&format!("/api/v1/statuses/{id}"), Some(&alice))
            .await
            .1["favourites_count"]
            == 1
    })
    .await;
}

crate::kit::on_sqlite_and_postgres!(federates_with_bovine);
