//! Media: uploads and their processing, avatars and headers, and the cache of other servers'
//! files.
//!
//! - `upload`: what the web process does with an upload — the cheap checks (size, the real type
//!   from the first bytes), the raw file into storage, a row, a job. Nothing heavier.
//! - `process`: the `media` queue's work — images decoded under pixel limits, EXIF orientation
//!   applied and metadata dropped, a preview and a blurhash; video, audio and animated GIFs
//!   through ffmpeg (a subprocess with a timeout and thread limits).
//! - `remote`: other servers' attachments, avatars and headers, fetched through the SSRF-safe
//!   transport on the `pull` queue, on receipt or on first use.
//! - `cache`: the remote cache's size cap and age limit, expiry of unattached uploads, usage.
//!
//! Files live behind [`MediaStorage`] (local directory or S3-compatible bucket, wired by the
//! binary). Keys are id-based and never rewritten, so a CDN may cache them forever.

mod cache;
mod emoji;
mod process;
mod remote;
pub(crate) mod upload;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use rookery_api as api;
use rookery_model::{MediaAttachment, MediaKind, MediaState};
use serde_json::{Value, json};

pub(crate) use cache::Release;
pub use cache::{ExpireUnattachedMedia, PruneMediaCache, PruneReport};
pub use emoji::CacheEmoji;
pub(crate) use emoji::shortcodes_in;
pub use process::ProcessMedia;
pub use remote::{CacheAccountImage, FetchRemoteMedia, ProxyTarget};
pub use upload::{MediaUpdate, Upload};

use crate::Services;

/// Why storage failed (the message is for the log).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct StorageFailure(pub String);

/// Where media files are kept. Implemented by the binary over a local directory or an
/// S3-compatible bucket.
#[async_trait]
pub trait MediaStorage: Send + Sync + 'static {
    /// Stores `body` under `key`.
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str)
    -> Result<(), StorageFailure>;
    /// Stores a local file under `key` (large videos, without reading them into memory).
    async fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StorageFailure>;
    /// The object, `None` if there is none.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageFailure>;
    /// Writes the object to a local file (ffmpeg's input); `false` if there is none.
    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, StorageFailure>;
    /// Deletes an object (deleting a missing one is fine).
    async fn delete(&self, key: &str) -> Result<(), StorageFailure>;
    /// The URL clients fetch the object from.
    fn url(&self, key: &str) -> String;
    /// The directory the web process serves files from (local storage only).
    fn local_root(&self) -> Option<&Path>;
}

/// When other servers' files are copied here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteMediaPolicy {
    /// As soon as a post or profile arrives (the pull queue fetches them).
    OnReceipt,
    /// When first asked for (through `/media_proxy`).
    Lazy,
    /// Never: clients load them from their servers.
    Never,
}

impl RemoteMediaPolicy {
    /// Reads a configuration value.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "on_receipt" => RemoteMediaPolicy::OnReceipt,
            "lazy" => RemoteMediaPolicy::Lazy,
            "never" => RemoteMediaPolicy::Never,
            _ => return None,
        })
    }
}

/// Media behaviour (the `[media]` configuration section).
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Largest image upload.
    pub image_max_bytes: u64,
    /// Largest video, audio or GIF upload.
    pub video_max_bytes: u64,
    /// Images with more pixels are refused (decompression bombs).
    pub image_max_pixels: u64,
    /// Longest alt text.
    pub description_limit: usize,
    /// Uploads never attached to a status are deleted after this.
    pub unattached_ttl_secs: i64,
    /// How long `POST /api/v2/media` waits for processing before answering 202.
    pub upload_wait_ms: u64,
    pub remote_policy: RemoteMediaPolicy,
    /// The remote cache is kept under this many bytes (least recently used files go first).
    pub cache_max_bytes: u64,
    /// Cached remote files older than this are dropped (fetched again if asked for).
    pub cache_max_age_secs: i64,
    /// Largest remote file copied.
    pub remote_max_bytes: u64,
}

impl Default for MediaSettings {
    fn default() -> Self {
        MediaSettings {
            image_max_bytes: 16 * 1024 * 1024,
            video_max_bytes: 99 * 1024 * 1024,
            image_max_pixels: 33_177_600,
            description_limit: 1500,
            unattached_ttl_secs: 24 * 3600,
            upload_wait_ms: 2000,
            remote_policy: RemoteMediaPolicy::OnReceipt,
            cache_max_bytes: 1024 * 1024 * 1024,
            cache_max_age_secs: 7 * 24 * 3600,
            remote_max_bytes: 40 * 1024 * 1024,
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct MediaCounters {
    /// `(kind, outcome)` → jobs.
    jobs: std::sync::Mutex<std::collections::BTreeMap<(&'static str, &'static str), u64>>,
    /// Milliseconds spent processing.
    pub processing_ms: AtomicU64,
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    pub cache_evictions: AtomicU64,
    /// Peak RSS of the last ffmpeg run, bytes.
    pub ffmpeg_peak_rss: AtomicU64,
    /// Bytes stored by category, as last counted (`(purpose, remote)` → bytes).
    usage: std::sync::Mutex<Vec<rookery_model::MediaUsage>>,
}

impl MediaCounters {
    pub(crate) fn job(&self, kind: &'static str, outcome: &'static str) {
        if let Ok(mut m) = self.jobs.lock() {
            *m.entry((kind, outcome)).or_default() += 1;
        }
    }

    /// `(kind, outcome, count)` of media jobs.
    pub fn jobs(&self) -> Vec<(&'static str, &'static str, u64)> {
        self.jobs
            .lock()
            .map(|m| m.iter().map(|((k, o), n)| (*k, *o, *n)).collect())
            .unwrap_or_default()
    }

    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_usage(&self, usage: Vec<rookery_model::MediaUsage>) {
        if let Ok(mut u) = self.usage.lock() {
            *u = usage;
        }
    }

    /// Storage use as last counted (by the cache job or `admin media usage`).
    pub fn usage(&self) -> Vec<rookery_model::MediaUsage> {
        self.usage.lock().map(|u| u.clone()).unwrap_or_default()
    }
}

/// What media handling needs: storage, the processing tools and their limits.
pub struct MediaRuntime {
    pub storage: Arc<dyn MediaStorage>,
    pub ffmpeg: rookery_media::Ffmpeg,
    pub counters: Arc<MediaCounters>,
}

impl std::fmt::Debug for MediaRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaRuntime").finish_non_exhaustive()
    }
}

/// The category name used in reports and metrics.
pub fn usage_category(u: &rookery_model::MediaUsage) -> &'static str {
    use rookery_model::MediaPurpose::*;
    match (u.purpose, u.remote) {
        (Attachment, false) => "local_uploads",
        (Avatar | Header, false) => "local_avatars_headers",
        (Emoji, false) => "local_emoji",
        (Attachment, true) => "remote_attachments",
        (Avatar | Header, true) => "remote_avatars_headers",
        (Emoji, true) => "remote_emoji",
        (Card, _) => "preview_cards",
    }
}

/// The type of a stored file, from the extension its key was given.
pub fn mime_of_key(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, e)| e) {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mov") => "video/quicktime",
        Some("mp3") => "audio/mpeg",
        Some("ogg") => "audio/ogg",
        Some("wav") => "audio/wav",
        Some("flac") => "audio/flac",
        Some("m4a") => "audio/mp4",
        _ => "application/octet-stream",
    }
}

/// Storage keys: id-based, never rewritten (a new upload is a new id).
pub(crate) mod keys {
    use rookery_model::Id;

    /// Raw uploads still carry their metadata (GPS): their keys are unguessable, and local
    /// serving refuses the `uploads/` prefix.
    pub fn upload(id: Id, secret: u64) -> String {
        format!("uploads/{id}-{secret:016x}")
    }
    pub fn original(id: Id, remote: bool, ext: &str) -> String {
        let dir = if remote { "cache" } else { "media" };
        format!("{dir}/{id}/original.{ext}")
    }
    pub fn small(id: Id, remote: bool, ext: &str) -> String {
        let dir = if remote { "cache" } else { "media" };
        format!("{dir}/{id}/small.{ext}")
    }
    /// The still copy of an animated local emoji.
    pub fn still(id: Id, ext: &str) -> String {
        format!("media/{id}/static.{ext}")
    }
}

impl Services {
    /// The media runtime, or a 503 when this process has no storage configured.
    pub(crate) fn media_runtime(&self) -> crate::Result<&Arc<MediaRuntime>> {
        self.media.as_ref().ok_or_else(|| {
            crate::ServiceError::Unavailable("media storage is not configured".into())
        })
    }

    /// Media counters, for metrics (none without media storage).
    pub fn media_counters(&self) -> Option<Arc<MediaCounters>> {
        self.media.as_ref().map(|m| m.counters.clone())
    }

    /// The directory local media files are served from, if media is on the local disk.
    pub fn local_media_root(&self) -> Option<std::path::PathBuf> {
        self.media
            .as_ref()
            .and_then(|m| m.storage.local_root().map(Path::to_path_buf))
    }

    /// The URL of a stored file.
    pub(crate) fn media_url(&self, key: &str) -> String {
        self.urls.media(key)
    }

    /// The URL a remote file not (or no longer) cached is shown with: our proxy, which fetches
    /// it, unless caching is off.
    fn uncached_url(&self, m: &MediaAttachment, small: bool) -> Option<String> {
        let remote = if small {
            m.preview_remote_url.clone().or(m.remote_url.clone())
        } else {
            m.remote_url.clone()
        };
        if self.settings.media.remote_policy == RemoteMediaPolicy::Never {
            return remote;
        }
        remote.map(|_| {
            let variant = if small { "small" } else { "original" };
            format!("{}/media_proxy/{}/{variant}", self.urls.base(), m.id)
        })
    }

    /// The MediaAttachment entity.
    pub fn attachment_entity(&self, m: &MediaAttachment) -> api::MediaAttachment {
        let (url, preview_url) = match m.state {
            MediaState::Ready => {
                let url = m.file_key.as_deref().map(|k| self.media_url(k));
                let preview = m
                    .preview_key
                    .as_deref()
                    .map(|k| self.media_url(k))
                    .or_else(|| (m.kind == MediaKind::Image).then(|| url.clone()).flatten());
                (url, preview)
            }
            // A remote file not (yet) copied is shown from its origin: statuses never carry
            // `null` URLs for other servers' files.
            _ if m.is_remote() => (self.uncached_url(m, false), self.uncached_url(m, true)),
            MediaState::Remote | MediaState::Processing | MediaState::Failed => (None, None),
        };
        api::MediaAttachment {
            id: m.id.to_string(),
            kind: if m.state == MediaState::Failed {
                "unknown".into()
            } else {
                m.kind.as_str().into()
            },
            url: url.clone(),
            preview_url,
            remote_url: m.remote_url.clone(),
            preview_remote_url: m.preview_remote_url.clone(),
            text_url: None,
            meta: meta_json(m),
            description: Some(m.description.clone()).filter(|d| !d.is_empty()),
            blurhash: m.blurhash.clone(),
        }
    }
}

impl Services {
    /// An attachment as ActivityPub shows it (Mastodon's `Document`): local files only.
    pub(crate) fn attachment_document(&self, m: &MediaAttachment) -> Option<Value> {
        let key = m
            .file_key
            .as_deref()
            .filter(|_| m.state == MediaState::Ready)?;
        let mut doc = json!({
            "type": "Document",
            "mediaType": m.content_type.as_deref().unwrap_or_else(|| mime_of_key(key)),
            "url": self.media_url(key),
            "name": if m.description.is_empty() { Value::Null } else { json!(m.description) },
            "blurhash": m.blurhash,
        });
        if let (Some(w), Some(h)) = (m.meta.width, m.meta.height) {
            doc["width"] = json!(w);
            doc["height"] = json!(h);
        }
        if let Some((x, y)) = m.meta.focus {
            doc["focalPoint"] = json!([x, y]);
        }
        Some(doc)
    }
}

fn size(w: u32, h: u32) -> Value {
    let aspect = if h == 0 {
        0.0
    } else {
        f64::from(w) / f64::from(h)
    };
    json!({"width": w, "height": h, "size": format!("{w}x{h}"), "aspect": aspect})
}

/// Mastodon's `meta`: `original` and `small` sizes, duration for time-based media, focus.
fn meta_json(m: &MediaAttachment) -> Value {
    let meta = &m.meta;
    let mut out = serde_json::Map::new();
    let mut original = match (meta.width, meta.height) {
        (Some(w), Some(h)) => size(w, h),
        _ => json!({}),
    };
    if let Some(d) = meta.duration {
        original["duration"] = json!(d);
        out.insert("duration".into(), json!(d));
        out.insert("length".into(), json!(length(d)));
    }
    if let Some(fr) = &meta.frame_rate {
        original["frame_rate"] = json!(fr);
        if let Some(fps) = fps(fr) {
            out.insert("fps".into(), json!(fps));
        }
    }
    if let Some(b) = meta.bitrate {
        original["bitrate"] = json!(b);
        if m.kind == MediaKind::Audio {
            out.insert("audio_bitrate".into(), json!(format!("{} kb/s", b / 1000)));
        }
    }
    if matches!(m.kind, MediaKind::Video | MediaKind::Gifv)
        && let (Some(w), Some(h)) = (meta.width, meta.height)
        && let Value::Object(top) = size(w, h)
    {
        out.extend(top);
    }
    if original.as_object().is_some_and(|o| !o.is_empty()) {
        out.insert("original".into(), original);
    }
    if let (Some(w), Some(h)) = (meta.small_width, meta.small_height) {
        out.insert("small".into(), size(w, h));
    }
    if let Some((x, y)) = meta.focus {
        out.insert("focus".into(), json!({"x": x, "y": y}));
    }
    Value::Object(out)
}

/// `0:01:28.65`
fn length(secs: f64) -> String {
    let total = secs.max(0.0);
    let h = (total / 3600.0).floor();
    let m = ((total - h * 3600.0) / 60.0).floor();
    let s = total - h * 3600.0 - m * 60.0;
    format!("{h}:{m:02}:{s:05.2}")
}

/// `30000/1001` → 30
fn fps(rate: &str) -> Option<i64> {
    let (n, d) = rate.split_once('/').unwrap_or((rate, "1"));
    let (n, d): (f64, f64) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
    (d > 0.0).then(|| (n / d).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::{fps, length};

    #[test]
    fn lengths_and_frame_rates_read_like_mastodons() {
        assert_eq!(length(88.65), "0:01:28.65");
        assert_eq!(length(3725.5), "1:02:05.50");
        assert_eq!(fps("30000/1001"), Some(30));
        assert_eq!(fps("25/1"), Some(25));
        assert_eq!(fps("0/0"), None);
        assert_eq!(fps("x"), None);
    }
}
