//! Webhooks: made at the command line, told of new accounts, profile changes, posts and edits
//! and dead jobs, with bodies whose `X-Hub-Signature` an independent HMAC implementation
//! (Python's `hmac`) accepts; a receiver that is down gets the event once it is back; a
//! template shapes the body for a Slack-compatible endpoint.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use rookery_testkit::Backend;
use serde_json::{Value, json};

use crate::cli::admin_on;
use crate::kit::{TestApp, on_every_backend, spawn_with};

on_every_backend!(webhooks_are_signed_and_retried);

type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// An endpoint on `listener` that keeps each body with its signature header.
fn receive(listener: tokio::net::TcpListener, got: Received) {
    let router = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let got = got.clone();
            async move {
                let sig = headers
                    .get("x-hub-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                got.lock().unwrap().push((sig, body.to_vec()));
                "ok"
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
}

/// Whether Python's `hmac` agrees that `signature` signs `body` under `secret`.
fn python_verifies(secret: &str, body: &[u8], signature: &str) -> bool {
    let dir = tempfile_dir();
    let path = dir.join("body");
    std::fs::write(&path, body).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import hmac, hashlib, sys\n\
             body = open(sys.argv[2], 'rb').read()\n\
             want = 'sha256=' + hmac.new(sys.argv[1].encode(), body, hashlib.sha256).hexdigest()\n\
             sys.exit(0 if hmac.compare_digest(want, sys.argv[3]) else 1)",
        )
        .arg(secret)
        .arg(&path)
        .arg(signature)
        .status()
        .expect("python3 runs (Debian package python3)");
    let _ = std::fs::remove_dir_all(&dir);
    out.success()
}

fn tempfile_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("rookery-webhook-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The events received so far, parsed, with whether each signature verified.
fn events(got: &Received, secret: &str) -> Vec<(Value, bool)> {
    got.lock()
        .unwrap()
        .iter()
        .map(|(sig, body)| {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            (v, python_verifies(secret, body, sig))
        })
        .collect()
}

async fn wait_for(got: &Received, what: &str, n: usize, secs: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if got.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "timed out waiting for {what}: got {:?}",
        got.lock().unwrap().len()
    );
}

/// `admin webhooks create …`: the id and the secret it printed.
fn create(app: &TestApp, args: &[&str]) -> (String, String) {
    let (code, out, err) = admin_on(app, "webhooks", &[&["create"], args].concat());
    assert_eq!(code, 0, "{out}{err}");
    let id = out
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned();
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("Secret: "))
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned();
    (id, secret)
}

async fn webhooks_are_signed_and_retried(backend: Backend) {
    let app = spawn_with(
        backend,
        &[("ROOKERY_FEDERATION__ALLOW_PRIVATE_ADDRESSES", "true")],
    )
    .await;

    // Bad input is refused with the reason, and nothing is made.
    for bad in [
        vec![
            "--url",
            "ftp://x.example/hook",
            "--events",
            "account.created",
        ],
        vec!["--url", "not a url", "--events", "account.created"],
        vec![
            "--url",
            "http://x.example/hook",
            "--events",
            "account.deleted",
        ],
    ] {
        let (code, out, err) = admin_on(&app, "webhooks", &[&["create"], &bad[..]].concat());
        assert_ne!(code, 0, "{bad:?}: {out}");
        assert!(err.contains("url") || err.contains("events"), "{err}");
    }
    let (_, listed, _) = admin_on(&app, "webhooks", &["list"]);
    assert_eq!(listed.lines().count(), 2, "{listed}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Received = Arc::default();
    receive(listener, got.clone());
    let (_, secret) = create(
        &app,
        &[
            "--url",
            &url,
            "--events",
            "account.created,account.updated,status.created,status.updated",
        ],
    );

    // A new account, a profile change, a post and its edit: four signed events, in order.
    let token = app.token("alice").await;
    let (status, _) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &token,
            &[("display_name", "Alice A.")],
        )
        .await;
    assert_eq!(status, 200);
    let (status, posted) = app
        .post_json_auth("/api/v1/statuses", &token, &json!({"status": "first"}))
        .await;
    assert_eq!(status, 200, "{posted}");
    let id = posted["id"].as_str().unwrap();
    let edited = app
        .client
        .put(app.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&token)
        .json(&json!({"status": "first, edited"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);
    wait_for(&got, "four events", 4, 10).await;
    // Each is its own job: they may arrive in any order.
    let seen = events(&got, &secret);
    assert!(seen.iter().all(|(_, ok)| *ok), "a signature did not verify");
    let (sig, body) = got.lock().unwrap()[0].clone();
    assert!(!python_verifies("another secret", &body, &sig));
    let event = |name: &str| {
        seen.iter()
            .find(|(v, _)| v["event"] == name)
            .map(|(v, _)| v.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let account = event("account.created");
    assert_eq!(account["object"]["username"], "alice");
    assert_eq!(account["object"]["account"]["acct"], "alice");
    assert!(account["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        event("account.updated")["object"]["account"]["display_name"],
        "Alice A."
    );
    assert_eq!(event("status.created")["object"]["id"], id);
    assert_eq!(
        event("status.updated")["object"]["content"],
        "<p>first, edited</p>"
    );

    // A receiver that is down: the event waits and arrives once it is back.
    let parked = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = parked.local_addr().unwrap();
    drop(parked);
    let later: Received = Arc::default();
    let template = tempfile_dir().join("slack.json");
    std::fs::write(
        &template,
        r#"{"text": "New account: {{object.username}} ({{object.email}})"}"#,
    )
    .unwrap();
    let (_, later_secret) = create(
        &app,
        &[
            "--url",
            &format!("http://{addr}/hook"),
            "--events",
            "account.created",
            "--template-file",
            template.to_str().unwrap(),
        ],
    );
    app.create_account("bob").await;
    // The first attempt fails (nothing listens); the job waits to be tried again.
    crate::kit::eventually("a failed delivery attempt", || async {
        !app.sql_texts(
            "SELECT CAST(last_error AS TEXT) FROM jobs WHERE kind = 'deliver_webhook' \
             AND last_error IS NOT NULL",
        )
        .await
        .is_empty()
    })
    .await;
    let back = tokio::net::TcpListener::bind(addr).await.unwrap();
    receive(back, later.clone());
    wait_for(&later, "the retried delivery", 1, 30).await;
    let (sig, body) = later.lock().unwrap()[0].clone();
    assert!(python_verifies(&later_secret, &body, &sig));
    let slack: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(slack, json!({"text": "New account: bob (bob@example.com)"}));
    // The first endpoint got bob too, as the event's JSON.
    wait_for(&got, "bob's account.created", 5, 10).await;

    // A job that went dead: `job.dead` after the next look, once.
    let (hook, dead_secret) = create(&app, &["--url", &url, "--events", "job.dead"]);
    let dead = app.services.webhooks();
    assert_eq!(
        dead.report_dead_jobs().await.unwrap(),
        0,
        "the first look only starts counting"
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    app.sql(
        "INSERT INTO jobs (id, queue, kind, payload, state, attempts, max_attempts, run_at, \
         last_error, created_at, updated_at) VALUES (42, 'default', 'gone_kind', '{}', 'dead', 1, \
         1, 0, 'no handler', 0, 9999999999999)",
    )
    .await;
    assert_eq!(dead.report_dead_jobs().await.unwrap(), 1);
    assert_eq!(dead.report_dead_jobs().await.unwrap(), 0, "reported once");
    wait_for(&got, "job.dead", 6, 10).await;
    let (last, ok) = events(&got, &dead_secret)
        .into_iter()
        .find(|(v, _)| v["event"] == "job.dead")
        .unwrap();
    assert!(ok);
    assert_eq!(last["event"], "job.dead");
    assert_eq!(last["object"]["kind"], "gone_kind");
    assert_eq!(last["object"]["last_error"], "no handler");
    assert!(last["object"].get("payload").is_none());

    // Turned off, it is sent nothing; removed, it is gone; every change is in the audit log.
    let (code, _, err) = admin_on(&app, "webhooks", &["delete", &hook]);
    assert_eq!(code, 0, "{err}");
    let actions = app
        .sql_texts("SELECT action FROM admin_action_logs WHERE target_type = 'Webhook' ORDER BY id")
        .await;
    assert_eq!(actions, ["create", "create", "create", "destroy"]);
}
