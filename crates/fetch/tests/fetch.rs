//! The fetcher against real servers on loopback: refusals, the allow list, redirects, size and
//! time limits, and TLS with an extra CA.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rookery_fetch::{FetchError, FetchOptions, Fetcher};
use rookery_testkit::{TempDir, TestCerts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves every connection with `respond(request_head)` (raw HTTP/1.1 bytes); `None` stalls.
async fn server(
    ip: &str,
    respond: impl Fn(&str) -> Option<Vec<u8>> + Send + Sync + 'static,
) -> u16 {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                match respond(&head) {
                    Some(bytes) => {
                        let _ = s.write_all(&bytes).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(60)).await,
                }
            });
        }
    });
    port
}

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn options(allowed: &[&str]) -> FetchOptions {
    FetchOptions {
        allowed_addresses: allowed
            .iter()
            .map(|a| a.parse::<IpAddr>().unwrap())
            .collect(),
        timeout: Duration::from_secs(2),
        max_body: 1024 * 1024,
        ..FetchOptions::default()
    }
}

#[tokio::test]
async fn private_addresses_are_refused_by_literal_and_after_dns() {
    let port = server("127.0.0.1", |_| Some(ok("{}"))).await;
    let strict = Fetcher::new(options(&[])).unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/users/x"),
        format!("http://localhost:{port}/users/x"),
        format!("http://[::ffff:127.0.0.1]:{port}/users/x"),
        format!("http://0x7f000001:{port}/users/x"),
    ] {
        let err = strict.get(&url, &[]).await.unwrap_err();
        assert!(matches!(err, FetchError::Refused(_)), "{url}: {err:?}");
    }
    let open = Fetcher::new(FetchOptions {
        allow_private_addresses: true,
        ..options(&[])
    })
    .unwrap();
    let r = open
        .get(
            &format!("http://localhost:{port}/users/x"),
            &[("accept", "application/activity+json".into())],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"{}");
    assert_eq!(r.content_type.as_deref(), Some("application/activity+json"));
}

#[tokio::test]
async fn redirects_to_private_addresses_are_refused() {
    // 127.0.0.1 is allowed explicitly; 127.0.0.2 (also loopback) is not.
    let target = server("127.0.0.2", |_| Some(ok("secret"))).await;
    let hop = server("127.0.0.1", move |head| {
        let to = if head.starts_with("GET /loop") {
            "/loop".to_owned()
        } else {
            format!("http://127.0.0.2:{target}/meta-data")
        };
        Some(format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes())
    })
    .await;
    let fetcher = Fetcher::new(options(&["127.0.0.1"])).unwrap();
    let err = fetcher
        .get(&format!("http://127.0.0.1:{hop}/start"), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Refused(_)), "{err:?}");
    let err = fetcher
        .get(&format!("http://127.0.0.1:{hop}/loop"), &[])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("redirects"), "{err:?}");
}

#[tokio::test]
async fn oversized_and_slow_responses_stop_at_the_limits() {
    let big = server("127.0.0.1", |head| {
        Some(if head.starts_with("GET /declared") {
            b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n".to_vec()
        } else {
            // No length: chunks until the client gives up.
            let mut out = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
            out.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
            out
        })
    })
    .await;
    let slow = server("127.0.0.1", |_| None).await;
    let fetcher = Fetcher::new(options(&["127.0.0.1"])).unwrap();
    for path in ["/declared", "/streamed"] {
        let err = fetcher
            .get(&format!("http://127.0.0.1:{big}{path}"), &[])
            .await
            .unwrap_err();
        assert_eq!(err, FetchError::TooLarge(1024 * 1024), "{path}");
    }
    // Per-request limits (media files) apply instead of the client's, both ways.
    let url = format!("http://127.0.0.1:{big}/streamed");
    let err = fetcher
        .get_limited(&url, &[], 1000, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge(1000));
    let ok = fetcher
        .get_limited(&url, &[], 4 * 1024 * 1024, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(ok.body.len(), 3 * 1024 * 1024);
    let started = std::time::Instant::now();
    let err = fetcher
        .get(&format!("http://127.0.0.1:{slow}/"), &[])
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(5));
    // Not http(s), not a URL.
    assert!(matches!(
        fetcher.get("file:///etc/passwd", &[]).await,
        Err(FetchError::Url(_))
    ));
    assert!(matches!(
        fetcher.get("not a url", &[]).await,
        Err(FetchError::Url(_))
    ));
}

#[tokio::test]
async fn https_peers_with_a_private_ca_are_trusted_only_when_configured() {
    let dir = TempDir::new("rookery-fetch-tls").unwrap();
    let certs = TestCerts::generate(dir.path()).unwrap();
    let config = {
        use rustls_pki_types::pem::PemObject;
        let chain: Vec<_> = rustls_pki_types::CertificateDer::pem_file_iter(&certs.server_cert)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let key = rustls_pki_types::PrivateKeyDer::from_pem_file(&certs.server_key).unwrap();
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap()
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(s).await {
                    let mut buf = vec![0u8; 4096];
                    let _ = tls.read(&mut buf).await;
                    let _ = tls.write_all(&ok(r#"{"ok":true}"#)).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    let url = format!("https://localhost:{port}/.well-known/webfinger");
    let untrusting = Fetcher::new(options(&["127.0.0.1", "::1"])).unwrap();
    assert!(matches!(
        untrusting.get(&url, &[]).await,
        Err(FetchError::Network(_))
    ));
    let trusting = Fetcher::new(FetchOptions {
        extra_ca: Some(certs.ca.clone()),
        ..options(&["127.0.0.1", "::1"])
    })
    .unwrap();
    let r = trusting.get(&url, &[]).await.unwrap();
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, br#"{"ok":true}"#.as_slice())
    );
    // A CA file that is not one is a configuration error.
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "nope").unwrap();
    assert!(matches!(
        Fetcher::new(FetchOptions {
            extra_ca: Some(bad),
            ..FetchOptions::default()
        }),
        Err(FetchError::Config(_))
    ));
}
