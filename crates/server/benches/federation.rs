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
                send_confirmation: false,
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

#[path = "federation/delivery.rs"]
mod delivery;
#[path = "federation/inbox.rs"]
mod inbox;
use delivery::{DeliveryRound, bench_delivery};
use inbox::bench_inbox;

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
