//! Unit tests of the S3 backend: URL building, configuration checks, upload headers.

use super::*;

fn config(addressing: Addressing) -> S3Config {
    let mut c = S3Config::new(
        "https://s3.eu-west-1.amazonaws.com",
        "eu-west-1",
        "media",
        "AKID",
        "very-secret",
    );
    c.addressing = addressing;
    c
}

#[test]
fn path_style_urls() {
    let s = S3Storage::new(config(Addressing::Path)).unwrap();
    assert_eq!(
        s.url("a/b.png"),
        "https://s3.eu-west-1.amazonaws.com/media/a/b.png"
    );
}

#[test]
fn virtual_host_urls_keep_the_port() {
    let s = S3Storage::new(config(Addressing::VirtualHost)).unwrap();
    assert_eq!(
        s.url("a/b.png"),
        "https://media.s3.eu-west-1.amazonaws.com/a/b.png"
    );
    let mut c = config(Addressing::VirtualHost);
    c.endpoint = "http://s3.localhost:9000/".into();
    let s = S3Storage::new(c).unwrap();
    assert_eq!(s.url("k"), "http://media.s3.localhost:9000/k");
}

#[test]
fn raw_uploads_never_get_the_public_acl() {
    let mut c = config(Addressing::Path);
    c.acl = Some("public-read".into());
    let s = S3Storage::new(c).unwrap();
    let acl = |key: &str| {
        s.upload_headers(key, "image/jpeg")
            .iter()
            .any(|(k, v)| *k == "x-amz-acl" && *v == "public-read")
    };
    assert!(acl("media/1/original.jpg"));
    assert!(acl("cache/1/small.jpg"));
    assert!(!acl("uploads/1-abcdef"));
    assert!(!acl("backups/Zx3/archive.zip"));
    let cache = |key: &str| {
        s.upload_headers(key, "application/zip")
            .iter()
            .find(|(k, _)| *k == "cache-control")
            .map(|(_, v)| (*v).to_owned())
    };
    assert_eq!(
        cache("backups/Zx3/archive.zip").as_deref(),
        Some("private, no-store")
    );
    assert_ne!(
        cache("media/1/original.jpg").as_deref(),
        Some("private, no-store")
    );
    let s = S3Storage::new(config(Addressing::Path)).unwrap();
    assert!(
        !s.upload_headers("media/1/original.jpg", "image/jpeg")
            .iter()
            .any(|(k, _)| *k == "x-amz-acl")
    );
}

/// Hashing a large body leaves the (here single) runtime thread free: another task runs
/// while it is going on.
#[tokio::test(flavor = "current_thread")]
async fn large_bodies_are_hashed_off_the_runtime_thread() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                ticks.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }
    });
    let body = vec![7u8; 32 * 1024 * 1024];
    let expected = sigv4::sha256_hex(&body);
    let before = ticks.load(Ordering::Relaxed);
    let (hash, back) = payload_hash(body).await.unwrap();
    let during = ticks.load(Ordering::Relaxed) - before;
    ticker.abort();
    assert_eq!(hash, expected);
    assert_eq!(back.len(), 32 * 1024 * 1024);
    assert!(during > 0, "the runtime thread was blocked while hashing");

    // Small bodies are hashed in place: not worth a thread hop.
    let (hash, _) = payload_hash(b"abc".to_vec()).await.unwrap();
    assert_eq!(hash, sigv4::sha256_hex(b"abc"));
}

#[test]
fn public_url_wins() {
    let mut c = config(Addressing::VirtualHost);
    c.public_url = Some("https://cdn.example.com/files/".into());
    let s = S3Storage::new(c).unwrap();
    assert_eq!(s.url("a/b.png"), "https://cdn.example.com/files/a/b.png");
}

#[test]
fn bad_configurations_are_refused() {
    type Change = fn(&mut S3Config);
    let cases: Vec<(&str, Change)> = vec![
        ("not a url", |c| c.endpoint = "s3 dot com".into()),
        ("ftp", |c| c.endpoint = "ftp://s3.example.com".into()),
        ("path", |c| {
            c.endpoint = "https://s3.example.com/media".into()
        }),
        ("credentials", |c| {
            c.endpoint = "https://a:b@s3.example.com".into()
        }),
        ("empty bucket", |c| c.bucket = String::new()),
        ("empty region", |c| c.region = String::new()),
        ("empty secret", |c| c.secret_access_key = String::new()),
        ("vhost on an ip", |c| {
            c.addressing = Addressing::VirtualHost;
            c.endpoint = "http://127.0.0.1:9000".into();
        }),
        ("vhost with a bucket that is no host name", |c| {
            c.addressing = Addressing::VirtualHost;
            c.bucket = "Media_Files".into();
        }),
        ("public url", |c| {
            c.public_url = Some("cdn.example.com".into())
        }),
        ("cache control", |c| c.cache_control = "public\nx: y".into()),
        ("acl", |c| c.acl = Some("public-read\r\n".into())),
    ];
    for (what, change) in cases {
        let mut c = config(Addressing::Path);
        change(&mut c);
        match S3Storage::new(c) {
            Err(StorageError::Config(_)) => {}
            other => panic!("{what}: expected a config error, got {other:?}"),
        }
    }
}

#[test]
fn debug_hides_the_secret() {
    let c = config(Addressing::Path);
    assert!(!format!("{c:?}").contains("very-secret"));
    let s = S3Storage::new(c).unwrap();
    let shown = format!("{s:?}");
    assert!(!shown.contains("very-secret"), "{shown}");
    assert!(shown.contains("AKID"));
}

#[test]
fn reads_s3_error_documents() {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>\
                <Message>The request signature &amp; so on &lt;x&gt;</Message></Error>";
    assert_eq!(
        xml_element(body, "Code").as_deref(),
        Some("SignatureDoesNotMatch")
    );
    assert_eq!(
        xml_element(body, "Message").as_deref(),
        Some("The request signature & so on <x>")
    );
    assert_eq!(xml_element(body, "Resource"), None);
    assert_eq!(xml_element("<Code></Code>", "Code"), None);
    assert_eq!(xml_element("<Code>unterminated", "Code"), None);
}
