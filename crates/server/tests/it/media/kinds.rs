//! Still images by kind, and when `POST /api/v2/media` answers 200 or 202 (v1: always 200).

use rookery_testkit::Backend;
use serde_json::Value;

use super::{fetch, file_part, local, make_mp4, make_png, make_webp, post_form, processed, upload};
use crate::kit::{on_every_backend, spawn_with};

/// Uploads wait for processing long enough that a small image is always done (200).
const WAIT_LONG: (&str, &str) = ("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000");

/// Mastodon's `{width, height, size, aspect}`.
fn assert_size(v: &Value, w: u64, h: u64) {
    assert_eq!(v["width"], w, "{v}");
    assert_eq!(v["height"], h, "{v}");
    assert_eq!(v["size"], format!("{w}x{h}"), "{v}");
    let aspect = v["aspect"].as_f64().unwrap();
    assert!((aspect - w as f64 / h as f64).abs() < 1e-9, "{v}");
}

async fn png_and_webp_become_images(backend: Backend) {
    let app = spawn_with(backend, &[WAIT_LONG]).await;
    let token = app.token("alice").await;

    // PNG stays PNG.
    let (status, m) = upload(&app, &token, "drawing.png", make_png(320, 200), &[]).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["type"], "image");
    assert_size(&m["meta"]["original"], 320, 200);
    assert_size(&m["meta"]["small"], 320, 200); // never enlarged
    assert_eq!(m["meta"].get("focus"), None);
    assert_eq!(m["description"], Value::Null);
    assert_eq!(m["blurhash"].as_str().unwrap().len(), 36);
    let url = m["url"].as_str().unwrap();
    assert!(url.ends_with("/original.png"), "{url}");
    let (status, headers, bytes) = fetch(&app, &local(&app, url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (status, headers, _) = fetch(&app, &local(&app, m["preview_url"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/"),
        "{headers:?}"
    );
    // A big one gets a smaller preview.
    let (status, m) = upload(&app, &token, "big.png", make_png(1280, 960), &[]).await;
    assert_eq!(status, 200, "{m}");
    assert_size(&m["meta"]["original"], 1280, 960);
    let small = &m["meta"]["small"];
    assert!(
        small["width"].as_u64().unwrap() * small["height"].as_u64().unwrap() <= 640 * 360,
        "{small}"
    );
    assert_ne!(m["preview_url"], m["url"]);

    // WebP without transparency is served as JPEG.
    let webp = make_webp(300, 150);
    assert_eq!(&webp[8..12], b"WEBP");
    let (status, m) = upload(&app, &token, "sticker.webp", webp, &[]).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["type"], "image");
    assert_size(&m["meta"]["original"], 300, 150);
    let url = m["url"].as_str().unwrap();
    assert!(url.ends_with("/original.jpg"), "{url}");
    let (status, headers, bytes) = fetch(&app, &local(&app, url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
}

/// ffmpeg and ffprobe cannot be started: video processing is retried, never finished, so the
/// upload stays "processing" for as long as the test needs.
pub const NO_FFMPEG: [(&str, &str); 2] = [
    ("ROOKERY_MEDIA__FFMPEG", "/nonexistent/ffmpeg"),
    ("ROOKERY_MEDIA__FFPROBE", "/nonexistent/ffprobe"),
];

async fn v2_answers_202_while_processing_and_v1_always_200(backend: Backend) {
    let app = spawn_with(backend, &[NO_FFMPEG[0], NO_FFMPEG[1], WAIT_LONG]).await;
    let token = app.token("alice").await;
    let mp4 = make_mp4();

    // Still processing when the wait is over: 202 and no URL yet.
    let app_short = spawn_with(
        backend,
        &[
            NO_FFMPEG[0],
            NO_FFMPEG[1],
            ("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "0"),
        ],
    )
    .await;
    let short_token = app_short.token("alice").await;
    let (status, m) = upload(&app_short, &short_token, "clip.mp4", mp4.clone(), &[]).await;
    assert_eq!(status, 202, "{m}");
    assert_eq!(m["type"], "video");
    assert_eq!(m["url"], Value::Null);
    assert_eq!(m["preview_url"], Value::Null);
    let id = m["id"].as_str().unwrap();
    // GET says 206 while it is processing, with the same entity.
    let (status, again, _) = app_short
        .get_auth(&format!("/api/v1/media/{id}"), Some(&short_token))
        .await;
    assert_eq!(status, 206, "{again}");
    assert_eq!(again["id"], id);
    assert_eq!(again["url"], Value::Null);
    // It cannot be posted yet.
    let (status, body) = app_short
        .post_auth("/api/v1/statuses", &short_token, &[("media_ids[]", id)])
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("processing"),
        "{body}"
    );
    // v1 answers 200 all the same (older apps), `url` still null.
    let (status, m) = post_form(
        &app_short,
        Some(&short_token),
        "/api/v1/media",
        reqwest::multipart::Form::new().part("file", file_part("clip.mp4", mp4, None)),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["type"], "video");
    assert_eq!(m["url"], Value::Null);

    // Processed within the wait: 200 with the URL, on v2 and v1 alike.
    let (status, m) = upload(&app, &token, "a.png", make_png(64, 64), &[]).await;
    assert_eq!(status, 200, "{m}");
    assert!(m["url"].as_str().unwrap().ends_with(".png"), "{m}");
    let (status, m) = post_form(
        &app,
        Some(&token),
        "/api/v1/media",
        reqwest::multipart::Form::new()
            .part("file", file_part("b.png", make_png(64, 64), None))
            .text("description", "v1 upload"),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    assert!(m["url"].as_str().unwrap().ends_with(".png"), "{m}");
    assert_eq!(m["description"], "v1 upload");
    let id = m["id"].as_str().unwrap();
    let (status, again) = processed(&app, &token, id).await;
    assert_eq!(status, 200);
    assert_eq!(again["url"], m["url"]);
}

on_every_backend!(
    png_and_webp_become_images,
    v2_answers_202_while_processing_and_v1_always_200
);
