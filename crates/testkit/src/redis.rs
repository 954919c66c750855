//! Throwaway `redis-server` processes (Debian package `redis-server`), plain or TLS, on
//! ephemeral ports, that tests may stop and start again.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::TempDir;
use crate::servers::{free_port, on_path, wait_for_port, watchdog};

const REDIS_HINT: &str = "redis-server was not found: install the Debian package `redis-server`";

/// Certificates for a TLS test server: a CA, the server's (for `localhost` and 127.0.0.1), and
/// a client certificate signed by the same CA.
#[derive(Debug, Clone)]
pub struct TestCerts {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl TestCerts {
    /// Generates the certificates into `dir`.
    pub fn generate(dir: &Path) -> Result<TestCerts, String> {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let e = |e: rcgen::Error| format!("cannot generate test certificates: {e}");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Rookery test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca =
            CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(e)?).map_err(e)?;
        let leaf = |names: Vec<String>| -> Result<(String, String), String> {
            let key = KeyPair::generate().map_err(e)?;
            let mut params = CertificateParams::new(names).map_err(e)?;
            params
                .distinguished_name
                .push(DnType::CommonName, "rookery test");
            let cert = params.signed_by(&key, &ca).map_err(e)?;
            Ok((cert.pem(), key.serialize_pem()))
        };
        let (server_cert, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()])?;
        let (client_cert, client_key) = leaf(vec!["client.rookery.test".into()])?;
        let out = TestCerts {
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
        };
        for (path, text) in [
            (&out.ca, ca.pem()),
            (&out.server_cert, server_cert),
            (&out.server_key, server_key),
            (&out.client_cert, client_cert),
            (&out.client_key, client_key),
        ] {
            std::fs::write(path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(out)
    }
}

/// How a test Redis accepts connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisMode {
    Plain,
    /// TLS only (`rediss://`); clients need no certificate.
    Tls,
    /// TLS only, and clients must present a certificate signed by the test CA.
    MutualTls,
}

/// A `redis-server` of its own. Stopped and removed when dropped (and by a watchdog if the
/// test process dies).
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
    mode: RedisMode,
    pub certs: Option<TestCerts>,
}

impl RedisServer {
    /// Starts a server on an ephemeral port.
    pub fn start(mode: RedisMode) -> Result<RedisServer, String> {
        let binary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .or_else(|| on_path("redis-server"))
            .ok_or(REDIS_HINT)?;
        let dir = TempDir::new("rookery-redis")
            .map_err(|e| format!("cannot create a temp dir: {e}"))?
            .into_path();
        let certs = match mode {
            RedisMode::Plain => None,
            _ => Some(TestCerts::generate(&dir)?),
        };
        let server = RedisServer {
            binary,
            port: free_port()?,
            dir,
            mode,
            certs,
        };
        let stop = format!(
            "kill $(cat {d}/redis.pid) 2>/dev/null; sleep 0.2; rm -rf {d}",
            d = server.dir.display()
        );
        watchdog(&stop)?;
        server.resume()?;
        Ok(server)
    }

    /// The URL clients use (`redis://` or `rediss://`).
    pub fn url(&self) -> String {
        match self.mode {
            RedisMode::Plain => format!("redis://127.0.0.1:{}", self.port),
            _ => format!("rediss://127.0.0.1:{}", self.port),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server again (after [`RedisServer::stop`]) on the same port.
    pub fn resume(&self) -> Result<(), String> {
        let mut cmd = Command::new(&self.binary);
        let port = self.port.to_string();
        cmd.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--pidfile")
            .arg(self.dir.join("redis.pid"))
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .args(["--daemonize", "yes"]);
        match &self.certs {
            None => {
                cmd.args(["--port", &port]);
            }
            Some(c) => {
                cmd.args(["--port", "0", "--tls-port", &port])
                    .arg("--tls-cert-file")
                    .arg(&c.server_cert)
                    .arg("--tls-key-file")
                    .arg(&c.server_key)
                    .arg("--tls-ca-cert-file")
                    .arg(&c.ca)
                    .args([
                        "--tls-auth-clients",
                        if self.mode == RedisMode::MutualTls {
                            "yes"
                        } else {
                            "no"
                        },
                    ]);
            }
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run redis-server: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "redis-server failed to start: {}{}",
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        wait_for_port(self.port, "redis-server", &self.dir.join("redis.log"))
    }

    /// Stops the server (as a crash or a failover would look to clients) and waits until the
    /// port is free.
    pub fn stop(&self) -> Result<(), String> {
        let pid = std::fs::read_to_string(self.dir.join("redis.pid"))
            .map_err(|e| format!("no redis pid file: {e}"))?;
        let pid = pid.trim().to_owned();
        let _ = Command::new("kill").args(["-9", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                let _ = std::fs::remove_file(self.dir.join("redis.pid"));
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("redis-server (pid {pid}) did not stop"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
