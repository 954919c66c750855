//! Data export through the settings pages: each CSV file byte for byte in Mastodon's formats
//! (with quoting and formula protection), the archive built by its job and opened as a zip,
//! one archive per 7 days, and every route refused without a session or a form token.

use std::io::Read;

use rookery_testkit::Backend;
use serde_json::Value;

use crate::browser::Browser;
use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};
use crate::media::{make_png, processed, upload};

on_every_backend!(csv_files_in_mastodon_formats, archive_of_an_account);

/// GETs `path` with the browser's session: (status, headers, body bytes).
async fn download(
    app: &TestApp,
    b: &Browser<'_>,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let session = b.cookie("rookery_session").unwrap_or_default();
    let r = app
        .client
        .get(app.url(path))
        .header("cookie", format!("rookery_session={session}"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

async fn csv(app: &TestApp, b: &Browser<'_>, file: &str) -> String {
    let (status, headers, body) = download(app, b, &format!("/settings/export/{file}")).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"{file}\"").as_str()
    );
    assert_eq!(headers["cache-control"], "no-store");
    String::from_utf8(body).unwrap()
}

async fn ok(app: &TestApp, path: &str, token: &str, form: &[(&str, &str)]) -> Value {
    let (status, body) = app.post_auth(path, token, form).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn csv_files_in_mastodon_formats(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let hana = app.token("hana").await;
    let bob = app.token("bob").await;
    let dave = app.token("dave").await;
    for name in ["carol", "erin"] {
        app.create_account(name).await;
    }
    let id = |name: &'static str| {
        let app = &app;
        async move { app.account_id(name).await }
    };
    let hana_id = id("hana").await;

    // A remote account, followed, following and with a post bookmarked (small ids: first).
    app.sql(&format!(
        "INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) \
         VALUES (9001, 'zed', 'remote.example', 'https://remote.example/users/zed', 0, 0); \
         INSERT INTO follows (id, account_id, target_account_id, created_at) \
         VALUES (9002, {hana_id}, 9001, 0), (9003, 9001, {hana_id}, 0); \
         INSERT INTO statuses (id, account_id, uri, local, visibility, created_at, updated_at) \
         VALUES (9004, 9001, 'https://remote.example/users/zed/statuses/1', FALSE, 'public', 0, 0); \
         INSERT INTO bookmarks (id, account_id, status_id, created_at) VALUES (9005, {hana_id}, 9004, 0);"
    ))
    .await;

    let bob_id = id("bob").await;
    let carol_id = id("carol").await;
    let dave_id = id("dave").await;
    let erin_id = id("erin").await;
    ok(
        &app,
        &format!("/api/v1/accounts/{bob_id}/follow"),
        &hana,
        &[],
    )
    .await;
    ok(
        &app,
        &format!("/api/v1/accounts/{carol_id}/follow"),
        &hana,
        &[("reblogs", "false"), ("notify", "true")],
    )
    .await;
    ok(
        &app,
        &format!("/api/v1/accounts/{hana_id}/follow"),
        &dave,
        &[],
    )
    .await;
    let mut lists = Vec::new();
    for (title, members) in [
        ("Friends", vec![bob_id.as_str()]),
        (
            "Work, \"serious\"",
            vec![bob_id.as_str(), carol_id.as_str()],
        ),
        ("=SUM(1)", vec![carol_id.as_str()]),
    ] {
        let list = ok(&app, "/api/v1/lists", &hana, &[("title", title)]).await;
        let list_id = list["id"].as_str().unwrap().to_owned();
        for m in members {
            ok(
                &app,
                &format!("/api/v1/lists/{list_id}/accounts"),
                &hana,
                &[("account_ids[]", m)],
            )
            .await;
        }
        lists.push(list_id);
    }
    ok(
        &app,
        &format!("/api/v1/accounts/{erin_id}/block"),
        &hana,
        &[],
    )
    .await;
    ok(
        &app,
        &format!("/api/v1/accounts/{dave_id}/mute"),
        &hana,
        &[],
    )
    .await;
    ok(
        &app,
        &format!("/api/v1/accounts/{bob_id}/mute"),
        &hana,
        &[("notifications", "false")],
    )
    .await;
    for domain in ["spam.example", "bad.example"] {
        ok(&app, "/api/v1/domain_blocks", &hana, &[("domain", domain)]).await;
    }
    let post = ok(&app, "/api/v1/statuses", &bob, &[("status", "bookmark me")]).await;
    let post_id = post["id"].as_str().unwrap().to_owned();
    ok(
        &app,
        &format!("/api/v1/statuses/{post_id}/bookmark"),
        &hana,
        &[],
    )
    .await;

    // Signed out, every route sends the browser to sign in.
    let mut anonymous = Browser::new(&app);
    for path in [
        "/settings/export",
        "/settings/export/following_accounts.csv",
        "/settings/export/archives/1",
    ] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.location.as_deref(), Some("/auth/sign_in"), "{path}");
    }
    let page = anonymous.post("/settings/export/archive", &[]).await;
    assert_eq!(page.status, 303);

    let mut b = Browser::signed_in(&app, "hana@example.com").await;
    let page = b.get("/settings/export").await;
    assert_eq!(page.status, 200, "{}", page.html);
    for (label, count, file) in [
        ("Follows", 3, "following_accounts.csv"),
        ("Followers", 2, "followers.csv"),
        ("Lists", 3, "lists.csv"),
        ("You block", 1, "blocked_accounts.csv"),
        ("You mute", 2, "muted_accounts.csv"),
        ("Domain blocks", 2, "blocked_domains.csv"),
        ("Bookmarks", 2, "bookmarks.csv"),
    ] {
        let row = format!(
            "<tr><td>{label}</td><td>{count}</td><td><a href=\"/settings/export/{file}\" download>"
        );
        assert!(page.html.contains(&row), "{row} in {}", page.html);
    }
    // The settings navigation leads here.
    let overview = b.get("/settings").await;
    assert!(
        overview
            .html
            .contains("<a href=\"/settings/export\">Data export</a>")
    );

    assert_eq!(
        csv(&app, &b, "following_accounts.csv").await,
        "Account address,Show boosts,Notify on new posts,Languages\n\
         zed@remote.example,true,false,\n\
         bob@rookery.test,true,false,\n\
         carol@rookery.test,false,true,\n"
    );
    assert_eq!(
        csv(&app, &b, "followers.csv").await,
        "Account address\nzed@remote.example\ndave@rookery.test\n"
    );
    assert_eq!(
        csv(&app, &b, "lists.csv").await,
        "Friends,bob@rookery.test\n\
         \"Work, \"\"serious\"\"\",bob@rookery.test\n\
         \"Work, \"\"serious\"\"\",carol@rookery.test\n\
         '=SUM(1),carol@rookery.test\n"
    );
    assert_eq!(
        csv(&app, &b, "blocked_accounts.csv").await,
        "erin@rookery.test\n"
    );
    assert_eq!(
        csv(&app, &b, "muted_accounts.csv").await,
        "Account address,Hide notifications\ndave@rookery.test,true\nbob@rookery.test,false\n"
    );
    assert_eq!(
        csv(&app, &b, "blocked_domains.csv").await,
        "spam.example\nbad.example\n"
    );
    assert_eq!(
        csv(&app, &b, "bookmarks.csv").await,
        format!(
            "https://remote.example/users/zed/statuses/1\n\
             https://rookery.test/users/bob/statuses/{post_id}\n"
        )
    );
    let (status, _, _) = download(&app, &b, "/settings/export/passwords.csv").await;
    assert_eq!(status, 404);

    // Someone else's export is their own.
    let dave_browser = Browser::signed_in(&app, "dave@example.com").await;
    assert_eq!(
        csv(&app, &dave_browser, "following_accounts.csv").await,
        "Account address,Show boosts,Notify on new posts,Languages\nhana@rookery.test,true,false,\n"
    );
}

/// The entry `name` of a zip.
fn entry(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut file = zip.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut out = Vec::new();
    file.read_to_end(&mut out).unwrap();
    out
}

async fn archive_of_an_account(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000")]).await;
    let hana = app.token("hana").await;
    let bob = app.token("bob").await;
    let form = reqwest::multipart::Form::new().part(
        "avatar",
        crate::media::file_part("me.png", make_png(40, 40), None),
    );
    let r = app
        .client
        .patch(app.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&hana)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    let avatar_url = crate::media::local(&app, me["avatar"].as_str().unwrap());
    let (_, _, avatar_bytes) = crate::media::fetch(&app, &avatar_url).await;
    assert!(avatar_url.ends_with(".png"), "{avatar_url}");
    let (status, m) = upload(
        &app,
        &hana,
        "a.png",
        make_png(32, 24),
        &[("description", "bars")],
    )
    .await;
    assert!(status == 200 || status == 202, "{m}");
    let media_id = m["id"].as_str().unwrap().to_owned();
    let (_, media) = processed(&app, &hana, &media_id).await;
    let media_url = media["url"].as_str().unwrap().to_owned();
    let (_, _, media_bytes) =
        crate::media::fetch(&app, &crate::media::local(&app, &media_url)).await;
    assert!(!media_bytes.is_empty());
    let first = ok(
        &app,
        "/api/v1/statuses",
        &hana,
        &[
            ("status", "Hello from hana"),
            ("media_ids[]", media_id.as_str()),
        ],
    )
    .await;
    let second = ok(
        &app,
        "/api/v1/statuses",
        &hana,
        &[("status", "Only followers"), ("visibility", "private")],
    )
    .await;
    let bobs = ok(&app, "/api/v1/statuses", &bob, &[("status", "liked")]).await;
    let bobs_id = bobs["id"].as_str().unwrap();
    ok(
        &app,
        &format!("/api/v1/statuses/{bobs_id}/favourite"),
        &hana,
        &[],
    )
    .await;
    ok(
        &app,
        &format!("/api/v1/statuses/{bobs_id}/bookmark"),
        &hana,
        &[],
    )
    .await;

    let mut b = Browser::signed_in(&app, "hana@example.com").await;
    // A form without its token is refused, and asks for nothing.
    let page = b.post("/settings/export/archive", &[]).await;
    assert_eq!(page.status, 403, "{}", page.html);
    let page = b
        .post(
            "/settings/export/archive",
            &[("authenticity_token", "forged")],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = b.get("/settings/export").await;
    assert!(page.html.contains("You have not asked for an archive yet."));

    let page = b
        .submit("/settings/export", "/settings/export/archive", &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("Your archive is being prepared"),
        "{}",
        page.html
    );
    // Once built, the page links to it.
    let marker = "<a href=\"/settings/export/archives/";
    eventually("the archive is built", || {
        let app = &app;
        let session = b.cookie("rookery_session").unwrap_or_default().to_owned();
        async move {
            let r = app
                .client
                .get(app.url("/settings/export"))
                .header("cookie", format!("rookery_session={session}"))
                .send()
                .await
                .unwrap();
            r.text().await.unwrap().contains(marker)
        }
    })
    .await;
    let page = b.get("/settings/export").await;
    let start = page.html.find(marker).unwrap() + marker.len();
    let archive_id = page.html[start..].split('"').next().unwrap().to_owned();
    assert!(!page.html.contains("Being prepared"));

    // A second request within 7 days is refused.
    let page = b
        .submit("/settings/export", "/settings/export/archive", &[])
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.html
            .contains("You can only request an archive once every 7 days."),
        "{}",
        page.html
    );

    let path = format!("/settings/export/archives/{archive_id}");
    let (status, headers, bytes) = download(&app, &b, &path).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/zip");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"archive-hana-"),
        "{headers:?}"
    );
    let size_text = page_size(&b.get("/settings/export").await.html);
    assert!(
        size_text.ends_with(" KB") || size_text.ends_with(" B"),
        "{size_text}"
    );

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let actor: Value = serde_json::from_slice(&entry(&mut zip, "actor.json")).unwrap();
    assert_eq!(actor["id"], "https://rookery.test/users/hana");
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["preferredUsername"], "hana");
    assert_eq!(actor["outbox"], "https://rookery.test/users/hana/outbox");
    assert_eq!(actor["icon"]["url"], "avatar.png");
    assert_eq!(entry(&mut zip, "avatar.png"), avatar_bytes);

    let outbox: Value = serde_json::from_slice(&entry(&mut zip, "outbox.json")).unwrap();
    assert_eq!(outbox["type"], "OrderedCollection");
    assert_eq!(outbox["totalItems"], 2);
    let items = outbox["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let first_id = first["id"].as_str().unwrap();
    let second_id = second["id"].as_str().unwrap();
    assert_eq!(items[0]["type"], "Create");
    assert_eq!(
        items[0]["id"],
        format!("https://rookery.test/users/hana/statuses/{first_id}/activity")
    );
    assert_eq!(items[0]["actor"], "https://rookery.test/users/hana");
    assert_eq!(items[0]["object"]["content"], "<p>Hello from hana</p>");
    let attachments = items[0]["object"]["attachment"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["name"], "bars");
    let inside = attachments[0]["url"].as_str().unwrap().to_owned();
    assert!(inside.starts_with("media_attachments/"), "{inside}");
    assert_eq!(entry(&mut zip, &inside), media_bytes);
    assert_eq!(
        items[1]["object"]["id"],
        format!("https://rookery.test/users/hana/statuses/{second_id}")
    );
    assert_eq!(items[1]["object"]["content"], "<p>Only followers</p>");
    assert_eq!(
        items[1]["object"]["to"],
        serde_json::json!(["https://rookery.test/users/hana/followers"])
    );

    let bobs_uri = format!("https://rookery.test/users/bob/statuses/{bobs_id}");
    for name in ["likes.json", "bookmarks.json"] {
        let c: Value = serde_json::from_slice(&entry(&mut zip, name)).unwrap();
        assert_eq!(c["type"], "OrderedCollection", "{name}");
        assert_eq!(c["totalItems"], 1, "{name}");
        assert_eq!(c["orderedItems"], serde_json::json!([bobs_uri]), "{name}");
    }
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "actor.json".to_owned(),
            "avatar.png".to_owned(),
            "bookmarks.json".to_owned(),
            "likes.json".to_owned(),
            inside.clone(),
            "outbox.json".to_owned(),
        ]
    );

    // Only its owner, signed in, downloads it; the stored file is not a public one.
    let (status, _, _) = app
        .client
        .get(app.url(&path))
        .send()
        .await
        .map(|r| (r.status().as_u16(), (), ()))
        .unwrap();
    assert_eq!(status, 303);
    let bob_browser = Browser::signed_in(&app, "bob@example.com").await;
    let (status, _, _) = download(&app, &bob_browser, &path).await;
    assert_eq!(status, 404);
    let key = app
        .sql_texts("SELECT storage_key FROM account_archives")
        .await
        .remove(0);
    assert!(key.starts_with("backups/"), "{key}");
    let (status, _, _) = crate::media::fetch(&app, &app.url(&format!("/system/{key}"))).await;
    assert_eq!(status, 404);
    let root = app.services.local_media_root().unwrap();
    assert!(root.join(&key).exists());

    // After 7 days the archive and its file are gone, and another may be asked for.
    app.sql(&format!(
        "UPDATE account_archives SET created_at = created_at - {}",
        8 * 24 * 3600 * 1000_i64
    ))
    .await;
    assert_eq!(app.services.exports().prune().await.unwrap(), 1);
    assert!(!root.join(&key).exists());
    assert!(
        app.sql_texts("SELECT storage_key FROM account_archives")
            .await
            .is_empty()
    );
    let (status, _, _) = download(&app, &b, &path).await;
    assert_eq!(status, 404);
    let page = b
        .submit("/settings/export", "/settings/export/archive", &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);

    // Deleting an account's archives takes their files too.
    let user_id = app.services.local_account("hana").await.unwrap().user.id;
    eventually("the second archive is built", || async {
        app.sql_texts("SELECT state FROM account_archives").await == ["ready"]
    })
    .await;
    let key = app
        .sql_texts("SELECT storage_key FROM account_archives")
        .await
        .remove(0);
    assert!(root.join(&key).exists());
    let exports = app.services.exports();
    assert_eq!(exports.delete_archives_of(user_id).await.unwrap(), 1);
    assert!(!root.join(&key).exists());
    assert!(
        app.sql_texts("SELECT state FROM account_archives")
            .await
            .is_empty()
    );
}

/// The size shown for the first archive ready.
fn page_size(html: &str) -> String {
    let cell = html
        .split("<td>")
        .find(|c| c.contains(" KB</td>") || c.contains(" B</td>"))
        .unwrap_or_else(|| panic!("no size in {html}"));
    cell.split("</td>").next().unwrap().to_owned()
}
