//! Other servers' files: attachments of remote posts, avatars and headers of remote accounts.
//! Copied here on the `pull` queue — on receipt or on first use, as configured — through the
//! federation transport (which refuses private addresses), then processed like uploads.

use rookery_activitypub::vocab::Attachment;
use rookery_jobs::{JobError, JobSpec, Queue};
use rookery_media::sniff;
use rookery_model::{
    Account, Id, MediaAttachment, MediaKind, MediaMeta, MediaPurpose, MediaState, Timestamp,
};
use rookery_store::Transaction;
use serde::{Deserialize, Serialize};

use super::{MediaCounters, ProcessMedia, RemoteMediaPolicy, keys};
use crate::federation::{TransportError, host_of};
use crate::{Result, ServiceError, Services};

/// Copies a remote attachment here (the `pull` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchRemoteMedia {
    pub media_id: Id,
}

impl JobSpec for FetchRemoteMedia {
    const KIND: &'static str = "fetch_remote_media";
    const QUEUE: Queue = Queue::Pull;
    fn unique_key(&self) -> Option<String> {
        Some(format!("fetch_remote_media:{}", self.media_id))
    }
}

/// Copies a remote account's avatar (or header) here (the `pull` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CacheAccountImage {
    pub account_id: Id,
    pub header: bool,
}

impl JobSpec for CacheAccountImage {
    const KIND: &'static str = "cache_account_image";
    const QUEUE: Queue = Queue::Pull;
    fn unique_key(&self) -> Option<String> {
        Some(format!(
            "cache_account_image:{}:{}",
            self.account_id, self.header
        ))
    }
}

/// Where `/media_proxy` sends a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyTarget {
    pub url: String,
    /// Served from the cache (else from the origin, while the copy is made).
    pub cached: bool,
}

/// Most attachments read from one remote post.
const MAX_REMOTE_ATTACHMENTS: usize = 16;

/// A cached file is marked used at most this often (a write per hour, not per view).
const TOUCH_EVERY_MS: i64 = 3600 * 1000;

/// A remote file that could not be copied is tried again after this.
const RETRY_FAILED_MS: i64 = 24 * 3600 * 1000;

fn kind_of(a: &Attachment) -> MediaKind {
    let mt = a.media_type.as_deref().unwrap_or_default();
    match (a.kind.as_str(), mt.split('/').next().unwrap_or_default()) {
        (_, "image") | ("Image", _) => MediaKind::Image,
        (_, "video") | ("Video", _) => MediaKind::Video,
        (_, "audio") | ("Audio", _) => MediaKind::Audio,
        _ => MediaKind::Unknown,
    }
}

pub(crate) fn web_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && host_of(url).is_some()
        && url.len() <= 2048
}

impl Services {
    fn remote_policy(&self) -> RemoteMediaPolicy {
        self.settings.media.remote_policy
    }

    /// Whether a new remote post's files are fetched now (read before the post's transaction).
    pub(crate) async fn copy_on_receipt(&self, author: &Account) -> bool {
        self.remote_policy() == RemoteMediaPolicy::OnReceipt && self.copies_allowed(author).await
    }

    /// Records a remote post's attachments (in the transaction that stores the post) and,
    /// with `fetch` (see [`Services::copy_on_receipt`]), queues their copying.
    pub(crate) async fn add_remote_attachments(
        &self,
        tx: &mut dyn Transaction,
        author: &Account,
        status_id: Id,
        attachments: &[&Attachment],
        fetch: bool,
        now: Timestamp,
    ) -> Result<()> {
        let media_attachments = attachments
            .iter()
            .filter(|a| a.kind != "PropertyValue" && a.kind != "Link")
            .filter(|a| a.url.as_deref().is_some_and(web_url))
            .take(MAX_REMOTE_ATTACHMENTS);
        for a in media_attachments {
            let id = self.ids.next_id();
            let focus = a
                .focal_point
                .as_deref()
                .and_then(|f| Some((*f.first()?, *f.get(1)?)))
                .filter(|(x, y)| (-1.0..=1.0).contains(x) && (-1.0..=1.0).contains(y));
            let Some(url) = a.url.clone() else { continue };
            let mut media = MediaAttachment::remote(
                id,
                author.id,
                MediaPurpose::Attachment,
                kind_of(a),
                url,
                now,
            );
            media.status_id = Some(status_id);
            media.content_type = a.media_type.clone().filter(|m| m.len() <= 100);
            media.description = a
                .name
                .as_deref()
                .unwrap_or_default()
                .chars()
                .take(self.settings.media.description_limit)
                .collect();
            media.blurhash = a
                .blurhash
                .clone()
                .filter(|b| rookery_media::blurhash_is_valid(b));
            media.meta = MediaMeta {
                width: a.width.filter(|w| *w > 0 && *w <= 100_000),
                height: a.height.filter(|h| *h > 0 && *h <= 100_000),
                focus,
                ..MediaMeta::default()
            };
            tx.insert_media(&media).await?;
            if fetch {
                rookery_jobs::enqueue(tx, &self.ids, now, &FetchRemoteMedia { media_id: id })
                    .await
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// After a remote actor was stored: queue copies of its images when made on receipt.
    pub(crate) async fn remote_account_images_seen(&self, account: &Account) -> Result<()> {
        if !self.copy_on_receipt(account).await {
            return Ok(());
        }
        let now = self.clock.now();
        let mut jobs = Vec::new();
        if account.avatar_remote_url.is_some() && account.avatar_key.is_none() {
            jobs.push(false);
        }
        if account.header_remote_url.is_some() && account.header_key.is_none() {
            jobs.push(true);
        }
        if jobs.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        for header in jobs {
            let job = CacheAccountImage {
                account_id: account.id,
                header,
            };
            rookery_jobs::enqueue(tx.as_mut(), &self.ids, now, &job)
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The most bytes copied for a purpose (Mastodon's limits for emoji and profile images).
    fn remote_limit(&self, purpose: MediaPurpose) -> u64 {
        let attachments = self.settings.media.remote_max_bytes;
        match purpose {
            MediaPurpose::Attachment => attachments,
            MediaPurpose::Avatar | MediaPurpose::Header => attachments.min(2 * 1024 * 1024),
            MediaPurpose::Emoji => attachments.min(256 * 1024),
            MediaPurpose::Card => attachments.min(2 * 1024 * 1024),
        }
    }

    /// Fetches a remote file, checking size and real type. `Ok(Err(reason))` when the file
    /// cannot be had (refused, gone, too large, not media): the row stays a link to the
    /// origin and remembers why.
    async fn download(
        &self,
        url: &str,
        limit: u64,
    ) -> std::result::Result<std::result::Result<Vec<u8>, String>, JobError> {
        let Some(host) = host_of(url) else {
            return Ok(Err("not a web URL".into()));
        };
        if self.rejects_media_from(&host).await {
            return Ok(Err("the file's server is blocked".into()));
        }
        match self.federation.transport.get_media(url, limit).await {
            Ok(r) if (200..300).contains(&r.status) => {
                if sniff(&r.body).is_none() {
                    return Ok(Err("not a supported media type".into()));
                }
                Ok(Ok(r.body))
            }
            Ok(r) if r.status >= 500 || r.status == 429 => {
                Err(JobError::Retry(format!("{url}: HTTP {}", r.status)))
            }
            Ok(r) => Ok(Err(format!("HTTP {}", r.status))),
            Err(TransportError::Refused(m)) => Ok(Err(format!("refused: {m}"))),
            Err(TransportError::TooLarge) => Ok(Err(format!("larger than {limit} bytes"))),
            Err(e) => Err(JobError::Retry(format!("{url}: {e}"))),
        }
    }

    /// Whether media from `host` (a file's server, or an author's) is not copied here: its
    /// domain (or a parent) is blocked with "reject media", or suspended.
    pub(crate) async fn rejects_media_from(&self, host: &str) -> bool {
        let domain = host.split(':').next().unwrap_or_default().to_owned();
        match self.domain_block_for(&domain).await {
            Ok(Some(b)) => b.reject_media || b.severity == rookery_model::BlockSeverity::Suspend,
            Ok(None) => false,
            // Cannot tell: do not fetch now (the job or the next view tries again).
            Err(_) => true,
        }
    }

    /// Whether copies are made at all, and this account's server is not refused.
    pub(crate) async fn copies_allowed(&self, author: &Account) -> bool {
        if self.remote_policy() == RemoteMediaPolicy::Never || self.media.is_none() {
            return false;
        }
        match &author.domain {
            Some(d) => !self.rejects_media_from(d.as_str()).await,
            None => true,
        }
    }

    /// Stores fetched bytes as the raw upload of `media` (a `remote` row, or a new one) and
    /// queues its processing. A row that changed meanwhile (copied by another job, deleted)
    /// is left alone and the bytes are dropped.
    async fn queue_fetched(
        &self,
        mut media: MediaAttachment,
        body: Vec<u8>,
        exists: bool,
    ) -> Result<()> {
        let runtime = self.media_runtime()?;
        let key = keys::upload(media.id, self.random.next_u64());
        let mime = sniff(&body).map_or("application/octet-stream", |s| s.mime);
        media.state = MediaState::Processing;
        media.content_type = Some(mime.to_owned());
        media.file_size = body.len() as i64;
        media.upload_key = Some(key.clone());
        media.error = None;
        let now = self.clock.now();
        media.updated_at = now;
        runtime
            .storage
            .put(&key, body, mime)
            .await
            .map_err(|e| ServiceError::Unavailable(format!("storing remote media: {e}")))?;
        let written = async {
            let mut tx = self.store.begin().await?;
            let claimed = if exists {
                tx.claim_remote_media(&media).await?
            } else {
                tx.insert_media(&media).await?;
                true
            };
            if !claimed {
                return Ok(false);
            }
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                now,
                &ProcessMedia { media_id: media.id },
            )
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
            tx.commit().await?;
            Ok::<_, ServiceError>(true)
        }
        .await;
        if !matches!(written, Ok(true)) {
            let _ = runtime.storage.delete(&key).await;
        }
        written.map(|_| ())
    }

    /// The `fetch_remote_media` job.
    pub(crate) async fn fetch_remote_media(
        &self,
        job: &FetchRemoteMedia,
    ) -> std::result::Result<(), JobError> {
        let retry = |e: ServiceError| JobError::Retry(e.to_string());
        let Some(media) = self
            .store
            .media(job.media_id)
            .await
            .map_err(|e| retry(e.into()))?
        else {
            return Ok(());
        };
        if media.state != MediaState::Remote {
            return Ok(()); // cached or on its way
        }
        if media.remote_url.is_none() {
            return Ok(());
        }
        let author = self
            .store
            .account(media.account_id)
            .await
            .map_err(|e| retry(e.into()))?;
        let Some(author) = author.filter(|a| !a.is_local()) else {
            return Ok(());
        };
        if !self.copies_allowed(&author).await {
            return Ok(());
        }
        if let Some(counters) = self.media_counters() {
            MediaCounters::bump(&counters.cache_misses);
        }
        self.copy_remote(media, true).await
    }

    /// Downloads `media`'s remote file (within its purpose's limit) and queues its processing,
    /// or remembers why it could not be had. `exists`: the row is stored already.
    pub(crate) async fn copy_remote(
        &self,
        media: MediaAttachment,
        exists: bool,
    ) -> std::result::Result<(), JobError> {
        let retry = |e: ServiceError| JobError::Retry(e.to_string());
        let Some(url) = media.remote_url.clone() else {
            return Ok(());
        };
        match self
            .download(&url, self.remote_limit(media.purpose))
            .await?
        {
            Ok(body) => self.queue_fetched(media, body, exists).await.map_err(retry),
            Err(reason) => self.remember_failure(&media, &reason).await.map_err(retry),
        }
    }

    /// Records why a remote file was not copied (kept a while, so it is not fetched again at
    /// every sighting or view).
    async fn remember_failure(&self, media: &MediaAttachment, reason: &str) -> Result<()> {
        tracing::info!(url = ?media.remote_url, %reason, "remote media not copied");
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if self.store.media(media.id).await.ok().flatten().is_some() {
            tx.note_media_error(media.id, reason, now).await?;
        } else {
            let mut row = media.clone();
            row.error = Some(reason.chars().take(500).collect());
            row.updated_at = now;
            tx.insert_media(&row).await?;
        }
        Ok(tx.commit().await?)
    }

    /// Whether a copy of this row failed within the last day (not tried again before).
    pub(crate) fn failed_lately(&self, m: &MediaAttachment) -> bool {
        m.error.is_some()
            && m.state == MediaState::Remote
            && self.clock.now().as_millis() - m.updated_at.as_millis() < RETRY_FAILED_MS
    }

    /// The `cache_account_image` job.
    pub(crate) async fn cache_account_image(
        &self,
        job: &CacheAccountImage,
    ) -> std::result::Result<(), JobError> {
        let retry = |e: ServiceError| JobError::Retry(e.to_string());
        let Some(account) = self
            .store
            .account(job.account_id)
            .await
            .map_err(|e| retry(e.into()))?
            .filter(|a| !a.is_local())
        else {
            return Ok(());
        };
        if !self.copies_allowed(&account).await {
            return Ok(());
        }
        let (purpose, url, key) = if job.header {
            (
                MediaPurpose::Header,
                account.header_remote_url.clone(),
                account.header_key.clone(),
            )
        } else {
            (
                MediaPurpose::Avatar,
                account.avatar_remote_url.clone(),
                account.avatar_key.clone(),
            )
        };
        let Some(url) = url.filter(|u| web_url(u)) else {
            return Ok(());
        };
        if key.is_some() {
            return Ok(());
        }
        let existing = self
            .store
            .remote_media_by_url(account.id, purpose, &url)
            .await
            .map_err(|e| retry(e.into()))?;
        if let Some(m) = &existing {
            match m.state {
                MediaState::Processing => return Ok(()),
                MediaState::Ready => {
                    let mut tx = self.store.begin().await.map_err(|e| retry(e.into()))?;
                    tx.set_account_image(account.id, purpose, Some(m.id), self.clock.now())
                        .await
                        .map_err(|e| retry(e.into()))?;
                    return tx.commit().await.map_err(|e| retry(e.into()));
                }
                _ if self.failed_lately(m) => return Ok(()),
                MediaState::Failed | MediaState::Remote => {}
            }
        }
        if let Some(counters) = self.media_counters() {
            MediaCounters::bump(&counters.cache_misses);
        }
        let exists = existing.is_some();
        let media = existing.unwrap_or_else(|| {
            MediaAttachment::remote(
                self.ids.next_id(),
                account.id,
                purpose,
                MediaKind::Image,
                url.clone(),
                self.clock.now(),
            )
        });
        self.copy_remote(media, exists).await
    }

    /// `/media_proxy/:id/:variant`: the cached copy of a remote attachment, else its origin
    /// (and a copy is queued).
    pub async fn media_proxy(&self, id: Id, small: bool) -> Result<ProxyTarget> {
        let m = self
            .store
            .media(id)
            .await?
            .filter(MediaAttachment::is_remote)
            .ok_or(ServiceError::NotFound("media"))?;
        let cached = if small {
            m.preview_key.as_deref().or(m.file_key.as_deref())
        } else {
            m.file_key.as_deref()
        };
        // A copy made before its server's media were rejected is not served any more.
        let rejected = match m.remote_url.as_deref().and_then(crate::federation::host_of) {
            Some(host) => self.rejects_media_from(&host).await,
            None => false,
        };
        if m.state == MediaState::Ready
            && !rejected
            && let Some(key) = cached
        {
            if let Some(c) = self.media_counters() {
                MediaCounters::bump(&c.cache_hits);
            }
            self.touch_cached(&[&m]).await;
            return Ok(ProxyTarget {
                url: self.media_url(key),
                cached: true,
            });
        }
        let origin = if small {
            m.preview_remote_url.clone().or(m.remote_url.clone())
        } else {
            m.remote_url.clone()
        }
        .ok_or(ServiceError::NotFound("media"))?;
        // A file that could not be copied is not tried again on every view: once a day.
        let author = self.store.account(m.account_id).await?;
        let allowed = match &author {
            Some(a) => self.copies_allowed(a).await,
            None => false,
        };
        if m.state == MediaState::Remote && allowed && !self.failed_lately(&m) {
            let mut tx = self.store.begin().await?;
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                self.clock.now(),
                &FetchRemoteMedia { media_id: m.id },
            )
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
            tx.commit().await?;
        }
        Ok(ProxyTarget {
            url: origin,
            cached: false,
        })
    }

    /// `/media_proxy/accounts/:id/avatar|header`: like [`Services::media_proxy`] for account
    /// images.
    pub async fn account_image_proxy(&self, account_id: Id, header: bool) -> Result<ProxyTarget> {
        let account = self
            .store
            .account(account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let purpose = if header {
            MediaPurpose::Header
        } else {
            MediaPurpose::Avatar
        };
        let key = if header {
            &account.header_key
        } else {
            &account.avatar_key
        };
        if let Some(key) = key {
            if let Some(c) = self.media_counters() {
                MediaCounters::bump(&c.cache_hits);
            }
            return Ok(ProxyTarget {
                url: self.media_url(key),
                cached: true,
            });
        }
        let remote = if header {
            account.header_remote_url.clone()
        } else {
            account.avatar_remote_url.clone()
        };
        let Some(origin) = remote else {
            return Ok(ProxyTarget {
                url: self.urls.account_image(&account, purpose),
                cached: false,
            });
        };
        let failed = self
            .store
            .remote_media_by_url(account.id, purpose, &origin)
            .await?
            .is_some_and(|m| self.failed_lately(&m));
        if !account.is_local() && !failed && self.copies_allowed(&account).await {
            let mut tx = self.store.begin().await?;
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                self.clock.now(),
                &CacheAccountImage { account_id, header },
            )
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
            tx.commit().await?;
        }
        Ok(ProxyTarget {
            url: origin,
            cached: false,
        })
    }

    /// Marks cached remote files as used (at most once an hour each), without making the
    /// reader wait.
    pub(crate) async fn touch_cached(&self, media: &[&MediaAttachment]) {
        let now = self.clock.now();
        let stale: Vec<Id> = media
            .iter()
            .filter(|m| m.is_remote() && m.file_key.is_some())
            .filter(|m| {
                m.last_used_at
                    .is_none_or(|t| now.as_millis() - t.as_millis() > TOUCH_EVERY_MS)
            })
            .map(|m| m.id)
            .collect();
        if stale.is_empty() {
            return;
        }
        let store = self.store.clone();
        tokio::spawn(async move {
            let result = async {
                let mut tx = store.begin().await?;
                tx.touch_media(&stale, now).await?;
                tx.commit().await
            }
            .await;
            if let Err(e) = result {
                tracing::debug!(error = %e, "marking cached media used");
            }
        });
    }

    /// After a local avatar or header changed: tell followers' servers.
    pub(crate) async fn account_images_changed(&self, account_id: Id) {
        let Ok(Some(account)) = self.store.account(account_id).await else {
            return;
        };
        if !account.is_local() {
            return;
        }
        if let Err(e) = self.federate_profile(&account).await {
            tracing::warn!(account = %account_id, error = %e, "profile update not federated");
        }
    }
}
