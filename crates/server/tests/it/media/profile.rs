//! Avatars and headers through `PATCH /api/v1/accounts/update_credentials` (multipart), as
//! the API, the files and the ActivityPub actor show them.

use rookery_testkit::Backend;
use serde_json::Value;

use super::{fetch, file_part, local, make_jpeg, make_mp4, make_png, streams};
use crate::kit::{TestApp, on_every_backend, spawn_with};

async fn patch_form(app: &TestApp, token: &str, form: reqwest::multipart::Form) -> (u16, Value) {
    let r = app
        .client
        .patch(app.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Fetches a served image; its (width, height).
async fn served_size(app: &TestApp, url: &str) -> (u64, u64) {
    let (status, headers, bytes) = fetch(app, &local(app, url)).await;
    assert_eq!(status, 200, "{url}");
    let ct = headers["content-type"].to_str().unwrap();
    assert!(ct == "image/png" || ct == "image/jpeg", "{url}: {ct}");
    streams(&bytes).1.unwrap()
}

async fn actor(app: &TestApp, username: &str) -> Value {
    let r = app
        .client
        .get(app.url(&format!("/users/{username}")))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn avatar_and_header_uploads(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000")]).await;
    let token = app.token("alice").await;
    let (_, before, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    let default_avatar = before["avatar"].as_str().unwrap().to_owned();
    assert!(!default_avatar.contains("/system/"), "{default_avatar}");

    let form = reqwest::multipart::Form::new()
        .text("display_name", "Alice")
        .part("avatar", file_part("me.png", make_png(800, 800), None))
        .part(
            "header",
            file_part("banner.jpg", make_jpeg(3000, 1000), None),
        );
    let (status, account) = patch_form(&app, &token, form).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["display_name"], "Alice");
    let avatar = account["avatar"].as_str().unwrap().to_owned();
    let header = account["header"].as_str().unwrap().to_owned();
    assert!(
        avatar.starts_with("https://rookery.test/system/media/") && avatar.ends_with(".png"),
        "{avatar}"
    );
    assert!(
        header.starts_with("https://rookery.test/system/media/") && header.ends_with(".jpg"),
        "{header}"
    );
    assert_eq!(account["avatar_static"], avatar.as_str());
    assert_eq!(account["header_static"], header.as_str());
    assert_eq!(served_size(&app, &avatar).await, (400, 400));
    assert_eq!(served_size(&app, &header).await, (1500, 500));

    // verify_credentials and the public account show them.
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(me["avatar"], avatar.as_str());
    assert_eq!(me["header"], header.as_str());
    let (_, public) = app
        .get_json(&format!("/api/v1/accounts/{}", me["id"].as_str().unwrap()))
        .await;
    assert_eq!(public["avatar"], avatar.as_str());

    // So does the ActivityPub actor.
    let person = actor(&app, "alice").await;
    assert_eq!(person["icon"]["type"], "Image", "{person}");
    assert_eq!(person["icon"]["url"], avatar.as_str(), "{person}");
    assert_eq!(person["icon"]["mediaType"], "image/png", "{person}");
    assert_eq!(person["image"]["url"], header.as_str(), "{person}");
    assert_eq!(person["image"]["mediaType"], "image/jpeg", "{person}");

    // Odd shapes still fit the boxes: a wide avatar within 400×400, a square header within
    // 1500×500.
    let form = reqwest::multipart::Form::new()
        .part("avatar", file_part("wide.png", make_png(1600, 400), None))
        .part(
            "header",
            file_part("square.png", make_png(1000, 1000), None),
        );
    let (status, account) = patch_form(&app, &token, form).await;
    assert_eq!(status, 200, "{account}");
    let new_avatar = account["avatar"].as_str().unwrap().to_owned();
    assert_ne!(new_avatar, avatar, "a new file, a new URL");
    let (w, h) = served_size(&app, &new_avatar).await;
    assert!(w <= 400 && h <= 400, "{w}×{h}");
    let (w, h) = served_size(&app, account["header"].as_str().unwrap()).await;
    assert!(w <= 1500 && h <= 500, "{w}×{h}");
    // The old file stays until pruning (a CDN may still serve it to someone).
    assert_eq!(fetch(&app, &local(&app, &avatar)).await.0, 200);

    // Not an image: refused, and nothing changes.
    for (field, name, bytes) in [
        ("avatar", "clip.mp4", make_mp4()),
        ("header", "notes.txt", b"hello".to_vec()),
    ] {
        let form = reqwest::multipart::Form::new()
            .text("display_name", "Changed")
            .part(field, file_part(name, bytes, None));
        let (status, body) = patch_form(&app, &token, form).await;
        assert_eq!(status, 422, "{field}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(field),
            "{body}"
        );
    }
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(me["display_name"], "Alice");
    assert_eq!(me["avatar"], new_avatar.as_str());
}

/// Image descriptions, `hide_collections`, `indexable` and `attribution_domains[]` (Mastodon
/// 4.1–4.6), and `DELETE /api/v1/profile/avatar|header`.
async fn profile_extras(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000")]).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let form = reqwest::multipart::Form::new()
        .part("avatar", file_part("me.png", make_png(200, 200), None))
        .text("avatar_description", "Me, doing a <b>funny</b> walk")
        .part("header", file_part("h.png", make_png(600, 200), None))
        .text("header_description", "A hat")
        .text("hide_collections", "true")
        .text("indexable", "1")
        .text("attribution_domains[]", "Example.com")
        .text("attribution_domains[]", "news.example.org");
    let (status, me) = patch_form(&app, &alice, form).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["avatar_description"], "Me, doing a <b>funny</b> walk");
    assert_eq!(me["header_description"], "A hat");
    assert_eq!(me["hide_collections"], true);
    assert_eq!(me["indexable"], true);
    assert_eq!(me["source"]["hide_collections"], true);
    assert_eq!(me["source"]["indexable"], true);
    assert_eq!(
        me["source"]["attribution_domains"],
        serde_json::json!(["example.com", "news.example.org"])
    );
    let id = me["id"].as_str().unwrap().to_owned();
    let (_, public) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(
        public["avatar_description"],
        "Me, doing a <b>funny</b> walk"
    );
    assert_eq!(public["hide_collections"], true);
    assert!(public.get("source").is_none(), "{public}");

    // The actor carries them as Mastodon's do.
    let person = actor(&app, "alice").await;
    assert_eq!(
        person["icon"]["name"], "Me, doing a <b>funny</b> walk",
        "{person}"
    );
    assert_eq!(person["image"]["name"], "A hat", "{person}");
    assert_eq!(person["indexable"], true);
    assert_eq!(
        person["attributionDomains"],
        serde_json::json!(["example.com", "news.example.org"])
    );

    // Hidden collections: bob follows alice; the lists are empty to others (counts stay),
    // whole to alice; the ActivityPub collections give their size only.
    let (s, body) = app
        .post_auth(&format!("/api/v1/accounts/{id}/follow"), &bob, &[])
        .await;
    assert_eq!(s, 200, "{body}");
    let path = format!("/api/v1/accounts/{id}/followers");
    let (_, to_bob, _) = app.get_auth(&path, Some(&bob)).await;
    assert_eq!(to_bob, serde_json::json!([]));
    let (_, anonymous, _) = app.get_auth(&path, None).await;
    assert_eq!(anonymous, serde_json::json!([]));
    let (_, to_alice, _) = app.get_auth(&path, Some(&alice)).await;
    assert_eq!(to_alice.as_array().map(Vec::len), Some(1), "{to_alice}");
    let (_, public) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(public["followers_count"], 1);
    for page in ["/users/alice/followers", "/users/alice/followers?page=1"] {
        let r = app
            .client
            .get(app.url(page))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        let c: Value = r.json().await.unwrap();
        assert_eq!(c["totalItems"], 1, "{c}");
        assert!(
            c.get("first").is_none() && c.get("orderedItems").is_none(),
            "{c}"
        );
    }

    // Nor does familiar_followers give them away: carol follows bob, who follows alice.
    let carol = app.token("carol").await;
    let (_, bob_acct, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&bob))
        .await;
    let bob_id = bob_acct["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .post_auth(&format!("/api/v1/accounts/{bob_id}/follow"), &carol, &[])
        .await;
    assert_eq!(s, 200);
    let familiar = format!("/api/v1/accounts/familiar_followers?id[]={id}");
    let (_, fam, _) = app.get_auth(&familiar, Some(&carol)).await;
    assert_eq!(fam[0]["accounts"], serde_json::json!([]), "{fam}");

    // Bad values are refused whole, with Mastodon's 422.
    for (field, value) in [
        ("avatar_description", "x".repeat(151)),
        ("attribution_domains[]", "not a domain".to_owned()),
    ] {
        let form = reqwest::multipart::Form::new()
            .text("display_name", "Changed")
            .text(field, value);
        let (status, body) = patch_form(&app, &alice, form).await;
        assert_eq!(status, 422, "{field}: {body}");
    }
    let eleven = (0..11).fold(reqwest::multipart::Form::new(), |f, i| {
        f.text("attribution_domains[]", format!("d{i}.example"))
    });
    assert_eq!(patch_form(&app, &alice, eleven).await.0, 422);

    // Shown again, and an empty list clears the domains.
    let form = reqwest::multipart::Form::new()
        .text("hide_collections", "false")
        .text("attribution_domains[]", "");
    let (status, me) = patch_form(&app, &alice, form).await;
    assert_eq!(status, 200, "{me}");
    assert_ne!(
        me["display_name"], "Changed",
        "refused updates changed nothing"
    );
    assert_eq!(me["source"]["attribution_domains"], serde_json::json!([]));
    let (_, to_bob, _) = app.get_auth(&path, Some(&bob)).await;
    assert_eq!(to_bob.as_array().map(Vec::len), Some(1), "{to_bob}");
    let (_, fam, _) = app.get_auth(&familiar, Some(&carol)).await;
    assert_eq!(fam[0]["accounts"][0]["id"], bob_id.as_str(), "{fam}");

    // Removing the images brings back the defaults and drops their descriptions.
    for (kind, field) in [
        ("avatar", "avatar_description"),
        ("header", "header_description"),
    ] {
        let r = app
            .client
            .delete(app.url(&format!("/api/v1/profile/{kind}")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let me: Value = r.json().await.unwrap();
        assert!(
            me[kind]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{kind}s/original/missing.png")),
            "{me}"
        );
        assert_eq!(me[field], "");
    }
    let r = app
        .client
        .delete(app.url("/api/v1/profile/avatar"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

on_every_backend!(avatar_and_header_uploads, profile_extras);
