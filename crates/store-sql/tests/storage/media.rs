//! Media rows on every engine: uploads through processing to a status, account images, usage
//! by category, and the queries the remote cache's limits run on.

use rookery_model::{
    Account, Id, MediaAttachment, MediaKind, MediaMeta, MediaPurpose, MediaState, Status,
    Timestamp, Visibility,
};
use rookery_store::Store;

use super::{Ctx, T0, account};

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + ms)
}

fn media(
    ctx: &Ctx,
    owner: &Account,
    purpose: MediaPurpose,
    remote: Option<&str>,
) -> MediaAttachment {
    MediaAttachment {
        id: ctx.id(),
        account_id: owner.id,
        status_id: None,
        purpose,
        kind: MediaKind::Image,
        state: if remote.is_some() {
            MediaState::Remote
        } else {
            MediaState::Processing
        },
        content_type: Some("image/jpeg".into()),
        file_key: None,
        file_size: 0,
        preview_key: None,
        preview_size: 0,
        upload_key: remote.is_none().then(|| "uploads/1-abc".into()),
        remote_url: remote.map(str::to_owned),
        preview_remote_url: None,
        description: String::new(),
        blurhash: None,
        meta: MediaMeta::default(),
        error: None,
        last_used_at: None,
        fetched_at: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// `m` as processing leaves it: stored files of the given sizes.
fn ready(mut m: MediaAttachment, size: i64, used: i64) -> MediaAttachment {
    m.state = MediaState::Ready;
    m.file_key = Some(format!("cache/{}/original.jpg", m.id));
    m.preview_key = Some(format!("cache/{}/small.jpg", m.id));
    m.file_size = size;
    m.preview_size = size / 10;
    m.upload_key = None;
    m.last_used_at = Some(at(used));
    m.fetched_at = Some(at(used));
    m
}

fn status(ctx: &Ctx, author: &Account) -> Status {
    Status {
        id: ctx.id(),
        account_id: author.id,
        uri: None,
        url: None,
        local: author.is_local(),
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: None,
        conversation_id: None,
        text: "with a photo".into(),
        content: "<p>with a photo</p>".into(),
        spoiler_text: String::new(),
        visibility: Visibility::Public,
        sensitive: false,
        language: None,
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        edited_at: None,
        pinned_at: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

pub async fn uploads_are_processed_attached_and_counted(ctx: Ctx) {
    let alice = account(&ctx, "alice", None);
    let bob = account(&ctx, "bob", None);
    let post = status(&ctx, &alice);
    let mut upload = media(&ctx, &alice, MediaPurpose::Attachment, None);
    let other = media(&ctx, &bob, MediaPurpose::Attachment, None);
    let mut tx = ctx.store.begin().await.unwrap();
    tx.insert_account(&alice).await.unwrap();
    tx.insert_account(&bob).await.unwrap();
    tx.insert_status(&post).await.unwrap();
    tx.insert_media(&upload).await.unwrap();
    tx.insert_media(&other).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        ctx.store.media(upload.id).await.unwrap(),
        Some(upload.clone())
    );

    // Processing fills in the files and what it learnt; hostile text is kept verbatim.
    upload.state = MediaState::Ready;
    upload.upload_key = None;
    upload.file_key = Some(format!("media/{}/original.jpg", upload.id));
    upload.file_size = 1000;
    upload.preview_key = Some(format!("media/{}/small.jpg", upload.id));
    upload.preview_size = 100;
    upload.blurhash = Some("LEHV6nWB2yk8pyo0adR*.7kCMdnj".into());
    upload.description = "alt '); DROP TABLE media_attachments; -- \u{1F600}".into();
    upload.meta = MediaMeta {
        width: Some(640),
        height: Some(480),
        small_width: Some(320),
        small_height: Some(240),
        duration: Some(2.5),
        frame_rate: Some("30000/1001".into()),
        bitrate: Some(128_000),
        focus: Some((0.5, -0.25)),
    };
    upload.updated_at = at(5);
    let mut tx = ctx.store.begin().await.unwrap();
    tx.update_media(&upload).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        ctx.store.media(upload.id).await.unwrap(),
        Some(upload.clone())
    );

    // Only the owner's unattached files attach, once.
    let mut tx = ctx.store.begin().await.unwrap();
    assert_eq!(
        tx.attach_media(post.id, alice.id, &[upload.id, other.id])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        tx.attach_media(post.id, alice.id, &[upload.id])
            .await
            .unwrap(),
        0
    );
    tx.commit().await.unwrap();
    let attached = ctx.store.status_media(&[post.id]).await.unwrap();
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].status_id, Some(post.id));
    assert_eq!(
        ctx.store
            .media_by_ids(&[other.id, upload.id, Id::from_i64(1)])
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(ctx.store.status_media(&[]).await.unwrap().is_empty());

    let usage = ctx.store.media_usage().await.unwrap();
    let local = usage
        .iter()
        .find(|u| u.purpose == MediaPurpose::Attachment && !u.remote)
        .unwrap();
    // The processed file and the other user's pending upload (which has a raw file).
    assert_eq!(local.files, 2);
    assert_eq!(local.bytes, 1100);

    // Deleting the status leaves the file unattached (then expired by the cache job).
    let mut tx = ctx.store.begin().await.unwrap();
    assert!(tx.delete_status(post.id).await.unwrap());
    tx.commit().await.unwrap();
    let m = ctx.store.media(upload.id).await.unwrap().unwrap();
    assert_eq!(m.status_id, None);
    let old = ctx.store.unattached_media(at(1), 10).await.unwrap();
    assert_eq!(old.len(), 2);
    assert!(
        ctx.store
            .unattached_media(at(-1), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let mut tx = ctx.store.begin().await.unwrap();
    assert!(tx.delete_media(upload.id).await.unwrap());
    assert!(!tx.delete_media(upload.id).await.unwrap());
    let mut missing = upload.clone();
    missing.id = Id::from_i64(42);
    assert!(tx.update_media(&missing).await.is_err());
    tx.commit().await.unwrap();
    assert!(ctx.store.media(upload.id).await.unwrap().is_none());
}

pub async fn account_images_and_the_remote_cache(ctx: Ctx) {
    let alice = account(&ctx, "alice", None);
    let mut bob = account(&ctx, "bob", Some("b.example"));
    bob.avatar_remote_url = Some("https://b.example/a.png".into());
    let mut tx = ctx.store.begin().await.unwrap();
    tx.insert_account(&alice).await.unwrap();
    tx.insert_account(&bob).await.unwrap();
    // alice's avatar, bob's cached avatar, and three cached attachments used at 10, 30, 20.
    let avatar = ready(media(&ctx, &alice, MediaPurpose::Avatar, None), 50, 0);
    let bob_avatar = ready(
        media(
            &ctx,
            &bob,
            MediaPurpose::Avatar,
            Some("https://b.example/a.png"),
        ),
        40,
        0,
    );
    let cached: Vec<MediaAttachment> = [10, 30, 20]
        .iter()
        .enumerate()
        .map(|(i, used)| {
            ready(
                media(
                    &ctx,
                    &bob,
                    MediaPurpose::Attachment,
                    Some(&format!("https://b.example/{i}.jpg")),
                ),
                1000,
                *used,
            )
        })
        .collect();
    for m in [&avatar, &bob_avatar].into_iter().chain(cached.iter()) {
        tx.insert_media(m).await.unwrap();
    }
    tx.set_account_image(alice.id, MediaPurpose::Avatar, Some(avatar.id), at(1))
        .await
        .unwrap();
    tx.set_account_image(bob.id, MediaPurpose::Avatar, Some(bob_avatar.id), at(1))
        .await
        .unwrap();
    assert!(
        tx.set_account_image(alice.id, MediaPurpose::Attachment, None, at(1))
            .await
            .is_err()
    );
    tx.commit().await.unwrap();
    let a = ctx.store.account(alice.id).await.unwrap().unwrap();
    assert_eq!(a.avatar_key, avatar.file_key);
    assert_eq!(a.header_key, None);
    // The token query reads accounts the same way.
    assert_eq!(
        ctx.store.account(bob.id).await.unwrap().unwrap().avatar_key,
        bob_avatar.file_key
    );
    assert_eq!(
        ctx.store
            .remote_media_by_url(bob.id, MediaPurpose::Avatar, "https://b.example/a.png")
            .await
            .unwrap()
            .map(|m| m.id),
        Some(bob_avatar.id)
    );
    assert!(
        ctx.store
            .orphaned_account_media(at(0), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Least recently used first; stale by fetch time.
    let lru: Vec<Id> = ctx
        .store
        .cached_remote_media(10)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.purpose == MediaPurpose::Attachment)
        .map(|m| m.id)
        .collect();
    assert_eq!(lru, vec![cached[0].id, cached[2].id, cached[1].id]);
    let stale: Vec<Id> = ctx
        .store
        .stale_remote_media(at(25), 10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert!(stale.contains(&cached[0].id) && stale.contains(&cached[2].id));
    assert!(!stale.contains(&cached[1].id));
    let mut tx = ctx.store.begin().await.unwrap();
    tx.touch_media(&[cached[0].id], at(100)).await.unwrap();
    tx.touch_media(&[], at(100)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        ctx.store
            .cached_remote_media(10)
            .await
            .unwrap()
            .last()
            .map(|m| m.id),
        Some(cached[0].id)
    );
    let usage = ctx.store.media_usage().await.unwrap();
    let remote: i64 = usage.iter().filter(|u| u.remote).map(|u| u.bytes).sum();
    assert_eq!(remote, 3 * 1100 + 44);
    assert!(
        usage
            .iter()
            .any(|u| u.purpose == MediaPurpose::Avatar && !u.remote && u.bytes == 55)
    );

    // Copies of remote attachments without a status (it was deleted) are unattached at once.
    let unattached = ctx.store.unattached_media(at(-1_000), 10).await.unwrap();
    assert_eq!(unattached.len(), 3);
    assert!(unattached.iter().all(|m| m.remote_url.is_some()));
    assert_eq!(ctx.store.account_media(bob.id, 10).await.unwrap().len(), 4);
    assert_eq!(ctx.store.account_media(bob.id, 2).await.unwrap().len(), 2);

    // A new remote avatar URL drops the stale copy's link; the old row is then an orphan.
    bob.avatar_remote_url = Some("https://b.example/new.png".into());
    let mut tx = ctx.store.begin().await.unwrap();
    tx.update_remote_account(&bob).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        ctx.store.account(bob.id).await.unwrap().unwrap().avatar_key,
        None
    );
    let orphans: Vec<Id> = ctx
        .store
        .orphaned_account_media(at(0), 10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(orphans, vec![bob_avatar.id]);
    // Deleting a media row clears the account's pointer.
    let mut tx = ctx.store.begin().await.unwrap();
    assert!(tx.delete_media(avatar.id).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        ctx.store
            .account(alice.id)
            .await
            .unwrap()
            .unwrap()
            .avatar_key,
        None
    );
}

pub async fn media_writes_are_conditional(ctx: Ctx) {
    let alice = account(&ctx, "alice", None);
    let bob = account(&ctx, "bob", Some("b.example"));
    let post = status(&ctx, &alice);
    let upload = media(&ctx, &alice, MediaPurpose::Attachment, None);
    let remote = media(
        &ctx,
        &bob,
        MediaPurpose::Attachment,
        Some("https://b.example/1.jpg"),
    );
    let mut failed_emoji = media(
        &ctx,
        &bob,
        MediaPurpose::Emoji,
        Some("https://b.example/e.png"),
    );
    failed_emoji.error = Some("HTTP 404".into());
    let mut tx = ctx.store.begin().await.unwrap();
    for a in [&alice, &bob] {
        tx.insert_account(a).await.unwrap();
    }
    tx.insert_status(&post).await.unwrap();
    for m in [&upload, &remote, &failed_emoji] {
        tx.insert_media(m).await.unwrap();
    }
    tx.commit().await.unwrap();

    // The uploader's alt text and focus, and processing's results, never overwrite each other.
    let mut tx = ctx.store.begin().await.unwrap();
    assert!(
        tx.describe_media(upload.id, alice.id, "alt", Some((0.5, -1.0)), at(1))
            .await
            .unwrap()
    );
    assert!(
        !tx.describe_media(upload.id, bob.id, "not mine", None, at(1))
            .await
            .unwrap()
    );
    let done = ready(upload.clone(), 500, 2);
    assert!(tx.complete_media(&done).await.unwrap());
    assert!(
        !tx.complete_media(&done).await.unwrap(),
        "only from processing"
    );
    tx.commit().await.unwrap();
    let m = ctx.store.media(upload.id).await.unwrap().unwrap();
    assert_eq!(m.state, MediaState::Ready);
    assert_eq!(m.description, "alt");
    assert_eq!(m.meta.focus, Some((0.5, -1.0)));
    assert_eq!(m.file_size, 500);

    // Attached: no more alt-text edits here, no expiry.
    let mut tx = ctx.store.begin().await.unwrap();
    assert_eq!(
        tx.attach_media(post.id, alice.id, &[upload.id])
            .await
            .unwrap(),
        1
    );
    assert!(
        !tx.describe_media(upload.id, alice.id, "late", None, at(3))
            .await
            .unwrap()
    );
    assert!(!tx.delete_unattached_media(upload.id).await.unwrap());
    tx.commit().await.unwrap();

    // A remote copy is claimed once, evicted only while it is the same copy.
    let mut claimed = remote.clone();
    claimed.upload_key = Some("uploads/2-x".into());
    claimed.file_size = 123;
    let mut tx = ctx.store.begin().await.unwrap();
    assert!(tx.claim_remote_media(&claimed).await.unwrap());
    assert!(!tx.claim_remote_media(&claimed).await.unwrap());
    tx.commit().await.unwrap();
    let m = ctx.store.media(remote.id).await.unwrap().unwrap();
    assert_eq!((m.state, m.file_size), (MediaState::Processing, 123));
    // Stuck in processing: found once old enough.
    assert_eq!(ctx.store.stuck_media(at(0), 10).await.unwrap().len(), 0);
    let stuck: Vec<Id> = ctx
        .store
        .stuck_media(at(1_000_000_000), 10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(stuck, vec![remote.id]);
    let copy = ready(m, 700, 5);
    let key = copy.file_key.clone().unwrap();
    let mut tx = ctx.store.begin().await.unwrap();
    assert!(tx.complete_media(&copy).await.unwrap());
    assert!(
        !tx.evict_media(remote.id, "cache/other.jpg", at(6))
            .await
            .unwrap()
    );
    assert!(tx.evict_media(remote.id, &key, at(6)).await.unwrap());
    tx.note_media_error(remote.id, "HTTP 410", at(7))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let m = ctx.store.media(remote.id).await.unwrap().unwrap();
    assert_eq!(
        (m.state, m.file_key, m.file_size),
        (MediaState::Remote, None, 0)
    );
    assert_eq!(m.error.as_deref(), Some("HTTP 410"));

    // A remembered failure (no file) is kept until it is old enough to forget.
    assert!(
        ctx.store
            .orphaned_account_media(at(-1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ctx.store
            .orphaned_account_media(at(1), 10)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        vec![failed_emoji.id]
    );
}
