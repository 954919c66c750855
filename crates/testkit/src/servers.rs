//! Throwaway PostgreSQL and pgBouncer servers, one of each per test process.

use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{TempDir, random_hex};

/// A PostgreSQL server the tests may create databases on.
#[derive(Debug)]
pub struct PgServer {
    host: String,
    port: u16,
    user: String,
    password: Option<String>,
    psql: PathBuf,
}

impl PgServer {
    /// The URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        let auth = match &self.password {
            Some(p) => format!("{}:{p}", self.user),
            None => self.user.clone(),
        };
        format!("postgres://{auth}@{}:{}/{name}", self.host, self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs one SQL statement as the superuser on the `postgres` database.
    pub fn execute(&self, sql: &str) -> Result<(), String> {
        let out = Command::new(&self.psql)
            .arg(self.url("postgres"))
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.psql.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "psql failed on {sql:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Creates an empty database with a fresh name and returns the name.
    pub fn create_database(&self) -> Result<String, String> {
        let name = format!("rookery_test_{}", random_hex(8));
        self.execute(&format!("CREATE DATABASE {name}"))?;
        Ok(name)
    }
}

/// A pgBouncer in transaction pooling mode in front of the test PostgreSQL server.
#[derive(Debug)]
pub struct PgBouncer {
    port: u16,
}

impl PgBouncer {
    /// The URL of database `name` through the pooler.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

static POSTGRES: OnceLock<Result<PgServer, String>> = OnceLock::new();
static PGBOUNCER: OnceLock<Result<PgBouncer, String>> = OnceLock::new();

/// The test PostgreSQL server: `TEST_DATABASE_URL`'s, or a cluster started for this process.
pub fn postgres() -> Result<&'static PgServer, String> {
    POSTGRES
        .get_or_init(start_postgres)
        .as_ref()
        .map_err(Clone::clone)
}

/// The test pgBouncer, started for this process in front of [`postgres`].
pub fn pgbouncer() -> Result<&'static PgBouncer, String> {
    PGBOUNCER
        .get_or_init(start_pgbouncer)
        .as_ref()
        .map_err(Clone::clone)
}

const PG_PACKAGE_HINT: &str = "PostgreSQL server binaries (initdb, pg_ctl, psql) were not found \
    on PATH or in /usr/lib/postgresql/*/bin: install the Debian package `postgresql` \
    (apt-get install postgresql), or set TEST_DATABASE_URL to a PostgreSQL superuser URL";

pub(crate) fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The directory holding `initdb`, `pg_ctl` and `psql`: Debian's newest version first
/// (its wrappers on PATH need a configured cluster), then PATH.
fn pg_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, p)| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

fn find_pg_bins() -> Result<(PathBuf, PathBuf, PathBuf), String> {
    if let Some(dir) = pg_bin_dir() {
        let psql = if dir.join("psql").is_file() {
            dir.join("psql")
        } else {
            on_path("psql").ok_or(PG_PACKAGE_HINT)?
        };
        return Ok((dir.join("initdb"), dir.join("pg_ctl"), psql));
    }
    match (on_path("initdb"), on_path("pg_ctl"), on_path("psql")) {
        (Some(i), Some(c), Some(p)) => Ok((i, c, p)),
        _ => Err(PG_PACKAGE_HINT.to_owned()),
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Runs `program` as the `postgres` user when we are root (PostgreSQL and pgBouncer refuse
/// to run as root), as ourselves otherwise.
fn command_as_service_user(program: &Path) -> Command {
    if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn hand_to_service_user(dir: &Path) -> Result<(), String> {
    if !running_as_root() {
        return Ok(());
    }
    let status = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir)
        .status()
        .map_err(|e| format!("cannot run chown: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(
            "chown to the postgres user failed: does the user `postgres` exist? \
             (it comes with the Debian package `postgresql`)"
                .to_owned(),
        )
    }
}

/// A free port on 127.0.0.1 for a server that is told its port before it binds it.
///
/// Ports come from below the kernel's ephemeral range (32768–60999 on Linux), so the gap between
/// choosing a port and binding it cannot be filled by the kernel handing the same port to an
/// outgoing connection or to another `bind(":0")`, and a process-wide counter keeps two tests
/// of this process from choosing the same one.
pub fn free_port() -> Result<u16, String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 16_000;
    const SPAN: u32 = 16_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    // Start where another test process (a different pid) is unlikely to be.
    let _ = NEXT.compare_exchange(
        u32::MAX,
        (std::process::id().wrapping_mul(7919)) % SPAN,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..SPAN {
        let port = LOW + NEXT.fetch_add(1, Ordering::SeqCst) % SPAN;
        let port = u16::try_from(port).map_err(|e| format!("port out of range: {e}"))?;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err("no free port between 16000 and 32000 on 127.0.0.1".to_owned())
}

pub(crate) fn wait_for_port(port: u16, what: &str, log: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let tail = std::fs::read_to_string(log).unwrap_or_default();
    Err(format!(
        "{what} did not start listening on port {port}: {tail}"
    ))
}

/// Starts a process that waits for this test process to end, then runs `cleanup` (a shell
/// script). It survives us by design: that is how servers die with a killed test run.
pub(crate) fn watchdog(cleanup: &str) -> Result<(), String> {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {cleanup}",
        pid = std::process::id()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("cannot start the cleanup watchdog: {e}"))
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn start_postgres() -> Result<PgServer, String> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        return from_url(&url);
    }
    let cluster = PgCluster::start()?;
    let server = cluster.server();
    // The shared cluster lives as long as the test process; the watchdog stops it.
    std::mem::forget(cluster);
    Ok(server)
}

/// A PostgreSQL cluster of its own, for tests that stop and start the server. Stopped and
/// removed when dropped (and by a watchdog if the test process dies).
#[derive(Debug)]
pub struct PgCluster {
    pg_ctl: PathBuf,
    psql: PathBuf,
    dir: PathBuf,
    port: u16,
    durable: bool,
}

impl PgCluster {
    /// `initdb` and start a cluster on an ephemeral port, with durability off (fast tests).
    pub fn start() -> Result<PgCluster, String> {
        Self::start_with(false)
    }

    /// Like [`PgCluster::start`], with PostgreSQL's default durability (`fsync`,
    /// `synchronous_commit`) when `durable`: for benchmarks.
    pub fn start_with(durable: bool) -> Result<PgCluster, String> {
        let (initdb, pg_ctl, psql) = find_pg_bins()?;
        let dir = TempDir::new("rookery-pg")
            .map_err(|e| format!("cannot create a temp dir: {e}"))?
            .into_path();
        hand_to_service_user(&dir)?;
        run(
            command_as_service_user(&initdb)
                .arg("-D")
                .arg(dir.join("data"))
                .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]),
            "initdb",
        )?;
        let cluster = PgCluster {
            pg_ctl,
            psql,
            port: free_port()?,
            dir,
            durable,
        };
        let stop = format!(
            "{} {} -D {} -m immediate stop; rm -rf {}",
            if running_as_root() {
                "runuser -u postgres --"
            } else {
                ""
            },
            cluster.pg_ctl.display(),
            cluster.dir.join("data").display(),
            cluster.dir.display()
        );
        watchdog(&stop)?;
        cluster.resume()?;
        Ok(cluster)
    }

    /// A handle for creating databases on this cluster.
    pub fn server(&self) -> PgServer {
        PgServer {
            host: "127.0.0.1".into(),
            port: self.port,
            user: "postgres".into(),
            password: None,
            psql: self.psql.clone(),
        }
    }

    /// Starts the (stopped) server again on the same port.
    pub fn resume(&self) -> Result<(), String> {
        let log = self.dir.join("postgres.log");
        let fast = if self.durable {
            ""
        } else {
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 {fast} -c max_connections=500",
            self.port,
            self.dir.display()
        );
        run(
            command_as_service_user(&self.pg_ctl)
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-o", &opts, "-l"])
                .arg(&log)
                .args(["-w", "-t", "60", "start"]),
            "pg_ctl start",
        )?;
        wait_for_port(self.port, "PostgreSQL", &log)
    }

    /// Stops the server (fast shutdown: connections are cut).
    pub fn stop(&self) -> Result<(), String> {
        run(
            command_as_service_user(&self.pg_ctl)
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "fast", "-w", "stop"]),
            "pg_ctl stop",
        )
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = command_as_service_user(&self.pg_ctl)
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn from_url(url: &str) -> Result<PgServer, String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or("TEST_DATABASE_URL must start with postgres://")?;
    let (auth, hostpart) = rest.rsplit_once('@').unwrap_or(("postgres", rest));
    let hostport = hostpart.split('/').next().unwrap_or(hostpart);
    let (user, password) = match auth.split_once(':') {
        Some((u, p)) => (u.to_owned(), Some(p.to_owned())),
        None => (auth.to_owned(), None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h.to_owned(),
            p.parse().map_err(|_| "TEST_DATABASE_URL has a bad port")?,
        ),
        None => (hostport.to_owned(), 5432),
    };
    let psql = pg_bin_dir()
        .map(|d| d.join("psql"))
        .filter(|p| p.is_file())
        .or_else(|| on_path("psql"))
        .ok_or(PG_PACKAGE_HINT)?;
    Ok(PgServer {
        host,
        port,
        user,
        password,
        psql,
    })
}

fn start_pgbouncer() -> Result<PgBouncer, String> {
    let pg = postgres()?;
    let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| on_path("pgbouncer"))
        .ok_or("pgbouncer was not found: install the Debian package `pgbouncer`")?;
    let dir = TempDir::new("rookery-pgbouncer")
        .map_err(|e| format!("cannot create a temp dir: {e}"))?
        .into_path();
    let port = free_port()?;
    let auth = match &pg.password {
        Some(p) => format!(" password={p}"),
        None => String::new(),
    };
    let ini = format!(
        "[databases]\n* = host={host} port={pgport} user={user}{auth}\n\n[pgbouncer]\n\
         listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         auth_type = trust\nauth_file = {dir}/userlist.txt\npool_mode = transaction\n\
         max_client_conn = 2000\ndefault_pool_size = 20\n\
         server_idle_timeout = 5\n\
         ignore_startup_parameters = extra_float_digits,options\n\
         logfile = {dir}/pgbouncer.log\npidfile = {dir}/pgbouncer.pid\n",
        host = pg.host,
        pgport = pg.port,
        user = pg.user,
        dir = dir.display(),
    );
    std::fs::write(dir.join("pgbouncer.ini"), ini)
        .and_then(|_| std::fs::write(dir.join("userlist.txt"), "\"postgres\" \"\"\n"))
        .map_err(|e| format!("cannot write the pgbouncer config: {e}"))?;
    hand_to_service_user(&dir)?;
    run(
        command_as_service_user(&binary)
            .arg("-d")
            .arg(dir.join("pgbouncer.ini")),
        "pgbouncer",
    )?;
    let stop = format!(
        "kill $(cat {d}/pgbouncer.pid) 2>/dev/null; sleep 0.2; rm -rf {d}",
        d = dir.display()
    );
    watchdog(&stop)?;
    wait_for_port(port, "pgbouncer", &dir.join("pgbouncer.log"))?;
    Ok(PgBouncer { port })
}
