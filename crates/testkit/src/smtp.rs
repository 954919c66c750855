//! A real SMTP server for tests: `aiosmtpd` (Debian `python3-aiosmtpd`) on an ephemeral port,
//! writing each message it accepts, parsed by Python's `email` package, as a JSON file
//! (`from`, `to`, `rcpt_tos`, `subject`, `headers`, `text`, `html`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::TempDir;
use crate::servers::{free_port, wait_for_port, watchdog};

const HINT: &str = "the SMTP test server needs python3 with aiosmtpd: apt-get install python3-aiosmtpd \
                    (scripts/install-deps does it)";

/// An aiosmtpd process of its own. Stopped, and its directory removed, when dropped (and by a
/// watchdog if the test process dies).
#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl SmtpSink {
    /// Starts a server and waits until it listens.
    pub fn start() -> Result<SmtpSink, String> {
        // Debian's interpreter, which the package installs into (another `python3` may come
        // first on PATH).
        let python = if std::path::Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3"
        } else {
            "python3"
        };
        let ok = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(HINT.to_owned());
        }
        let dir = TempDir::new("rookery-smtp")
            .map_err(|e| format!("cannot create a temp dir: {e}"))?
            .into_path();
        let mail = dir.join("mail");
        std::fs::create_dir_all(&mail).map_err(|e| format!("cannot create {mail:?}: {e}"))?;
        let script = dir.join("smtp_sink.py");
        std::fs::write(&script, include_str!("smtp_sink.py"))
            .map_err(|e| format!("cannot write {script:?}: {e}"))?;
        let log_path = dir.join("smtp.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("cannot create {log_path:?}: {e}"))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot share the log file: {e}"))?;
        let port = free_port()?;
        let child = Command::new(python)
            .arg(&script)
            .arg(port.to_string())
            .arg(&mail)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        let sink = SmtpSink { child, dir, port };
        let pid_file = sink.dir.join("smtp.pid");
        std::fs::write(&pid_file, sink.child.id().to_string())
            .map_err(|e| format!("cannot write {pid_file:?}: {e}"))?;
        watchdog(&format!(
            "kill $(cat {d}/smtp.pid) 2>/dev/null; sleep 0.2; rm -rf {d}",
            d = sink.dir.display()
        ))?;
        wait_for_port(port, "aiosmtpd", &log_path)?;
        Ok(sink)
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory the messages are written to (one JSON file each).
    pub fn mail_dir(&self) -> PathBuf {
        self.dir.join("mail")
    }

    /// While `true`, messages are refused with a temporary error (451).
    pub fn refuse(&self, refuse: bool) -> Result<(), String> {
        let flag = self.dir.join("mail").join("refuse");
        if refuse {
            std::fs::write(&flag, b"").map_err(|e| format!("cannot write {flag:?}: {e}"))
        } else {
            match std::fs::remove_file(&flag) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(format!("cannot remove {flag:?}: {e}"))
                }
                _ => Ok(()),
            }
        }
    }

    /// The messages accepted so far, oldest first, each as its JSON text.
    pub fn messages(&self) -> Result<Vec<String>, String> {
        let mail = self.dir.join("mail");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&mail)
            .map_err(|e| format!("cannot read {mail:?}: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && p.file_name()
                        .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).map_err(|e| format!("cannot read {p:?}: {e}")))
            .collect()
    }

    /// Waits up to `timeout` until at least `n` messages arrived; returns them all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<String>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.messages()?;
            if got.len() >= n {
                return Ok(got);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} message(s) arrived within {timeout:?}, {n} expected",
                    got.len()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
