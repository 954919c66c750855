//! The S3 backend against s3s-fs, path-style and virtual-hosted.

use std::sync::Arc;
use std::time::Duration;

use rookery_model::{Clock, ManualClock, SystemClock, Timestamp};
use rookery_storage::{Addressing, BlobStore, S3Config, S3Storage, StorageError, sigv4};
use rookery_testkit::{S3Server, TempDir};

fn server() -> S3Server {
    S3Server::start().unwrap_or_else(|e| panic!("{e}"))
}

fn config(server: &S3Server, addressing: Addressing) -> S3Config {
    let endpoint = match addressing {
        Addressing::Path => server.endpoint(),
        // `s3.localhost` and `rookery-media.s3.localhost` need not resolve: `resolve` says
        // where they are.
        Addressing::VirtualHost => server.virtual_host_endpoint(),
    };
    let mut c = S3Config::new(
        endpoint,
        server.region(),
        server.bucket(),
        server.access_key(),
        server.secret_key(),
    );
    c.addressing = addressing;
    c.resolve = Some(server.addr());
    c.timeout = Duration::from_secs(10);
    c
}

/// A client with no credentials, as a browser or a remote server fetching media.
async fn anonymous_get(url: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn expect_http(result: Result<impl std::fmt::Debug, StorageError>, status: u16, code: &str) {
    match result {
        Err(StorageError::Http {
            status: got,
            message,
        }) => {
            assert_eq!(got, status, "{message}");
            assert!(message.contains(code), "{code} missing from {message:?}");
        }
        other => panic!("expected HTTP {status} {code}, got {other:?}"),
    }
}

async fn round_trip(addressing: Addressing) {
    let server = server();
    let cdn = server.start_cdn().unwrap();
    let mut c = config(&server, addressing);
    c.public_url = Some(cdn.url());
    let store = S3Storage::new(c).unwrap();
    assert_eq!(store.backend(), "s3");
    assert_eq!(store.local_root(), None);
    store.check_bucket().await.unwrap();

    // From memory.
    let key = "media_attachments/files/1/original/a.png";
    let png = b"\x89PNG not really".to_vec();
    store.put(key, png.clone(), "image/png").await.unwrap();
    assert_eq!(store.get(key).await.unwrap().unwrap(), png);
    assert_eq!(store.url(key), format!("{}/{key}", cdn.url()));
    let public = anonymous_get(&store.url(key)).await;
    assert_eq!(public.status(), 200);
    assert_eq!(header(&public, "content-type"), "image/png");
    assert_eq!(
        header(&public, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(public.bytes().await.unwrap(), png);

    // Streamed from a file: 5 MB.
    let dir = TempDir::new("rookery-s3-test").unwrap();
    let video: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
    let input = dir.path().join("in.mp4");
    std::fs::write(&input, &video).unwrap();
    let vkey = "media_attachments/files/2/original/v.mp4";
    store.put_file(vkey, &input, "video/mp4").await.unwrap();
    let output = dir.path().join("out.mp4");
    assert!(store.get_to_file(vkey, &output).await.unwrap());
    assert_eq!(std::fs::read(&output).unwrap(), video);
    assert_eq!(store.get(vkey).await.unwrap().unwrap(), video);
    let public = anonymous_get(&store.url(vkey)).await;
    assert_eq!(public.status(), 200);
    assert_eq!(header(&public, "content-type"), "video/mp4");
    assert_eq!(header(&public, "content-length"), video.len().to_string());
    assert_eq!(public.bytes().await.unwrap(), video);

    // From memory, large enough to be hashed off the async threads: the signature still
    // matches.
    let bkey = "media_attachments/files/3/original/big.mp4";
    store.put(bkey, video.clone(), "video/mp4").await.unwrap();
    assert_eq!(store.get(bkey).await.unwrap().unwrap(), video);
    store.delete(bkey).await.unwrap();

    // Overwrite.
    store.put(key, b"v2".to_vec(), "image/webp").await.unwrap();
    assert_eq!(store.get(key).await.unwrap().unwrap(), b"v2");
    let public = anonymous_get(&store.url(key)).await;
    assert_eq!(header(&public, "content-type"), "image/webp");

    // Delete, twice; then it is gone everywhere.
    store.delete(key).await.unwrap();
    store.delete(key).await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), None);
    let gone = dir.path().join("gone");
    assert!(!store.get_to_file(key, &gone).await.unwrap());
    assert!(!gone.exists());
    assert_eq!(anonymous_get(&store.url(key)).await.status(), 404);
    store.delete(vkey).await.unwrap();
    assert_eq!(store.get(vkey).await.unwrap(), None);
}

#[tokio::test]
async fn path_style_round_trip() {
    round_trip(Addressing::Path).await;
}

#[tokio::test]
async fn virtual_host_round_trip() {
    round_trip(Addressing::VirtualHost).await;
}

#[tokio::test]
async fn urls_without_public_url_name_the_bucket() {
    let server = server();
    let path = S3Storage::new(config(&server, Addressing::Path)).unwrap();
    assert_eq!(
        path.url("a/b.png"),
        format!("http://127.0.0.1:{}/rookery-media/a/b.png", server.port())
    );
    let vhost = S3Storage::new(config(&server, Addressing::VirtualHost)).unwrap();
    assert_eq!(
        vhost.url("a/b.png"),
        format!(
            "http://rookery-media.s3.localhost:{}/a/b.png",
            server.port()
        )
    );
}

/// s3s-fs has no public-read buckets: an unsigned GET of an object's bucket URL is refused.
/// That is why the public URL in these tests is the test kit's CDN.
#[tokio::test]
async fn s3s_fs_refuses_anonymous_reads() {
    let server = server();
    let mut c = config(&server, Addressing::Path);
    c.acl = Some("public-read".into()); // accepted, and ignored by s3s-fs
    let store = S3Storage::new(c).unwrap();
    store
        .put("a/b.txt", b"hi".to_vec(), "text/plain")
        .await
        .unwrap();
    let direct = anonymous_get(&store.url("a/b.txt")).await;
    assert_eq!(direct.status(), 403);
    assert!(direct.text().await.unwrap().contains("AccessDenied"));
}

#[tokio::test]
async fn wrong_secret_is_a_clear_403() {
    let server = server();
    let good = S3Storage::new(config(&server, Addressing::Path)).unwrap();
    good.put("k/1", b"x".to_vec(), "text/plain").await.unwrap();
    for addressing in [Addressing::Path, Addressing::VirtualHost] {
        let mut c = config(&server, addressing);
        c.secret_access_key = "not-the-secret".into();
        let store = S3Storage::new(c).unwrap();
        expect_http(
            store.put("k/2", b"x".to_vec(), "text/plain").await,
            403,
            "SignatureDoesNotMatch",
        );
        // A refused read is an error, never "missing".
        expect_http(store.get("k/1").await, 403, "SignatureDoesNotMatch");
        expect_http(store.delete("k/1").await, 403, "SignatureDoesNotMatch");
        let err = store.get("k/1").await.unwrap_err().to_string();
        assert!(err.contains("GET rookery-media/k/1"), "{err}");
        assert!(!err.contains("not-the-secret"), "{err}");
    }
    assert_eq!(good.get("k/1").await.unwrap().unwrap(), b"x");
}

#[tokio::test]
async fn unknown_access_key_is_refused() {
    let server = server();
    let mut c = config(&server, Addressing::Path);
    c.access_key_id = "AKNOBODY".into();
    let store = S3Storage::new(c).unwrap();
    // s3s-fs says NotSignedUp where AWS says InvalidAccessKeyId.
    expect_http(
        store.put("k", b"x".to_vec(), "text/plain").await,
        403,
        "NotSignedUp",
    );
}

/// The signing time comes from the clock given; a clock years off is refused.
#[tokio::test]
async fn signatures_use_the_given_clock() {
    let server = server();
    let stale: Arc<dyn Clock> =
        Arc::new(ManualClock::new(Timestamp::from_millis(1_369_353_600_000)));
    let store = S3Storage::with_clock(config(&server, Addressing::Path), stale).unwrap();
    expect_http(
        store.put("k", b"x".to_vec(), "text/plain").await,
        403,
        "RequestTimeTooSkewed",
    );
}

#[tokio::test]
async fn missing_bucket_is_a_clear_error() {
    let server = server();
    let mut c = config(&server, Addressing::Path);
    c.bucket = "no-such-bucket".into();
    let store = S3Storage::new(c).unwrap();
    let err = store.check_bucket().await.unwrap_err();
    assert!(err.is_status(404), "{err}");
    assert!(err.to_string().contains("no such bucket"), "{err}");
    expect_http(store.delete("k").await, 404, "NoSuchBucket");
    // (s3s-fs answers GET in a missing bucket with NoSuchKey, and creates the bucket on PUT.)
}

#[tokio::test]
async fn custom_cache_control_is_stored() {
    let server = server();
    let cdn = server.start_cdn().unwrap();
    let mut c = config(&server, Addressing::VirtualHost);
    c.cache_control = "private, max-age=60".into();
    c.public_url = Some(format!("{}/", cdn.url()));
    let store = S3Storage::new(c).unwrap();
    store.put("c/1", b"x".to_vec(), "text/plain").await.unwrap();
    let public = anonymous_get(&store.url("c/1")).await;
    assert_eq!(header(&public, "cache-control"), "private, max-age=60");
}

#[tokio::test]
async fn keys_needing_escapes_are_refused_before_any_request() {
    // No server: nothing may be sent.
    let mut c = S3Config::new("http://127.0.0.1:9", "us-east-1", "b", "AK", "SK");
    c.timeout = Duration::from_secs(2);
    let store = S3Storage::new(c).unwrap();
    for key in ["a b.png", "a+b.png", "ünï/c.png", "../x", "/x", "a//b"] {
        match store.put(key, b"x".to_vec(), "text/plain").await {
            Err(StorageError::InvalidKey { .. }) => {}
            other => panic!("{key:?}: expected InvalidKey, got {other:?}"),
        }
        match store.get(key).await {
            Err(StorageError::InvalidKey { .. }) => {}
            other => panic!("{key:?}: expected InvalidKey, got {other:?}"),
        }
    }
}

/// The signer's path encoding matches the server's for keys the backend refuses to make
/// (spaces, `+`, unicode, `$`, `~`): signed by hand, stored under the decoded name.
#[tokio::test]
async fn signer_encodes_odd_keys_like_the_server() {
    let server = server();
    let credentials = sigv4::Credentials::new(server.access_key(), server.secret_key());
    let host = format!("127.0.0.1:{}", server.port());
    let key = "dir/a b+c ü~$.txt";
    let path = format!("/{}/{}", server.bucket(), rookery_storage::encode_path(key));
    let client = reqwest::Client::new();
    let send = |method: reqwest::Method, body: &'static [u8]| {
        let hash = if body.is_empty() {
            sigv4::EMPTY_PAYLOAD_SHA256.to_owned()
        } else {
            sigv4::sha256_hex(body)
        };
        let signed = sigv4::sign(
            &credentials,
            server.region(),
            SystemClock.now(),
            &sigv4::Request {
                method: method.as_str(),
                host: &host,
                path: &path,
                query: "",
                headers: &[],
                payload_hash: &hash,
            },
        );
        let mut request = client
            .request(method, format!("http://{host}{path}"))
            .body(body);
        for (name, value) in signed.headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let put = send(reqwest::Method::PUT, b"odd").await.unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    let stored = server.data_dir().join(server.bucket()).join(key);
    assert_eq!(std::fs::read(stored).unwrap(), b"odd");
    let get = send(reqwest::Method::GET, b"").await.unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(get.bytes().await.unwrap(), &b"odd"[..]);
}

#[tokio::test]
async fn test_cdn_is_read_only_and_passes_ranges() {
    let server = server();
    let cdn = server.start_cdn().unwrap();
    let store = S3Storage::new(config(&server, Addressing::Path)).unwrap();
    store
        .put(
            "r/1.bin",
            b"0123456789abcdef".to_vec(),
            "application/octet-stream",
        )
        .await
        .unwrap();
    let url = format!("{}/r/1.bin", cdn.url());
    let client = reqwest::Client::new();
    let ranged = client
        .get(&url)
        .header("range", "bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap(), &b"2345"[..]);
    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-length"), "16");
    let put = client.put(&url).body("evil").send().await.unwrap();
    assert_eq!(put.status(), 405);
    let delete = client.delete(&url).send().await.unwrap();
    assert_eq!(delete.status(), 405);
    assert_eq!(
        store.get("r/1.bin").await.unwrap().unwrap(),
        b"0123456789abcdef"
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = S3Config::new(
        format!("http://127.0.0.1:{port}"),
        "us-east-1",
        "b",
        "AK",
        "SK",
    );
    c.timeout = Duration::from_secs(2);
    let store = S3Storage::new(c).unwrap();
    match store.get("k").await {
        Err(e @ StorageError::Transport { .. }) => {
            assert!(e.to_string().starts_with("GET b/k failed"), "{e}");
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
}
