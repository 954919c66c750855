//! Media uploads end to end: real files made by ffmpeg, processed in the `media` queue, served
//! from local storage; the API's answers field by field; hostile input.

mod admin;
mod edits;
pub mod files;
mod hostile;
mod kinds;
mod profile;
mod pruning;
mod s3;
mod timed;

use rookery_testkit::Backend;
use serde_json::Value;

use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};

pub use files::*;

/// Uploads `bytes` as `name` to `/api/v2/media`; (status, body).
pub async fn upload(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    for (k, v) in extra {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    let r = app
        .client
        .post(app.url("/api/v2/media"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A multipart file part: `bytes` as `name`, with a declared type if given.
pub fn file_part(name: &str, bytes: Vec<u8>, mime: Option<&str>) -> reqwest::multipart::Part {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    match mime {
        Some(m) => part.mime_str(m).unwrap(),
        None => part,
    }
}

/// POSTs a multipart form to `path` (with a token if given); (status, body).
pub async fn post_form(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    form: reqwest::multipart::Form,
) -> (u16, Value) {
    let mut r = app.client.post(app.url(path)).multipart(form);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A URL the API gave (`https://rookery.test/…`) as this test server serves it.
pub fn local(app: &TestApp, url: &str) -> String {
    assert!(url.starts_with("https://rookery.test/"), "{url}");
    url.replace("https://rookery.test", &app.base)
}

/// Every file in the app's local media directory, as paths relative to it.
pub fn stored_files(app: &TestApp) -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let root = app.services.local_media_root().unwrap();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// Waits until `GET /api/v1/media/:id` answers something other than 206; returns it.
pub async fn processed(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    let path = format!("/api/v1/media/{id}");
    eventually("media processed", || async {
        app.get_auth(&path, Some(token)).await.0 != 206
    })
    .await;
    let (status, body, _) = app.get_auth(&path, Some(token)).await;
    (status, body)
}

/// GETs an absolute URL: (status, headers, body).
pub async fn fetch(app: &TestApp, url: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = app.client.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

async fn an_image_goes_through_the_queue_and_into_a_status(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let token = app.token("alice").await;
    let jpeg = make_jpeg_with_gps(640, 480);
    let (status, body) = upload(
        &app,
        &token,
        "photo.jpg",
        jpeg.clone(),
        &[("description", "A test card"), ("focus", "0.5,-0.25")],
    )
    .await;
    assert!(status == 200 || status == 202, "{status} {body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let (status, m) = processed(&app, &token, &id).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["type"], "image");
    assert_eq!(m["description"], "A test card");
    assert_eq!(m["remote_url"], Value::Null);
    assert_eq!(m["meta"]["original"]["width"], 640);
    assert_eq!(m["meta"]["original"]["height"], 480);
    assert_eq!(m["meta"]["original"]["size"], "640x480");
    assert!(m["meta"]["small"]["width"].as_u64().unwrap() <= 640);
    assert_eq!(m["meta"]["focus"]["x"], 0.5);
    assert_eq!(m["meta"]["focus"]["y"], -0.25);
    assert_eq!(m["blurhash"].as_str().unwrap().len(), 36); // 4×4 components
    let url = m["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://rookery.test/system/media/"),
        "{url}"
    );
    // Served by this server (the test client talks to it directly).
    let local = url.replace("https://rookery.test", &app.base);
    let (status, headers, bytes) = fetch(&app, &local).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
    assert!(
        !contains(&bytes, b"Exif") && !contains(&bytes, GPS_MARKER),
        "metadata must be stripped"
    );
    assert!(
        contains(&jpeg, b"Exif") && contains(&jpeg, GPS_MARKER),
        "the test file must carry EXIF GPS"
    );
    // Range requests.
    let r = app
        .client
        .get(&local)
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().len(), 10);
    // The preview too.
    let preview = m["preview_url"]
        .as_str()
        .unwrap()
        .replace("https://rookery.test", &app.base);
    assert_eq!(fetch(&app, &preview).await.0, 200);

    // Alt text can change until posted.
    let r = app
        .client
        .put(app.url(&format!("/api/v1/media/{id}")))
        .bearer_auth(&token)
        .form(&[("description", "New alt text")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["description"], "New alt text");

    // Posted with no text at all.
    let (status, s) = app
        .post_auth("/api/v1/statuses", &token, &[("media_ids[]", id.as_str())])
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["media_attachments"][0]["id"], id.as_str());
    assert_eq!(s["media_attachments"][0]["description"], "New alt text");
    assert_eq!(s["media_attachments"][0]["url"], m["url"]);
    // Once attached, it cannot be attached again.
    let (status, _) = app
        .post_auth(
            "/api/v1/statuses",
            &token,
            &[("status", "again"), ("media_ids[]", id.as_str())],
        )
        .await;
    assert_eq!(status, 422);
    let (_, home, _) = app.get_auth("/api/v1/timelines/home", Some(&token)).await;
    assert_eq!(home[0]["media_attachments"][0]["id"], id.as_str());

    // `only_media` on the profile, public and hashtag timelines keeps just this one.
    let (_, plain) = app
        .post_auth(
            "/api/v1/statuses",
            &token,
            &[("status", "just words #cards")],
        )
        .await;
    let sid = s["id"].as_str().unwrap();
    let me = s["account"]["id"].as_str().unwrap();
    for path in [
        format!("/api/v1/accounts/{me}/statuses?only_media=true"),
        "/api/v1/timelines/public?only_media=true".to_owned(),
    ] {
        let (_, list, _) = app.get_auth(&path, Some(&token)).await;
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![sid], "{path}");
    }
    let (_, list, _) = app
        .get_auth(&format!("/api/v1/accounts/{me}/statuses"), Some(&token))
        .await;
    assert_eq!(
        list[0]["id"], plain["id"],
        "without the filter both are there"
    );
    let (_, list, _) = app
        .get_auth("/api/v1/timelines/tag/cards?only_media=true", Some(&token))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 0);

    // Edits: apps send the attachments back unchanged (fine); changing them is refused.
    let edit = |form: Vec<(&'static str, String)>| {
        let r = app
            .client
            .put(app.url(&format!("/api/v1/statuses/{sid}")))
            .bearer_auth(&token)
            .form(&form)
            .send();
        async move { r.await.unwrap().status().as_u16() }
    };
    assert_eq!(
        edit(vec![
            ("status", "now with words".into()),
            ("media_ids[]", id.clone())
        ])
        .await,
        200
    );
    assert_eq!(
        edit(vec![
            ("status", "swap".into()),
            ("media_ids[]", "12345".into())
        ])
        .await,
        422
    );
    let (_, now, _) = app
        .get_auth(&format!("/api/v1/statuses/{sid}"), Some(&token))
        .await;
    assert_eq!(now["content"], "<p>now with words</p>");
    assert_eq!(now["media_attachments"][0]["id"], id.as_str());

    // `media_attributes` (Mastodon.py sends JSON): alt text and focus change with the edit;
    // another status's attachment, a bad focus or a missing id are refused.
    let edit_json = |body: Value| {
        let r = app
            .client
            .put(app.url(&format!("/api/v1/statuses/{sid}")))
            .bearer_auth(&token)
            .json(&body)
            .send();
        async move {
            let r = r.await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (st, edited) = edit_json(serde_json::json!({"status": "described", "media_ids": [id],
        "media_attributes": [{"id": id, "description": "a new alt", "focus": "0.2,-0.1",
        "thumbnail": "data:image/png;base64,AAAA"}]}))
    .await;
    assert_eq!(st, 200, "{edited}");
    assert_eq!(edited["media_attachments"][0]["description"], "a new alt");
    assert_eq!(edited["media_attachments"][0]["meta"]["focus"]["x"], 0.2);
    assert_eq!(edited["media_attachments"][0]["meta"]["focus"]["y"], -0.1);
    for attrs in [
        serde_json::json!([{"id": "12345", "description": "not here"}]),
        serde_json::json!([{"id": id, "focus": "3,3"}]),
        serde_json::json!([{"description": "no id"}]),
        serde_json::json!("nonsense"),
    ] {
        let (st, e) =
            edit_json(serde_json::json!({"status": "x", "media_attributes": attrs})).await;
        assert_eq!(st, 422, "{attrs}: {e}");
    }
    let (_, still, _) = app
        .get_auth(&format!("/api/v1/statuses/{sid}"), Some(&token))
        .await;
    assert_eq!(still["media_attachments"][0]["description"], "a new alt");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Attachments keep the order of `media_ids`, not the order they were uploaded in — in the
/// status, its history of renders, and the note other servers get.
async fn attachments_keep_the_order_they_were_given(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let token = app.token("alice").await;
    let mut ids = Vec::new();
    for (w, h) in [(64, 48), (48, 64), (32, 32)] {
        let (_, m) = upload(&app, &token, "x.png", make_png(w, h), &[]).await;
        let id = m["id"].as_str().unwrap().to_owned();
        assert_eq!(processed(&app, &token, &id).await.0, 200);
        ids.push(id);
    }
    let order = [ids[2].as_str(), ids[0].as_str(), ids[1].as_str()];
    let form: Vec<(&str, &str)> = order.iter().map(|id| ("media_ids[]", *id)).collect();
    let (status, s) = app.post_auth("/api/v1/statuses", &token, &form).await;
    assert_eq!(status, 200, "{s}");
    let got = |v: &Value| -> Vec<String> {
        v["media_attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(got(&s), order);
    let (_, again, _) = app
        .get_auth(
            &format!("/api/v1/statuses/{}", s["id"].as_str().unwrap()),
            Some(&token),
        )
        .await;
    assert_eq!(got(&again), order);
    let note: Value = app
        .client
        .get(
            s["uri"]
                .as_str()
                .unwrap()
                .replace("https://rookery.test", &app.base),
        )
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let widths: Vec<u64> = note["attachment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["width"].as_u64().unwrap())
        .collect();
    assert_eq!(widths, vec![32, 64, 48]);
}

on_every_backend!(
    an_image_goes_through_the_queue_and_into_a_status,
    attachments_keep_the_order_they_were_given
);

/// Like `on_every_backend!`, for the heavier tests (ffmpeg runs): SQLite and PostgreSQL.
macro_rules! on_sqlite_and_postgres {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(rookery_testkit::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(rookery_testkit::Backend::Postgres).await } )* }
    };
}
pub(crate) use on_sqlite_and_postgres;
