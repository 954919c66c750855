//! Built-in TLS: `rookery serve` with a certificate answers HTTPS, refuses plaintext, reloads
//! its certificate on SIGHUP, and names certificate problems in one line.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rookery_testkit::{TempDir, TestCerts};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cli::{rookery, run};
use crate::roles::start;

/// GET `path` over TLS trusting only `ca`; the status line, or why it failed.
async fn https_get(addr: &str, ca: &Path, path: &str) -> Result<String, String> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    text.lines()
        .next()
        .map(str::to_owned)
        .ok_or_else(|| "no response".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_terminates_tls_and_reloads_its_certificate_on_sighup() {
    let dir = TempDir::new("rookery-tls").unwrap();
    let first = TestCerts::generate(dir.path()).unwrap();
    let mut cmd = rookery(&dir);
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .env("ROOKERY_SERVER__DOMAIN", "localhost")
        .env("ROOKERY_SERVER__TLS_CERT", &first.server_cert)
        .env("ROOKERY_SERVER__TLS_KEY", &first.server_key);
    let (proc, base) = start(&mut cmd);
    let addr = base.trim_start_matches("http://").to_owned();
    assert_eq!(
        https_get(&addr, &first.ca, "/health").await.unwrap(),
        "HTTP/1.1 200 OK"
    );
    // Plain HTTP on the TLS port gets nothing useful.
    let plain = reqwest::Client::new()
        .get(format!("http://{addr}/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(plain.is_err() || plain.is_ok_and(|r| r.status() != 200));

    // Renewal: new files in place, SIGHUP, and new connections get the new certificate.
    let renewed_dir = TempDir::new("rookery-tls-renewed").unwrap();
    let renewed = TestCerts::generate(renewed_dir.path()).unwrap();
    std::fs::copy(&renewed.server_cert, &first.server_cert).unwrap();
    std::fs::copy(&renewed.server_key, &first.server_key).unwrap();
    assert!(
        https_get(&addr, &first.ca, "/health").await.is_ok(),
        "not reloaded before SIGHUP"
    );
    proc.signal("-HUP");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if https_get(&addr, &renewed.ca, "/health").await.as_deref() == Ok("HTTP/1.1 200 OK") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "certificate not reloaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(https_get(&addr, &first.ca, "/health").await.is_err());

    // A broken file on the next reload keeps the working certificate.
    std::fs::write(&first.server_cert, "not a certificate").unwrap();
    proc.signal("-HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        https_get(&addr, &renewed.ca, "/health").await.unwrap(),
        "HTTP/1.1 200 OK"
    );
}

#[test]
fn certificate_problems_are_one_line_errors() {
    let dir = TempDir::new("rookery-tls-errors").unwrap();
    let certs = TestCerts::generate(dir.path()).unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "hello").unwrap();
    let missing = dir.path().join("missing.pem");
    let cases: Vec<(Vec<(&str, &Path)>, &str)> = vec![
        (
            vec![("ROOKERY_SERVER__TLS_CERT", &certs.server_cert)],
            "error: server.tls_key: tls_cert is set but tls_key is not",
        ),
        (
            vec![
                ("ROOKERY_SERVER__TLS_CERT", &missing),
                ("ROOKERY_SERVER__TLS_KEY", &certs.server_key),
            ],
            "error: server.tls_cert: cannot read",
        ),
        (
            vec![
                ("ROOKERY_SERVER__TLS_CERT", &garbage),
                ("ROOKERY_SERVER__TLS_KEY", &certs.server_key),
            ],
            "error: server.tls_cert:",
        ),
        (
            // A key that belongs to another certificate.
            vec![
                ("ROOKERY_SERVER__TLS_CERT", &certs.server_cert),
                ("ROOKERY_SERVER__TLS_KEY", &certs.client_key),
            ],
            "error: server.tls_cert: the certificate and key do not go together",
        ),
    ];
    for (env, expect) in cases {
        let mut cmd = rookery(&dir);
        cmd.args(["config", "check"]);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let (code, _, err) = run(&mut cmd);
        assert_eq!(code, 2, "{env:?}: {err}");
        assert!(err.starts_with(expect), "{env:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1);
    }
}
