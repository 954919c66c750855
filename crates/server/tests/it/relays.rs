//! Relays, against a relay we did not write: activityrelay (Pleroma's relay, PyPI, installed by
//! `scripts/setup-e2e`; `tests/e2e/relay_launcher.py` only adjusts how it names hosts on
//! loopback). Two Rookery instances subscribe to it; a public post on one reaches the other's
//! federated timeline through the relay, an unlisted one does not.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rookery_store::RelayState;
use rookery_testkit::{Backend, TempDir, TestCerts};

use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating};
use crate::two_instances::post;

/// The relay process; killed when dropped (its log printed if the test failed).
struct Relay {
    child: Child,
    port: u16,
    log: PathBuf,
    certs: TestCerts,
    _dir: TempDir,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- relay log ---\n{log}\n--- end of the relay log ---");
        }
    }
}

impl Relay {
    fn start() -> Relay {
        let python = crate::e2e::e2e_dir().join("relay-venv/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run scripts/setup-e2e (it installs activityrelay from PyPI; needs \
             the Debian package python3-venv), or use scripts/test",
            python.display()
        );
        let dir = TempDir::new("rookery-relay").unwrap();
        let certs = TestCerts::generate(dir.path()).unwrap();
        let port = rookery_testkit::free_port().unwrap();
        let config = dir.path().join("relay.yaml");
        std::fs::write(
            &config,
            format!(
                "listen: 127.0.0.1\nport: {port}\ndomain: 127.0.0.1:{port}\nworkers: 1\n\
                 database_type: sqlite\ncache_type: database\nsqlite_path: {}\n",
                dir.path().join("relay.sqlite3").display()
            ),
        )
        .unwrap();
        let launcher = dir.path().join("relay_launcher.py");
        std::fs::write(&launcher, include_str!("../e2e/relay_launcher.py")).unwrap();
        let log = dir.path().join("relay.log");
        // The set-up asks whether to start now: no.
        let mut setup = Command::new(&python)
            .arg(&launcher)
            .args(["-c", config.to_str().unwrap(), "setup", "--skip-questions"])
            .stdin(Stdio::piped())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        {
            use std::io::Write as _;
            let _ = setup.stdin.take().unwrap().write_all(b"n\n");
        }
        assert!(
            setup.wait().unwrap().success(),
            "activityrelay setup failed"
        );
        let child = Command::new(&python)
            .arg(&launcher)
            .args(["-c", config.to_str().unwrap(), "run"])
            .env("RELAY_TLS_CERT", &certs.server_cert)
            .env("RELAY_TLS_KEY", &certs.server_key)
            .env("RELAY_LENIENT_NODEINFO", "1")
            .env_remove("DOCKER_RUNNING")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("relay.out")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let relay = Relay {
            child,
            port,
            log,
            certs,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the relay did not start:\n{}",
                std::fs::read_to_string(&relay.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        relay
    }

    fn inbox(&self) -> String {
        format!("https://127.0.0.1:{}/inbox", self.port)
    }
}

async fn state(app: &TestApp) -> Vec<RelayState> {
    app.services
        .relays()
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.state)
        .collect()
}

async fn public_timeline_has(app: &TestApp, text: &str) -> bool {
    let (_, list, _) = app.get_auth("/api/v1/timelines/public", None).await;
    list.as_array().is_some_and(|l| {
        l.iter()
            .any(|s| s["content"].as_str().is_some_and(|c| c.contains(text)))
    })
}

async fn public_posts_travel_through_a_relay(backend: Backend) {
    let relay = Relay::start();
    let ca = relay.certs.ca.to_str().unwrap().to_owned();
    let env = [("ROOKERY_FEDERATION__EXTRA_CA_FILE", ca.as_str())];
    let (a, b) = tokio::join!(
        spawn_federating(backend, &env),
        spawn_federating(backend, &env)
    );
    // Not a relay's inbox: refused before anything is sent.
    for bad in [
        "not a url".to_owned(),
        "ftp://relay.example/inbox".to_owned(),
        format!("http://{}/inbox", a.domain()),
    ] {
        assert!(a.services.relays().add(&bad).await.is_err(), "{bad}");
    }
    for app in [&a, &b] {
        let added = app.services.relays().add(&relay.inbox()).await.unwrap();
        assert_eq!(added.state, RelayState::Pending);
        // The same relay twice is refused.
        assert!(app.services.relays().add(&relay.inbox()).await.is_err());
    }
    eventually("the relay accepts both instances", || async {
        state(&a).await == [RelayState::Accepted] && state(&b).await == [RelayState::Accepted]
    })
    .await;

    let alice = a.token("alice").await;
    post(
        &a,
        &alice,
        &[
            ("status", "unlisted, not for relays"),
            ("visibility", "unlisted"),
        ],
    )
    .await;
    post(&a, &alice, &[("status", "hello through the relay")]).await;
    // Nobody on B follows alice: the post reaches B's federated timeline through the relay.
    eventually("the relayed post on B", || async {
        public_timeline_has(&b, "hello through the relay").await
    })
    .await;
    let (_, list, _) = b.get_auth("/api/v1/timelines/public", None).await;
    let relayed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["content"]
                .as_str()
                .unwrap_or_default()
                .contains("hello through")
        })
        .unwrap();
    assert_eq!(relayed["account"]["acct"], format!("alice@{}", a.domain()));
    assert!(
        relayed["reblog"].is_null(),
        "a relayed post is not a boost: {relayed}"
    );
    assert!(!public_timeline_has(&b, "unlisted, not for relays").await);

    // Unsubscribing sends the relay an Undo; nothing of B's is relayed to A any more.
    assert!(a.services.relays().remove(&relay.inbox()).await.unwrap());
    assert!(state(&a).await.is_empty());
    eventually("the Undo is delivered", || async {
        a.sql_texts("SELECT kind FROM jobs WHERE kind = 'relay_subscription'")
            .await
            .is_empty()
    })
    .await;
    let bob = b.token("bob").await;
    post(&b, &bob, &[("status", "after a left the relay")]).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!public_timeline_has(&a, "after a left the relay").await);
}

on_every_backend!(public_posts_travel_through_a_relay);
