//! A real DNS server for tests: `dnsmasq` (Debian package `dnsmasq-base`, which installs the
//! binary without a system service) on an ephemeral port of 127.0.0.1, answering only the MX
//! records it is given (every other name is refused: it has no upstream servers).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::TempDir;
use crate::servers::{free_port, on_path, wait_for_port, watchdog};

const HINT: &str = "dnsmasq was not found: install the Debian package `dnsmasq-base` \
                    (scripts/install-deps does it)";

/// A dnsmasq process of its own. Stopped, and its directory removed, when dropped (and by a
/// watchdog if the test process dies).
#[derive(Debug)]
pub struct DnsServer {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
    /// `--mx-host` values: `domain,exchange,preference`.
    mx: Vec<String>,
    child: Mutex<Option<Child>>,
}

impl DnsServer {
    /// Starts a server answering, for each `(domain, exchange)`, an MX record of `domain`
    /// pointing at `exchange` (several for one domain are all answered).
    pub fn start(mx: &[(&str, &str)]) -> Result<DnsServer, String> {
        let binary = ["/usr/sbin/dnsmasq", "/usr/local/sbin/dnsmasq"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .or_else(|| on_path("dnsmasq"))
            .ok_or(HINT)?;
        let dir = TempDir::new("rookery-dns")
            .map_err(|e| format!("cannot create a temp dir: {e}"))?
            .into_path();
        let server = DnsServer {
            binary,
            port: free_port()?,
            mx: mx
                .iter()
                .enumerate()
                .map(|(i, (domain, exchange))| format!("{domain},{exchange},{}", 10 + i))
                .collect(),
            dir,
            child: Mutex::new(None),
        };
        watchdog(&format!(
            "kill $(cat {d}/dnsmasq.pid) 2>/dev/null; sleep 0.2; rm -rf {d}",
            d = server.dir.display()
        ))?;
        server.resume()?;
        Ok(server)
    }

    /// `127.0.0.1:PORT`, where it answers over UDP and TCP.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server again (after [`DnsServer::stop`]) on the same port.
    pub fn resume(&self) -> Result<(), String> {
        let mut child = self.child.lock().map_err(|_| "dnsmasq lock poisoned")?;
        if child.is_some() {
            return Ok(());
        }
        let log = self.dir.join("dnsmasq.log");
        let mut cmd = Command::new(&self.binary);
        cmd.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--cache-size=0",
        ])
        .arg(format!("--port={}", self.port))
        .arg(format!(
            "--pid-file={}",
            self.dir.join("dnsmasq.pid").display()
        ))
        .arg(format!("--log-facility={}", log.display()))
        .args(self.mx.iter().map(|m| format!("--mx-host={m}")))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let mut started = cmd
            .spawn()
            .map_err(|e| format!("cannot run dnsmasq: {e}"))?;
        if let Err(e) = wait_for_port(self.port, "dnsmasq", &log) {
            let _ = started.kill();
            let _ = started.wait();
            return Err(e);
        }
        *child = Some(started);
        Ok(())
    }

    /// Stops the server (lookups then fail: nothing listens on the port) and waits until the
    /// port is free.
    pub fn stop(&self) -> Result<(), String> {
        let mut child = self.child.lock().map_err(|_| "dnsmasq lock poisoned")?;
        if let Some(mut c) = child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("dnsmasq on port {} did not stop", self.port))
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
