//! Streaming benchmark: `cargo bench -p rookery --bench streaming` (prints numbers; asserts
//! nothing). Starts the real `rookery serve` binary on SQLite, then from this process:
//! - opens idle server-sent-event connections (`/api/v1/streaming/public/local`; WebSocket with
//!   `BENCH_TRANSPORT=websocket`) and reports the
//!   server's RSS at 1,000 and 10,000 of them (`BENCH_CONNECTIONS` raises the top; mind
//!   `ulimit -n` on both sides), checking every connection still receives an event;
//! - with 1,000 connected, posts statuses one at a time and reports the latency from the post's
//!   HTTP response (accepted) to each client receiving its `update` event, p50/p99.
//!
//! `BENCH_POLL_MS` sets the worker's poll interval (default: the configuration default, 500 ms;
//! fan-out runs as a job, so an idle worker's poll interval is part of the latency).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark program

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rookery_testkit::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, watch};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `BENCH_TRANSPORT=websocket` measures WebSocket connections instead of server-sent events.
fn websocket() -> bool {
    std::env::var("BENCH_TRANSPORT").is_ok_and(|t| t.starts_with("w"))
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One idle client: connects, waits for the stream to open, then counts `update` events and
/// records when each arrived.
async fn client(
    port: u16,
    ready: Arc<tokio::sync::Semaphore>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    mut round: watch::Receiver<u64>,
) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let ws = websocket();
    let request = if ws {
        format!(
            "GET /api/v1/streaming?stream=public:local HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
    } else {
        format!(
            "GET /api/v1/streaming/public/local HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Accept: text/event-stream\r\n\r\n"
        )
    };
    s.write_all(request.as_bytes()).await.unwrap();
    // Server frames are unmasked, so the event name is plain in the bytes.
    let (opened_marker, update_marker): (&[u8], &[u8]) = if ws {
        (b" 101 ", b"\"event\":\"update\"")
    } else {
        (b":)\n", b"event: update\n")
    };
    let mut buf = vec![0u8; 16 * 1024];
    let mut opened = false;
    let mut seen_round = *round.borrow();
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if !opened {
            if chunk
                .windows(opened_marker.len())
                .any(|w| w == opened_marker)
            {
                opened = true;
                ready.add_permits(1);
            }
            continue;
        }
        if chunk
            .windows(update_marker.len())
            .any(|w| w == update_marker)
        {
            let now = Instant::now();
            let current = *round.borrow_and_update();
            if current != seen_round {
                seen_round = current;
                arrivals.lock().await.push(now);
            }
        }
    }
}

async fn post(http: &reqwest::Client, base: &str, token: &str, text: &str) -> Instant {
    let r = http
        .post(format!("{base}/api/v1/statuses"))
        .bearer_auth(token)
        .form(&[("status", text)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let _ = r.bytes().await;
    Instant::now()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn open(
    n: usize,
    port: u16,
    arrivals: &Arc<Mutex<Vec<Instant>>>,
    round: &watch::Receiver<u64>,
) {
    let ready = Arc::new(tokio::sync::Semaphore::new(0));
    for _ in 0..n {
        tokio::spawn(client(port, ready.clone(), arrivals.clone(), round.clone()));
    }
    let _ = tokio::time::timeout(Duration::from_secs(120), ready.acquire_many(n as u32))
        .await
        .expect("connections did not open in time")
        .unwrap();
}

/// Posts once and counts how many clients heard it within 30 s.
async fn heard_by(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    arrivals: &Arc<Mutex<Vec<Instant>>>,
    round: &watch::Sender<u64>,
    expected: usize,
) -> (usize, Vec<f64>) {
    arrivals.lock().await.clear();
    round.send_modify(|r| *r += 1);
    let accepted = post(http, base, token, "streaming bench").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().await.len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let got = arrivals.lock().await.clone();
    let lat = got
        .iter()
        .map(|t| t.saturating_duration_since(accepted).as_secs_f64() * 1000.0)
        .collect();
    (got.len(), lat)
}

async fn run() {
    let dir = TempDir::new("rookery-bench-streaming").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let bin = env!("CARGO_BIN_EXE_rookery");
    let with_env = |c: &mut Command| {
        c.current_dir(dir.path())
            .env("ROOKERY_SERVER__DOMAIN", format!("127.0.0.1:{port}"))
            .env("ROOKERY_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("ROOKERY_RATE_LIMITS__ENABLED", "false")
            .env("ROOKERY_STREAMING__CONNECTIONS_PER_TOKEN", "1000000")
            .env("ROOKERY_STREAMING__ANONYMOUS_PER_ADDRESS", "1000000")
            .env("ROOKERY_LOG__LEVEL", "error");
        if let Ok(ms) = std::env::var("BENCH_POLL_MS") {
            c.env("ROOKERY_WORKER__POLL_INTERVAL_MS", ms);
        }
    };
    let mut create = Command::new(bin);
    with_env(&mut create);
    let mut child = create
        .args([
            "admin",
            "accounts",
            "create",
            "poster",
            "--email",
            "poster@example.com",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a good password\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut serve = Command::new(bin);
    with_env(&mut serve);
    let server = Server(
        serve
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let pid = server.0.id();
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{base}/health")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let app: serde_json::Value = http
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "bench"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read write"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("username", "poster@example.com"),
            ("password", "a good password"),
            ("scope", "read write"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    // Warm up: the first post creates tables' pages, caches, the worker's first poll.
    post(&http, &base, &token, "warm-up").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "streaming benchmark: rookery serve (SQLite), {}, worker poll interval {}",
        if websocket() {
            "WebSocket"
        } else {
            "server-sent events"
        },
        std::env::var("BENCH_POLL_MS").map_or("500 ms (default)".into(), |m| format!("{m} ms"))
    );
    println!("RSS idle, no connections: {:.1} MB", rss_mb(pid));

    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let (round, round_rx) = watch::channel(0u64);
    let t = Instant::now();
    open(1000, port, &arrivals, &round_rx).await;
    println!(
        "1,000 connections opened in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("RSS with 1,000 idle connections: {:.1} MB", rss_mb(pid));

    let rounds = env_usize("BENCH_POSTS", 30);
    let mut all = Vec::new();
    let mut short = 0;
    for _ in 0..rounds {
        let (n, lat) = heard_by(&http, &base, &token, &arrivals, &round, 1000).await;
        if n < 1000 {
            short += 1;
        }
        all.extend(lat);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    all.sort_by(f64::total_cmp);
    println!(
        "post accepted -> update received, 1,000 clients x {rounds} posts: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples{})",
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(f64::NAN),
        all.len(),
        if short > 0 {
            format!(", {short} posts not heard by everyone")
        } else {
            String::new()
        }
    );

    let top = env_usize("BENCH_CONNECTIONS", 10_000).max(1000);
    let t = Instant::now();
    open(top - 1000, port, &arrivals, &round_rx).await;
    println!(
        "{top} connections open ({:.2} s for the last {})",
        t.elapsed().as_secs_f64(),
        top - 1000
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!("RSS with {top} idle connections: {:.1} MB", rss_mb(pid));
    let (n, mut lat) = heard_by(&http, &base, &token, &arrivals, &round, top).await;
    lat.sort_by(f64::total_cmp);
    println!(
        "one post heard by {n} of {top} connections: p50 {:.1} ms, p99 {:.1} ms, last {:.1} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}
