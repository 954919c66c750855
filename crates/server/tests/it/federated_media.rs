//! Media across two live instances: attachments and avatars of remote posts and profiles are
//! copied into the receiving instance's cache (on receipt), or on first view (`lazy`), or
//! linked where they live (`never`).

use serde_json::Value;

use crate::kit::{TestApp, eventually, spawn_federating};
use crate::media::{fetch, make_jpeg, make_png, processed, upload};

async fn lookup(app: &TestApp, token: &str, acct: &str) -> Value {
    let (s, body, _) = app
        .get_auth(&format!("/api/v1/accounts/lookup?acct={acct}"), Some(token))
        .await;
    assert_eq!(s, 200, "lookup {acct}: {body}");
    body
}

/// alice@A follows bob@B, who has an avatar and posts a photo; returns (a, b, alice's token,
/// bob's account id on A, the photo's attachment on B).
async fn bob_posts_a_photo(policy: &str) -> (TestApp, TestApp, String, String, Value) {
    let backend = rookery_testkit::Backend::Sqlite;
    let a = spawn_federating(backend, &[("ROOKERY_MEDIA__REMOTE__POLICY", policy)]).await;
    let b = spawn_federating(backend, &[]).await;
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;

    let form = reqwest::multipart::Form::new().part(
        "avatar",
        reqwest::multipart::Part::bytes(make_png(300, 300)).file_name("me.png"),
    );
    let r = b
        .client
        .patch(b.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&bob)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let bob_on_a = lookup(&a, &alice, &format!("bob@{}", b.domain())).await;
    let bob_id = bob_on_a["id"].as_str().unwrap().to_owned();
    a.post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &alice, &[])
        .await;
    eventually("alice follows bob", || async {
        let (_, rel, _) = a
            .get_auth(
                &format!("/api/v1/accounts/relationships?id[]={bob_id}"),
                Some(&alice),
            )
            .await;
        rel[0]["following"] == true
    })
    .await;

    let (_, m) = upload(
        &b,
        &bob,
        "photo.jpg",
        make_jpeg(800, 600),
        &[("description", "A test card")],
    )
    .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let (s, m) = processed(&b, &bob, &id).await;
    assert_eq!(s, 200);
    let (s, _) = b
        .post_auth(
            "/api/v1/statuses",
            &bob,
            &[("status", "look at this"), ("media_ids[]", id.as_str())],
        )
        .await;
    assert_eq!(s, 200);
    (a, b, alice, bob_id, m)
}

/// bob's photo as alice sees it on A.
async fn photo_on_a(a: &TestApp, alice: &str) -> Value {
    let (_, home, _) = a.get_auth("/api/v1/timelines/home", Some(alice)).await;
    home.as_array()
        .and_then(|l| {
            l.iter().find(|s| {
                s["content"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("look at this")
            })
        })
        .map(|s| s["media_attachments"][0].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_photos_and_avatars_are_copied_on_receipt() {
    let (a, _b, alice, bob_id, original) = bob_posts_a_photo("on_receipt").await;
    let cache = format!("{}/system/cache/", a.base);
    eventually("the photo is copied to A", || async {
        photo_on_a(&a, &alice).await["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&cache))
    })
    .await;
    let m = photo_on_a(&a, &alice).await;
    assert_eq!(m["type"], "image");
    assert_eq!(m["remote_url"], original["url"]);
    assert_eq!(m["description"], "A test card");
    assert_eq!(
        m["blurhash"], original["blurhash"],
        "the sender's blurhash is kept"
    );
    assert_eq!(m["meta"]["original"]["width"], 800);
    let (s, headers, bytes) = fetch(&a, m["url"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
    let (s, _, _) = fetch(&a, m["preview_url"].as_str().unwrap()).await;
    assert_eq!(s, 200);

    eventually("bob's avatar is copied to A", || async {
        let (_, acc, _) = a
            .get_auth(&format!("/api/v1/accounts/{bob_id}"), Some(&alice))
            .await;
        acc["avatar"]
            .as_str()
            .is_some_and(|u| u.starts_with(&cache))
    })
    .await;
    let (_, acc, _) = a
        .get_auth(&format!("/api/v1/accounts/{bob_id}"), Some(&alice))
        .await;
    let (s, headers, _) = fetch(&a, acc["avatar"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(headers["content-type"], "image/png");

    // Usage counts the copies as remote.
    let usage = a.services.media_usage().await.unwrap();
    assert!(usage.iter().any(|u| u.remote && u.bytes > 0), "{usage:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_copies_are_made_when_first_viewed() {
    let (a, _b, alice, _bob_id, original) = bob_posts_a_photo("lazy").await;
    eventually("the post reaches A", || async {
        !photo_on_a(&a, &alice).await.is_null()
    })
    .await;
    let m = photo_on_a(&a, &alice).await;
    let proxy = m["url"].as_str().unwrap().to_owned();
    assert!(
        proxy.starts_with(&format!("{}/media_proxy/", a.base)),
        "{proxy}"
    );
    // The first view goes to the origin while the copy is made…
    let r = a.client.get(&proxy).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], original["url"].as_str().unwrap());
    // …later ones to the copy, which the entity then links directly.
    let cache = format!("{}/system/cache/", a.base);
    eventually("the copy is made", || async {
        let r = a.client.get(&proxy).send().await.unwrap();
        r.headers()["location"]
            .to_str()
            .is_ok_and(|l| l.starts_with(&cache))
    })
    .await;
    assert!(
        photo_on_a(&a, &alice).await["url"]
            .as_str()
            .unwrap()
            .starts_with(&cache)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_caching_off_remote_files_are_linked_where_they_live() {
    let (a, _b, alice, bob_id, original) = bob_posts_a_photo("never").await;
    eventually("the post reaches A", || async {
        !photo_on_a(&a, &alice).await.is_null()
    })
    .await;
    let m = photo_on_a(&a, &alice).await;
    assert_eq!(m["url"], original["url"]);
    assert_eq!(m["remote_url"], original["url"]);
    let (_, acc, _) = a
        .get_auth(&format!("/api/v1/accounts/{bob_id}"), Some(&alice))
        .await;
    assert!(
        !acc["avatar"].as_str().unwrap().starts_with(&a.base),
        "{}",
        acc["avatar"]
    );
    assert!(
        a.services
            .media_usage()
            .await
            .unwrap()
            .iter()
            .all(|u| !u.remote)
    );
}
