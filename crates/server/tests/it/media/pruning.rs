//! Keeping storage in bounds, through the service: the remote cache's size cap (least
//! recently used copies go first) and age limit, and uploads never attached.
//!
//! Cached copies are made directly (a row and its files in the local media directory), with
//! chosen `last_used_at` / `fetched_at` / `created_at`: the service's clock is the system clock.

use rookery_model::{Id, MediaAttachment, MediaKind, MediaMeta, MediaPurpose, MediaState};
use rookery_testkit::Backend;

use super::{make_png, stored_files, upload};
use crate::kit::{TestApp, eventually, on_every_backend, spawn_with};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// A stored media row with `original` and `small` files of the given sizes.
pub struct Copy {
    pub purpose: MediaPurpose,
    pub remote: bool,
    pub original_bytes: usize,
    pub small_bytes: usize,
    /// Milliseconds ago; `None`: never.
    pub last_used_ago: Option<i64>,
    pub fetched_ago: Option<i64>,
    pub created_ago: i64,
    pub status_id: Option<Id>,
    pub state: MediaState,
}

impl Default for Copy {
    fn default() -> Self {
        Copy {
            purpose: MediaPurpose::Attachment,
            remote: true,
            original_bytes: 10_000,
            small_bytes: 1_000,
            last_used_ago: Some(0),
            fetched_ago: Some(0),
            created_ago: 0,
            status_id: None,
            state: MediaState::Ready,
        }
    }
}

/// Inserts `copy` for `owner`; the row as stored.
pub async fn insert_copy(app: &TestApp, owner: Id, copy: Copy) -> MediaAttachment {
    let services = &app.services;
    let now = services.clock.now();
    let ago = |ms: i64| now.plus_millis(-ms);
    let id = services.ids.next_id();
    let dir = if copy.remote { "cache" } else { "media" };
    let (file_key, preview_key) = if copy.state == MediaState::Ready {
        let root = services.local_media_root().unwrap();
        let original = format!("{dir}/{id}/original.png");
        let small = format!("{dir}/{id}/small.png");
        std::fs::create_dir_all(root.join(format!("{dir}/{id}"))).unwrap();
        std::fs::write(root.join(&original), vec![7u8; copy.original_bytes]).unwrap();
        std::fs::write(root.join(&small), vec![8u8; copy.small_bytes]).unwrap();
        (Some(original), Some(small))
    } else {
        (None, None)
    };
    let stored = file_key.is_some();
    let media = MediaAttachment {
        id,
        account_id: owner,
        status_id: copy.status_id,
        purpose: copy.purpose,
        kind: MediaKind::Image,
        state: copy.state,
        content_type: Some("image/png".into()),
        file_key,
        file_size: if stored {
            copy.original_bytes as i64
        } else {
            0
        },
        preview_key,
        preview_size: if stored { copy.small_bytes as i64 } else { 0 },
        upload_key: None,
        remote_url: copy
            .remote
            .then(|| format!("https://remote.example/files/{id}.png")),
        preview_remote_url: None,
        description: String::new(),
        blurhash: None,
        meta: MediaMeta {
            width: Some(10),
            height: Some(10),
            ..MediaMeta::default()
        },
        error: (copy.state == MediaState::Failed).then(|| "broken".to_owned()),
        last_used_at: copy.last_used_ago.map(ago),
        fetched_at: copy.fetched_ago.map(ago),
        created_at: ago(copy.created_ago),
        updated_at: ago(copy.created_ago),
    };
    let mut tx = services.store.begin().await.unwrap();
    tx.insert_media(&media).await.unwrap();
    tx.commit().await.unwrap();
    media
}

/// A status for remote copies to belong to (an attachment without one is an orphan, deleted
/// by pruning whatever its age). Returns once the jobs its posting queued are done: rendering
/// a status marks its cached files used, which would move them in the LRU order.
pub async fn a_status(app: &TestApp) -> Id {
    let token = app.token("poster").await;
    let (status, s) = app
        .post_auth("/api/v1/statuses", &token, &[("status", "with media")])
        .await;
    assert_eq!(status, 200, "{s}");
    eventually("the posting's jobs are done", || async {
        let queues = app.services.queue_stats().await.unwrap();
        queues.iter().all(|q| q.due == 0 && q.running == 0)
    })
    .await;
    s["id"].as_str().unwrap().parse().unwrap()
}

/// Whether both files of a row are in the media directory.
fn files_exist(app: &TestApp, m: &MediaAttachment) -> bool {
    let root = app.services.local_media_root().unwrap();
    let dir = if m.is_remote() { "cache" } else { "media" };
    let original = root.join(format!("{dir}/{}/original.png", m.id));
    let small = root.join(format!("{dir}/{}/small.png", m.id));
    match (original.exists(), small.exists()) {
        (true, true) => true,
        (false, false) => false,
        other => panic!("half a copy of {}: {other:?}", m.id),
    }
}

async fn row(app: &TestApp, id: Id) -> Option<MediaAttachment> {
    app.services.store.media(id).await.unwrap()
}

/// Remote bytes as `media_usage` counts them.
pub async fn remote_usage(app: &TestApp) -> i64 {
    app.services
        .media_usage()
        .await
        .unwrap()
        .iter()
        .filter(|u| u.remote)
        .map(|u| u.bytes)
        .sum()
}

/// An evicted or expired copy: back to a link to its origin, shown through our proxy.
async fn assert_back_to_remote(app: &TestApp, m: &MediaAttachment) {
    let now = row(app, m.id).await.unwrap();
    assert_eq!(now.state, MediaState::Remote, "{}", m.id);
    assert_eq!(now.file_key, None);
    assert_eq!(now.preview_key, None);
    assert_eq!(now.remote_url, m.remote_url);
    assert!(!files_exist(app, m), "{}", m.id);
    let entity = app.services.attachment_entity(&now);
    assert_eq!(
        entity.url.as_deref(),
        Some(format!("https://rookery.test/media_proxy/{}/original", m.id).as_str())
    );
    assert_eq!(
        entity.preview_url.as_deref(),
        Some(format!("https://rookery.test/media_proxy/{}/small", m.id).as_str())
    );
    assert_eq!(entity.remote_url, m.remote_url);
}

/// A kept copy: still served from storage.
async fn assert_kept(app: &TestApp, m: &MediaAttachment) {
    let now = row(app, m.id).await.unwrap();
    assert_eq!(now.state, MediaState::Ready, "{}", m.id);
    assert_eq!(now.file_key, m.file_key);
    assert!(files_exist(app, m), "{}", m.id);
    let entity = app.services.attachment_entity(&now);
    let expected = format!(
        "https://rookery.test/system/{}",
        m.file_key.as_deref().unwrap()
    );
    assert_eq!(entity.url.as_deref(), Some(expected.as_str()));
}

async fn the_remote_cache_is_kept_under_its_cap(backend: Backend) {
    // Five copies of 11,000 bytes (55,000) under a 35,000-byte cap: two must go.
    let app = spawn_with(
        backend,
        &[("ROOKERY_MEDIA__REMOTE__CACHE_MAX_BYTES", "35000")],
    )
    .await;
    let owner = app.create_account("carol").await.account.id;
    let status_id = Some(a_status(&app).await);
    let used = |ago: Option<i64>, fetched: i64| Copy {
        last_used_ago: ago,
        fetched_ago: Some(fetched),
        status_id,
        ..Copy::default()
    };
    // Never used since it was copied six hours ago: the least recently used of all.
    let never = insert_copy(&app, owner, used(None, 6 * HOUR)).await;
    let five_h = insert_copy(&app, owner, used(Some(5 * HOUR), 6 * HOUR)).await;
    let four_h = insert_copy(&app, owner, used(Some(4 * HOUR), 6 * HOUR)).await;
    let half_h = insert_copy(&app, owner, used(Some(30 * MINUTE), 6 * HOUR)).await;
    let fresh = insert_copy(&app, owner, used(Some(MINUTE), 2 * MINUTE)).await;
    // A local upload is not part of the cache, whatever its size.
    let local = insert_copy(
        &app,
        owner,
        Copy {
            remote: false,
            original_bytes: 100_000,
            ..Copy::default()
        },
    )
    .await;
    assert_eq!(remote_usage(&app).await, 55_000);

    let report = app.services.prune_media().await.unwrap();
    assert_eq!(report.evicted, 2, "{report:?}");
    assert_eq!(report.expired, 0, "{report:?}");
    assert_eq!(report.deleted, 0, "{report:?}");
    assert_eq!(report.bytes_freed, 22_000, "{report:?}");
    assert_eq!(report.cache_bytes, 33_000, "{report:?}");
    assert_eq!(remote_usage(&app).await, 33_000);
    assert_back_to_remote(&app, &never).await;
    assert_back_to_remote(&app, &five_h).await;
    for kept in [&four_h, &half_h, &fresh] {
        assert_kept(&app, kept).await;
    }
    assert_kept(&app, &local).await;

    // Under the cap now: pruning again changes nothing.
    let again = app.services.prune_media().await.unwrap();
    assert_eq!(
        (again.evicted, again.expired, again.deleted),
        (0, 0, 0),
        "{again:?}"
    );
    assert_eq!(again.cache_bytes, 33_000);
}

async fn old_copies_and_unattached_uploads_expire(backend: Backend) {
    let app = spawn_with(
        backend,
        &[
            ("ROOKERY_MEDIA__REMOTE__CACHE_MAX_AGE_SECS", "3600"),
            ("ROOKERY_MEDIA__UPLOAD_WAIT_MS", "30000"),
        ],
    )
    .await;
    let token = app.token("alice").await;
    let alice = app
        .services
        .local_account("alice")
        .await
        .unwrap()
        .account
        .id;
    let owner = app.create_account("carol").await.account.id;
    let remote_status = Some(a_status(&app).await);
    let two_days = 48 * HOUR;

    // Cached copies: one made two hours ago (used a minute ago: age is what counts), one made
    // ten minutes ago, and a remote avatar made two hours ago.
    let old_copy = insert_copy(
        &app,
        owner,
        Copy {
            last_used_ago: Some(MINUTE),
            fetched_ago: Some(2 * HOUR),
            status_id: remote_status,
            ..Copy::default()
        },
    )
    .await;
    let new_copy = insert_copy(
        &app,
        owner,
        Copy {
            fetched_ago: Some(10 * MINUTE),
            status_id: remote_status,
            ..Copy::default()
        },
    )
    .await;
    // A remote attachment whose status is gone: an orphan, deleted whatever its age.
    let orphan_copy = insert_copy(&app, owner, Copy::default()).await;
    let old_avatar_copy = insert_copy(
        &app,
        owner,
        Copy {
            purpose: MediaPurpose::Avatar,
            fetched_ago: Some(2 * HOUR),
            ..Copy::default()
        },
    )
    .await;

    // Local files: an upload never attached (two days old), one attached to a status, one
    // that failed processing, an avatar nobody uses any more, the avatar in use, and a fresh
    // upload through the API.
    let local = |created_ago: i64| Copy {
        remote: false,
        created_ago,
        last_used_ago: None,
        fetched_ago: None,
        ..Copy::default()
    };
    let unattached = insert_copy(&app, alice, local(two_days)).await;
    let (status, s) = app
        .post_auth("/api/v1/statuses", &token, &[("status", "hi")])
        .await;
    assert_eq!(status, 200, "{s}");
    let status_id: Id = s["id"].as_str().unwrap().parse().unwrap();
    let attached = insert_copy(
        &app,
        alice,
        Copy {
            status_id: Some(status_id),
            ..local(two_days)
        },
    )
    .await;
    let failed = insert_copy(
        &app,
        alice,
        Copy {
            state: MediaState::Failed,
            ..local(two_days)
        },
    )
    .await;
    let unused_avatar = insert_copy(
        &app,
        alice,
        Copy {
            purpose: MediaPurpose::Avatar,
            ..local(two_days)
        },
    )
    .await;
    let avatar = insert_copy(
        &app,
        alice,
        Copy {
            purpose: MediaPurpose::Avatar,
            ..local(two_days)
        },
    )
    .await;
    let mut tx = app.services.store.begin().await.unwrap();
    tx.set_account_image(
        alice,
        MediaPurpose::Avatar,
        Some(avatar.id),
        app.services.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (status, m) = upload(&app, &token, "new.png", make_png(16, 16), &[]).await;
    assert_eq!(status, 200, "{m}");
    let fresh_id: Id = m["id"].as_str().unwrap().parse().unwrap();

    let report = app.services.prune_media().await.unwrap();
    assert_eq!(report.expired, 2, "{report:?}");
    assert_eq!(report.evicted, 0, "{report:?}");
    assert_eq!(report.deleted, 4, "{report:?}");
    assert_eq!(report.cache_bytes, 11_000, "{report:?}");

    assert_back_to_remote(&app, &old_copy).await;
    assert_kept(&app, &new_copy).await;
    // A remote avatar goes whole: the account links to the origin until it is copied again.
    assert!(row(&app, old_avatar_copy.id).await.is_none());
    assert!(!files_exist(&app, &old_avatar_copy));

    for gone in [&unattached, &failed, &unused_avatar, &orphan_copy] {
        assert!(
            row(&app, gone.id).await.is_none(),
            "{} should be gone",
            gone.id
        );
    }
    assert!(!files_exist(&app, &unattached));
    assert!(!files_exist(&app, &unused_avatar));
    assert!(!files_exist(&app, &orphan_copy));
    assert_kept(&app, &attached).await;
    assert_kept(&app, &avatar).await;
    let fresh = row(&app, fresh_id).await.unwrap();
    assert_eq!(fresh.state, MediaState::Ready);
    let files = stored_files(&app);
    assert!(
        files.contains(fresh.file_key.as_ref().unwrap()),
        "{files:?}"
    );
    let (_, me, _) = app
        .get_auth("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(
        me["avatar"],
        format!("https://rookery.test/system/{}", avatar.file_key.unwrap())
    );
}

/// `DELETE /api/v1/statuses/:id?delete_media=true` deletes the attachments at once; without
/// it they stay for a redraft.
async fn deleting_a_status_can_delete_its_media(backend: Backend) {
    let app = spawn_with(backend, &[]).await;
    let alice = app.token("alice").await;
    let mut kept = None;
    for delete_media in [false, true] {
        let (st, media) = super::upload(&app, &alice, "a.png", super::make_png(64, 48), &[]).await;
        assert!(st == 200 || st == 202, "{media}");
        let mid = media["id"].as_str().unwrap().to_owned();
        super::processed(&app, &alice, &mid).await;
        let (st, status) = app
            .post_auth(
                "/api/v1/statuses",
                &alice,
                &[("status", "with a picture"), ("media_ids[]", mid.as_str())],
            )
            .await;
        assert_eq!(st, 200, "{status}");
        let sid = status["id"].as_str().unwrap();
        let before = super::stored_files(&app);
        let query = if delete_media {
            "?delete_media=true"
        } else {
            ""
        };
        let r = app
            .client
            .delete(app.url(&format!("/api/v1/statuses/{sid}{query}")))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let (st, _, _) = app
            .get_auth(&format!("/api/v1/media/{mid}"), Some(&alice))
            .await;
        if delete_media {
            assert_eq!(st, 404, "the attachment is gone");
            let after = super::stored_files(&app);
            assert!(after.len() < before.len(), "{before:?} -> {after:?}");
            assert_eq!(Some(after), kept, "only the deleted status's files went");
        } else {
            assert_eq!(st, 200, "kept for a redraft");
            kept = Some(super::stored_files(&app));
        }
    }
}

on_every_backend!(
    the_remote_cache_is_kept_under_its_cap,
    old_copies_and_unattached_uploads_expire,
    deleting_a_status_can_delete_its_media
);
