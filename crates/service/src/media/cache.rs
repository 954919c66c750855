//! Keeping storage in bounds: the remote cache's age limit and size cap (least recently used
//! copies go first; they are fetched again if asked for), uploads never attached to a status,
//! and avatars/headers nothing points at any more.

use rookery_jobs::{JobError, JobSpec, Queue};
use rookery_model::{MediaAttachment, MediaPurpose, MediaState, MediaUsage};
use serde::{Deserialize, Serialize};

use super::{MediaCounters, MediaRuntime};
use crate::{Result, Services};

/// Applies the remote cache's limits (the scheduler, hourly).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PruneMediaCache {}

impl JobSpec for PruneMediaCache {
    const KIND: &'static str = "prune_media_cache";
    const QUEUE: Queue = Queue::Scheduler;
}

/// Deletes uploads never attached to a status (the scheduler, hourly).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpireUnattachedMedia {}

impl JobSpec for ExpireUnattachedMedia {
    const KIND: &'static str = "expire_unattached_media";
    const QUEUE: Queue = Queue::Scheduler;
}

/// What a prune did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Cached copies dropped for their age.
    pub expired: u64,
    /// Cached copies dropped to get under the size cap.
    pub evicted: u64,
    /// Unattached uploads and unused avatars/headers deleted.
    pub deleted: u64,
    pub bytes_freed: u64,
    /// Bytes the remote cache holds afterwards.
    pub cache_bytes: u64,
}

/// Rows read per round.
const BATCH: u32 = 200;

/// Remembered failures (remote images that could not be copied) are forgotten after this.
const FORGET_FAILURES_MS: i64 = 7 * 24 * 3600 * 1000;

/// A row still processing after this lost its job (dead after its attempts, or lost).
const STUCK_AFTER_MS: i64 = 6 * 3600 * 1000;

/// What happens to a row whose files are released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Release {
    /// A cached copy: the row stays, a link to the origin.
    Evict,
    /// An upload: deleted unless a status took it meanwhile.
    DeleteUnattached,
    /// Deleted.
    Delete,
}

impl Services {
    /// Rows whose processing never finished: their raw upload is deleted, local ones are
    /// marked failed and remote ones go back to being links. Returns how many.
    async fn settle_stuck(&self, runtime: &MediaRuntime) -> Result<u64> {
        let before = self.clock.now().plus_millis(-STUCK_AFTER_MS);
        let mut settled = 0;
        for mut m in self.store.stuck_media(before, BATCH).await? {
            let upload = m.upload_key.take();
            m.state = if m.is_remote() {
                MediaState::Remote
            } else {
                MediaState::Failed
            };
            m.file_size = 0;
            m.error = Some("processing did not finish".into());
            m.updated_at = self.clock.now();
            let mut tx = self.store.begin().await?;
            let done = tx.complete_media(&m).await?;
            tx.commit().await?;
            if done {
                settled += 1;
                if let Some(key) = upload {
                    let _ = runtime.storage.delete(&key).await;
                }
            }
        }
        Ok(settled)
    }
}

impl Services {
    /// Storage use by category, counted now.
    pub async fn media_usage(&self) -> Result<Vec<MediaUsage>> {
        let usage = self.store.media_usage().await?;
        if let Some(c) = self.media_counters() {
            c.set_usage(usage.clone());
        }
        Ok(usage)
    }

    async fn remote_cache_bytes(&self) -> Result<u64> {
        Ok(self
            .media_usage()
            .await?
            .iter()
            .filter(|u| u.remote)
            .map(|u| u.bytes.max(0) as u64)
            .sum())
    }

    /// Deletes a file's stored objects and what the row says about them: a cached copy goes
    /// back to being a link to its origin (`Release::Evict`), other rows go. Each write is
    /// conditional, so a row that changed meanwhile (attached to a new post, copied again) is
    /// left alone and its files kept. Returns the bytes freed.
    pub(crate) async fn release(
        &self,
        runtime: &MediaRuntime,
        m: MediaAttachment,
        how: Release,
    ) -> Result<u64> {
        // Remote avatars, headers, emoji and card images go whole: their owner shows the remote image
        // (through the proxy) until it is copied again.
        let how = match (how, m.purpose) {
            (
                Release::Evict,
                MediaPurpose::Avatar
                | MediaPurpose::Header
                | MediaPurpose::Emoji
                | MediaPurpose::Card,
            ) => Release::Delete,
            (how, _) => how,
        };
        let freed = m.stored_bytes().max(0) as u64;
        let keys: Vec<String> = [&m.file_key, &m.preview_key, &m.upload_key]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let mut tx = self.store.begin().await?;
        let released = match (how, m.file_key.as_deref()) {
            (Release::Evict, Some(key)) => tx.evict_media(m.id, key, self.clock.now()).await?,
            (Release::Evict, None) => false,
            (Release::DeleteUnattached, _) => tx.delete_unattached_media(m.id).await?,
            (Release::Delete, _) => tx.delete_media(m.id).await?,
        };
        tx.commit().await?;
        if !released {
            return Ok(0);
        }
        // Rows first, files after: a file may outlive its row (logged), never the reverse.
        for key in keys {
            if let Err(e) = runtime.storage.delete(&key).await {
                tracing::warn!(%key, error = %e, "media file not deleted");
            }
        }
        Ok(freed)
    }

    /// Applies the cache limits now: copies older than the age limit go, then least recently
    /// used copies until the cache is under its cap. Also deletes expired unattached uploads
    /// and unused avatars/headers.
    pub async fn prune_media(&self) -> Result<PruneReport> {
        let runtime = self.media_runtime()?.clone();
        let media = &self.settings.media;
        let now = self.clock.now();
        let mut report = PruneReport::default();

        let before = now.plus_millis(-media.cache_max_age_secs.saturating_mul(1000));
        loop {
            let stale = self.store.stale_remote_media(before, BATCH).await?;
            if stale.is_empty() {
                break;
            }
            for m in stale {
                report.bytes_freed += self.release(&runtime, m, Release::Evict).await?;
                report.expired += 1;
                MediaCounters::bump(&runtime.counters.cache_evictions);
            }
        }

        let cap = media.cache_max_bytes;
        let mut cached = self.remote_cache_bytes().await?;
        'evict: while cached > cap {
            let lru = self.store.cached_remote_media(BATCH).await?;
            if lru.is_empty() {
                break;
            }
            for m in lru {
                let freed = self.release(&runtime, m, Release::Evict).await?;
                cached = cached.saturating_sub(freed);
                report.bytes_freed += freed;
                report.evicted += 1;
                MediaCounters::bump(&runtime.counters.cache_evictions);
                if cached <= cap {
                    break 'evict;
                }
            }
        }
        report.deleted += self.expire_unattached(&runtime).await?;
        report.cache_bytes = self.remote_cache_bytes().await?;
        Ok(report)
    }

    /// Deletes uploads never attached within the configured time, and avatars/headers no
    /// account uses any more. Returns how many went.
    async fn expire_unattached(&self, runtime: &MediaRuntime) -> Result<u64> {
        let ttl = self.settings.media.unattached_ttl_secs.saturating_mul(1000);
        let before = self.clock.now().plus_millis(-ttl);
        let mut deleted = 0;
        loop {
            let rows = self.store.unattached_media(before, BATCH).await?;
            if rows.is_empty() {
                break;
            }
            for m in rows {
                self.release(runtime, m, Release::DeleteUnattached).await?;
                deleted += 1;
            }
        }
        loop {
            let forget = self.clock.now().plus_millis(-FORGET_FAILURES_MS);
            let rows = self.store.orphaned_account_media(forget, BATCH).await?;
            // Rows made moments ago may be waiting for `set_account_image`.
            let rows: Vec<_> = rows
                .into_iter()
                .filter(|m| m.created_at.as_millis() < before.as_millis() || m.is_remote())
                .collect();
            if rows.is_empty() {
                break;
            }
            for m in rows {
                self.release(runtime, m, Release::Delete).await?;
                deleted += 1;
            }
        }
        deleted += self.settle_stuck(runtime).await?;
        Ok(deleted)
    }

    /// Deletes the files and rows of uploads at once (`delete_media` when deleting a status);
    /// one a new status took meanwhile stays.
    pub(crate) async fn release_media_now(&self, media: Vec<MediaAttachment>) -> Result<()> {
        let Some(runtime) = self.media.clone() else {
            return Ok(());
        };
        for m in media {
            self.release(&runtime, m, Release::DeleteUnattached).await?;
        }
        Ok(())
    }

    /// Deletes every stored file of an account (before the account itself goes), so nothing is
    /// left in storage that no row accounts for.
    pub(crate) async fn release_account_media(&self, account_id: rookery_model::Id) -> Result<()> {
        let Some(runtime) = self.media.clone() else {
            return Ok(());
        };
        loop {
            let rows = self.store.account_media(account_id, BATCH).await?;
            if rows.is_empty() {
                return Ok(());
            }
            for m in rows {
                self.release(&runtime, m, Release::Delete).await?;
            }
        }
    }

    /// The `prune_media_cache` job.
    pub(crate) async fn prune_media_job(&self) -> std::result::Result<(), JobError> {
        if self.media.is_none() {
            return Ok(());
        }
        let r = self
            .prune_media()
            .await
            .map_err(|e| JobError::Retry(e.log_cause().unwrap_or("failed").to_owned()))?;
        if r.expired + r.evicted + r.deleted > 0 {
            tracing::info!(
                expired = r.expired,
                evicted = r.evicted,
                deleted = r.deleted,
                freed = r.bytes_freed,
                cache_bytes = r.cache_bytes,
                "media pruned"
            );
        }
        Ok(())
    }

    /// The `expire_unattached_media` job.
    pub(crate) async fn expire_unattached_job(&self) -> std::result::Result<(), JobError> {
        let Some(runtime) = self.media.clone() else {
            return Ok(());
        };
        let n = self
            .expire_unattached(&runtime)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        if n > 0 {
            tracing::info!(deleted = n, "deleted unattached uploads");
        }
        Ok(())
    }
}
