//! Process roles as operators run them: `worker`, `scheduler`, `serve`, `streaming`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rookery_testkit::{Backend, TempDir, TestDb};
use serde_json::Value;

use crate::cli::{get, rookery, run};

pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// Starts a role; returns the process and the address from its banner ("… on ADDR)").
pub fn start(cmd: &mut Command) -> (Proc, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().unwrap().unwrap();
    // Keep reading so the process never writes to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let addr = line
        .rsplit(" on ")
        .next()
        .and_then(|s| s.split([')', ',']).next())
        .unwrap()
        .to_owned();
    (Proc(child), format!("http://{addr}"))
}

fn metric(base: &str, name: &str) -> Option<f64> {
    let (_, text) = get(&format!("{base}/metrics"), "*/*");
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn wait_for(what: &str, limit: Duration, check: impl FnMut() -> bool) -> Duration {
    try_wait_for(limit, check)
        .unwrap_or_else(|| panic!("timed out after {limit:?} waiting for: {what}"))
}

fn try_wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

pub fn with_db(cmd: &mut Command, db: &TestDb) {
    cmd.env("ROOKERY_DATABASE__URL", &db.url)
        .env("ROOKERY_DATABASE__AUTO_MIGRATE", "true")
        .env("ROOKERY_DATABASE__PGBOUNCER", db.pgbouncer.to_string());
    if let Some(m) = &db.migration_url {
        cmd.env("ROOKERY_DATABASE__MIGRATION_URL", m);
    }
}

#[test]
fn streaming_role_names_redis_problems_in_one_line() {
    let dir = TempDir::new("rookery-roles").unwrap();
    for (env, expect) in [
        (
            vec![("ROOKERY_REDIS__URL", "redis://127.0.0.1:1")],
            "error: redis.url: cannot use redis://127.0.0.1:1",
        ),
        (
            vec![("ROOKERY_REDIS__URL", "http://127.0.0.1:6379")],
            "error: redis.url:",
        ),
        (
            vec![
                ("ROOKERY_REDIS__URL", "rediss://127.0.0.1:6379"),
                ("ROOKERY_REDIS__CA_FILE", "/nowhere/ca.pem"),
            ],
            "error: redis.url:",
        ),
        (
            vec![("ROOKERY_REDIS__CA_FILE", "/nowhere/ca.pem")],
            "error: redis.url: certificates are set but no URL",
        ),
        (
            vec![("ROOKERY_STREAMING__BUFFER", "0")],
            "error: streaming.buffer:",
        ),
    ] {
        let mut cmd = rookery(&dir);
        cmd.arg("streaming");
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let (code, _, err) = run(&mut cmd);
        assert_eq!(code, 2, "{env:?}: {err}");
        assert!(err.starts_with(expect), "{env:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"));
    }
}

#[test]
fn worker_role_concurrency_dead_letters_and_shutdown() {
    let dir = TempDir::new("rookery-roles").unwrap();
    let config = dir.path().join("rookery.toml");
    std::fs::write(
        &config,
        "[worker]\nnode = \"w1\"\nqueues = \"default=2,push=4\"\npoll_interval_ms = 50\n",
    )
    .unwrap();
    let (worker, base) = start(rookery(&dir).args([
        "--config",
        "rookery.toml",
        "worker",
        "--admin-listen",
        "127.0.0.1:0",
    ]));
    assert_eq!(get(&format!("{base}/health"), "*/*").0, 200);
    let (status, body) = get(&format!("{base}/ready"), "*/*");
    assert_eq!(status, 200, "{body}");
    let ready: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["checks"]["queues"], "ok");
    let concurrency = |q: &str| {
        metric(
            &base,
            &format!("rookery_worker_concurrency{{queue=\"{q}\"}}"),
        )
    };
    wait_for("initial concurrency", Duration::from_secs(10), || {
        concurrency("default") == Some(2.0)
    });
    assert_eq!(concurrency("push"), Some(4.0));
    assert_eq!(concurrency("pull"), None, "only the configured queues run");

    // Runtime change through the database, for this node only.
    let admin = |args: &[&str]| {
        run(rookery(&dir)
            .args(["--config", "rookery.toml", "admin"])
            .args(args))
    };
    let (code, out, err) = admin(&["queues", "set-concurrency", "default", "6", "--node", "w1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("concurrency 6"));
    let took = wait_for("override applied", Duration::from_secs(10), || {
        concurrency("default") == Some(6.0)
    });
    eprintln!("override applied after {took:?}");
    let (_, out, _) = admin(&["queues", "overrides", "--node", "w1"]);
    assert!(out.contains("default") && out.contains('6'), "{out}");
    admin(&[
        "queues",
        "set-concurrency",
        "default",
        "--clear",
        "--node",
        "w1",
    ]);
    wait_for("override cleared", Duration::from_secs(10), || {
        concurrency("default") == Some(2.0)
    });

    // SIGHUP re-reads the file.
    std::fs::write(
        &config,
        "[worker]\nnode = \"w1\"\nqueues = \"default=3,push=9\"\npoll_interval_ms = 50\n",
    )
    .unwrap();
    worker.signal("-HUP");
    wait_for("reload applied", Duration::from_secs(10), || {
        concurrency("default") == Some(3.0) && concurrency("push") == Some(9.0)
    });

    // A job nobody can run is dead-lettered, visible, retryable and discardable.
    let url = format!("sqlite://{}/data/rookery.db", dir.path().display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(crate::api::exec(
        &url,
        "INSERT INTO jobs (id, queue, kind, payload, state, attempts, max_attempts, run_at, created_at, updated_at) \
         VALUES (4242, 'default', 'no.such.kind', '{\"x\":1}', 'ready', 0, 5, 0, 0, 0)",
    ));
    let dead = || {
        let (_, out, _) = admin(&["jobs", "list", "--state", "dead", "--json"]);
        serde_json::from_str::<Value>(&out).unwrap()
    };
    wait_for("dead-lettered", Duration::from_secs(10), || {
        dead().as_array().is_some_and(|a| a.len() == 1)
    });
    let job = &dead()[0];
    assert_eq!(job["id"], "4242");
    assert!(
        job["last_error"]
            .as_str()
            .unwrap()
            .contains("unknown job kind \"no.such.kind\"")
    );
    assert_eq!(job["payload"]["x"], 1);
    let (_, out, _) = admin(&["jobs", "show", "4242"]);
    assert!(out.contains("state:        dead"), "{out}");
    let (_, stats, _) = admin(&["jobs", "stats", "--json"]);
    let stats: Value = serde_json::from_str(&stats).unwrap();
    let default = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == "default")
        .unwrap();
    assert_eq!(default["dead"], 1);
    let (code, out, _) = admin(&["jobs", "retry", "4242"]);
    assert_eq!(code, 0);
    assert!(out.contains("will run again"));
    wait_for("dead again", Duration::from_secs(10), || {
        dead().as_array().is_some_and(|a| a.len() == 1)
    });
    let (code, _, _) = admin(&["jobs", "discard", "4242"]);
    assert_eq!(code, 0);
    let (code, _, err) = admin(&["jobs", "show", "4242"]);
    assert_eq!(code, 2);
    assert!(err.contains("job not found"), "{err}");
    let (code, _, err) = admin(&["jobs", "show", "x'; DROP TABLE jobs"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a job id"), "{err}");
    let (code, _, err) = admin(&["jobs", "list", "--state", "zombie"]);
    assert_eq!(code, 2);
    assert!(err.contains("state"), "{err}");

    // SIGTERM: a clean, quick exit.
    let mut worker = worker;
    worker.signal("-TERM");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = worker.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "worker did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn scheduler_processes_fail_over_and_enqueue_each_period_once() {
    let db = TestDb::new(Backend::Postgres);
    let dir = TempDir::new("rookery-roles").unwrap();
    let scheduler = |name: &str| {
        let mut cmd = rookery(&dir);
        with_db(&mut cmd, &db);
        cmd.env("ROOKERY_WORKER__NODE", name)
            .args(["scheduler", "--admin-listen", "127.0.0.1:0"]);
        start(&mut cmd)
    };
    let leader = |base: &str| metric(base, "rookery_scheduler_leader");
    let (a, a_base) = scheduler("a");
    wait_for("a leads", Duration::from_secs(10), || {
        leader(&a_base) == Some(1.0)
    });
    let (b, b_base) = scheduler("b");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(leader(&b_base), Some(0.0), "only one leads");
    drop(a); // SIGKILL
    let took = wait_for("b takes over", Duration::from_secs(10), || {
        leader(&b_base) == Some(1.0)
    });
    eprintln!("scheduler takeover after the leader's SIGKILL: {took:?}");
    std::thread::sleep(Duration::from_millis(1500));
    let mut cmd = rookery(&dir);
    with_db(&mut cmd, &db);
    let (code, out, err) = run(cmd.args(["admin", "jobs", "list", "--json"]));
    assert_eq!(code, 0, "{err}");
    let jobs: Value = serde_json::from_str(&out).unwrap();
    let prunes: Vec<&Value> = jobs
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "prune_expired_tokens")
        .collect();
    // Hourly: one job for this hour, however many schedulers and failovers (two if the test
    // straddled the hour).
    assert!(!prunes.is_empty() && prunes.len() <= 2, "{prunes:?}");
    let keys: std::collections::HashSet<&str> = prunes
        .iter()
        .map(|j| j["unique_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), prunes.len());
    drop(b);
}

#[test]
fn serve_runs_web_worker_and_scheduler_in_one_process() {
    let dir = TempDir::new("rookery-roles").unwrap();
    let (serve, base) = start(rookery(&dir).args(["serve", "--listen", "127.0.0.1:0"]));
    assert_eq!(
        get(&format!("{base}/api/v1/instance"), "application/json").0,
        200
    );
    // The scheduler enqueues the hourly prune at once and the worker runs it.
    let url = format!("sqlite://{}/data/rookery.db", dir.path().display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = || {
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let periods: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM periodic_runs WHERE name = 'prune_expired_tokens'",
            )
            .fetch_one(&mut c)
            .await
            .unwrap();
            let jobs: Vec<(String, i64, Option<String>)> =
                sqlx::query_as("SELECT state, attempts, last_error FROM jobs")
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
            (periods, jobs)
        })
    };
    let done = try_wait_for(Duration::from_secs(30), || {
        let (periods, jobs) = state();
        periods == 1 && jobs.is_empty()
    });
    if done.is_none() {
        let log = std::fs::read_to_string(dir.path().join(format!("{}.log", std::process::id())))
            .unwrap_or_default();
        let text = get(&format!("{base}/metrics"), "*/*").1;
        let jobs_metrics: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("job") || l.contains("leader") || l.contains("queue"))
            .collect();
        panic!(
            "prune job not enqueued and run within 30 s: {:?}\nserve's log:\n{log}\nmetrics:\n{}",
            state(),
            jobs_metrics.join("\n")
        );
    }
    let text = get(&format!("{base}/metrics"), "*/*").1;
    assert!(
        text.contains(
            "rookery_jobs_succeeded_total{queue=\"scheduler\",kind=\"prune_expired_tokens\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("rookery_scheduler_leader 1"), "{text}");
    drop(serve);
}

/// Regression: the start-up banner written to a closed pipe (`rookery serve | head -1`) used to
/// panic and stop the server.
#[test]
fn serve_survives_a_closed_stdout() {
    let dir = TempDir::new("rookery-roles").unwrap();
    let port = rookery_testkit::free_port().unwrap();
    let mut child = rookery(&dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // closed before the banner is written
    let child = Proc(child);
    let base = format!("http://127.0.0.1:{port}");
    wait_for("serving", Duration::from_secs(10), || {
        reqwest_ok(&format!("{base}/health"))
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(reqwest_ok(&format!("{base}/health")), "the server stopped");
    drop(child);
}

fn reqwest_ok(url: &str) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
}
