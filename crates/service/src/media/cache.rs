//! Keeping storage in bounds: the remote cache's age limit and size cap (least recently used
//! copies go first; they are fetched again if asked for), uploads never attached to a status,
//! and avatars/headers nothing points at any more.

use rookery_jobs::{JobError, JobSpec, Queue};
use rookery_model::{MediaAttachment, MediaState, MediaUsage};
use serde::{Deserialize, Serialize};

use super::{MediaCounters, MediaRuntime};
use crate::{Result, ServiceError, Services};

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

    /// Deletes a file's stored objects; the row is removed (`drop_row`) or turned back into a
    /// link to its origin.
    async fn release(
        &self,
        runtime: &MediaRuntime,
        mut m: MediaAttachment,
        drop_row: bool,
    ) -> Result<u64> {
        // A remote avatar or header goes whole: the account shows the remote image (through
        // the proxy) until it is copied again.
        let drop_row = drop_row
            || matches!(
                m.purpose,
                rookery_model::MediaPurpose::Avatar | rookery_model::MediaPurpose::Header
            );
        let freed = m.stored_bytes().max(0) as u64;
        let keys: Vec<String> = [m.file_key.take(), m.preview_key.take(), m.upload_key.take()]
            .into_iter()
            .flatten()
            .collect();
        let mut tx = self.store.begin().await?;
        if drop_row {
            tx.delete_media(m.id).await?;
        } else {
            m.state = MediaState::Remote;
            m.file_size = 0;
            m.preview_size = 0;
            m.fetched_at = None;
            m.updated_at = self.clock.now();
            tx.update_media(&m).await?;
        }
        tx.commit().await?;
        // Rows first, files after: a file may outlive its row (harmless), never the reverse.
        for key in keys {
            runtime
                .storage
                .delete(&key)
                .await
                .map_err(|e| ServiceError::Unavailable(format!("deleting {key}: {e}")))?;
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
                report.bytes_freed += self.release(&runtime, m, false).await?;
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
                let freed = self.release(&runtime, m, false).await?;
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
                self.release(runtime, m, true).await?;
                deleted += 1;
            }
        }
        loop {
            let rows = self.store.orphaned_account_media(BATCH).await?;
            // Rows made moments ago may be waiting for `set_account_image`.
            let rows: Vec<_> = rows
                .into_iter()
                .filter(|m| m.created_at.as_millis() < before.as_millis() || m.is_remote())
                .collect();
            if rows.is_empty() {
                break;
            }
            for m in rows {
                self.release(runtime, m, true).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
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
                self.release(&runtime, m, true).await?;
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
