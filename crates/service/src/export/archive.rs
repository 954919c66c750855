//! The full archive of an account, as Mastodon's `BackupService` makes it: a zip holding
//! `actor.json` (the actor as peers see it, its avatar and header as files beside it),
//! `outbox.json` (an `OrderedCollection` of the `Create` — or `Announce` — of every post, any
//! visibility, with attachments pointing at the files inside the zip), `likes.json` and
//! `bookmarks.json` (`OrderedCollection`s of post URIs) and the media files.
//!
//! Asking writes a row and a job in one transaction; the job (`default` queue) builds the zip
//! in a scratch file, reading media through [`crate::media::MediaStorage`] (so S3 works too),
//! and stores it under a random key below `backups/` (never served as a public file; it is
//! downloaded through the signed-in settings page). One archive per 7 days; each is deleted
//! after 7 days by [`PruneArchives`].

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rookery_activitypub::outgoing::note_context;
use rookery_jobs::{JobContext, JobError, JobSpec, Queue, RetryPolicy, enqueue};
use rookery_model::{Account, Id, MediaState, Timestamp};
use rookery_store::{AccountArchive, ArchiveState, LocalAccount};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::{Export, status_uri};
use crate::crypto::random_token;
use crate::media::MediaStorage;
use crate::{Result, ServiceError};

/// One archive per this long; each is deleted this long after it was asked for.
pub const ARCHIVE_EVERY_MS: i64 = 7 * 24 * 3600 * 1000;
/// A build still pending after this long is taken as lost: the user may ask again.
const PENDING_GIVE_UP_MS: i64 = 24 * 3600 * 1000;
/// Statuses read per query while building.
const BATCH: u32 = 200;

/// Mastodon's wording for a second request too soon.
pub const TOO_SOON: &str = "You can only request an archive once every 7 days.";

/// Builds archive `archive_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildArchive {
    pub archive_id: Id,
}

impl JobSpec for BuildArchive {
    const KIND: &'static str = "build_archive";
    const QUEUE: Queue = Queue::Default;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay_ms: 60_000,
            max_delay_ms: 30 * 60 * 1000,
            timeout: Duration::from_secs(3600),
        }
    }

    fn unique_key(&self) -> Option<String> {
        Some(format!("build_archive:{}", self.archive_id))
    }
}

/// Deletes archives (and their files) older than 7 days.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PruneArchives {}

impl JobSpec for PruneArchives {
    const KIND: &'static str = "prune_archives";
    const QUEUE: Queue = Queue::Scheduler;
}

/// An archive as the settings page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveView {
    pub id: Id,
    pub state: ArchiveState,
    pub size: i64,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// A downloaded archive.
#[derive(Debug)]
pub struct ArchiveFile {
    pub file_name: String,
    /// Where the zip is on this machine, to be streamed from.
    pub path: std::path::PathBuf,
    /// A copy fetched from remote storage for this download, deleted when this is dropped
    /// (open the file first: an open file stays readable once unlinked).
    pub scratch: Option<ScratchFile>,
}

/// A file that is deleted when this is dropped, whether the work with it finished or not.
#[derive(Debug)]
pub struct ScratchFile(std::path::PathBuf);

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A directory only this process's user may read, for copies of private files.
fn private_scratch_dir() -> Result<std::path::PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = std::env::temp_dir().join("rookery-scratch");
    let made = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    if let Err(e) = made
        && e.kind() != std::io::ErrorKind::AlreadyExists
    {
        return Err(ServiceError::Unavailable(format!("scratch directory: {e}")));
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| ServiceError::Unavailable(format!("scratch directory: {e}")))?;
    Ok(dir)
}

fn storage_failure(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(format!("media storage: {e}"))
}

fn zip_failure(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("writing an archive: {e}"))
}

fn to_json(v: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| ServiceError::Internal(format!("rendering JSON: {e}")))
}

/// The scratch file an archive is built in, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether an archive blocks asking for another.
fn counts_against(a: &AccountArchive, now: Timestamp) -> bool {
    let age = now.as_millis() - a.created_at.as_millis();
    match a.state {
        ArchiveState::Ready => age < ARCHIVE_EVERY_MS,
        ArchiveState::Pending => age < PENDING_GIVE_UP_MS,
        ArchiveState::Failed => false,
    }
}

impl Export<'_> {
    /// The user's archives, newest first.
    pub async fn archives(&self, local: &LocalAccount) -> Result<Vec<ArchiveView>> {
        let rows = self.s.store.export_store().archives(local.user.id).await?;
        Ok(rows
            .into_iter()
            .map(|a| ArchiveView {
                id: a.id,
                state: a.state,
                size: a.size,
                created_at: a.created_at,
                completed_at: a.completed_at,
            })
            .collect())
    }

    /// Asks for an archive; refused (`Unprocessable`, [`TOO_SOON`]) within 7 days of the last.
    pub async fn request_archive(&self, local: &LocalAccount) -> Result<Id> {
        self.s.media_runtime()?;
        let now = self.s.clock.now();
        let previous = self.s.store.export_store().archives(local.user.id).await?;
        if previous.iter().any(|a| counts_against(a, now)) {
            return Err(ServiceError::Unprocessable(TOO_SOON.into()));
        }
        let archive = AccountArchive {
            id: self.s.ids.next_id(),
            user_id: local.user.id,
            state: ArchiveState::Pending,
            storage_key: None,
            size: 0,
            created_at: now,
            completed_at: None,
        };
        let mut tx = self.s.store.begin().await?;
        tx.export().insert_archive(&archive).await?;
        enqueue(
            tx.as_mut(),
            &self.s.ids,
            now,
            &BuildArchive {
                archive_id: archive.id,
            },
        )
        .await
        .map_err(|e| ServiceError::Internal(format!("queueing an archive: {e}")))?;
        tx.commit().await?;
        Ok(archive.id)
    }

    /// The zip of one of the user's archives, once built.
    pub async fn archive_file(&self, local: &LocalAccount, id: Id) -> Result<ArchiveFile> {
        let archive = self
            .s
            .store
            .export_store()
            .archive(id)
            .await?
            .filter(|a| a.user_id == local.user.id && a.state == ArchiveState::Ready)
            .ok_or(ServiceError::NotFound("archive"))?;
        let key = archive
            .storage_key
            .as_deref()
            .ok_or(ServiceError::NotFound("archive"))?;
        let runtime = self.s.media_runtime()?;
        // Streamed from disk, never held in memory: where the file is, or a scratch copy of
        // the bucket's.
        let (path, scratch) = match self.s.local_media_root() {
            Some(root) => {
                let path = root.join(key);
                if !path.is_file() {
                    return Err(ServiceError::NotFound("archive"));
                }
                (path, None)
            }
            None => {
                let name = format!(
                    "archive-{}.zip",
                    crate::crypto::random_token(self.s.random.as_ref())
                );
                let path = private_scratch_dir()?.join(name);
                // Deleted if the fetch fails or the request goes away half-way.
                let guard = ScratchFile(path.clone());
                if !runtime
                    .storage
                    .get_to_file(key, &path)
                    .await
                    .map_err(storage_failure)?
                {
                    return Err(ServiceError::NotFound("archive"));
                }
                (path, Some(guard))
            }
        };
        let date = archive.created_at.to_rfc3339();
        let day = date.get(..10).unwrap_or("archive");
        Ok(ArchiveFile {
            file_name: format!("archive-{}-{day}.zip", local.account.username),
            path,
            scratch,
        })
    }

    /// The `build_archive` job.
    pub async fn build(&self, job: &BuildArchive, ctx: &JobContext) -> Result<(), JobError> {
        let result = self.try_build(job.archive_id).await;
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                let last = ctx.attempt >= BuildArchive::policy().max_attempts;
                let fatal = matches!(e, ServiceError::NotFound(_));
                if last || fatal {
                    tracing::warn!(archive = %job.archive_id, error = ?e, "archive failed");
                    if let Err(marking) = self.mark_failed(job.archive_id).await {
                        // It stays pending; after a day the user may ask again anyway.
                        tracing::warn!(archive = %job.archive_id, error = ?marking,
                            "could not mark the archive failed");
                    }
                    Err(JobError::Fatal(e.to_string()))
                } else {
                    Err(JobError::Retry(
                        e.log_cause().unwrap_or("failed").to_owned(),
                    ))
                }
            }
        }
    }

    async fn mark_failed(&self, archive_id: Id) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        tx.export()
            .fail_archive(archive_id, self.s.clock.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn try_build(&self, archive_id: Id) -> Result<()> {
        let store = self.s.store.export_store();
        let Some(archive) = store.archive(archive_id).await? else {
            return Ok(()); // Deleted meanwhile.
        };
        if archive.state != ArchiveState::Pending {
            return Ok(());
        }
        let local = self
            .s
            .store
            .sign_in_store()
            .local_account_by_user(archive.user_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let storage = self.s.media_runtime()?.storage.clone();
        let scratch = Scratch(std::env::temp_dir().join(format!(
            "rookery-archive-{archive_id}-{}.zip",
            std::process::id()
        )));
        self.write_zip(&local.account, storage.as_ref(), &scratch.0)
            .await?;
        let size = std::fs::metadata(&scratch.0).map_err(zip_failure)?.len();
        let token = random_token(self.s.random.as_ref());
        let key = format!("backups/{token}/archive.zip");
        storage
            .put_file(&key, &scratch.0, "application/zip")
            .await
            .map_err(storage_failure)?;
        let mut tx = self.s.store.begin().await?;
        let kept = tx
            .export()
            .finish_archive(
                archive_id,
                &key,
                i64::try_from(size).unwrap_or(i64::MAX),
                self.s.clock.now(),
            )
            .await?;
        tx.commit().await?;
        if !kept {
            let _ = storage.delete(&key).await;
        }
        Ok(())
    }

    async fn write_zip(
        &self,
        account: &Account,
        storage: &dyn MediaStorage,
        path: &Path,
    ) -> Result<()> {
        let file = std::fs::File::create(path).map_err(zip_failure)?;
        let mut zip = zip::ZipWriter::new(file);
        let deflated = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(true);
        // Media files are compressed already.
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);

        // The actor, with its images beside it.
        let mut actor = serde_json::to_value(self.s.local_actor_document(account).await?)
            .map_err(zip_failure)?;
        for (field, key, name) in [
            ("icon", account.avatar_key.as_deref(), "avatar"),
            ("image", account.header_key.as_deref(), "header"),
        ] {
            let Some(key) = key else { continue };
            let Some(bytes) = storage.get(key).await.map_err(storage_failure)? else {
                continue;
            };
            let ext = key.rsplit_once('.').map_or("bin", |(_, e)| e);
            let file_name = format!("{name}.{ext}");
            zip.start_file(file_name.as_str(), stored)
                .map_err(zip_failure)?;
            zip.write_all(&bytes).map_err(zip_failure)?;
            if let Some(image) = actor.get_mut(field) {
                image["url"] = Value::String(file_name);
            }
        }
        zip.start_file("actor.json", deflated)
            .map_err(zip_failure)?;
        zip.write_all(&to_json(&actor)?).map_err(zip_failure)?;

        // The media files of every post.
        let export = self.s.store.export_store();
        let mut written: HashSet<String> = HashSet::new();
        let mut after = None;
        loop {
            let ids = export.status_ids(account.id, after, BATCH).await?;
            if ids.is_empty() {
                break;
            }
            after = ids.last().copied();
            for m in self.s.store.status_media(&ids).await? {
                let Some(key) = m.file_key.filter(|_| m.state == MediaState::Ready) else {
                    continue;
                };
                if written.contains(&key) {
                    continue;
                }
                let Some(bytes) = storage.get(&key).await.map_err(storage_failure)? else {
                    continue;
                };
                zip.start_file(media_path(&key), stored)
                    .map_err(zip_failure)?;
                zip.write_all(&bytes).map_err(zip_failure)?;
                written.insert(key);
            }
        }

        // The outbox, written item by item.
        zip.start_file("outbox.json", deflated)
            .map_err(zip_failure)?;
        let context = to_json(&note_context())?;
        zip.write_all(b"{\"@context\":").map_err(zip_failure)?;
        zip.write_all(&context).map_err(zip_failure)?;
        zip.write_all(b",\"id\":\"outbox.json\",\"type\":\"OrderedCollection\",\"orderedItems\":[")
            .map_err(zip_failure)?;
        let media_base = self.s.media_url("");
        let mut total: u64 = 0;
        let mut after = None;
        loop {
            let ids = export.status_ids(account.id, after, BATCH).await?;
            if ids.is_empty() {
                break;
            }
            after = ids.last().copied();
            let mut statuses = self.s.store.statuses(&ids).await?;
            statuses.sort_by_key(|s| s.id);
            for status in &statuses {
                let Some(activity) = self.s.activity_of(account, status).await? else {
                    continue;
                };
                let mut item = serde_json::to_value(activity).map_err(zip_failure)?;
                local_attachments(&mut item, &media_base, &written);
                if total > 0 {
                    zip.write_all(b",").map_err(zip_failure)?;
                }
                zip.write_all(&to_json(&item)?).map_err(zip_failure)?;
                total += 1;
            }
        }
        zip.write_all(format!("],\"totalItems\":{total}}}").as_bytes())
            .map_err(zip_failure)?;

        // Likes and bookmarks, as lists of post URIs.
        for (name, bookmarks) in [("likes.json", false), ("bookmarks.json", true)] {
            let uris = self.status_uris(account.id, bookmarks).await?;
            let collection = json!({
                "@context": rookery_activitypub::AS_CONTEXT,
                "id": name,
                "type": "OrderedCollection",
                "totalItems": uris.len(),
                "orderedItems": uris,
            });
            zip.start_file(name, deflated).map_err(zip_failure)?;
            zip.write_all(&to_json(&collection)?).map_err(zip_failure)?;
        }
        let file = zip.finish().map_err(zip_failure)?;
        file.sync_all().map_err(zip_failure)?;
        Ok(())
    }

    /// URIs of the posts the account liked (or bookmarked), oldest first.
    async fn status_uris(&self, account_id: Id, bookmarks: bool) -> Result<Vec<String>> {
        let store = self.s.store.export_store();
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let rows = if bookmarks {
                store.bookmarks(account_id, after, 1000).await?
            } else {
                store.favourites(account_id, after, 1000).await?
            };
            let Some(last) = rows.last() else { break };
            after = Some(last.key);
            out.extend(rows.iter().filter_map(|r| status_uri(self.s, &r.item)));
        }
        Ok(out)
    }

    /// Deletes archives older than 7 days, files first. Returns how many.
    pub async fn prune(&self) -> Result<u64> {
        let before = self.s.clock.now().plus_millis(-ARCHIVE_EVERY_MS);
        let old = self
            .s
            .store
            .export_store()
            .archives_before(before, 500)
            .await?;
        self.remove(&old).await
    }

    /// Deletes every archive of a user, files first (for deleting an account: its rows would
    /// go with the user, its files would not). Returns how many.
    pub async fn delete_archives_of(&self, user_id: Id) -> Result<u64> {
        let all = self.s.store.export_store().archives(user_id).await?;
        self.remove(&all).await
    }

    async fn remove(&self, archives: &[AccountArchive]) -> Result<u64> {
        let mut n = 0;
        for a in archives {
            if let Some(key) = &a.storage_key {
                self.s
                    .media_runtime()?
                    .storage
                    .delete(key)
                    .await
                    .map_err(storage_failure)?;
            }
            let mut tx = self.s.store.begin().await?;
            tx.export().delete_archive(a.id).await?;
            tx.commit().await?;
            n += 1;
        }
        Ok(n)
    }
}

/// Where a media file goes in the zip.
fn media_path(key: &str) -> String {
    format!("media_attachments/{key}")
}

/// Points an activity's attachments at the files inside the zip.
fn local_attachments(item: &mut Value, media_base: &str, written: &HashSet<String>) {
    let Some(attachments) = item
        .get_mut("object")
        .and_then(|o| o.get_mut("attachment"))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for a in attachments {
        let key = a
            .get("url")
            .and_then(Value::as_str)
            .and_then(|u| u.strip_prefix(media_base))
            .map(ToOwned::to_owned);
        if let Some(key) = key.filter(|k| written.contains(k)) {
            a["url"] = Value::String(media_path(&key));
        }
    }
}
