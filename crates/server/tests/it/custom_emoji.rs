//! This instance's custom emoji: `rookery admin emoji …` (the real binary on the test's
//! database), `GET /api/v1/custom_emojis`, `emojis` on statuses and accounts, the `Emoji` tags
//! of outgoing notes and actors with their ids answering, a custom emoji seen by another
//! instance, and bad input, on every engine.

use rookery_service::ServiceError;
use rookery_service::custom_emojis::NewEmoji;
use rookery_testkit::Backend;
use serde_json::Value;

use crate::cli::{rookery, run};
use crate::kit::{TestApp, eventually, on_every_backend, spawn_federating, spawn_with};
use crate::media::files::{ffmpeg, make_jpeg, make_png};

on_every_backend!(
    emoji_from_the_command_line,
    emoji_in_posts_profiles_and_activitypub,
    emoji_reach_another_instance,
    bad_emoji_are_refused,
);

/// A small animated GIF (five frames).
fn animated_gif() -> Vec<u8> {
    ffmpeg(
        &["-f", "lavfi", "-i", "testsrc=size=32x32:rate=5", "-t", "1"],
        "out.gif",
    )
}

async fn add(app: &TestApp, code: &str, image: Vec<u8>, category: Option<&str>, listed: bool) {
    app.services
        .custom_emojis()
        .add(NewEmoji {
            shortcode: code.to_owned(),
            image,
            category: category.map(str::to_owned),
            visible_in_picker: listed,
        })
        .await
        .unwrap();
}

/// `rookery admin emoji ARGS` on the app's own database and media directory.
fn admin_emoji(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let data = app.db.dir.path().join("data");
    let mut cmd = rookery(&app.db.dir);
    cmd.arg("--data-dir")
        .arg(&data)
        .env("ROOKERY_SERVER__DOMAIN", "rookery.test")
        .env("ROOKERY_SERVER__HTTPS", "true")
        .env("ROOKERY_DATABASE__URL", &app.db.url)
        .env("ROOKERY_DATABASE__PGBOUNCER", app.db.pgbouncer.to_string());
    if let Some(m) = &app.db.migration_url {
        cmd.env("ROOKERY_DATABASE__MIGRATION_URL", m);
    }
    run(cmd.arg("admin").arg("emoji").args(args))
}

/// A URL this instance gives out, fetched from the test server.
async fn fetch(app: &TestApp, url: &str, accept: &str) -> reqwest::Response {
    let path = url
        .strip_prefix("https://rookery.test")
        .unwrap_or_else(|| panic!("not a local URL: {url}"));
    app.client
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

async fn picker(app: &TestApp) -> Vec<Value> {
    let (st, body) = app.get_json("/api/v1/custom_emojis").await;
    assert_eq!(st, 200, "{body}");
    body.as_array().unwrap().clone()
}

fn codes(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|e| e["shortcode"].as_str().unwrap())
        .collect()
}

async fn emoji_from_the_command_line(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let files = rookery_testkit::TempDir::new("rookery-emoji").unwrap();
    let png = files.path().join("blob.png");
    std::fs::write(&png, make_png(64, 64)).unwrap();
    let png = png.to_str().unwrap();

    let (code, out, err) = admin_emoji(&app, &["add", "blobcat", png, "--category", "Blobs"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Added :blobcat: (https://rookery.test/"),
        "{out}"
    );
    let (code, _, err) = admin_emoji(&app, &["add", ":hidden:", png, "--unlisted"]);
    assert_eq!(code, 0, "{err}");

    // A duplicate, a bad shortcode, a file that is not there: one clear line each.
    for (args, expected) in [
        (
            vec!["add", "blobcat", png],
            "the shortcode :blobcat: is already taken",
        ),
        (
            vec!["add", "no-dashes", png],
            "shortcode \"no-dashes\" is not valid",
        ),
        (vec!["add", "ghost", "/nonexistent/x.png"], "cannot open"),
        (vec!["remove", "ghost"], "there is no custom emoji :ghost:"),
        (
            vec!["category", "ghost", "x"],
            "there is no custom emoji :ghost:",
        ),
    ] {
        let (code, _, err) = admin_emoji(&app, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }

    // The server sees what the command line did.
    let list = picker(&app).await;
    assert_eq!(codes(&list), ["blobcat"], "unlisted ones are not offered");
    assert_eq!(list[0]["category"], "Blobs");

    let (code, out, _) = admin_emoji(&app, &["list", "--json"]);
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["shortcode"], "blobcat");
    assert_eq!(listed[1]["shortcode"], "hidden");
    assert_eq!(listed[1]["visible_in_picker"], false);
    let (_, out, _) = admin_emoji(&app, &["list"]);
    assert!(
        out.contains("blobcat") && out.contains("Blobs") && out.contains("unlisted"),
        "{out}"
    );

    let (code, out, _) = admin_emoji(&app, &["category", "blobcat", "--none"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), ":blobcat: has no category now.");
    assert_eq!(picker(&app).await[0]["category"], Value::Null);
    let (code, out, _) = admin_emoji(&app, &["category", "blobcat", "Cats"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), ":blobcat: is now in \"Cats\".");

    // Import: a directory of images named by shortcode; taken ones skipped, others added.
    let pack = files.path().join("pack");
    std::fs::create_dir(&pack).unwrap();
    std::fs::write(pack.join("blobcat.png"), make_png(16, 16)).unwrap();
    std::fs::write(pack.join("party.gif"), animated_gif()).unwrap();
    std::fs::write(pack.join("fox.PNG"), make_png(16, 16)).unwrap();
    std::fs::write(pack.join("README.md"), "not an emoji").unwrap();
    let (code, out, err) = admin_emoji(
        &app,
        &["import", pack.to_str().unwrap(), "--category", "Pack"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "Imported 2 emoji; skipped 1 already there; 0 refused."
    );
    // A bad file in a pack is named, and the command fails once the rest is in.
    std::fs::write(pack.join("broken.png"), b"not a png").unwrap();
    let (code, _, err) = admin_emoji(&app, &["import", pack.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("skipped 3 already there; 1 refused"), "{err}");
    assert!(
        err.contains(":broken: image must be a PNG, GIF or WebP image"),
        "{err}"
    );

    let list = picker(&app).await;
    assert_eq!(codes(&list), ["blobcat", "fox", "party"]);
    let party = &list[2];
    assert_eq!(party["category"], "Pack");
    // An animated emoji stays animated; its still copy is a PNG.
    let url = party["url"].as_str().unwrap();
    let still = party["static_url"].as_str().unwrap();
    assert!(url.ends_with(".gif") && still.ends_with(".png"), "{party}");
    for (u, mime) in [(url, "image/gif"), (still, "image/png")] {
        let r = fetch(&app, u, "*/*").await;
        assert_eq!(r.status(), 200, "{u}");
        assert_eq!(r.headers()["content-type"], mime);
    }

    // Removing takes the emoji and its image away.
    let fox_url = list[1]["url"].as_str().unwrap().to_owned();
    let (code, out, err) = admin_emoji(&app, &["remove", "fox"]);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out.trim(), "Removed :fox:.");
    assert_eq!(codes(&picker(&app).await), ["blobcat", "party"]);
    assert_eq!(fetch(&app, &fox_url, "*/*").await.status(), 404);
}

async fn emoji_in_posts_profiles_and_activitypub(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    add(&app, "blobcat", make_png(64, 64), Some("Blobs"), true).await;
    add(&app, "secret", make_png(20, 20), None, false).await;
    let alice = app.token("alice").await;
    let alice_id = app.account_id("alice").await;

    // The entity, field by field, public (no token).
    let list = picker(&app).await;
    assert_eq!(list.len(), 1);
    let e = list[0].as_object().unwrap();
    let mut keys: Vec<&str> = e.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "category",
            "shortcode",
            "static_url",
            "url",
            "visible_in_picker"
        ]
    );
    assert_eq!(e["shortcode"], "blobcat");
    assert_eq!(e["visible_in_picker"], true);
    assert_eq!(e["category"], "Blobs");
    let url = e["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with("https://rookery.test/system/media/"),
        "{url}"
    );
    assert_eq!(e["static_url"], url.as_str());
    let r = fetch(&app, &url, "*/*").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");

    // A post with shortcodes lists the emoji it uses (unlisted ones too, unknown ones not).
    let (st, status) = app
        .post_auth(
            "/api/v1/statuses",
            &alice,
            &[("status", ":blobcat: hi :secret: :nope: 10:30:00")],
        )
        .await;
    assert_eq!(st, 200, "{status}");
    let emojis = status["emojis"].as_array().unwrap();
    assert_eq!(codes(emojis), ["blobcat", "secret"]);
    assert_eq!(emojis[0]["url"], url.as_str());
    assert_eq!(emojis[1]["visible_in_picker"], false);
    let status_id = status["id"].as_str().unwrap().to_owned();
    let (_, fetched, _) = app
        .get_auth(&format!("/api/v1/statuses/{status_id}"), None)
        .await;
    assert_eq!(
        codes(fetched["emojis"].as_array().unwrap()),
        ["blobcat", "secret"]
    );

    // Display names and bios.
    let (st, me) = app
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[
                ("display_name", "Alice :blobcat:"),
                ("note", "hush :secret:"),
            ],
        )
        .await;
    assert_eq!(st, 200, "{me}");
    assert_eq!(
        codes(me["emojis"].as_array().unwrap()),
        ["blobcat", "secret"]
    );
    let (_, account, _) = app
        .get_auth(&format!("/api/v1/accounts/{alice_id}"), None)
        .await;
    assert_eq!(
        codes(account["emojis"].as_array().unwrap()),
        ["blobcat", "secret"]
    );
    let (_, timeline, _) = app
        .get_auth(&format!("/api/v1/accounts/{alice_id}/statuses"), None)
        .await;
    assert_eq!(
        codes(timeline[0]["account"]["emojis"].as_array().unwrap()),
        ["blobcat", "secret"]
    );

    // The outgoing note carries Mastodon's Emoji tags...
    let ap = "application/activity+json";
    let note_url = status["uri"].as_str().unwrap();
    let note: Value = fetch(&app, note_url, ap).await.json().await.unwrap();
    let tags: Vec<&Value> = note["tag"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "Emoji")
        .collect();
    assert_eq!(tags.len(), 2, "{note}");
    let blob = tags.iter().find(|t| t["name"] == ":blobcat:").unwrap();
    let blob_id = blob["id"].as_str().unwrap();
    assert!(
        blob_id.starts_with("https://rookery.test/emojis/"),
        "{blob}"
    );
    assert_eq!(blob["icon"]["type"], "Image");
    assert_eq!(blob["icon"]["mediaType"], "image/png");
    assert_eq!(blob["icon"]["url"], url.as_str());
    assert!(blob["updated"].as_str().unwrap().ends_with('Z'), "{blob}");
    assert!(
        note["@context"][1]["Emoji"] == "toot:Emoji",
        "{}",
        note["@context"]
    );

    // ... whose ids answer with the same object, as ActivityPub, whatever is asked for.
    for accept in [ap, "text/html"] {
        let r = fetch(&app, blob_id, accept).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/activity+json")
        );
        let doc: Value = r.json().await.unwrap();
        assert_eq!(doc["id"], blob_id);
        assert_eq!(doc["type"], "Emoji");
        assert_eq!(doc["name"], ":blobcat:");
        assert_eq!(doc["icon"], blob["icon"]);
        assert_eq!(doc["@context"][1]["Emoji"], "toot:Emoji");
    }
    for missing in ["/emojis/1", "/emojis/nope", "/emojis/-5"] {
        let r = app.get(missing).await;
        assert_eq!(r.status(), 404, "{missing}");
    }

    // The actor carries the emoji of its name and bio.
    let actor: Value = fetch(&app, "https://rookery.test/users/alice", ap)
        .await
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = actor["tag"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "Emoji")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, [":blobcat:", ":secret:"], "{actor}");

    // A removed emoji leaves the shortcode as text.
    app.services.custom_emojis().remove("secret").await.unwrap();
    let (_, fetched, _) = app
        .get_auth(&format!("/api/v1/statuses/{status_id}"), None)
        .await;
    assert_eq!(codes(fetched["emojis"].as_array().unwrap()), ["blobcat"]);
}

async fn emoji_reach_another_instance(backend: Backend) {
    let a = spawn_federating(backend, &[]).await;
    let b = spawn_federating(backend, &[]).await;
    add(&a, "blobcat", make_png(32, 32), None, true).await;
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let (st, _) = a
        .patch_auth(
            "/api/v1/accounts/update_credentials",
            &alice,
            &[("display_name", "Alice :blobcat:")],
        )
        .await;
    assert_eq!(st, 200);
    let (st, alice_on_b, _) = b
        .get_auth(
            &format!("/api/v1/accounts/lookup?acct=alice@{}", a.domain()),
            Some(&bob),
        )
        .await;
    assert_eq!(st, 200, "{alice_on_b}");
    let alice_b_id = alice_on_b["id"].as_str().unwrap().to_owned();
    let (st, _) = b
        .post_auth(&format!("/api/v1/accounts/{alice_b_id}/follow"), &bob, &[])
        .await;
    assert_eq!(st, 200);
    let alice_a_id = a.account_id("alice").await;
    eventually("alice has a follower", || async {
        let (_, list, _) = a
            .get_auth(&format!("/api/v1/accounts/{alice_a_id}/followers"), None)
            .await;
        list.as_array().is_some_and(|l| !l.is_empty())
    })
    .await;
    let (st, _) = a
        .post_auth("/api/v1/statuses", &alice, &[("status", "meow :blobcat:")])
        .await;
    assert_eq!(st, 200);
    let seen = || async {
        let (_, home, _) = b.get_auth("/api/v1/timelines/home", Some(&bob)).await;
        home.as_array()
            .and_then(|l| {
                l.iter()
                    .find(|s| s["content"].as_str().unwrap_or("").contains("meow"))
            })
            .cloned()
    };
    eventually("bob sees the post with its emoji", || async {
        seen().await.is_some_and(|s| {
            s["emojis"]
                .as_array()
                .is_some_and(|e| e.len() == 1 && e[0]["shortcode"] == "blobcat")
        })
    })
    .await;
    let status = seen().await.unwrap();
    let emoji = &status["emojis"][0];
    assert_eq!(emoji["visible_in_picker"], false, "another server's emoji");
    // Shown from B's copy once it is made, else from A; either way the image loads.
    let url = emoji["url"].as_str().unwrap();
    let r = b.client.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    // The profile's emoji came with the actor.
    eventually("bob sees alice's name with its emoji", || async {
        let (_, acct, _) = b
            .get_auth(&format!("/api/v1/accounts/{alice_b_id}"), Some(&bob))
            .await;
        acct["emojis"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["shortcode"] == "blobcat"))
    })
    .await;
}

async fn bad_emoji_are_refused(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let area = app.services.custom_emojis();
    let attempt = |code: &str, image: Vec<u8>| {
        let new = NewEmoji {
            shortcode: code.to_owned(),
            image,
            category: None,
            visible_in_picker: true,
        };
        async move { area.add(new).await.map(|_| ()) }
    };
    let refused = |r: Result<(), ServiceError>| match r {
        Err(ServiceError::Invalid { field, message }) => format!("{field} {message}"),
        other => panic!("not refused as invalid: {other:?}"),
    };
    let png = make_png(16, 16);
    for bad in ["a", "no-dash", "has space", "émoji", ":x:", &"a".repeat(65)] {
        let msg = refused(attempt(bad, png.clone()).await);
        assert!(msg.starts_with("shortcode "), "{bad}: {msg}");
    }
    let mut huge = png.clone();
    huge.resize(300 * 1024, 0);
    assert_eq!(
        refused(attempt("huge", huge).await),
        "image is too large: 300 KiB, the limit is 256 KiB"
    );
    assert_eq!(
        refused(attempt("text", b"hello, I am not an image".to_vec()).await),
        "image must be a PNG, GIF or WebP image"
    );
    assert_eq!(
        refused(attempt("photo", make_jpeg(16, 16)).await),
        "image must be a PNG, GIF or WebP image"
    );
    assert_eq!(
        refused(attempt("empty", Vec::new()).await),
        "image is empty"
    );
    let truncated = png[..png.len() / 2].to_vec();
    let msg = refused(attempt("cut", truncated).await);
    assert!(msg.starts_with("image could not be processed"), "{msg}");
    let long_category = NewEmoji {
        shortcode: "cat".into(),
        image: png.clone(),
        category: Some("x".repeat(65)),
        visible_in_picker: true,
    };
    assert!(refused(area.add(long_category).await.map(|_| ())).starts_with("category "));

    // Nothing of the refused ones is left; a duplicate is a conflict with a clear text.
    assert!(area.list().await.unwrap().is_empty());
    attempt("ok_emoji", png.clone()).await.unwrap();
    match attempt("ok_emoji", png.clone()).await {
        Err(ServiceError::Conflict(m)) => {
            assert_eq!(m, "the shortcode :ok_emoji: is already taken")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        area.remove("never_added").await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        area.set_category("never_added", Some("x")).await,
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(area.list().await.unwrap().len(), 1);
    // Only the accepted emoji's file is in storage.
    let media = app.db.dir.path().join("data").join("media").join("media");
    let stored: Vec<_> = std::fs::read_dir(&media).unwrap().collect();
    assert_eq!(stored.len(), 1, "{media:?}");
    // ... and it counts as local emoji in storage use.
    let usage = app.services.media_usage().await.unwrap();
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert_eq!(
        rookery_service::media::usage_category(&usage[0]),
        "local_emoji"
    );
    assert_eq!(usage[0].files, 1);
    assert!(usage[0].bytes > 0);
}
