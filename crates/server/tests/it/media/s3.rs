//! Media on an S3-compatible bucket: a real s3s-fs per test (it checks every request's SigV4
//! signature), with path-style and virtual-hosted addressing, and files fetched the way clients
//! fetch them — through a CDN in front of the bucket (`public_url` = the testkit's
//! [`TestCdn`](rookery_testkit::TestCdn)). What the bucket holds is read back with a signed
//! `GET` ([`S3Storage`]) and from s3s-fs's directory.

use std::path::Path;
use std::time::Duration;

use rookery_storage::{Addressing, BlobStore, S3Config, S3Storage};
use rookery_testkit::{Backend, S3Server};
use serde_json::Value;

use super::{GPS_MARKER, fetch, make_jpeg_with_gps, make_mp4, upload};
use crate::kit::{TestApp, eventually, spawn_with};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The `ROOKERY_MEDIA__*` overrides that put media in `s3`'s bucket.
fn s3_env(
    s3: &S3Server,
    addressing: Addressing,
    public_url: Option<&str>,
    secret: &str,
) -> Vec<(String, String)> {
    let mut env: Vec<(&str, String)> = vec![
        ("ROOKERY_MEDIA__BACKEND", "s3".into()),
        ("ROOKERY_MEDIA__S3__REGION", s3.region().into()),
        ("ROOKERY_MEDIA__S3__BUCKET", s3.bucket().into()),
        ("ROOKERY_MEDIA__S3__ACCESS_KEY_ID", s3.access_key().into()),
        ("ROOKERY_MEDIA__S3__SECRET_ACCESS_KEY", secret.into()),
    ];
    match addressing {
        Addressing::Path => {
            env.push(("ROOKERY_MEDIA__S3__ENDPOINT", s3.endpoint()));
            env.push(("ROOKERY_MEDIA__S3__ADDRESSING", "path".into()));
        }
        Addressing::VirtualHost => {
            // `rookery-media.s3.localhost` need not resolve: connect to the server directly.
            env.push(("ROOKERY_MEDIA__S3__ENDPOINT", s3.virtual_host_endpoint()));
            env.push(("ROOKERY_MEDIA__S3__ADDRESSING", "virtual_host".into()));
            env.push(("ROOKERY_MEDIA__S3__CONNECT_TO", s3.addr().to_string()));
        }
    }
    if let Some(url) = public_url {
        env.push(("ROOKERY_MEDIA__S3__PUBLIC_URL", url.into()));
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

async fn spawn_on(backend: Backend, env: &[(String, String)]) -> TestApp {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    spawn_with(backend, &pairs).await
}

/// A client of the bucket with the server's own credentials, to read what it holds.
fn bucket(s3: &S3Server) -> S3Storage {
    S3Storage::new(S3Config::new(
        s3.endpoint(),
        s3.region(),
        s3.bucket(),
        s3.access_key(),
        s3.secret_key(),
    ))
    .unwrap()
}

/// Every object key in the bucket, from s3s-fs's directory (objects are files at
/// `DATA/BUCKET/KEY`; its own bookkeeping lives outside the bucket's directory).
fn keys_on_disk(s3: &S3Server) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let root = s3.data_dir().join(s3.bucket());
    let mut keys = Vec::new();
    walk(&root, &root, &mut keys);
    keys.sort();
    keys
}

/// Waits (up to a minute: video goes through ffmpeg) until `GET /api/v1/media/:id` stops
/// answering 206; it must then be 200. Returns the attachment.
async fn ready(app: &TestApp, token: &str, id: &str) -> Value {
    let path = format!("/api/v1/media/{id}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body, _) = app.get_auth(&path, Some(token)).await;
        if status != 206 {
            assert_eq!(status, 200, "media {id}: {body}");
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "media {id} still processing after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The raw upload (`uploads/…`, still carrying its metadata) is deleted once processing is
/// over; only the processed files remain.
async fn assert_only_processed_files_remain(s3: &S3Server, id: &str, expected: &[&str]) {
    eventually("the raw upload is deleted from the bucket", || async {
        keys_on_disk(s3).iter().all(|k| !k.starts_with("uploads/"))
    })
    .await;
    let mut want: Vec<String> = expected.iter().map(|f| format!("media/{id}/{f}")).collect();
    want.sort();
    assert_eq!(keys_on_disk(s3), want);
}

/// `url` fetched over plain HTTP (through the CDN) is exactly the object the bucket holds
/// under its key; returns the bytes.
async fn served_as_stored(
    app: &TestApp,
    store: &S3Storage,
    base: &str,
    url: &str,
    content_type: &str,
) -> Vec<u8> {
    let key = url
        .strip_prefix(base)
        .and_then(|k| k.strip_prefix('/'))
        .unwrap_or_else(|| panic!("{url} is not under {base}"));
    let (status, headers, bytes) = fetch(app, url).await;
    assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&bytes));
    assert_eq!(headers["content-type"], content_type, "{url}");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"),
        "{url}: {headers:?}"
    );
    let held = store
        .get(key)
        .await
        .unwrap()
        .expect("the object is in the bucket");
    assert!(!held.is_empty());
    assert_eq!(bytes, held, "{url}: the CDN serves what the bucket holds");
    bytes
}

/// A JPEG uploaded through `/api/v2/media`, processed in the queue from and into the bucket,
/// served by the CDN, and posted in a status.
async fn an_image_goes_through_the_bucket_and_the_cdn(backend: Backend, addressing: Addressing) {
    let s3 = S3Server::start().unwrap();
    let cdn = s3.start_cdn().unwrap();
    let app = spawn_on(
        backend,
        &s3_env(&s3, addressing, Some(&cdn.url()), s3.secret_key()),
    )
    .await;
    let token = app.token("alice").await;
    let jpeg = make_jpeg_with_gps(640, 480);
    let (status, body) = upload(
        &app,
        &token,
        "photo.jpg",
        jpeg,
        &[("description", "A bucket of pixels")],
    )
    .await;
    assert!(status == 200 || status == 202, "{status} {body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let m = ready(&app, &token, &id).await;
    assert_eq!(m["type"], "image");
    assert_eq!(m["description"], "A bucket of pixels");
    assert_eq!(m["meta"]["original"]["width"], 640);
    assert_eq!(m["meta"]["original"]["height"], 480);
    assert_eq!(m["blurhash"].as_str().unwrap().len(), 36);

    let base = cdn.url();
    let url = m["url"].as_str().unwrap();
    let preview_url = m["preview_url"].as_str().unwrap();
    assert_eq!(url, format!("{base}/media/{id}/original.jpg"));
    assert_eq!(preview_url, format!("{base}/media/{id}/small.jpg"));
    let store = bucket(&s3);
    for u in [url, preview_url] {
        let bytes = served_as_stored(&app, &store, &base, u, "image/jpeg").await;
        assert_eq!(&bytes[..2], &[0xFF, 0xD8], "{u} is a JPEG");
        assert!(
            !contains(&bytes, b"Exif") && !contains(&bytes, GPS_MARKER),
            "{u}: metadata must be stripped"
        );
    }
    assert_only_processed_files_remain(&s3, &id, &["original.jpg", "small.jpg"]).await;

    // Posted: the status carries the attachment with the CDN URLs.
    let (status, s) = app
        .post_auth(
            "/api/v1/statuses",
            &token,
            &[("status", "straight from the bucket"), ("media_ids[]", &id)],
        )
        .await;
    assert_eq!(status, 200, "{s}");
    let a = &s["media_attachments"][0];
    assert_eq!(a["id"], id.as_str());
    assert_eq!(a["type"], "image");
    assert_eq!(a["url"], url);
    assert_eq!(a["preview_url"], preview_url);
    assert_eq!(a["description"], "A bucket of pixels");
    let status_id = s["id"].as_str().unwrap();
    let (status, again, _) = app
        .get_auth(&format!("/api/v1/statuses/{status_id}"), Some(&token))
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["media_attachments"][0]["url"], url);
    // Other servers are told the same URL (the Note's `attachment`).
    let note: Value = app
        .client
        .get(app.url(&format!("/users/alice/statuses/{status_id}")))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(note["attachment"][0]["url"], url, "{note}");
    assert_eq!(note["attachment"][0]["mediaType"], "image/jpeg", "{note}");
}

/// Without `public_url`, files are at the bucket's own URL: `ENDPOINT/BUCKET/KEY` path-style,
/// `BUCKET.HOST/KEY` virtual-hosted — and the object really is under that key.
async fn without_a_public_url_files_are_at_the_buckets_url(addressing: Addressing) {
    let s3 = S3Server::start().unwrap();
    let app = spawn_on(
        Backend::Sqlite,
        &s3_env(&s3, addressing, None, s3.secret_key()),
    )
    .await;
    let token = app.token("alice").await;
    let (status, body) = upload(&app, &token, "photo.jpg", make_jpeg_with_gps(64, 48), &[]).await;
    assert!(status == 200 || status == 202, "{status} {body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let m = ready(&app, &token, &id).await;
    let base = match addressing {
        Addressing::Path => format!("{}/{}", s3.endpoint(), s3.bucket()),
        Addressing::VirtualHost => format!("http://{}.s3.localhost:{}", s3.bucket(), s3.port()),
    };
    let url = m["url"].as_str().unwrap();
    assert_eq!(url, format!("{base}/media/{id}/original.jpg"));
    assert_eq!(
        m["preview_url"].as_str().unwrap(),
        format!("{base}/media/{id}/small.jpg")
    );
    let store = bucket(&s3);
    let held = store
        .get(&format!("media/{id}/original.jpg"))
        .await
        .unwrap()
        .expect("the object is in the bucket");
    assert_eq!(&held[..2], &[0xFF, 0xD8]);
    if addressing == Addressing::Path {
        // The URL is the real server's: it answers (refusing an unsigned read, as a private
        // bucket does).
        let (status, _, _) = fetch(&app, url).await;
        assert_eq!(status, 403, "{url}");
    }
    assert_only_processed_files_remain(&s3, &id, &["original.jpg", "small.jpg"]).await;
}

/// A video: the upload is read back into a file for ffmpeg (`get_to_file`) and the result
/// streamed into the bucket (`put_file`); the CDN serves it, with ranges.
async fn a_video_goes_through_the_bucket_and_the_cdn(backend: Backend, addressing: Addressing) {
    let s3 = S3Server::start().unwrap();
    let cdn = s3.start_cdn().unwrap();
    let app = spawn_on(
        backend,
        &s3_env(&s3, addressing, Some(&cdn.url()), s3.secret_key()),
    )
    .await;
    let token = app.token("alice").await;
    let (status, body) = upload(&app, &token, "clip.mp4", make_mp4(), &[]).await;
    assert!(status == 200 || status == 202, "{status} {body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let m = ready(&app, &token, &id).await;
    assert_eq!(m["type"], "video", "{m}");
    assert_eq!(m["meta"]["original"]["width"], 320, "{m}");
    assert_eq!(m["meta"]["original"]["height"], 240, "{m}");
    assert!(
        m["meta"]["original"]["duration"].as_f64().unwrap() > 1.0,
        "{m}"
    );

    let base = cdn.url();
    let url = m["url"].as_str().unwrap();
    let preview_url = m["preview_url"].as_str().unwrap();
    assert_eq!(url, format!("{base}/media/{id}/original.mp4"));
    assert!(
        preview_url.starts_with(&format!("{base}/media/{id}/small.")),
        "{preview_url}"
    );
    let store = bucket(&s3);
    let video = served_as_stored(&app, &store, &base, url, "video/mp4").await;
    assert_eq!(&video[4..8], b"ftyp", "an MP4 file");
    let preview_ext = preview_url.rsplit('.').next().unwrap();
    let preview_type = rookery_service::media::mime_of_key(preview_url);
    let preview = served_as_stored(&app, &store, &base, preview_url, preview_type).await;
    assert!(preview.len() > 100);
    // Players seek with ranges: the CDN passes them to the bucket.
    let r = app
        .client
        .get(url)
        .header("range", "bytes=4-7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(&r.bytes().await.unwrap()[..], b"ftyp");
    let small = format!("small.{preview_ext}");
    assert_only_processed_files_remain(&s3, &id, &["original.mp4", &small]).await;

    let (status, s) = app
        .post_auth(
            "/api/v1/statuses",
            &token,
            &[("status", "a moving picture"), ("media_ids[]", &id)],
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["media_attachments"][0]["type"], "video");
    assert_eq!(s["media_attachments"][0]["url"], url);
}

/// Storage that refuses every request (a wrong secret: s3s-fs answers 403
/// `SignatureDoesNotMatch`) makes uploads fail with a clean 503 — the raw file cannot be
/// stored, so nothing is recorded or queued — while the rest of the server works on.
async fn a_wrong_secret_makes_uploads_fail_cleanly(backend: Backend) {
    let s3 = S3Server::start().unwrap();
    let cdn = s3.start_cdn().unwrap();
    let app = spawn_on(
        backend,
        &s3_env(
            &s3,
            Addressing::Path,
            Some(&cdn.url()),
            "not-the-secret-access-key",
        ),
    )
    .await;
    let token = app.token("alice").await;
    for _ in 0..2 {
        let (status, body) = upload(
            &app,
            &token,
            "photo.jpg",
            make_jpeg_with_gps(64, 48),
            &[("description", "never stored")],
        )
        .await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"], "Service temporarily unavailable", "{body}");
        // The storage's error (which names the bucket and the key) stays in the log.
        assert!(!body.to_string().contains(s3.bucket()), "{body}");
    }
    // The older endpoint says the same.
    let r = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(make_jpeg_with_gps(64, 48)).file_name("p.jpg"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(keys_on_disk(&s3).is_empty(), "{:?}", keys_on_disk(&s3));
    // Nothing else is affected: the server answers and statuses without media post.
    let (status, _) = app.get_json("/api/v1/instance").await;
    assert_eq!(status, 200);
    let (status, s) = app
        .post_auth(
            "/api/v1/statuses",
            &token,
            &[("status", "text still works")],
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["media_attachments"], serde_json::json!([]));
}

mod sqlite {
    use rookery_storage::Addressing;
    use rookery_testkit::Backend::Sqlite;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_image_through_a_path_style_bucket_and_a_cdn() {
        super::an_image_goes_through_the_bucket_and_the_cdn(Sqlite, Addressing::Path).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_image_through_a_virtual_hosted_bucket_and_a_cdn() {
        super::an_image_goes_through_the_bucket_and_the_cdn(Sqlite, Addressing::VirtualHost).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn path_style_urls_without_a_public_url() {
        super::without_a_public_url_files_are_at_the_buckets_url(Addressing::Path).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn virtual_hosted_urls_without_a_public_url() {
        super::without_a_public_url_files_are_at_the_buckets_url(Addressing::VirtualHost).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_video_through_a_virtual_hosted_bucket_and_a_cdn() {
        super::a_video_goes_through_the_bucket_and_the_cdn(Sqlite, Addressing::VirtualHost).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wrong_secret_makes_uploads_fail_cleanly() {
        super::a_wrong_secret_makes_uploads_fail_cleanly(Sqlite).await;
    }
}

mod postgres {
    use rookery_storage::Addressing;
    use rookery_testkit::Backend::Postgres;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_image_through_a_path_style_bucket_and_a_cdn() {
        super::an_image_goes_through_the_bucket_and_the_cdn(Postgres, Addressing::Path).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_image_through_a_virtual_hosted_bucket_and_a_cdn() {
        super::an_image_goes_through_the_bucket_and_the_cdn(Postgres, Addressing::VirtualHost)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_video_through_a_path_style_bucket_and_a_cdn() {
        super::a_video_goes_through_the_bucket_and_the_cdn(Postgres, Addressing::Path).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wrong_secret_makes_uploads_fail_cleanly() {
        super::a_wrong_secret_makes_uploads_fail_cleanly(Postgres).await;
    }
}
