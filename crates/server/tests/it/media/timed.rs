//! Time-based media through ffmpeg: animated GIFs become looping MP4s, videos stay H.264 with
//! their AAC sound, audio becomes MP3. The served files are checked with ffprobe.

use rookery_testkit::Backend;
use serde_json::Value;

use super::{fetch, local, make_audio, make_gif, make_mp4, on_sqlite_and_postgres, processed};
use super::{streams, upload};
use crate::kit::spawn_with;

fn close(v: &Value, expected: f64, tolerance: f64) -> bool {
    v.as_f64()
        .is_some_and(|x| (x - expected).abs() <= tolerance)
}

/// Uploads and waits for the queue; the processed entity.
async fn upload_processed(
    app: &crate::kit::TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let (status, m) = upload(app, token, name, bytes, &[]).await;
    assert!(status == 200 || status == 202, "{status} {m}");
    let (status, m) = processed(app, token, m["id"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{m}");
    m
}

/// The served preview: an image, with its size as `meta.small` says.
async fn assert_preview(app: &crate::kit::TestApp, m: &Value) {
    let preview = m["preview_url"].as_str().unwrap();
    assert_ne!(Some(preview), m["url"].as_str());
    let (status, headers, bytes) = fetch(app, &local(app, preview)).await;
    assert_eq!(status, 200);
    let ct = headers["content-type"].to_str().unwrap();
    assert!(ct == "image/png" || ct == "image/jpeg", "{ct}");
    let (_, size) = streams(&bytes);
    assert_eq!(
        size,
        Some((
            m["meta"]["small"]["width"].as_u64().unwrap(),
            m["meta"]["small"]["height"].as_u64().unwrap()
        ))
    );
    assert_eq!(m["blurhash"].as_str().unwrap().len(), 36, "{m}");
}

async fn an_animated_gif_becomes_a_silent_looping_video(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let token = app.token("alice").await;
    let gif = make_gif();
    assert!(gif.starts_with(b"GIF8"));
    let m = upload_processed(&app, &token, "loop.gif", gif).await;
    assert_eq!(m["type"], "gifv", "{m}");
    let url = m["url"].as_str().unwrap();
    assert!(url.ends_with("/original.mp4"), "{url}");
    let meta = &m["meta"];
    assert_eq!(meta["width"], 160, "{meta}");
    assert_eq!(meta["height"], 120, "{meta}");
    assert_eq!(meta["size"], "160x120", "{meta}");
    assert_eq!(meta["fps"], 10, "{meta}");
    assert!(close(&meta["duration"], 1.0, 0.15), "{meta}");
    assert_eq!(meta["original"]["width"], 160, "{meta}");
    assert!(meta["original"]["frame_rate"].is_string(), "{meta}");
    assert_preview(&app, &m).await;

    let (status, headers, bytes) = fetch(&app, &local(&app, url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "video/mp4");
    let (codecs, size) = streams(&bytes);
    assert_eq!(codecs, vec![("video".to_owned(), "h264".to_owned())]);
    assert_eq!(size, Some((160, 120)));
}

async fn a_video_stays_h264_with_its_sound(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let token = app.token("alice").await;
    let m = upload_processed(&app, &token, "clip.mp4", make_mp4()).await;
    assert_eq!(m["type"], "video", "{m}");
    let url = m["url"].as_str().unwrap();
    assert!(url.ends_with("/original.mp4"), "{url}");
    // Mastodon's shape: the size, length and rate at the top, ffprobe's numbers in `original`.
    let meta = &m["meta"];
    assert_eq!(meta["width"], 320, "{meta}");
    assert_eq!(meta["height"], 240, "{meta}");
    assert_eq!(meta["size"], "320x240", "{meta}");
    assert!(close(&meta["aspect"], 320.0 / 240.0, 1e-9), "{meta}");
    assert_eq!(meta["fps"], 25, "{meta}");
    assert!(close(&meta["duration"], 2.0, 0.15), "{meta}");
    let length = meta["length"].as_str().unwrap();
    assert!(length.starts_with("0:00:0"), "{length}");
    let original = &meta["original"];
    assert_eq!(original["width"], 320, "{meta}");
    assert_eq!(original["height"], 240, "{meta}");
    assert_eq!(original["frame_rate"], "25/1", "{meta}");
    assert!(close(&original["duration"], 2.0, 0.15), "{meta}");
    assert!(original["bitrate"].as_u64().unwrap() > 0, "{meta}");
    assert!(meta["small"]["width"].as_u64().unwrap() <= 320, "{meta}");
    assert_preview(&app, &m).await;

    let (status, headers, bytes) = fetch(&app, &local(&app, url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "video/mp4");
    let (codecs, size) = streams(&bytes);
    assert!(
        codecs.contains(&("video".to_owned(), "h264".to_owned())),
        "{codecs:?}"
    );
    assert!(
        codecs.contains(&("audio".to_owned(), "aac".to_owned())),
        "{codecs:?}"
    );
    assert_eq!(size, Some((320, 240)));
    // Seekable: range requests work on videos too.
    let r = app
        .client
        .get(local(&app, url))
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[100..200]);

    // And it can be posted.
    let (status, s) = app
        .post_auth(
            "/api/v1/statuses",
            &token,
            &[
                ("status", "watch this"),
                ("media_ids[]", m["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["media_attachments"][0]["type"], "video");
    assert_eq!(s["media_attachments"][0]["meta"], m["meta"]);
}

async fn audio_becomes_mp3(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let token = app.token("alice").await;
    let ogg = make_audio();
    assert!(ogg.starts_with(b"OggS"));
    let m = upload_processed(&app, &token, "tone.ogg", ogg).await;
    assert_eq!(m["type"], "audio", "{m}");
    let url = m["url"].as_str().unwrap();
    assert!(url.ends_with("/original.mp3"), "{url}");
    let meta = &m["meta"];
    assert!(close(&meta["duration"], 2.0, 0.15), "{meta}");
    assert!(
        meta["length"].as_str().unwrap().starts_with("0:00:0"),
        "{meta}"
    );
    assert!(close(&meta["original"]["duration"], 2.0, 0.15), "{meta}");
    assert!(meta["original"]["bitrate"].as_u64().unwrap() > 0, "{meta}");
    assert_eq!(meta.get("width"), None, "{meta}");
    assert_eq!(meta.get("fps"), None, "{meta}");
    assert_eq!(m["blurhash"], Value::Null);

    let (status, headers, bytes) = fetch(&app, &local(&app, url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "audio/mpeg");
    let (codecs, _) = streams(&bytes);
    assert_eq!(codecs, vec![("audio".to_owned(), "mp3".to_owned())]);
}

on_sqlite_and_postgres!(
    an_animated_gif_becomes_a_silent_looping_video,
    a_video_stays_h264_with_its_sound,
    audio_becomes_mp3
);
