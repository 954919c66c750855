//! Federation benchmark: `cargo bench -p rookery --bench federation` (prints numbers; asserts
//! nothing). One instance runs in this process on 127.0.0.1 (web server and a worker with the
//! configured default queue concurrency, as `rookery serve` has them), on SQLite, or on
//! PostgreSQL with `BENCH_DB=postgres` (a fresh database on `BENCH_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`, dropped afterwards). It measures:
//!
//! - the cost of one RSA-2048 signature and one verification;
//! - inbox throughput: a fake remote server (an actor document and WebFinger, served from this
//!   process) whose actor a local account follows sends `BENCH_ACTIVITIES` (2,000) signed
//!   `Create(Note)` activities to `POST /inbox` from `BENCH_SENDERS` (16) concurrent
//!   connections. Reported: the rate answered 202 with p50/p99 latency, and the rate until every
//!   note is stored as a status and is in the follower's home feed (polled in the database);
//! - delivery throughput: a local account with `BENCH_FOLLOWERS` (1,000) remote followers on
//!   `BENCH_SERVERS` (10) "servers", which are ports of one sink in this process (each follower
//!   has its own inbox path, so one delivery each; the per-host limit applies per port). The
//!   sink checks every signature. One post, then `BENCH_DELIVERY_POSTS` (5) posts in a row,
//!   timed until the sink has every delivery.
//!
//! Requests are signed before the clock starts, so the inbox figures are the receiver's cost.
//! Server and load generator share the machine; CPU time is reported for each (the server's
//! includes SQLite's threads but not a PostgreSQL server's processes). `ROOKERY_*` variables in
//! the environment are passed on to the instance (e.g. `ROOKERY_WORKER__QUEUES=push=16`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark program

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rookery::app::App;
use rookery::config;
use rookery_activitypub::keys::KeyPair;
use rookery_activitypub::signatures::{self, SignatureHeader};
use rookery_model::{Account, ActorType, Clock, Domain, Role, SystemClock, Username};
use rookery_service::federation::RequestParts;
use rookery_service::{NewApp, NewLocalAccount, Services};
use rookery_store::Follow;
use rookery_testkit::TempDir;
use serde_json::json;
use tokio::runtime::Handle;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const SIGNED: [&str; 4] = ["(request-target)", "host", "date", "digest"];
/// Every wait gives up after this long (the benchmark then reports what it reached).
const PATIENCE: Duration = Duration::from_secs(90);

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---- CPU time, by thread group ----------------------------------------------------------------

/// Client-runtime threads (load generator, fake remote servers, sink) are named this.
const CLIENT_THREADS: &str = "bench-client";

/// `utime + stime` of a `/proc/…/stat` line, in seconds (USER_HZ = 100 on Linux).
fn stat_cpu(stat: &str) -> f64 {
    let after = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// CPU seconds so far: the whole process, and some of its threads.
#[derive(Clone, Copy, Default)]
struct Cpu {
    process: f64,
    /// The load generator's runtime.
    client: f64,
    /// The main thread (orchestration).
    main: f64,
    /// SQLite's connection threads (each sqlx SQLite connection runs on a thread of its own).
    sqlite: f64,
}

/// CPU time spent between two readings: server (everything but the load generator and the
/// main thread), load generator (with the main thread), and SQLite's threads (part of the
/// server's).
struct CpuSpent {
    server: f64,
    client: f64,
    sqlite: f64,
}

fn cpu() -> Cpu {
    let process = stat_cpu(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default());
    let pid = std::process::id().to_string();
    let (mut client, mut main, mut sqlite) = (0.0, 0.0, 0.0);
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            let used =
                stat_cpu(&std::fs::read_to_string(t.path().join("stat")).unwrap_or_default());
            if t.file_name().to_str() == Some(pid.as_str()) {
                main = used;
            } else if comm.starts_with(CLIENT_THREADS) {
                client += used;
            } else if comm.starts_with("sqlx-sqlite") {
                sqlite += used;
            }
        }
    }
    Cpu {
        process,
        client,
        main,
        sqlite,
    }
}

fn cpu_spent(before: Cpu, after: Cpu) -> CpuSpent {
    let client = after.client - before.client;
    let main = after.main - before.main;
    CpuSpent {
        server: after.process - before.process - client - main,
        client: client + main,
        sqlite: after.sqlite - before.sqlite,
    }
}

// ---- the database -----------------------------------------------------------------------------

struct BenchDb {
    engine: &'static str,
    url: String,
    dir: TempDir,
    /// (server URL, database name) of a PostgreSQL database to drop at the end.
    pg: Option<(String, String)>,
}

async fn database() -> BenchDb {
    let dir = TempDir::new("rookery-bench-federation").unwrap();
    if std::env::var("BENCH_DB").is_ok_and(|d| d.starts_with("postgres")) {
        use sqlx::Connection;
        let admin = std::env::var("BENCH_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("rookery_bench_{}", rookery_testkit::random_hex(6));
        let mut c = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        BenchDb {
            engine: "PostgreSQL",
            url: format!("{base}/{name}"),
            dir,
            pg: Some((admin.clone(), name)),
        }
    } else {
        BenchDb {
            engine: "SQLite",
            url: format!("sqlite://{}/rookery.db", dir.path().display()),
            dir,
            pg: None,
        }
    }
}

fn drop_database(db: &BenchDb) {
    let Some((admin, name)) = &db.pg else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        if let Ok(mut c) = sqlx::PgConnection::connect(admin).await {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await;
        }
    });
}

/// A separate connection that reads counts while the instance works.
enum Probe {
    Sqlite(sqlx::SqliteConnection),
    Pg(sqlx::PgConnection),
}

impl Probe {
    async fn open(url: &str) -> Probe {
        use sqlx::Connection;
        if url.starts_with("sqlite") {
            Probe::Sqlite(sqlx::SqliteConnection::connect(url).await.unwrap())
        } else {
            Probe::Pg(sqlx::PgConnection::connect(url).await.unwrap())
        }
    }

    /// One row of `BIGINT`s from `sql` with two id parameters.
    async fn row(&mut self, sql: &'static str, a: i64, b: i64) -> Vec<i64> {
        use sqlx::Row;
        match self {
            Probe::Sqlite(c) => {
                let r = sqlx::query(sql)
                    .bind(a)
                    .bind(b)
                    .fetch_one(&mut *c)
                    .await
                    .unwrap();
                (0..r.len())
                    .map(|i| r.try_get(i).unwrap_or_default())
                    .collect()
            }
            Probe::Pg(c) => {
                let r = sqlx::query(sql)
                    .bind(a)
                    .bind(b)
                    .fetch_one(&mut *c)
                    .await
                    .unwrap();
                (0..r.len())
                    .map(|i| r.try_get(i).unwrap_or_default())
                    .collect()
            }
        }
    }
}

// ---- the instance -----------------------------------------------------------------------------

struct Instance {
    services: Services,
    base: String,
    domain: String,
    metrics: rookery_http::Metrics,
    queues: BTreeMap<rookery_jobs::Queue, usize>,
    per_host: usize,
    poll_ms: u128,
    _stop: tokio::sync::oneshot::Sender<()>,
    _worker_stop: tokio::sync::watch::Sender<bool>,
}

/// Boots the web app and a worker (on the current runtime), federating on loopback over HTTP.
async fn start_instance(db: &BenchDb) -> Instance {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut env: Vec<(String, String)> = [
        ("ROOKERY_SERVER__LISTEN", addr.as_str()),
        ("ROOKERY_SERVER__DOMAIN", addr.as_str()),
        ("ROOKERY_SERVER__HTTPS", "false"),
        ("ROOKERY_DATABASE__URL", db.url.as_str()),
        ("ROOKERY_DATABASE__AUTO_MIGRATE", "true"),
        ("ROOKERY_FEDERATION__ALLOW_PRIVATE_ADDRESSES", "true"),
        ("ROOKERY_FEDERATION__ALLOW_HTTP", "true"),
        ("ROOKERY_RATE_LIMITS__ENABLED", "false"),
        ("ROOKERY_LOG__LEVEL", "error"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let fixed = [
        "ROOKERY_SERVER__LISTEN",
        "ROOKERY_SERVER__DOMAIN",
        "ROOKERY_DATABASE__URL",
    ];
    env.extend(
        std::env::vars().filter(|(k, _)| k.starts_with("ROOKERY_") && !fixed.contains(&k.as_str())),
    );
    let cfg = config::load(None, env)
        .unwrap()
        .resolve(Some(&db.dir.path().join("data")))
        .unwrap();
    let app = App::build(&cfg).await.unwrap();
    let services = app.services.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run(async move {
        let _ = stopped.await;
    }));
    let mut metrics = rookery_http::Metrics::new();
    let job_metrics = Arc::new(rookery_jobs::JobMetrics::new(metrics.registry_mut()));
    let mut registry = rookery_jobs::Registry::new();
    rookery_service::register_jobs(&mut registry, &services);
    let worker = rookery_jobs::Worker::new(
        services.store.clone(),
        Arc::new(registry),
        services.clock.clone(),
        services.random.clone(),
        job_metrics,
        cfg.worker.queues.clone(),
        cfg.worker.options.clone(),
    );
    let (worker_stop, worker_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(worker.run(worker_rx));
    Instance {
        services,
        base: format!("http://{addr}"),
        domain: addr,
        metrics,
        queues: cfg.worker.queues.clone(),
        per_host: cfg.transport.per_host_concurrency,
        poll_ms: cfg.worker.options.poll_interval.as_millis(),
        _stop: stop,
        _worker_stop: worker_stop,
    }
}

impl Instance {
    fn queue(&self, q: rookery_jobs::Queue) -> usize {
        self.queues.get(&q).copied().unwrap_or(0)
    }

    /// A job metric summed over the lines for `kind` (`…{kind="deliver",…} value`).
    fn job_metric(&self, suffix: &str, kind: &str) -> f64 {
        let label = format!("kind=\"{kind}\"");
        self.metrics
            .encode()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.split('{').next().is_some_and(|n| n.ends_with(suffix)))
            .filter(|l| l.contains(&label))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .fold(0.0, |a, b| a + b)
    }

    /// Mean run time of `kind` jobs so far, in ms.
    fn mean_job_ms(&self, kind: &str) -> f64 {
        let sum = self.job_metric("job_duration_seconds_sum", kind);
        let count = self.job_metric("job_duration_seconds_count", kind);
        if count > 0.0 {
            sum / count * 1000.0
        } else {
            f64::NAN
        }
    }

    async fn local_account(&self, username: &str) -> Account {
        self.services
            .create_local_account(NewLocalAccount {
                username: username.into(),
                email: format!("{username}@example.com"),
                password: Some("a good password".into()),
                role: Role::User,
                confirmed: true,
                approved: true,
            })
            .await
            .unwrap()
            .local
            .account
    }

    async fn token(&self, username: &str) -> String {
        let app = self
            .services
            .create_app(NewApp {
                name: "bench".into(),
                redirect_uris: vec!["urn:ietf:wg:oauth:2.0:oob".into()],
                scopes: Some("read write".into()),
                website: None,
            })
            .await
            .unwrap();
        self.services
            .grant_password(&app.app, username, "a good password", None)
            .await
            .unwrap()
            .access_token
    }

    async fn follow(&self, follower: &Account, target: &Account) -> Follow {
        Follow {
            id: self.services.ids.next_id(),
            account_id: follower.id,
            target_account_id: target.id,
            show_reblogs: true,
            notify: false,
            uri: None,
            created_at: self.services.clock.now(),
        }
    }
}

/// Serves `router` on `listener` from the client runtime.
fn serve_on(client: &Handle, listener: std::net::TcpListener, router: Router) {
    listener.set_nonblocking(true).unwrap();
    client.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let _ = axum::serve(listener, router).await;
    });
}

// ---- 1. signatures ----------------------------------------------------------------------------

fn time_op<T>(n: u32, mut f: impl FnMut() -> T) -> f64 {
    for _ in 0..n / 10 {
        std::hint::black_box(f());
    }
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    start.elapsed().as_secs_f64() / f64::from(n) * 1e6
}

/// (sign µs, verify µs) for one RSA-2048 signature over an inbox POST.
fn signature_costs() -> (f64, f64) {
    let key = KeyPair::generate().unwrap();
    let pem = key.public_key_pem();
    let body = vec![b'x'; 2048];
    let parts = RequestParts {
        method: "POST".into(),
        path_and_query: "/inbox".into(),
        headers: vec![
            ("host".into(), "rookery.example".into()),
            (
                "date".into(),
                signatures::http_date(SystemClock.now().as_millis() / 1000),
            ),
            ("digest".into(), signatures::digest_header(&body)),
        ],
    };
    let key_id = "https://remote.example/users/s#main-key";
    let signed = signatures::sign(&parts, &key, key_id, &SIGNED).unwrap();
    let parsed = SignatureHeader::parse(&signed).unwrap();
    let sign = time_op(300, || {
        signatures::sign(&parts, &key, key_id, &SIGNED).unwrap()
    });
    let raw = time_op(300, || key.sign_sha256(b"a signing string").unwrap());
    let verify = time_op(3000, || {
        signatures::verify(&parts, &parsed, &pem).unwrap();
    });
    println!(
        "signatures: RSA-2048 sign {sign:.1} µs/op (raw sign_sha256 {raw:.1} µs), verify \
         {verify:.1} µs/op (PEM parsed each time)"
    );
    (sign, verify)
}

// ---- 2. inbox ---------------------------------------------------------------------------------

/// The fake remote server's actor.
struct Remote {
    key: KeyPair,
    base: String,
    actor: String,
}

fn remote_router(remote: &Arc<Remote>) -> Router {
    let r = remote.clone();
    let actor = move || {
        let r = r.clone();
        async move {
            let doc = json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": r.actor,
                "type": "Person",
                "preferredUsername": "s",
                "name": "Sender",
                "inbox": format!("{}/inbox", r.actor),
                "outbox": format!("{}/outbox", r.actor),
                "followers": format!("{}/followers", r.actor),
                "endpoints": { "sharedInbox": format!("{}/inbox", r.base) },
                "publicKey": {
                    "id": format!("{}#main-key", r.actor),
                    "owner": r.actor,
                    "publicKeyPem": r.key.public_key_pem(),
                },
            });
            (
                [(header::CONTENT_TYPE, "application/activity+json")],
                doc.to_string(),
            )
        }
    };
    let r = remote.clone();
    let webfinger = move || {
        let r = r.clone();
        async move {
            let host = r.base.trim_start_matches("http://").to_owned();
            axum::Json(json!({
                "subject": format!("acct:s@{host}"),
                "links": [{ "rel": "self", "type": "application/activity+json", "href": r.actor }],
            }))
        }
    };
    Router::new()
        .route("/users/s", axum::routing::get(actor))
        .route("/.well-known/webfinger", axum::routing::get(webfinger))
        .fallback(|| async { StatusCode::ACCEPTED })
}

/// A signed `Create(Note)`, ready to send.
struct Prepared {
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

fn prepare(remote: &Remote, target_host: &str, tag: &str, i: usize) -> Prepared {
    let now = SystemClock.now();
    let note = format!("{}/statuses/{tag}-{i}", remote.actor);
    let followers = format!("{}/followers", remote.actor);
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": remote.actor,
        "published": now.to_rfc3339(),
        "to": [PUBLIC],
        "cc": [followers],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": remote.actor,
            "published": now.to_rfc3339(),
            "url": note,
            "to": [PUBLIC],
            "cc": [followers],
            "content": format!("<p>Inbox benchmark note number {i}, with a little text in it \
                so that it looks like a post someone would write.</p>"),
        },
    })
    .to_string()
    .into_bytes();
    let mut parts = RequestParts {
        method: "POST".into(),
        path_and_query: "/inbox".into(),
        headers: vec![
            ("host".into(), target_host.to_owned()),
            ("date".into(), signatures::http_date(now.as_millis() / 1000)),
            ("digest".into(), signatures::digest_header(&body)),
            ("content-type".into(), "application/activity+json".into()),
        ],
    };
    let signature = signatures::sign(
        &parts,
        &remote.key,
        &format!("{}#main-key", remote.actor),
        &SIGNED,
    )
    .unwrap();
    parts.headers.push(("signature".into(), signature));
    Prepared {
        body,
        headers: parts.headers,
    }
}

/// Sends every request with `senders` concurrent connections; (per-request latency in ms by
/// status code, time until the last answer).
async fn send_all(
    url: String,
    requests: Vec<Prepared>,
    senders: usize,
) -> (BTreeMap<u16, Vec<f64>>, Duration) {
    let http = reqwest::Client::new();
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..senders {
        let (http, requests, next, url) =
            (http.clone(), requests.clone(), next.clone(), url.clone());
        tasks.spawn(async move {
            let mut out: Vec<(u16, f64)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = requests.get(i) else { break };
                let mut r = http.post(&url).body(p.body.clone());
                for (k, v) in &p.headers {
                    r = r.header(k.as_str(), v.as_str());
                }
                let t = Instant::now();
                let status = match r.send().await {
                    Ok(resp) => {
                        let s = resp.status().as_u16();
                        let _ = resp.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                out.push((status, t.elapsed().as_secs_f64() * 1000.0));
            }
            out
        });
    }
    let mut by_status: BTreeMap<u16, Vec<f64>> = BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        for (s, ms) in done.unwrap() {
            by_status.entry(s).or_default().push(ms);
        }
    }
    (by_status, start.elapsed())
}

/// What the database showed while the inbox was being fed.
#[derive(Default)]
struct Progress {
    /// When all notes were stored as statuses / were in the home feed (since the start).
    stored: Option<Duration>,
    in_feed: Option<Duration>,
    stored_count: i64,
    feed_count: i64,
    max_ingress_backlog: i64,
    max_default_backlog: i64,
}

/// Polls until the remote author has `target` statuses and the follower's feed `target` rows.
async fn watch_inbox(
    url: String,
    author: i64,
    reader: i64,
    target: i64,
    start: Instant,
) -> Progress {
    let mut probe = Probe::open(&url).await;
    let sql = "SELECT (SELECT count(*) FROM statuses WHERE account_id = $1), \
         (SELECT count(*) FROM home_feed WHERE account_id = $2), \
         (SELECT count(*) FROM jobs WHERE queue = 'ingress' AND state = 'ready'), \
         (SELECT count(*) FROM jobs WHERE queue = 'default' AND state = 'ready')";
    let mut p = Progress::default();
    while start.elapsed() < PATIENCE {
        let row = probe.row(sql, author, reader).await;
        p.stored_count = row[0];
        p.feed_count = row[1];
        p.max_ingress_backlog = p.max_ingress_backlog.max(row[2]);
        p.max_default_backlog = p.max_default_backlog.max(row[3]);
        if p.stored.is_none() && row[0] >= target {
            p.stored = Some(start.elapsed());
        }
        if p.in_feed.is_none() && row[1] >= target {
            p.in_feed = Some(start.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    p
}

struct InboxResult {
    n: usize,
    senders: usize,
    accepted: usize,
    other: String,
    accept_secs: f64,
    p50: f64,
    p99: f64,
    max: f64,
    progress: Progress,
    cpu: CpuSpent,
    ingress_ms: f64,
    fanout_ms: f64,
}

async fn bench_inbox(a: &Instance, db: &BenchDb, client: &Handle) -> InboxResult {
    let n = env_usize("BENCH_ACTIVITIES", 2000).max(1);
    let senders = env_usize("BENCH_SENDERS", 16).max(1);
    // The remote server, and a local account following its actor.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let remote = Arc::new(Remote {
        key: KeyPair::generate().unwrap(),
        actor: format!("{base}/users/s"),
        base: base.clone(),
    });
    serve_on(client, listener, remote_router(&remote));
    let author = a
        .services
        .resolve_acct("s", base.trim_start_matches("http://"))
        .await
        .unwrap_or_else(|e| panic!("the remote actor did not resolve: {e}"));
    let reader = a.local_account("reader").await;
    let follow = a.follow(&reader, &author).await;
    let mut tx = a.services.store.begin().await.unwrap();
    tx.insert_follow(&follow).await.unwrap();
    tx.commit().await.unwrap();

    let url = format!("{}/inbox", a.base);
    let warm = 50.min(n);
    let sign_started = Instant::now();
    let (warmup, requests) = {
        let (remote, host) = (remote.clone(), a.domain.clone());
        client
            .spawn(async move {
                let warmup: Vec<Prepared> = (0..warm)
                    .map(|i| prepare(&remote, &host, "warm", i))
                    .collect();
                let requests: Vec<Prepared> =
                    (0..n).map(|i| prepare(&remote, &host, "run", i)).collect();
                (warmup, requests)
            })
            .await
            .unwrap()
    };
    println!(
        "inbox: {n} activities (+{warm} warm-up) signed in {:.2} s beforehand",
        sign_started.elapsed().as_secs_f64()
    );
    // Warm-up: connections, caches, the worker's first claims.
    client
        .spawn(send_all(url.clone(), warmup, senders))
        .await
        .unwrap();
    let warm_progress = client
        .spawn(watch_inbox(
            db.url.clone(),
            author.id.as_i64(),
            reader.id.as_i64(),
            warm as i64,
            Instant::now(),
        ))
        .await
        .unwrap();
    if warm_progress.in_feed.is_none() {
        println!(
            "inbox: warm-up did not complete ({} stored, {} in the feed)",
            warm_progress.stored_count, warm_progress.feed_count
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let cpu_before = cpu();
    let start = Instant::now();
    let watcher = client.spawn(watch_inbox(
        db.url.clone(),
        author.id.as_i64(),
        reader.id.as_i64(),
        (warm + n) as i64,
        start,
    ));
    let (by_status, accept_time) = client
        .spawn(send_all(url, requests, senders))
        .await
        .unwrap();
    let progress = watcher.await.unwrap();
    let cpu = cpu_spent(cpu_before, cpu());

    let mut ok = by_status.get(&202).cloned().unwrap_or_default();
    ok.sort_by(f64::total_cmp);
    let other = by_status
        .iter()
        .filter(|(s, _)| **s != 202)
        .map(|(s, l)| {
            format!(
                "{} × {}",
                l.len(),
                if *s == 0 {
                    "error".into()
                } else {
                    s.to_string()
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    InboxResult {
        n,
        senders,
        accepted: ok.len(),
        other,
        accept_secs: accept_time.as_secs_f64(),
        p50: percentile(&ok, 0.5),
        p99: percentile(&ok, 0.99),
        max: ok.last().copied().unwrap_or(f64::NAN),
        progress: Progress {
            stored_count: progress.stored_count - warm as i64,
            feed_count: progress.feed_count - warm as i64,
            ..progress
        },
        cpu,
        ingress_ms: a.mean_job_ms("ingress"),
        fanout_ms: a.mean_job_ms("fanout"),
    }
}

// ---- 3. delivery ------------------------------------------------------------------------------

/// The remote servers' inboxes: counts signed POSTs and checks each signature.
#[derive(Default)]
struct Sink {
    /// The sender's public key, once known.
    key: OnceLock<String>,
    received: AtomicUsize,
    bad: AtomicUsize,
    /// Nanoseconds since `epoch` of the latest arrival.
    last: AtomicU64,
    arrivals: Mutex<Vec<Instant>>,
    epoch: OnceLock<Instant>,
    per_port: Mutex<BTreeMap<u16, usize>>,
}

async fn sink_inbox(State(sink): State<Arc<Sink>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let port = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .unwrap_or(0);
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let request = RequestParts {
        method: parts.method.as_str().to_owned(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers: parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
    };
    let valid = (|| {
        let key = sink.key.get()?;
        let sig = SignatureHeader::parse(request.header("signature")?).ok()?;
        signatures::verify_digest(request.header("digest")?, &body).ok()?;
        signatures::verify(&request, &sig, key).ok()
    })()
    .is_some();
    if !valid {
        sink.bad.fetch_add(1, Ordering::Relaxed);
    }
    if let Ok(mut p) = sink.per_port.lock() {
        *p.entry(port).or_default() += 1;
    }
    let epoch = *sink.epoch.get_or_init(Instant::now);
    let now = Instant::now();
    sink.last.fetch_max(
        now.saturating_duration_since(epoch).as_nanos() as u64,
        Ordering::Relaxed,
    );
    if let Ok(mut a) = sink.arrivals.lock() {
        a.push(now);
    }
    sink.received.fetch_add(1, Ordering::Relaxed);
    StatusCode::ACCEPTED.into_response()
}

struct DeliveryRound {
    posts: usize,
    expected: usize,
    received: usize,
    first_ms: f64,
    /// When half, and nine in ten, of the deliveries had arrived.
    half_secs: f64,
    p90_secs: f64,
    all_secs: f64,
}

impl DeliveryRound {
    fn rate(&self) -> f64 {
        self.received as f64 / self.all_secs
    }
}

struct DeliveryResult {
    followers: usize,
    servers: usize,
    single: DeliveryRound,
    burst: Option<DeliveryRound>,
    bad: usize,
    uneven: String,
    cpu: CpuSpent,
    deferred: f64,
    retried: f64,
    deliver_ms: f64,
    federate_ms: f64,
}

async fn post_status(http: &reqwest::Client, base: &str, token: &str, text: &str) {
    let r = http
        .post(format!("{base}/api/v1/statuses"))
        .bearer_auth(token)
        .form(&[("status", text)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "posting: {}", r.status());
    let _ = r.bytes().await;
}

/// Posts `posts` statuses back to back and waits until the sink has `per_post` more for each.
async fn delivery_round(
    a: &Instance,
    sink: &Arc<Sink>,
    token: &str,
    posts: usize,
    per_post: usize,
) -> DeliveryRound {
    let http = reqwest::Client::new();
    let before = sink.received.load(Ordering::Relaxed);
    let expected = posts * per_post;
    let epoch = *sink.epoch.get_or_init(Instant::now);
    let start = Instant::now();
    for i in 0..posts {
        post_status(
            &http,
            &a.base,
            token,
            &format!("delivery benchmark post {i}"),
        )
        .await;
    }
    let mut first = None;
    let deadline = start + PATIENCE;
    loop {
        let got = sink.received.load(Ordering::Relaxed) - before;
        if first.is_none() && got > 0 {
            first = Some(start.elapsed());
        }
        if got >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let received = sink.received.load(Ordering::Relaxed) - before;
    let mut since: Vec<f64> = sink
        .arrivals
        .lock()
        .map(|a| {
            a.iter()
                .skip(before)
                .map(|t| t.saturating_duration_since(start).as_secs_f64())
                .collect()
        })
        .unwrap_or_default();
    since.sort_by(f64::total_cmp);
    // The last arrival as the sink saw it (not when this loop noticed it).
    let last = if received > 0 {
        epoch + Duration::from_nanos(sink.last.load(Ordering::Relaxed))
    } else {
        Instant::now()
    };
    DeliveryRound {
        posts,
        expected,
        received,
        first_ms: first.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        half_secs: percentile(&since, 0.5),
        p90_secs: percentile(&since, 0.9),
        all_secs: last.saturating_duration_since(start).as_secs_f64(),
    }
}

async fn bench_delivery(a: &Instance, client: &Handle) -> DeliveryResult {
    let followers = env_usize("BENCH_FOLLOWERS", 1000).max(1);
    let servers = env_usize("BENCH_SERVERS", 10).clamp(1, followers);
    let posts = env_usize("BENCH_DELIVERY_POSTS", 5);
    let sink = Arc::new(Sink::default());
    let router = Router::new().fallback(sink_inbox).with_state(sink.clone());
    let mut ports = Vec::new();
    for _ in 0..servers {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        ports.push(listener.local_addr().unwrap().port());
        serve_on(client, listener, router.clone());
    }
    let poster = a.local_account("poster").await;
    sink.key.set(poster.public_key_pem.clone()).unwrap();
    let token = a.token("poster").await;
    // The followers: remote accounts, each with its own inbox, spread over the ports.
    let seed_started = Instant::now();
    let any_key = KeyPair::generate().unwrap().public_key_pem();
    let now = a.services.clock.now();
    let mut tx = a.services.store.begin().await.unwrap();
    for i in 0..followers {
        let host = format!("127.0.0.1:{}", ports[i % servers]);
        let uri = format!("http://{host}/users/f{i}");
        let follower = Account {
            id: a.services.ids.next_id(),
            username: Username::parse(&format!("f{i}")).unwrap(),
            domain: Some(Domain::parse(&host).unwrap()),
            display_name: format!("Follower {i}"),
            note: String::new(),
            uri: Some(uri.clone()),
            url: Some(uri.clone()),
            inbox_url: Some(format!("{uri}/inbox")),
            shared_inbox_url: None,
            followers_url: Some(format!("{uri}/followers")),
            avatar_remote_url: None,
            header_remote_url: None,
            actor_type: ActorType::Person,
            public_key_pem: any_key.clone(),
            private_key_pem: None,
            locked: false,
            discoverable: true,
            fields: Vec::new(),
            followers_count: 0,
            following_count: 1,
            statuses_count: 0,
            last_status_at: None,
            suspended_at: None,
            fetched_at: Some(now),
            created_at: now,
            updated_at: now,
        };
        tx.insert_account(&follower).await.unwrap();
        tx.insert_follow(&a.follow(&follower, &poster).await)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    println!(
        "delivery: {followers} remote followers on {servers} ports seeded in {:.2} s",
        seed_started.elapsed().as_secs_f64()
    );

    let cpu_before = cpu();
    let single = delivery_round(a, &sink, &token, 1, followers).await;
    println!(
        "delivery: 1 post: {}/{} deliveries in {:.2} s",
        single.received, single.expected, single.all_secs
    );
    let burst = if posts > 0 {
        let r = delivery_round(a, &sink, &token, posts, followers).await;
        println!(
            "delivery: {posts} posts: {}/{} deliveries in {:.2} s",
            r.received, r.expected, r.all_secs
        );
        Some(r)
    } else {
        None
    };
    let cpu = cpu_spent(cpu_before, cpu());
    let counts: Vec<usize> = sink
        .per_port
        .lock()
        .map(|p| p.values().copied().collect())
        .unwrap_or_default();
    let uneven = format!(
        "{}–{} per port",
        counts.iter().min().copied().unwrap_or(0),
        counts.iter().max().copied().unwrap_or(0)
    );
    DeliveryResult {
        followers,
        servers,
        single,
        burst,
        bad: sink.bad.load(Ordering::Relaxed),
        uneven,
        cpu,
        deferred: a.job_metric("jobs_deferred_total", "deliver"),
        retried: a.job_metric("jobs_failed_total", "deliver"),
        deliver_ms: a.mean_job_ms("deliver"),
        federate_ms: a.mean_job_ms("federate"),
    }
}

// ---- main -------------------------------------------------------------------------------------

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if std::env::var("BENCH_LOG").is_ok_and(|v| !v.is_empty()) {
        // The instance's warnings (refused requests, failing jobs) on standard error.
        let level = match std::env::var("BENCH_LOG").as_deref() {
            Ok("debug") => tracing::Level::DEBUG,
            Ok("info") => tracing::Level::INFO,
            _ => tracing::Level::WARN,
        };
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .init();
    }
    let (sign_us, verify_us) = signature_costs();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(CLIENT_THREADS)
        .enable_all()
        .build()
        .unwrap();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("rookery-server")
        .enable_all()
        .build()
        .unwrap();
    let client = client_rt.handle().clone();
    let db = server_rt.block_on(database());
    let (summary, inbox, delivery) = server_rt.block_on(async {
        let a = start_instance(&db).await;
        let summary = format!(
            "{} · worker queues ingress={} default={} push={} · per-host limit {} · poll {} ms",
            db.engine,
            a.queue(rookery_jobs::Queue::Ingress),
            a.queue(rookery_jobs::Queue::Default),
            a.queue(rookery_jobs::Queue::Push),
            a.per_host,
            a.poll_ms,
        );
        println!("instance: {summary}");
        let inbox = bench_inbox(&a, &db, &client).await;
        let delivery = bench_delivery(&a, &client).await;
        (summary, inbox, delivery)
    });
    server_rt.shutdown_timeout(Duration::from_secs(2));
    client_rt.shutdown_background();
    drop_database(&db);

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let i = &inbox;
    let p = &i.progress;
    let rate = |d: Option<Duration>, count: i64| match d {
        Some(d) => format!(
            "{:.0}/s (all {} after {:.2} s)",
            i.n as f64 / d.as_secs_f64(),
            i.n,
            d.as_secs_f64()
        ),
        None => format!(
            "incomplete: {count} of {} after {} s",
            i.n,
            PATIENCE.as_secs()
        ),
    };
    println!();
    println!("== federation benchmark ({cores} cores) ==");
    println!("{summary}");
    println!("signatures (RSA-2048)");
    println!(
        "  sign                          {sign_us:>8.1} µs/op  ({:.0}/s per core)",
        1e6 / sign_us
    );
    println!(
        "  verify                        {verify_us:>8.1} µs/op  ({:.0}/s per core)",
        1e6 / verify_us
    );
    println!(
        "inbox: {} signed Create(Note), {} concurrent senders, POST /inbox",
        i.n, i.senders
    );
    println!(
        "  HTTP accept (202)             {:>8.0} req/s  p50 {:.2} ms  p99 {:.2} ms  max {:.1} ms  ({} × 202{})",
        i.accepted as f64 / i.accept_secs,
        i.p50,
        i.p99,
        i.max,
        i.accepted,
        if i.other.is_empty() {
            String::new()
        } else {
            format!(", {}", i.other)
        }
    );
    println!(
        "  stored as statuses            {}",
        rate(p.stored, p.stored_count)
    );
    println!(
        "  end to end (in home feed)     {}",
        rate(p.in_feed, p.feed_count)
    );
    println!(
        "  queue backlog (max ready)     ingress {}, default (fan-out) {}",
        p.max_ingress_backlog, p.max_default_backlog
    );
    println!(
        "  mean job time                 ingress {:.2} ms, fanout {:.2} ms",
        i.ingress_ms, i.fanout_ms
    );
    println!(
        "  CPU                           server {:.2} s ({:.2} ms per activity; SQLite threads {:.2} s), load generator {:.2} s",
        i.cpu.server,
        i.cpu.server * 1000.0 / i.n as f64,
        i.cpu.sqlite,
        i.cpu.client
    );
    let d = &delivery;
    println!(
        "delivery: {} remote followers (one inbox each) on {} ports",
        d.followers, d.servers
    );
    let round = |r: &DeliveryRound| {
        format!(
            "{:>8.0} deliveries/s  ({}/{} in {:.2} s; first {:.0} ms, half {:.2} s, 90% {:.2} s)",
            r.rate(),
            r.received,
            r.expected,
            r.all_secs,
            r.first_ms,
            r.half_secs,
            r.p90_secs
        )
    };
    println!("  1 post                        {}", round(&d.single));
    if let Some(b) = &d.burst {
        println!("  {} posts in a row             {}", b.posts, round(b));
    }
    println!(
        "  sink                          {} bad signatures, {}",
        d.bad, d.uneven
    );
    println!(
        "  deliver jobs                  mean {:.2} ms, {} deferred (host busy), {} retried; federate mean {:.1} ms",
        d.deliver_ms, d.deferred, d.retried, d.federate_ms
    );
    let total = d.single.received + d.burst.as_ref().map_or(0, |b| b.received);
    println!(
        "  CPU                           server {:.2} s ({:.2} ms per delivery; SQLite threads {:.2} s), sink and client {:.2} s",
        d.cpu.server,
        d.cpu.server * 1000.0 / total.max(1) as f64,
        d.cpu.sqlite,
        d.cpu.client
    );
}
