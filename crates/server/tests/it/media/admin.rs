//! `rookery admin media usage|prune`: the real binary against the data directory and database
//! a running test app uses.

use rookery_model::MediaPurpose;
use rookery_testkit::Backend;
use serde_json::Value;

use super::pruning::{Copy, a_status, insert_copy, remote_usage};
use super::{make_png, stored_files, upload};
use crate::cli::{rookery, run};
use crate::kit::{TestApp, spawn_with};

/// Runs `rookery admin media ARGS` on the app's database and media directory, with `env`.
async fn admin_media(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = rookery(&app.db.dir);
    cmd.arg("--data-dir")
        .arg(app.db.dir.path().join("data"))
        .args(["admin", "media"])
        .args(args)
        .env("ROOKERY_DATABASE__URL", &app.db.url)
        .env("ROOKERY_SERVER__DOMAIN", "rookery.test")
        .env("ROOKERY_SERVER__HTTPS", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap()
}

async fn usage_and_prune_from_the_command_line(backend: Backend) {
    let app = spawn_with(backend, &[("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000")]).await;
    let token = app.token("alice").await;
    let (status, m) = upload(&app, &token, "a.png", make_png(64, 64), &[]).await;
    assert_eq!(status, 200, "{m}");
    let owner = app.create_account("carol").await.account.id;
    const HOUR: i64 = 3_600_000;
    let status_id = Some(a_status(&app).await);
    let old = insert_copy(
        &app,
        owner,
        Copy {
            last_used_ago: Some(3 * HOUR),
            status_id,
            ..Copy::default()
        },
    )
    .await;
    let new = insert_copy(
        &app,
        owner,
        Copy {
            status_id,
            ..Copy::default()
        },
    )
    .await;
    let avatar = insert_copy(
        &app,
        owner,
        Copy {
            purpose: MediaPurpose::Avatar,
            original_bytes: 2_000,
            small_bytes: 500,
            last_used_ago: Some(2 * HOUR),
            ..Copy::default()
        },
    )
    .await;

    // Usage: every category, as the service counts it.
    let (code, out, err) = admin_media(&app, &["usage", "--json"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let usage: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let categories = &usage["categories"];
    for c in [
        "local_uploads",
        "local_avatars_headers",
        "local_emoji",
        "remote_attachments",
        "remote_avatars_headers",
        "remote_emoji",
    ] {
        assert!(categories[c]["files"].is_i64(), "{c}: {usage}");
        assert!(categories[c]["bytes"].is_i64(), "{c}: {usage}");
    }
    assert_eq!(categories["local_uploads"]["files"], 1, "{usage}");
    assert!(categories["local_uploads"]["bytes"].as_i64().unwrap() > 0);
    assert_eq!(categories["remote_attachments"]["files"], 2, "{usage}");
    assert_eq!(categories["remote_attachments"]["bytes"], 22_000, "{usage}");
    assert_eq!(categories["remote_avatars_headers"]["files"], 1, "{usage}");
    assert_eq!(
        categories["remote_avatars_headers"]["bytes"], 2_500,
        "{usage}"
    );
    assert_eq!(categories["local_emoji"]["files"], 0, "{usage}");
    assert_eq!(usage["remote_cache_cap_bytes"], 1024u64 * 1024 * 1024);
    let (code, text, err) = admin_media(&app, &["usage"], &[]).await;
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("remote_attachments"), "{text}");
    assert!(text.contains("remote cache:"), "{text}");

    // Prune under a 12,000-byte cap: the least recently used copies go (the old attachment,
    // then the avatar), the newest stays.
    let cap = [("ROOKERY_MEDIA__REMOTE__CACHE_MAX_BYTES", "12000")];
    let (code, out, err) = admin_media(&app, &["prune", "--json"], &cap).await;
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(report["evicted"], 2, "{report}");
    assert_eq!(report["expired"], 0, "{report}");
    assert_eq!(report["deleted"], 0, "{report}");
    assert_eq!(report["bytes_freed"], 13_500, "{report}");
    assert_eq!(report["cache_bytes"], 11_000, "{report}");
    assert_eq!(report["cache_cap_bytes"], 12_000, "{report}");
    assert_eq!(remote_usage(&app).await, 11_000);
    let files = stored_files(&app);
    let has =
        |m: &rookery_model::MediaAttachment| files.iter().any(|f| f.contains(&m.id.to_string()));
    assert!(
        !has(&old) && !has(&avatar) && has(&new),
        "old {}, avatar {}, new {}: {files:?}",
        old.id,
        avatar.id,
        new.id
    );
    assert!(
        files.iter().any(|f| f.starts_with("media/")),
        "the local upload stays: {files:?}"
    );

    // Nothing left to do: the text report says so.
    let (code, text, err) = admin_media(&app, &["prune"], &cap).await;
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("Dropped 0 cached copies"), "{text}");
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn usage_and_prune_from_the_command_line() {
        super::usage_and_prune_from_the_command_line(rookery_testkit::Backend::Sqlite).await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn usage_and_prune_from_the_command_line() {
        super::usage_and_prune_from_the_command_line(rookery_testkit::Backend::Postgres).await
    }
}
