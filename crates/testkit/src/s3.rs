//! A real S3-compatible server for tests: [`s3s-fs`](https://crates.io/crates/s3s-fs) 0.14.1,
//! which keeps buckets as directories and checks every request's SigV4 signature, started on
//! an ephemeral port in a temporary directory with random credentials.
//!
//! s3s-fs serves no anonymous requests once it has credentials (`403 AccessDenied: Signature
//! is required`) and has no bucket policies or ACLs (it accepts `x-amz-acl` and ignores it).
//! Tests that fetch a media URL the way a client does go through [`TestCdn`] instead: a small
//! read-only HTTP proxy that signs each `GET`/`HEAD` with the server's credentials, as a CDN
//! with origin-access credentials does in front of a private bucket. (Running a second,
//! credential-less s3s-fs on the same directory would also serve anonymous reads, but it would
//! take anonymous writes too.)
//!
//! Behind the `s3` feature, because the CDN signs with `rookery-storage`'s signer.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rookery_model::{Clock, SystemClock};
use rookery_storage::sigv4;

use crate::servers::{free_port, on_path, watchdog};
use crate::{TempDir, random_hex};

const S3S_HINT: &str = "s3s-fs was not found: run scripts/setup-e2e (it installs s3s-fs into \
    ${ROOKERY_E2E_DIR:-$HOME/.cache/rookery-e2e}/tools/bin), or \
    `cargo install s3s-fs@0.14.1 --locked --features binary` and put it on PATH, \
    or set ROOKERY_S3S_FS to the binary";

/// The signing region tests use (s3s-fs accepts any).
const REGION: &str = "us-east-1";

/// The bucket every server starts with.
const BUCKET: &str = "rookery-media";

/// The s3s-fs binary: `$ROOKERY_S3S_FS`, then the one `scripts/setup-e2e` installs, then PATH.
fn find_binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("ROOKERY_S3S_FS") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "ROOKERY_S3S_FS={} is not a file; {S3S_HINT}",
                path.display()
            ))
        };
    }
    let e2e = match std::env::var_os("ROOKERY_E2E_DIR") {
        Some(d) => Some(PathBuf::from(d)),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/rookery-e2e")),
    };
    e2e.map(|d| d.join("tools/bin/s3s-fs"))
        .filter(|p| p.is_file())
        .or_else(|| on_path("s3s-fs"))
        .ok_or_else(|| S3S_HINT.to_owned())
}

/// An s3s-fs process of its own with one bucket, [`S3Server::bucket`]. Stopped, and its
/// directory removed, when dropped (and by a watchdog if the test process dies).
///
/// It answers path-style requests at [`S3Server::endpoint`] and virtual-hosted ones for
/// `{bucket}.{domain}` ([`S3Server::domain`] is `s3.localhost:{port}`); `*.localhost` does not
/// resolve on every machine, so clients connect to [`S3Server::addr`] for those names
/// (`S3Config::resolve`).
#[derive(Debug)]
pub struct S3Server {
    child: Child,
    dir: PathBuf,
    port: u16,
    access_key: String,
    secret_key: String,
}

impl S3Server {
    /// Starts a server with fresh random credentials and an empty bucket, and waits until it
    /// answers.
    pub fn start() -> Result<S3Server, String> {
        let binary = find_binary()?;
        let dir = TempDir::new("rookery-s3")
            .map_err(|e| format!("cannot create a temp dir: {e}"))?
            .into_path();
        let data = dir.join("data");
        // s3s-fs takes every directory under its root for a bucket.
        std::fs::create_dir_all(data.join(BUCKET))
            .map_err(|e| format!("cannot create {}: {e}", data.display()))?;
        let log_path = dir.join("s3s-fs.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot share the log file: {e}"))?;
        let port = free_port()?;
        let access_key = format!("AKTEST{}", random_hex(7).to_uppercase());
        let secret_key = random_hex(20);
        let child = Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", &access_key, "--secret-key", &secret_key])
            .args(["--domain", &format!("s3.localhost:{port}")])
            .arg(&data)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let mut server = S3Server {
            child,
            dir,
            port,
            access_key,
            secret_key,
        };
        // The watchdog reads the pid from the directory, which `drop` removes: a server
        // stopped normally is never killed twice (its pid may belong to someone else by then).
        let pid_file = server.dir.join("s3s-fs.pid");
        std::fs::write(&pid_file, server.child.id().to_string())
            .map_err(|e| format!("cannot write {}: {e}", pid_file.display()))?;
        watchdog(&format!(
            "kill $(cat {d}/s3s-fs.pid) 2>/dev/null; sleep 0.2; rm -rf {d}",
            d = server.dir.display()
        ))?;
        server.wait_until_listening(&log_path)?;
        Ok(server)
    }

    fn wait_until_listening(&mut self, log: &Path) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                return Err(format!("s3s-fs exited ({status}) before listening: {tail}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let tail = std::fs::read_to_string(log).unwrap_or_default();
        Err(format!(
            "s3s-fs did not start listening on port {}: {tail}",
            self.port
        ))
    }

    /// The path-style endpoint, `http://127.0.0.1:{port}`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The endpoint for virtual-hosted requests, `http://s3.localhost:{port}`; connect to
    /// [`S3Server::addr`] for it and for `{bucket}.s3.localhost`.
    pub fn virtual_host_endpoint(&self) -> String {
        format!("http://{}", self.domain())
    }

    /// The domain the server parses virtual-hosted requests under, `s3.localhost:{port}`.
    pub fn domain(&self) -> String {
        format!("s3.localhost:{}", self.port)
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The region to sign for.
    pub fn region(&self) -> &str {
        REGION
    }

    /// The bucket it starts with.
    pub fn bucket(&self) -> &str {
        BUCKET
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The directory holding the buckets (one subdirectory each).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Adds another (empty) bucket.
    pub fn create_bucket(&self, name: &str) -> Result<(), String> {
        let path = self.data_dir().join(name);
        std::fs::create_dir(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))
    }

    /// Starts a [`TestCdn`] in front of this server's bucket.
    pub fn start_cdn(&self) -> Result<TestCdn, String> {
        TestCdn::start(Origin {
            port: self.port,
            bucket: BUCKET.to_owned(),
            credentials: sigv4::Credentials::new(&self.access_key, &self.secret_key),
        })
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What the CDN fetches from.
#[derive(Debug, Clone)]
struct Origin {
    port: u16,
    bucket: String,
    credentials: sigv4::Credentials,
}

/// A read-only "CDN" on `127.0.0.1`: `GET`/`HEAD /{key}` is forwarded to `/{bucket}/{key}`
/// on the S3 server, signed with the server's credentials (and with the client's `Range`,
/// if any), and the answer is passed back untouched: status, `Content-Type`,
/// `Content-Length`, `Cache-Control`, `ETag`, body. Other methods get `405`. One thread per
/// connection, one request per connection. Stops when dropped.
#[derive(Debug)]
pub struct TestCdn {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl TestCdn {
    fn start(origin: Origin) -> Result<TestCdn, String> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind the CDN: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("cannot read the CDN's port: {e}"))?
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("test-cdn".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let origin = origin.clone();
                    let _ = std::thread::Builder::new()
                        .name("test-cdn-conn".into())
                        .spawn(move || {
                            let _ = serve(conn, &origin);
                        });
                }
            })
            .map_err(|e| format!("cannot start the CDN thread: {e}"))?;
        Ok(TestCdn { port, stop })
    }

    /// The base URL: an object is at `{url}/{key}` (use it as `S3Config::public_url`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for TestCdn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Answers one request on `conn`.
fn serve(conn: TcpStream, origin: &Origin) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut conn = conn;
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_owned());
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut conn,
            "405 Method Not Allowed",
            "Allow: GET, HEAD\r\n",
            "",
        );
    }
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') || path == "/" {
        return respond(&mut conn, "404 Not Found", "", "no such object\n");
    }
    let origin_path = format!("/{}{path}", origin.bucket);
    let host = format!("127.0.0.1:{}", origin.port);
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(r) = &range {
        headers.push(("range", r));
    }
    let signed = sigv4::sign(
        &origin.credentials,
        REGION,
        SystemClock.now(),
        &sigv4::Request {
            method,
            host: &host,
            path: &origin_path,
            query: "",
            headers: &headers,
            payload_hash: sigv4::EMPTY_PAYLOAD_SHA256,
        },
    );
    let mut upstream = match TcpStream::connect(("127.0.0.1", origin.port)) {
        Ok(s) => s,
        Err(e) => {
            return respond(
                &mut conn,
                "502 Bad Gateway",
                "",
                &format!("origin unreachable: {e}\n"),
            );
        }
    };
    let mut head = format!("{method} {origin_path} HTTP/1.1\r\n");
    for (name, value) in headers.iter().copied().chain(
        signed
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str())),
    ) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes())?;
    // The origin closes after its answer (`connection: close`): relay it byte for byte.
    std::io::copy(&mut upstream, &mut conn)?;
    conn.flush()
}

fn respond(conn: &mut TcpStream, status: &str, headers: &str, body: &str) -> std::io::Result<()> {
    let text = format!(
        "HTTP/1.1 {status}\r\n{headers}content-type: text/plain\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(text.as_bytes())?;
    conn.flush()
}
