//! The scaled shape: two `web` + `streaming` process pairs and a worker sharing one PostgreSQL
//! and one Redis. A post made through pair A reaches a client streaming from pair B — over
//! plain Redis, over TLS, and across a Redis restart on the same client connection.

use std::process::Stdio;
use std::time::Duration;

use rookery_testkit::{Backend, RedisMode, RedisServer, TempDir, TestDb};
use serde_json::Value;

use crate::cli::rookery;
use crate::roles::{Proc, start, with_db};
use crate::streaming::Sse;

struct Cluster {
    _procs: Vec<Proc>,
    web_a: String,
    web_b: String,
    stream_b: String,
    _dir: TempDir,
}

fn command(dir: &TempDir, db: &TestDb, redis: &RedisServer) -> std::process::Command {
    let mut cmd = rookery(dir);
    with_db(&mut cmd, db);
    cmd.env("ROOKERY_REDIS__URL", redis.url())
        .env("ROOKERY_SERVER__DOMAIN", "rookery.test")
        .env("ROOKERY_RATE_LIMITS__ENABLED", "false")
        .env("ROOKERY_WORKER__POLL_INTERVAL_MS", "20")
        // Five processes per test, tests in parallel: keep within the test cluster's limit.
        .env("ROOKERY_DATABASE__MAX_CONNECTIONS", "4");
    if let Some(c) = &redis.certs {
        cmd.env("ROOKERY_REDIS__CA_FILE", &c.ca);
    }
    cmd
}

fn boot(db: &TestDb, redis: &RedisServer) -> Cluster {
    let dir = TempDir::new("rookery-cluster").unwrap();
    let mut procs = Vec::new();
    let mut role = |args: &[&str]| {
        let mut cmd = command(&dir, db, redis);
        cmd.args(args);
        let (p, addr) = start(&mut cmd);
        procs.push(p);
        addr
    };
    let web_a = role(&["web", "--listen", "127.0.0.1:0"]);
    let _stream_a = role(&["streaming", "--listen", "127.0.0.1:0"]);
    let web_b = role(&["web", "--listen", "127.0.0.1:0"]);
    let stream_b = role(&["streaming", "--listen", "127.0.0.1:0"]);
    let _worker = role(&["worker", "--admin-listen", "127.0.0.1:0"]);
    for name in ["alice", "bob"] {
        let mut cmd = command(&dir, db, redis);
        cmd.args([
            "admin",
            "accounts",
            "create",
            name,
            "--email",
            &format!("{name}@example.com"),
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"a good password\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "admin accounts create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Cluster {
        _procs: procs,
        web_a,
        web_b,
        stream_b,
        _dir: dir,
    }
}

async fn token(base: &str, user: &str) -> String {
    let c = reqwest::Client::new();
    let app: Value = c
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "it"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read write follow"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t: Value = c
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("username", &format!("{user}@example.com")),
            ("password", "a good password"),
            ("scope", "read write follow"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["access_token"].as_str().unwrap().to_owned()
}

async fn call(method: reqwest::Method, url: String, token: &str, form: &[(&str, &str)]) -> Value {
    let r = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token)
        .form(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

async fn ready(base: &str) -> (u16, Value) {
    match reqwest::get(format!("{base}/ready")).await {
        Ok(r) => (r.status().as_u16(), r.json().await.unwrap_or(Value::Null)),
        Err(_) => (0, Value::Null),
    }
}

async fn until(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_post_through_a_reaches_a_stream_on_b(mode: RedisMode, restart: bool) {
    let db = TestDb::new(Backend::Postgres);
    let redis = RedisServer::start(mode).unwrap();
    let c = boot(&db, &redis);
    let alice = token(&c.web_b, "alice").await;
    let bob = token(&c.web_a, "bob").await;
    let me: Value = call(
        reqwest::Method::GET,
        format!("{}/api/v1/accounts/lookup?acct=bob", c.web_a),
        &alice,
        &[],
    )
    .await;
    let bob_id = me["id"].as_str().unwrap().to_owned();
    call(
        reqwest::Method::POST,
        format!("{}/api/v1/accounts/{bob_id}/follow", c.web_b),
        &alice,
        &[],
    )
    .await;
    let mut stream = Sse::open(&c.stream_b, "/api/v1/streaming/user", Some(&alice)).await;
    let post = |text: &'static str| {
        let url = format!("{}/api/v1/statuses", c.web_a);
        let bob = bob.clone();
        async move { call(reqwest::Method::POST, url, &bob, &[("status", text)]).await }
    };
    let s = post("from pair A").await;
    let v: Value = serde_json::from_str(&stream.expect("update").await).unwrap();
    assert_eq!(v["id"], s["id"]);
    assert_eq!(v["account"]["username"], "bob");

    if restart {
        redis.stop().unwrap();
        until(
            "B's streaming process reports the outage",
            Duration::from_secs(20),
            async || {
                let (code, body) = ready(&c.stream_b).await;
                code == 503 && body["checks"]["event_bus"].is_string()
            },
        )
        .await;
        redis.resume().unwrap();
        until(
            "every process is back on Redis",
            Duration::from_secs(30),
            async || ready(&c.stream_b).await.0 == 200 && ready(&c.web_a).await.0 == 200,
        )
        .await;
        // The worker reconnects too; posts after the restart reach the same connection.
        let s = post("after the restart").await;
        loop {
            let v: Value = serde_json::from_str(&stream.expect("update").await).unwrap();
            if v["id"] == s["id"] {
                break;
            }
        }
        let metrics = reqwest::get(format!("{}/metrics", c.stream_b))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("rookery_event_bus_events{backend=\"redis\",what=\"reconnects\"}"),
            "{metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_process_pairs_share_events_over_redis_and_survive_its_restart() {
    a_post_through_a_reaches_a_stream_on_b(RedisMode::Plain, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_process_pairs_share_events_over_redis_tls() {
    a_post_through_a_reaches_a_stream_on_b(RedisMode::Tls, false).await;
}
