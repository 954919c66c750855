//! Bad and hostile uploads: each gets a clear status, nothing crashes, nothing is left behind.

use rookery_testkit::Backend;
use serde_json::Value;

use super::kinds::NO_FFMPEG;
use super::{
    fetch, file_part, local, make_jpeg, make_mp4, make_png, make_png_bomb, post_form, processed,
    random_bytes, stored_files, upload,
};
use crate::kit::{TestApp, assert_refused_as_too_large, on_every_backend, spawn_with};

/// Image limit 16 KiB, video limit 64 KiB: the upload routes take 64 KiB + 1 MiB.
const LIMITS: [(&str, &str); 3] = [
    ("ROOKERY_MEDIA__IMAGE_MAX_BYTES", "16384"),
    ("ROOKERY_MEDIA__VIDEO_MAX_BYTES", "65536"),
    ("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000"),
];

fn form() -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
}

/// A raw body with a content type; (status, body).
async fn post_raw(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut r = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The error message of a refusal.
fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

async fn refused_uploads_store_nothing(backend: Backend) {
    let app = spawn_with(backend, &LIMITS).await;
    let token = app.token("alice").await;
    let t = Some(token.as_str());
    let v2 = "/api/v2/media";
    let png = make_png(32, 32);

    // No `file` part (or the file under another name).
    let (status, body) = post_form(&app, t, v2, form().text("description", "x")).await;
    assert_eq!(status, 422, "{body}");
    assert!(error(&body).to_lowercase().contains("file"), "{body}");
    let (status, body) = post_form(
        &app,
        t,
        v2,
        form().part("upload", file_part("a.png", png.clone(), None)),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    // Not multipart at all.
    let (status, body) = app.post_auth(v2, &token, &[("description", "x")]).await;
    assert_eq!(status, 422, "{body}");

    // Types refused from the first bytes, whatever the name and declared type say.
    for (name, bytes, mime) in [
        ("notes.txt", b"just some text\n".to_vec(), "text/plain"),
        ("photo.jpg", random_bytes(4096), "image/jpeg"),
        (
            "page.png",
            b"<html><script>alert(1)</script>".to_vec(),
            "image/png",
        ),
        ("empty.png", Vec::new(), "image/png"),
    ] {
        assert!(rookery_media_sniff_is_none(&bytes), "{name}");
        let (status, body) = post_form(
            &app,
            t,
            v2,
            form().part("file", file_part(name, bytes, Some(mime))),
        )
        .await;
        assert_eq!(status, 422, "{name}: {body}");
        assert!(
            error(&body).to_lowercase().contains("file"),
            "{name}: {body}"
        );
    }

    // Over the image limit (16 KiB).
    let big = make_jpeg(640, 480);
    assert!(big.len() > 16384, "{}", big.len());
    let (status, body) = upload(&app, &token, "big.jpg", big, &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(error(&body).contains("too large"), "{body}");
    // Over the video limit (64 KiB) but under the body limit.
    let mut long_mp4 = make_mp4();
    long_mp4.resize(200 * 1024, 0);
    let (status, body) = upload(&app, &token, "long.mp4", long_mp4, &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(error(&body).contains("too large"), "{body}");

    // Alt text and focal point.
    let long = "a".repeat(1501);
    let (status, body) = upload(
        &app,
        &token,
        "a.png",
        png.clone(),
        &[("description", &long)],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(error(&body).contains("1500"), "{body}");
    for focus in ["2,0", "a,b", "0.5", "NaN,0"] {
        let (status, body) = upload(&app, &token, "a.png", png.clone(), &[("focus", focus)]).await;
        assert_eq!(status, 422, "{focus}: {body}");
    }

    // Broken multipart framing: a 4xx, never a 500.
    let framed = |boundary: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
             Content-Type: image/png\r\n\r\nPNGDATA\r\n--{boundary}--\r\n"
        )
        .into_bytes()
    };
    for (content_type, body) in [
        ("multipart/form-data; boundary=right", framed("wrong")),
        ("multipart/form-data", framed("right")),
        (
            "multipart/form-data; boundary=right",
            framed("right")[..60].to_vec(),
        ),
        ("multipart/form-data; boundary=right", b"garbage".to_vec()),
    ] {
        let (status, answer) = post_raw(&app, t, v2, content_type, body).await;
        assert!(
            status == 400 || status == 422,
            "{content_type}: {status} {answer}"
        );
    }

    // Over the body limit of the upload routes (64 KiB + 1 MiB): 413, on v1 and v2.
    for path in [v2, "/api/v1/media"] {
        let huge = vec![0u8; 2 * 1024 * 1024];
        assert_refused_as_too_large(
            app.client
                .post(app.url(path))
                .bearer_auth(&token)
                .multipart(form().part("file", file_part("huge.mp4", huge, None))),
        )
        .await;
    }

    // Nothing was stored: no rows that hold files, no files.
    let usage = app.services.media_usage().await.unwrap();
    assert!(usage.is_empty(), "{usage:?}");
    assert_eq!(stored_files(&app), Vec::<String>::new());

    // Exactly at the limits is fine.
    let ok = "é".repeat(1500);
    let (status, m) = upload(
        &app,
        &token,
        "a.png",
        png,
        &[("description", &ok), ("focus", "-1,1")],
    )
    .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["description"], ok.as_str());
    assert_eq!(m["meta"]["focus"]["x"], -1.0);
}

/// `rookery_media::sniff` refuses the bytes (checked through a tiny copy of its rules would
/// drift; the server is the judge — this only guards the test data against accidents).
fn rookery_media_sniff_is_none(bytes: &[u8]) -> bool {
    let magic: [&[u8]; 6] = [
        b"\xFF\xD8\xFF",
        b"\x89PNG",
        b"GIF8",
        b"RIFF",
        b"OggS",
        b"fLaC",
    ];
    !magic.iter().any(|m| bytes.starts_with(m)) && bytes.get(4..8) != Some(b"ftyp")
}

async fn mislabelled_broken_and_hostile_files(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000")]).await;
    let token = app.token("alice").await;

    // A PNG that says it is a JPEG is processed as what it is.
    let (status, m) = post_form(
        &app,
        Some(&token),
        "/api/v2/media",
        form().part(
            "file",
            file_part("photo.jpg", make_png(48, 32), Some("image/jpeg")),
        ),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["type"], "image");
    let url = m["url"].as_str().unwrap();
    assert!(url.ends_with("/original.png"), "{url}");
    let (status, headers, bytes) = fetch(&app, &local(&app, url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert!(bytes.starts_with(b"\x89PNG"));

    // A truncated JPEG passes the cheap check and fails in processing. Processed within the
    // wait, the upload itself says so.
    let jpeg = make_jpeg(320, 240);
    let truncated = jpeg[..jpeg.len() / 2].to_vec();
    let (status, body) = upload(&app, &token, "cut.jpg", truncated.clone(), &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(error(&body).contains("could not be processed"), "{body}");
    // Answered before processing ends (no wait): 202, then GET says 422.
    let quick = spawn_with(backend, &[("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "0")]).await;
    let quick_token = quick.token("alice").await;
    let (status, m) = upload(&quick, &quick_token, "cut.jpg", truncated, &[]).await;
    let mut failed_ids = Vec::new();
    if status == 202 {
        let cut_id = m["id"].as_str().unwrap().to_owned();
        let (status, body) = processed(&quick, &quick_token, &cut_id).await;
        assert_eq!(status, 422, "{body}");
        assert!(error(&body).contains("processing"), "{body}");
        failed_ids.push(cut_id);
    } else {
        // The queue was faster than the answer.
        assert_eq!(status, 422, "{m}");
    }
    // A failed attachment cannot be posted.
    let alice = quick
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id;
    let failed = super::pruning::insert_copy(
        &quick,
        alice,
        super::pruning::Copy {
            remote: false,
            state: rookery_model::MediaState::Failed,
            ..super::pruning::Copy::default()
        },
    )
    .await;
    failed_ids.push(failed.id.to_string());
    for id in &failed_ids {
        let (status, body) = quick
            .post_auth("/api/v1/statuses", &quick_token, &[("media_ids[]", id)])
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(error(&body).contains("could not be processed"), "{body}");
        let (status, _, _) = quick
            .get_auth(&format!("/api/v1/media/{id}"), Some(&quick_token))
            .await;
        assert_eq!(status, 422);
    }
    let files = stored_files(&quick);
    assert!(files.is_empty(), "{files:?}");

    // A decompression bomb (50,000 × 50,000 declared in a few hundred bytes) is refused from
    // its header; the decoder never allocates for it.
    let bomb = make_png_bomb();
    assert!(bomb.len() < 4096);
    let (status, body) = upload(&app, &token, "bomb.png", bomb, &[]).await;
    assert_eq!(status, 422, "{body}");
    // 50,000² RGBA would be 10 GB; the whole test process (server included) stays far below.
    let peak = peak_rss_bytes();
    assert!(peak < 1536 * 1024 * 1024, "peak RSS {peak} bytes");

    // The server is fine afterwards, and failed files left no raw upload behind.
    let (status, m) = upload(&app, &token, "after.png", make_png(16, 16), &[]).await;
    assert_eq!(status, 200, "{m}");
    let files = stored_files(&app);
    assert!(
        files.iter().all(|f| !f.starts_with("uploads/")),
        "{files:?}"
    );
    assert_eq!(
        files.len(),
        4,
        "two images, original and preview each: {files:?}"
    );
}

/// The process's peak resident set (VmHWM), bytes.
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

async fn who_may_upload_see_and_attach(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000")]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let reader = app.token_with_scopes("alice", "read").await;
    let png = || make_png(16, 16);
    let png_form = || form().part("file", file_part("a.png", png(), None));

    // No token: 401; a token without `write:media`: 403 — before the body is looked at.
    for path in ["/api/v2/media", "/api/v1/media"] {
        let (status, body) = post_form(&app, None, path, png_form()).await;
        assert_eq!(status, 401, "{path}: {body}");
        let (status, body) = post_form(&app, Some(&reader), path, png_form()).await;
        assert_eq!(status, 403, "{path}: {body}");
        let (status, body) = post_raw(
            &app,
            None,
            path,
            "multipart/form-data; boundary=x",
            b"not multipart".to_vec(),
        )
        .await;
        assert_eq!(status, 401, "{path}: {body}");
        let (status, body) = post_raw(
            &app,
            Some(&reader),
            path,
            "multipart/form-data; boundary=x",
            b"not multipart".to_vec(),
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    let media_only = app.token_with_scopes("alice", "write:media").await;
    let (status, body) = post_form(&app, Some(&media_only), "/api/v2/media", png_form()).await;
    assert_eq!(status, 200, "{body}");

    let mut ids = Vec::new();
    for _ in 0..5 {
        let (status, m) = upload(&app, &alice, "a.png", png(), &[]).await;
        assert_eq!(status, 200, "{m}");
        ids.push(m["id"].as_str().unwrap().to_owned());
    }
    let id = ids[0].as_str();
    let path = format!("/api/v1/media/{id}");
    assert_eq!(app.get_auth(&path, None).await.0, 401);
    assert_eq!(app.get_auth(&path, Some(&reader)).await.0, 403);
    // Another user's media does not exist for them.
    assert_eq!(app.get_auth(&path, Some(&bob)).await.0, 404);
    let r = app
        .client
        .put(app.url(&path))
        .bearer_auth(&bob)
        .form(&[("description", "mine now")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .put(app.url(&path))
        .form(&[("description", "anyone")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.get_auth("/api/v1/media/999999999", Some(&alice))
            .await
            .0,
        404
    );
    assert_eq!(app.get_auth("/api/v1/media/abc", Some(&alice)).await.0, 404);
    let (_, m, _) = app.get_auth(&path, Some(&alice)).await;
    assert_eq!(m["description"], Value::Null, "bob's edit must not land");

    // media_ids: at most four, each the author's own and known.
    let five: Vec<(&str, &str)> = ids.iter().map(|i| ("media_ids[]", i.as_str())).collect();
    let (status, body) = app.post_auth("/api/v1/statuses", &alice, &five).await;
    assert_eq!(status, 422, "{body}");
    for (who, media_id) in [
        (&bob, id),
        (&alice, "999999999"),
        (&alice, "abc"),
        (&alice, "-1"),
    ] {
        let (status, body) = app
            .post_auth(
                "/api/v1/statuses",
                who,
                &[("status", "look"), ("media_ids[]", media_id)],
            )
            .await;
        assert_eq!(status, 422, "{media_id}: {body}");
    }
    // JSON bodies too.
    let r = app
        .client
        .post(app.url("/api/v1/statuses"))
        .bearer_auth(&bob)
        .json(&serde_json::json!({"status": "look", "media_ids": [id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // None of that attached anything: all four (and the same one twice) still post.
    let mut four: Vec<(&str, &str)> = ids[..4]
        .iter()
        .map(|i| ("media_ids[]", i.as_str()))
        .collect();
    four.push(("media_ids[]", id));
    let (status, s) = app.post_auth("/api/v1/statuses", &alice, &four).await;
    assert_eq!(status, 200, "{s}");
    let attached: Vec<&str> = s["media_attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        attached,
        ids[..4].iter().map(String::as_str).collect::<Vec<_>>()
    );
    // Posted: alt text changes through a status edit now, not here (like Mastodon).
    let r = app
        .client
        .put(app.url(&path))
        .bearer_auth(&alice)
        .form(&[("description", "too late")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (status, s, _) = app
        .get_auth(
            &format!("/api/v1/statuses/{}", s["id"].as_str().unwrap()),
            Some(&alice),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(s["media_attachments"][0]["description"], Value::Null);
}

async fn raw_uploads_are_never_served(backend: Backend) {
    // Video processing cannot run here, so the raw upload stays in storage.
    let app = spawn_with(
        backend,
        &[
            NO_FFMPEG[0],
            NO_FFMPEG[1],
            ("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "0"),
        ],
    )
    .await;
    let token = app.token("alice").await;
    let (status, m) = upload(&app, &token, "clip.mp4", make_mp4(), &[]).await;
    assert_eq!(status, 202, "{m}");
    let id: rookery_model::Id = m["id"].as_str().unwrap().parse().unwrap();
    let row = app.services.store.media(id).await.unwrap().unwrap();
    let key = row.upload_key.unwrap();
    assert!(key.starts_with("uploads/"), "{key}");
    let name = key.trim_start_matches("uploads/");
    assert!(
        stored_files(&app).contains(&key),
        "{:?}",
        stored_files(&app)
    );
    // Every spelling of the path is refused.
    for path in [
        format!("/system/{key}"),
        format!("/system//uploads/{name}"),
        format!("/system/./uploads/{name}"),
        format!("/system/%75ploads/{name}"),
        format!("/system/%55ploads/{name}"),
        format!("/system/uploads%2F{name}"),
        format!("/system/uploads%2f{name}"),
        format!("/system/%2e/uploads/{name}"),
        format!("/system/media/../uploads/{name}"),
        format!("/system/media/%2e%2e/uploads/{name}"),
    ] {
        let r = app.client.get(app.url(&path)).send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap();
        assert!(
            status == 404 || status == 400,
            "{path}: {status}, {} bytes",
            body.len()
        );
        assert!(!body.starts_with(&[0, 0, 0]), "{path}: served the upload");
    }
    // Processed files next to it are served.
    let app2 = spawn_with(backend, &[("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000")]).await;
    let token2 = app2.token("alice").await;
    let (status, m) = upload(&app2, &token2, "a.png", make_png(16, 16), &[]).await;
    assert_eq!(status, 200, "{m}");
    let url = m["url"].as_str().unwrap();
    assert_eq!(fetch(&app2, &local(&app2, url)).await.0, 200);
    let (status, headers, _) = fetch(&app2, &app2.url("/system/media/nothing-here.png")).await;
    assert_eq!(status, 404);
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

on_every_backend!(
    refused_uploads_store_nothing,
    mislabelled_broken_and_hostile_files,
    who_may_upload_see_and_attach,
    raw_uploads_are_never_served
);

/// Field names nested thousands of levels deep (`a[x][x]…`), in every body encoding the
/// upload routes and the rest of the API read: refused or ignored, never a crash.
async fn deeply_nested_field_names_are_harmless(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000")]).await;
    let token = app.token("alice").await;
    let deep = format!("status{}", "[x]".repeat(200_000));
    // Form-encoded, under the API's 1 MB limit.
    let r = app
        .client
        .post(app.url("/api/v1/statuses"))
        .bearer_auth(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{deep}=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(error(&body).contains("nested"), "{body}");
    // A multipart text field beside a file.
    let deep_form = form()
        .part("file", file_part("a.png", make_png(16, 16), None))
        .text(deep.clone(), "1");
    let (status, body) = post_form(&app, Some(&token), "/api/v2/media", deep_form).await;
    assert_eq!(status, 422, "{body}");
    assert!(error(&body).contains("nested"), "{body}");
    // Up to 32 levels is fine.
    let ok_form = form()
        .part("file", file_part("a.png", make_png(16, 16), None))
        .text(format!("extra{}", "[x]".repeat(31)), "1");
    let (status, body) = post_form(&app, Some(&token), "/api/v2/media", ok_form).await;
    assert_eq!(status, 200, "{body}");
    // In the query string of a paged list: left out.
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/timelines/home?max_id{}=1",
            "[x]".repeat(10_000)
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(r.status().as_u16() < 500, "{}", r.status());
    // Still serving.
    let (status, m) = upload(&app, &token, "ok.png", make_png(16, 16), &[]).await;
    assert_eq!(status, 200, "{m}");
}

mod nested {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn deeply_nested_field_names_are_harmless() {
        super::deeply_nested_field_names_are_harmless(rookery_testkit::Backend::Sqlite).await
    }
}
