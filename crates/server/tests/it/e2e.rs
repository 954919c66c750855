//! End-to-end flows driven by real client libraries against the real binary, on SQLite and
//! PostgreSQL, with media on the local disk or in an S3 bucket (s3s-fs behind a test CDN). The
//! libraries and s3s-fs are installed by `scripts/setup-e2e` (run by `scripts/test`).
//! Flows cannot wait for a poll's end or a scheduled post's time: they ask the runner, which
//! moves those times to now in the flow's database ([`time_passes`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rookery_model::{Clock, SystemClock};
use rookery_testkit::{Backend, S3Server, TempDir, TestCdn, TestDb};

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

pub(crate) struct Server(std::process::Child);

impl Server {
    /// The process id (to read its memory use from `/proc`).
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }
}

/// `rookery admin accounts create USER` (password `a good password`, address
/// `USER@example.com`) against the database of a `serve` started by [`start_serve`].
pub(crate) fn create_user(
    dir: &TempDir,
    db: &TestDb,
    port: u16,
    extra: &[(String, String)],
    user: &str,
) {
    let mut admin = rookery(dir);
    with_env(&mut admin, db, port, extra);
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

/// `rookery admin ARGS` against the database of a `serve` started by [`start_serve`].
pub(crate) fn run_admin(
    dir: &TempDir,
    db: &TestDb,
    port: u16,
    extra: &[(String, String)],
    args: &[&str],
) {
    let mut admin = rookery(dir);
    with_env(&mut admin, db, port, extra);
    let out = admin.arg("admin").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn with_env(cmd: &mut Command, db: &TestDb, port: u16, extra: &[(String, String)]) {
    cmd.env("ROOKERY_SERVER__DOMAIN", format!("127.0.0.1:{port}"))
        .env("ROOKERY_DATABASE__URL", &db.url)
        .env("ROOKERY_DATABASE__AUTO_MIGRATE", "true")
        .env("ROOKERY_DATABASE__PGBOUNCER", db.pgbouncer.to_string())
        .env("ROOKERY_WORKER__POLL_INTERVAL_MS", "20");
    if let Some(m) = &db.migration_url {
        cmd.env("ROOKERY_DATABASE__MIGRATION_URL", m);
    }
    cmd.envs(extra.iter().map(|(k, v)| (k, v)));
}

/// Where the server keeps media files.
enum Media {
    /// The default: a directory in the data directory, served under `/system/`.
    Local,
    /// An s3s-fs bucket (path-style), files fetched through a CDN in front of it.
    S3,
}

/// A bucket and its CDN, and the `ROOKERY_MEDIA__*` settings that use them.
struct Bucket {
    s3: S3Server,
    cdn: TestCdn,
}

impl Bucket {
    fn start() -> Bucket {
        let s3 = S3Server::start().unwrap();
        let cdn = s3.start_cdn().unwrap();
        Bucket { s3, cdn }
    }

    fn env(&self) -> Vec<(String, String)> {
        let s3 = &self.s3;
        [
            ("BACKEND", "s3".to_owned()),
            ("S3__ENDPOINT", s3.endpoint()),
            ("S3__ADDRESSING", "path".to_owned()),
            ("S3__REGION", s3.region().to_owned()),
            ("S3__BUCKET", s3.bucket().to_owned()),
            ("S3__ACCESS_KEY_ID", s3.access_key().to_owned()),
            ("S3__SECRET_ACCESS_KEY", s3.secret_key().to_owned()),
            ("S3__PUBLIC_URL", self.cdn.url()),
        ]
        .into_iter()
        .map(|(k, v)| (format!("ROOKERY_MEDIA__{k}"), v))
        .collect()
    }

    /// The object keys in the bucket (files under s3s-fs's bucket directory).
    fn keys(&self) -> Vec<String> {
        fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    out.push(
                        path.strip_prefix(root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        let root = self.s3.data_dir().join(self.s3.bucket());
        let mut keys = Vec::new();
        walk(&root, &root, &mut keys);
        keys
    }
}

/// Starts `rookery serve` on a free port with `extra` settings and waits until it answers.
/// The domain must name the real port (clients use the OAuth URLs the server advertises), so
/// the port is chosen first; if another process takes it meanwhile, another is tried.
pub(crate) fn start_serve(db: &TestDb, dir: &TempDir, extra: &[(String, String)]) -> (Server, u16) {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let port = rookery_testkit::free_port().unwrap();
        let mut serve = rookery(dir);
        with_env(&mut serve, db, port, extra);
        let mut server = Server(
            serve
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        if ours(&mut server, port) {
            return (server, port);
        }
        assert!(attempt < 5, "could not start serve on a free port");
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

/// A peer server's process: killed when dropped, its log shown if the test failed.
pub(crate) struct PeerProcess {
    child: std::process::Child,
    log: PathBuf,
    name: String,
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!(
                "--- {} peer log ---\n{log}\n--- end of the peer log ---",
                self.name
            );
        }
    }
}

/// Starts a peer server (`command`, its stderr to `log`) that prints one JSON line when it is
/// ready, and reads that line (60 s at most); the peer's stdin stays open as its lifeline.
pub(crate) fn start_peer(
    mut command: Command,
    log: &std::path::Path,
    name: &str,
) -> (PeerProcess, serde_json::Value) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    match serde_json::from_str(&line) {
        Ok(ready) => (
            PeerProcess {
                child,
                log: log.to_owned(),
                name: name.to_owned(),
            },
            ready,
        ),
        Err(_) => {
            let _ = child.kill();
            panic!(
                "the {name} peer did not start ({line:?}):\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        }
    }
}

pub(crate) fn e2e_dir() -> PathBuf {
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

pub(crate) fn node_modules() -> PathBuf {
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
    /// Mastodon.py through polls, markers, conversations, followed tags, scheduled posts and
    /// preview cards.
    MastodonPyMore,
    Masto,
    /// masto through the same.
    MastoMore,
    Toot,
}

impl Client {
    /// The flows that post links to a page they serve on loopback, which the instance must be
    /// allowed to fetch for its preview card.
    fn fetches_loopback(&self) -> bool {
        matches!(self, Client::MastodonPyMore | Client::MastoMore)
    }
}

/// Runs a statement (or several) on the flow's database, as the runner moves times to now.
fn sql(db: &TestDb, statements: String) {
    use sqlx::Connection;
    let url = db.migration_url.clone().unwrap_or(db.url.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        if url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(statements))
                .execute(&mut c)
                .await
                .unwrap();
        } else {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(statements))
                .execute(&mut c)
                .await
                .unwrap();
        }
    });
}

/// What a flow may ask for when it cannot wait for time to pass (it prints
/// `rookery-e2e: REQUEST` and waits until the server shows the change): polls end, or
/// scheduled statuses fall due, now, and their jobs run at once.
fn time_passes(db: &TestDb, request: &str) {
    let now = SystemClock.now().as_millis();
    let (table, column, kind) = match request {
        "end polls" => ("polls", "expires_at", "poll_expired"),
        "publish scheduled statuses" => (
            "scheduled_statuses",
            "scheduled_at",
            "publish_scheduled_status",
        ),
        other => panic!("the flow asked for {other:?}, which the runner does not know"),
    };
    sql(
        db,
        format!(
            "UPDATE {table} SET {column} = {now} WHERE {column} > {now}; \
             UPDATE jobs SET run_at = {now} WHERE kind = '{kind}' AND run_at > {now};"
        ),
    );
}

/// Runs the client to its end, answering its requests for time to pass; its success, stdout
/// and stderr.
pub(crate) fn drive(cmd: &mut Command, db: &TestDb) -> (bool, String, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(request) = line.strip_prefix("rookery-e2e: ") {
            time_passes(db, request);
        }
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let ok = child.wait().unwrap().success();
    (ok, stdout, stderr.join().unwrap())
}

fn run_flow(backend: Backend) {
    run_client_flow(backend, Client::MastodonPy);
}

fn run_client_flow(backend: Backend, client: Client) {
    run_client_flow_with(backend, client, Media::Local);
}

fn run_client_flow_with(backend: Backend, client: Client, media: Media) {
    let db = TestDb::new(backend);
    let dir = TempDir::new("rookery-e2e").unwrap();
    let bucket = match media {
        Media::Local => None,
        Media::S3 => Some(Bucket::start()),
    };
    let mut extra_env = bucket.as_ref().map(Bucket::env).unwrap_or_default();
    if client.fetches_loopback() {
        extra_env.push((
            "ROOKERY_FEDERATION__ALLOW_PRIVATE_ADDRESSES".to_owned(),
            "true".to_owned(),
        ));
    }
    let (server, port) = start_serve(&db, &dir, &extra_env);
    for user in ["alice", "bob"] {
        create_user(&dir, &db, port, &extra_env, user);
    }
    let base = format!("http://127.0.0.1:{port}");
    let (mut cmd, done) = match client {
        Client::MastodonPy => {
            // A real JPEG to upload, and where the server must say its files are: plain HTTP
            // (a domain on 127.0.0.1 means no HTTPS), so the script can fetch them.
            let image = dir.path().join("card.jpg");
            std::fs::write(&image, crate::media::make_jpeg(320, 240)).unwrap();
            let media_url = match &bucket {
                None => format!("{base}/system"),
                Some(b) => b.cdn.url(),
            };
            let mut c = Command::new(python());
            c.arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/e2e/mastodon_py_flow.py"
            ))
            .arg(&base)
            .arg(&image)
            .arg(&media_url);
            (c, "mastodon.py flow passed")
        }
        Client::MastodonPyMore => {
            // The image of the page whose preview card the flow asks for.
            let image = dir.path().join("picture.jpg");
            std::fs::write(&image, crate::media::make_jpeg(320, 240)).unwrap();
            let mut c = Command::new(python());
            c.arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/e2e/mastodon_py_flow_more.py"
            ))
            .arg(&base)
            .arg(&image);
            (c, "mastodon.py more flow passed")
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
        Client::MastoMore => {
            let image = dir.path().join("picture.jpg");
            std::fs::write(&image, crate::media::make_jpeg(320, 240)).unwrap();
            let mut c = Command::new("node");
            c.arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/e2e/masto_flow_more.mjs"
            ))
            .arg(&base)
            .arg(node_modules())
            .arg(&image);
            (c, "masto more flow passed")
        }
    };
    let (ok, stdout, stderr) = drive(&mut cmd, &db);
    assert!(
        ok && stdout.contains(done),
        "client flow failed on {backend:?}:\n{stdout}\n{stderr}"
    );
    drop(server);
    if let Some(bucket) = &bucket {
        // The bucket holds the processed files, and no raw upload is left behind.
        let keys = bucket.keys();
        assert!(
            keys.iter().any(|k| k.starts_with("media/")),
            "nothing stored in the bucket: {keys:?}"
        );
        assert!(
            keys.iter().all(|k| !k.starts_with("uploads/")),
            "raw uploads left in the bucket: {keys:?}"
        );
    }
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

/// The same flow with media in an S3 bucket, on both database engines.
#[test]
fn mastodon_py_flow_with_s3_media_on_sqlite() {
    run_client_flow_with(Backend::Sqlite, Client::MastodonPy, Media::S3);
}

#[test]
fn mastodon_py_flow_with_s3_media_on_postgres() {
    run_client_flow_with(Backend::Postgres, Client::MastodonPy, Media::S3);
}

/// Polls, markers, conversations, followed tags, scheduled posts and preview cards.
#[test]
fn mastodon_py_flow_more_on_sqlite() {
    run_client_flow(Backend::Sqlite, Client::MastodonPyMore);
}

#[test]
fn mastodon_py_flow_more_on_postgres() {
    run_client_flow(Backend::Postgres, Client::MastodonPyMore);
}

#[test]
fn masto_flow_on_sqlite() {
    run_client_flow(Backend::Sqlite, Client::Masto);
}

#[test]
fn masto_flow_on_postgres() {
    run_client_flow(Backend::Postgres, Client::Masto);
}

/// Polls, markers, conversations, followed tags, scheduled posts and preview cards.
#[test]
fn masto_flow_more_on_sqlite() {
    run_client_flow(Backend::Sqlite, Client::MastoMore);
}

#[test]
fn masto_flow_more_on_postgres() {
    run_client_flow(Backend::Postgres, Client::MastoMore);
}

#[test]
fn toot_logs_in_posts_and_reads_the_timeline() {
    run_client_flow(Backend::Sqlite, Client::Toot);
}
