//! End-to-end flows driven by real client libraries against the real binary, on SQLite and
//! PostgreSQL. The libraries are installed by `scripts/setup-e2e` (run by `scripts/test`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rookery_testkit::{Backend, TempDir, TestDb};

use crate::cli::rookery;

fn python() -> PathBuf {
    let path = std::env::var_os("ROOKERY_E2E_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| e2e_dir().join("venv/bin/python"));
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup-e2e (it installs Mastodon.py from PyPI into a venv; \
         needs the Debian package python3-venv), or use scripts/test",
        path.display()
    );
    path
}

struct Server(std::process::Child);

fn with_env(cmd: &mut Command, db: &TestDb, port: u16) {
    cmd.env("ROOKERY_SERVER__DOMAIN", format!("127.0.0.1:{port}"))
        .env("ROOKERY_DATABASE__URL", &db.url)
        .env("ROOKERY_DATABASE__AUTO_MIGRATE", "true")
        .env("ROOKERY_DATABASE__PGBOUNCER", db.pgbouncer.to_string())
        .env("ROOKERY_WORKER__POLL_INTERVAL_MS", "20");
    if let Some(m) = &db.migration_url {
        cmd.env("ROOKERY_DATABASE__MIGRATION_URL", m);
    }
}

/// Waits until our `serve` answers on `port` as itself; `false` if it died (port taken).
fn ours(server: &mut Server, port: u16) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if server.0.try_wait().ok().flatten().is_some() {
            return false;
        }
        let (status, body) =
            crate::cli::try_get(&format!("http://127.0.0.1:{port}/api/v1/instance"));
        if status == 200 && body.contains(&format!("\"uri\":\"127.0.0.1:{port}\"")) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn e2e_dir() -> PathBuf {
    std::env::var_os("ROOKERY_E2E_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/rookery-e2e")
        })
}

/// masto 8 needs a current Node.js (it runs on 20; Debian 12's packaged 18 is too old).
fn check_node() {
    let out = Command::new("node").arg("--version").output();
    let version = match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        Err(e) => panic!("node is not installed ({e}): install Node.js 20 or newer"),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 20,
        "Node.js {version} is too old for masto 8: install Node.js 20 or newer"
    );
}

fn node_modules() -> PathBuf {
    check_node();
    let dir = e2e_dir().join("node/node_modules");
    assert!(
        dir.join("masto/package.json").is_file(),
        "masto is missing in {}: run scripts/setup-e2e (it installs masto from npm; needs the \
         Debian packages nodejs and npm), or use scripts/test",
        dir.display()
    );
    dir
}

/// Which client drives the flow.
enum Client {
    MastodonPy,
    Masto,
    Toot,
}

fn run_flow(backend: Backend) {
    run_client_flow(backend, Client::MastodonPy);
}

fn run_client_flow(backend: Backend, client: Client) {
    let db = TestDb::new(backend);
    let dir = TempDir::new("rookery-e2e").unwrap();
    // The domain must name the real port (clients use the OAuth URLs the server advertises),
    // so the port is chosen first; if another process takes it meanwhile, try another.
    let mut attempt = 0;
    let (server, port) = loop {
        attempt += 1;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut serve = rookery(&dir);
        with_env(&mut serve, &db, port);
        let mut server = Server(
            serve
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        if ours(&mut server, port) {
            break (server, port);
        }
        assert!(attempt < 5, "could not start serve on a free port");
    };
    let env = |cmd: &mut Command| with_env(cmd, &db, port);
    for user in ["alice", "bob"] {
        let mut admin = rookery(&dir);
        env(&mut admin);
        let mut child = admin
            .args([
                "admin",
                "accounts",
                "create",
                user,
                "--email",
                &format!("{user}@example.com"),
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"a good password\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let base = format!("http://127.0.0.1:{port}");
    let (mut cmd, done) = match client {
        Client::MastodonPy => {
            let mut c = Command::new(python());
            c.arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/e2e/mastodon_py_flow.py"
            ))
            .arg(&base);
            (c, "mastodon.py flow passed")
        }
        Client::Toot => {
            // toot keeps its login under $HOME/.config; give it a home of its own.
            let home = dir.path().join("toot-home");
            let toot = python().with_file_name("toot");
            let run = |args: &[&str]| {
                Command::new(&toot)
                    .args(args)
                    .env("HOME", &home)
                    .env("XDG_CONFIG_HOME", home.join(".config"))
                    .output()
                    .unwrap()
            };
            let login = run(&[
                "login_cli",
                "--instance",
                &base,
                "--email",
                "alice@example.com",
                "--password",
                "a good password",
            ]);
            assert!(
                login.status.success(),
                "toot login_cli: {}",
                String::from_utf8_lossy(&login.stderr)
            );
            let post = run(&["post", "hello from toot"]);
            assert!(
                post.status.success(),
                "toot post: {}",
                String::from_utf8_lossy(&post.stderr)
            );
            assert!(String::from_utf8_lossy(&post.stdout).contains("Toot posted"));
            let mut c = Command::new(&toot);
            c.args(["timeline", "--once"])
                .env("HOME", &home)
                .env("XDG_CONFIG_HOME", home.join(".config"));
            (c, "hello from toot")
        }
        Client::Masto => {
            let mut c = Command::new("node");
            c.arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/e2e/masto_flow.mjs"
            ))
            .arg(&base)
            .arg(node_modules());
            (c, "masto flow passed")
        }
    };
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(done),
        "client flow failed on {backend:?}:\n{stdout}\n{stderr}"
    );
    drop(server);
}

#[test]
fn mastodon_py_flow_on_sqlite() {
    run_flow(Backend::Sqlite);
}

#[test]
fn mastodon_py_flow_on_postgres() {
    run_flow(Backend::Postgres);
}

#[test]
fn mastodon_py_flow_through_pgbouncer() {
    run_flow(Backend::PgBouncer);
}

#[test]
fn masto_flow_on_sqlite() {
    run_client_flow(Backend::Sqlite, Client::Masto);
}

#[test]
fn masto_flow_on_postgres() {
    run_client_flow(Backend::Postgres, Client::Masto);
}

#[test]
fn toot_logs_in_posts_and_reads_the_timeline() {
    run_client_flow(Backend::Sqlite, Client::Toot);
}
