//! A remote post's attachments and custom emoji, as Mastodon sends them, copied into the
//! receiving instance's cache; hostile URLs are not followed.

use serde_json::{Value, json};

use super::support::{PUBLIC, Pair, serial, signed_post, to_bytes};
use crate::kit::eventually;
use crate::media::{fetch, make_jpeg, make_png, processed, upload};

/// A file uploaded on `app` by `user`; its URL.
async fn hosted(app: &crate::kit::TestApp, token: &str, name: &str, bytes: Vec<u8>) -> String {
    let (_, m) = upload(app, token, name, bytes, &[]).await;
    let (s, m) = processed(app, token, m["id"].as_str().unwrap()).await;
    assert_eq!(s, 200, "{m}");
    m["url"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_attachments_and_custom_emoji_are_copied() {
    let p = Pair::new(rookery_testkit::Backend::Sqlite, &[]).await;
    let alice = p.a.token("alice").await;
    let mallory = p.b.token("mallory").await;
    // alice follows mallory, so mallory's posts matter on A.
    let (_, who, _) =
        p.a.get_auth(
            &format!("/api/v1/accounts/lookup?acct=mallory@{}", p.b.domain()),
            Some(&alice),
        )
        .await;
    let mallory_id = who["id"].as_str().unwrap().to_owned();
    p.a.post_auth(
        &format!("/api/v1/accounts/{mallory_id}/follow"),
        &alice,
        &[],
    )
    .await;
    eventually("alice follows mallory", || async {
        let (_, rel, _) =
            p.a.get_auth(
                &format!("/api/v1/accounts/relationships?id[]={mallory_id}"),
                Some(&alice),
            )
            .await;
        rel[0]["following"] == true
    })
    .await;

    let emoji_png = hosted(&p.b, &mallory, "blobcat.png", make_png(64, 64)).await;
    let photo = hosted(&p.b, &mallory, "photo.jpg", make_jpeg(320, 240)).await;
    let note = format!("{}/statuses/{}", p.mallory.id, 900_000 + serial());
    let mut tags: Vec<Value> = vec![json!({
        "type": "Emoji",
        "id": format!("http://{}/emojis/1", p.b.domain()),
        "name": ":blobcat:",
        "icon": {"type": "Image", "mediaType": "image/png", "url": emoji_png},
    })];
    // Junk a hostile peer might send: never stored or fetched.
    for bad in [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://x.example/a.png",
    ] {
        tags.push(json!({"type": "Emoji", "name": ":evil:", "icon": {"url": bad}}));
    }
    tags.push(json!({"type": "Emoji", "name": ":../../x:", "icon": {"url": emoji_png}}));
    let body = to_bytes(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": p.mallory.id,
        "to": [PUBLIC],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": p.mallory.id,
            "content": "<p>hello :blobcat: and :evil:</p>",
            "published": "2024-01-01T00:00:00Z",
            "to": [PUBLIC],
            "tag": tags,
            "attachment": [
                {
                    "type": "Document",
                    "mediaType": "image/jpeg",
                    "url": photo,
                    "name": "a test card",
                    "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                    "width": 320,
                    "height": 240,
                    "focalPoint": [0.1, -0.2],
                },
                {"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)"},
                {"type": "Document", "mediaType": "image/png", "url": "file:///etc/passwd"},
            ],
        },
    }));
    let (s, b) = signed_post(&p.a, "/inbox", &body, &p.mallory).await;
    assert_eq!(s, 202, "{b}");

    let status = || async {
        let (_, home, _) = p.a.get_auth("/api/v1/timelines/home", Some(&alice)).await;
        home.as_array()
            .and_then(|l| l.iter().find(|s| s["uri"] == note.as_str()).cloned())
            .unwrap_or(Value::Null)
    };
    let cache = format!("{}/system/cache/", p.a.base);
    eventually("the photo and the emoji are copied", || async {
        let s = status().await;
        s["media_attachments"][0]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&cache))
            && s["emojis"][0]["url"]
                .as_str()
                .is_some_and(|u| u.starts_with(&cache))
    })
    .await;
    let s = status().await;
    assert_eq!(s["media_attachments"].as_array().unwrap().len(), 1, "{s}");
    let m = &s["media_attachments"][0];
    assert_eq!(m["remote_url"], photo.as_str());
    assert_eq!(m["description"], "a test card");
    assert_eq!(m["blurhash"], "LEHV6nWB2yk8pyo0adR*.7kCMdnj");
    assert_eq!(m["meta"]["focus"]["x"], 0.1);
    assert_eq!(m["meta"]["focus"]["y"], -0.2);
    let emojis = s["emojis"].as_array().unwrap();
    assert_eq!(emojis.len(), 1, "only the valid emoji: {s}");
    assert_eq!(emojis[0]["shortcode"], "blobcat");
    assert_eq!(emojis[0]["visible_in_picker"], false);
    let (status_code, headers, bytes) = fetch(&p.a, emojis[0]["url"].as_str().unwrap()).await;
    assert_eq!(status_code, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(&bytes[1..4], b"PNG");
    let usage = p.a.services.media_usage().await.unwrap();
    assert!(
        usage
            .iter()
            .any(|u| u.remote && u.purpose == rookery_model::MediaPurpose::Emoji && u.bytes > 0),
        "{usage:?}"
    );
}
