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

fn kind_of(a: &Attachment) -> MediaKind {
    let mt = a.media_type.as_deref().unwrap_or_default();
    match (a.kind.as_str(), mt.split('/').next().unwrap_or_default()) {
        (_, "image") if mt == "image/gif" => MediaKind::Gifv,
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

    /// Records a remote post's attachments (in the transaction that stores the post) and,
    /// when copies are made on receipt, queues their fetching.
    pub(crate) async fn add_remote_attachments(
        &self,
        tx: &mut dyn Transaction,
        author: &Account,
        status_id: Id,
        attachments: &[&Attachment],
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
                .filter(|b| b.len() <= 100 && b.is_ascii());
            media.meta = MediaMeta {
                width: a.width.filter(|w| *w > 0 && *w <= 100_000),
                height: a.height.filter(|h| *h > 0 && *h <= 100_000),
                focus,
                ..MediaMeta::default()
            };
            tx.insert_media(&media).await?;
            if self.remote_policy() == RemoteMediaPolicy::OnReceipt {
                rookery_jobs::enqueue(tx, &self.ids, now, &FetchRemoteMedia { media_id: id })
                    .await
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// After a remote actor was stored: queue copies of its images when made on receipt.
    pub(crate) async fn remote_account_images_seen(&self, account: &Account) -> Result<()> {
        if self.remote_policy() != RemoteMediaPolicy::OnReceipt || self.media.is_none() {
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

    /// Fetches a remote file, checking size and real type. `Ok(None)` when the file cannot
    /// be had (refused, gone, not media): the row stays a link to the origin.
    pub(crate) async fn download(
        &self,
        url: &str,
    ) -> std::result::Result<Option<Vec<u8>>, JobError> {
        if self.domain_blocked_for_media(url).await {
            return Ok(None);
        }
        let limit = self.settings.media.remote_max_bytes;
        match self.federation.transport.get_media(url, limit).await {
            Ok(r) if (200..300).contains(&r.status) => {
                if sniff(&r.body).is_none() {
                    tracing::info!(%url, "remote media is not a supported type");
                    return Ok(None);
                }
                Ok(Some(r.body))
            }
            Ok(r) if r.status >= 500 || r.status == 429 => {
                Err(JobError::Retry(format!("{url}: HTTP {}", r.status)))
            }
            Ok(r) => {
                tracing::info!(%url, status = r.status, "remote media not available");
                Ok(None)
            }
            Err(TransportError::Refused(m)) => {
                tracing::info!(%url, reason = %m, "remote media refused");
                Ok(None)
            }
            Err(TransportError::TooLarge) => {
                tracing::info!(%url, limit, "remote media too large to copy");
                Ok(None)
            }
            Err(e) => Err(JobError::Retry(format!("{url}: {e}"))),
        }
    }

    /// Whether the file's server is blocked with "reject media" (or suspended).
    async fn domain_blocked_for_media(&self, url: &str) -> bool {
        let Some(host) = host_of(url) else {
            return true;
        };
        let domain = host.split(':').next().unwrap_or_default().to_owned();
        match self.domain_block_for(&domain).await {
            Ok(Some(b)) => b.reject_media || b.severity == rookery_model::BlockSeverity::Suspend,
            Ok(None) => false,
            Err(_) => false,
        }
    }

    /// Stores fetched bytes as an upload of `media` and queues processing.
    pub(crate) async fn queue_fetched(
        &self,
        mut media: MediaAttachment,
        body: Vec<u8>,
    ) -> Result<()> {
        let runtime = self.media_runtime()?;
        let key = keys::upload(media.id, self.random.next_u64());
        let mime = sniff(&body).map_or("application/octet-stream", |s| s.mime);
        runtime
            .storage
            .put(&key, body, mime)
            .await
            .map_err(|e| ServiceError::Unavailable(format!("storing remote media: {e}")))?;
        media.state = MediaState::Processing;
        media.content_type = Some(mime.to_owned());
        media.upload_key = Some(key);
        media.error = None;
        let now = self.clock.now();
        media.updated_at = now;
        let mut tx = self.store.begin().await?;
        if self.store.media(media.id).await?.is_some() {
            tx.update_media(&media).await?;
        } else {
            tx.insert_media(&media).await?;
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
        Ok(())
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
        let Some(url) = media.remote_url.clone() else {
            return Ok(());
        };
        if let Some(counters) = self.media_counters() {
            MediaCounters::bump(&counters.cache_misses);
        }
        match self.download(&url).await? {
            Some(body) => self.queue_fetched(media, body).await.map_err(retry),
            None => Ok(()),
        }
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
                MediaState::Failed | MediaState::Remote => {}
            }
        }
        if let Some(counters) = self.media_counters() {
            MediaCounters::bump(&counters.cache_misses);
        }
        let Some(body) = self.download(&url).await? else {
            return Ok(());
        };
        let now = self.clock.now();
        let media = existing.unwrap_or_else(|| {
            MediaAttachment::remote(
                self.ids.next_id(),
                account.id,
                purpose,
                MediaKind::Image,
                url,
                now,
            )
        });
        self.queue_fetched(media, body).await.map_err(retry)
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
        if m.state == MediaState::Ready
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
        let failed_lately = m.error.is_some()
            && self.clock.now().as_millis() - m.updated_at.as_millis() < 24 * 3600 * 1000;
        if m.state == MediaState::Remote && self.media.is_some() && !failed_lately {
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
        if self.media.is_some() && !account.is_local() {
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
