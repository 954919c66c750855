//! The `media` queue: turning a raw upload into what clients get. Images are decoded under
//! pixel limits, turned upright (EXIF orientation), re-encoded without metadata, previewed and
//! blurhashed on a blocking thread; video, audio and animated GIFs go through ffmpeg.

use std::path::PathBuf;
use std::time::Instant;

use rookery_jobs::{JobError, JobSpec, Queue};
use rookery_media::{Encoded, Kind, MediaError, sniff};
use rookery_model::{Id, MediaAttachment, MediaKind, MediaPurpose, MediaState};
use serde::{Deserialize, Serialize};

use super::{MediaCounters, MediaRuntime, keys};
use crate::{ServiceError, Services};

/// Processes one upload (the `media` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessMedia {
    pub media_id: Id,
}

impl JobSpec for ProcessMedia {
    const KIND: &'static str = "process_media";
    const QUEUE: Queue = Queue::Media;
    /// Long enough for a probe, a transcode and a frame at the longest `ffmpeg_timeout_secs`
    /// allowed (20 minutes) plus storage; few attempts, a minute apart. A file still
    /// processing after that is settled by the cache job (marked failed).
    fn policy() -> rookery_jobs::RetryPolicy {
        rookery_jobs::RetryPolicy {
            max_attempts: 4,
            base_delay_ms: 60_000,
            max_delay_ms: 600_000,
            timeout: std::time::Duration::from_secs(3600),
        }
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!("process_media:{}", self.media_id))
    }
}

/// What processing produced.
struct Output {
    kind: MediaKind,
    content_type: String,
    file_key: String,
    file_size: i64,
    preview: Option<(String, i64)>,
    blurhash: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    small: Option<(u32, u32)>,
    duration: Option<f64>,
    frame_rate: Option<String>,
    bitrate: Option<u64>,
}

/// Why processing stopped: the file's fault (the attachment fails) or the system's (retry).
enum Stop {
    Refused(String),
    Retry(String),
}

impl From<MediaError> for Stop {
    fn from(e: MediaError) -> Self {
        match e {
            // ffmpeg missing is an operator problem: retrying after the install helps.
            MediaError::NotInstalled(m) => Stop::Retry(m),
            other => Stop::Refused(other.to_string()),
        }
    }
}

fn storage_err(e: super::StorageFailure) -> Stop {
    Stop::Retry(format!("storage: {e}"))
}

/// A scratch directory for ffmpeg, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(id: Id) -> Result<Scratch, Stop> {
        let dir = std::env::temp_dir().join(format!("rookery-media-{id}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Stop::Retry(format!("creating {}: {e}", dir.display())))?;
        Ok(Scratch(dir))
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The first `n` bytes of a file (what type sniffing needs).
fn read_head(path: &std::path::Path, n: usize) -> Result<Vec<u8>, Stop> {
    use std::io::Read as _;
    let file =
        std::fs::File::open(path).map_err(|e| Stop::Retry(format!("reading the upload: {e}")))?;
    let mut head = Vec::with_capacity(n);
    file.take(n as u64)
        .read_to_end(&mut head)
        .map_err(|e| Stop::Retry(format!("reading the upload: {e}")))?;
    Ok(head)
}

fn blocking_failed(e: tokio::task::JoinError) -> Stop {
    Stop::Retry(format!("processing thread: {e}"))
}

impl Services {
    /// Image limits for a purpose: avatars and headers are kept small.
    pub(crate) fn image_options(&self, purpose: MediaPurpose) -> rookery_media::ImageOptions {
        let media = &self.settings.media;
        let mut opts = rookery_media::ImageOptions {
            max_bytes: usize::try_from(media.image_max_bytes.max(media.video_max_bytes))
                .unwrap_or(usize::MAX),
            max_pixels: media.image_max_pixels,
            ..rookery_media::ImageOptions::default()
        };
        match purpose {
            MediaPurpose::Avatar => opts.original_max_pixels = 400 * 400,
            MediaPurpose::Header => opts.original_max_pixels = 1500 * 500,
            // Mastodon keeps card images within 640×640.
            MediaPurpose::Card => opts.original_max_pixels = 640 * 640,
            MediaPurpose::Emoji => {
                opts.original_max_pixels = 256 * 256;
                opts.max_bytes = opts.max_bytes.min(2 * 1024 * 1024);
            }
            _ => {}
        }
        opts
    }

    /// The `process_media` job.
    pub(crate) async fn process_media(&self, job: &ProcessMedia) -> Result<(), JobError> {
        let Some(runtime) = self.media.clone() else {
            return Err(JobError::Retry("media storage is not configured".into()));
        };
        let Some(media) = self
            .store
            .media(job.media_id)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?
        else {
            return Ok(()); // deleted meanwhile
        };
        if media.state != MediaState::Processing {
            return Ok(());
        }
        let started = Instant::now();
        let outcome = self.run_processing(&runtime, &media).await;
        runtime.counters.processing_ms.fetch_add(
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            std::sync::atomic::Ordering::Relaxed,
        );
        let kind = media.kind.as_str();
        match outcome {
            Ok(out) => {
                let kind = out.kind.as_str();
                self.finish_processing(&runtime, media, out)
                    .await
                    .map_err(|e| JobError::Retry(e.to_string()))?;
                runtime.counters.job(kind_name(kind), "processed");
                Ok(())
            }
            Err(Stop::Refused(reason)) => {
                tracing::info!(media = %media.id, %reason, "media refused");
                self.fail_media(&runtime, media, reason)
                    .await
                    .map_err(|e| JobError::Retry(e.to_string()))?;
                runtime.counters.job(kind_name(kind), "failed");
                Ok(())
            }
            Err(Stop::Retry(reason)) => {
                runtime.counters.job(kind_name(kind), "retried");
                Err(JobError::Retry(reason))
            }
        }
    }

    async fn run_processing(
        &self,
        runtime: &MediaRuntime,
        media: &MediaAttachment,
    ) -> Result<Output, Stop> {
        let Some(upload_key) = media.upload_key.clone() else {
            return Err(Stop::Refused("the upload is missing".into()));
        };
        // The raw file goes to a scratch file, never wholly into memory unless it is an
        // image (bounded by the image limit): videos may be large.
        let scratch = Scratch::new(media.id)?;
        let input = scratch.path("input");
        if !runtime
            .storage
            .get_to_file(&upload_key, &input)
            .await
            .map_err(storage_err)?
        {
            return Err(Stop::Refused("the upload is missing".into()));
        }
        let head = read_head(&input, rookery_media::SNIFF_LEN)?;
        let sniffed = sniff(&head).ok_or_else(|| Stop::Refused("unsupported file type".into()))?;
        let remote = media.is_remote();
        match sniffed.kind {
            Kind::Image | Kind::Gif => {
                let bytes = tokio::fs::read(&input)
                    .await
                    .map_err(|e| Stop::Retry(format!("reading the upload: {e}")))?;
                let animated = sniffed.kind == Kind::Gif && rookery_media::gif_is_animated(&bytes);
                // Animated avatars, headers and emoji keep their first frame.
                if animated && media.purpose == MediaPurpose::Attachment {
                    drop(bytes);
                    self.timed(runtime, media, &scratch, &input, remote, MediaKind::Gifv)
                        .await
                } else {
                    self.image(runtime, media, bytes, remote).await
                }
            }
            Kind::Video | Kind::Audio if media.purpose != MediaPurpose::Attachment => {
                Err(Stop::Refused("must be an image".into()))
            }
            Kind::Video => {
                self.timed(runtime, media, &scratch, &input, remote, MediaKind::Video)
                    .await
            }
            Kind::Audio => {
                self.timed(runtime, media, &scratch, &input, remote, MediaKind::Audio)
                    .await
            }
        }
    }

    async fn put(runtime: &MediaRuntime, key: &str, encoded: Encoded) -> Result<i64, Stop> {
        let size = encoded.bytes.len() as i64;
        runtime
            .storage
            .put(key, encoded.bytes, encoded.mime)
            .await
            .map_err(storage_err)?;
        Ok(size)
    }

    async fn image(
        &self,
        runtime: &MediaRuntime,
        media: &MediaAttachment,
        bytes: Vec<u8>,
        remote: bool,
    ) -> Result<Output, Stop> {
        let opts = self.image_options(media.purpose);
        let fit = account_image_box(media.purpose);
        let processed = tokio::task::spawn_blocking(move || process_within(&bytes, opts, fit))
            .await
            .map_err(blocking_failed)??;
        let original = processed.original;
        let preview = processed.preview;
        let file_key = keys::original(media.id, remote, original.ext);
        let small_key = keys::small(media.id, remote, preview.ext);
        let (width, height) = (original.width, original.height);
        let small = (preview.width, preview.height);
        let content_type = original.mime.to_owned();
        let file_size = Self::put(runtime, &file_key, original).await?;
        let preview_size = Self::put(runtime, &small_key, preview).await?;
        Ok(Output {
            kind: MediaKind::Image,
            content_type,
            file_key,
            file_size,
            preview: Some((small_key, preview_size)),
            blurhash: Some(processed.blurhash),
            width: Some(width),
            height: Some(height),
            small: Some(small),
            duration: None,
            frame_rate: None,
            bitrate: None,
        })
    }

    /// Video, audio and animated GIFs: ffmpeg in a scratch directory.
    async fn timed(
        &self,
        runtime: &MediaRuntime,
        media: &MediaAttachment,
        scratch: &Scratch,
        input: &std::path::Path,
        remote: bool,
        kind: MediaKind,
    ) -> Result<Output, Stop> {
        let ffmpeg = &runtime.ffmpeg;
        let probe = ffmpeg.probe(input).await?;
        // An MP4 with only sound is audio (Mastodon does the same).
        let kind = if kind == MediaKind::Video && !probe.has_video && probe.has_audio {
            MediaKind::Audio
        } else {
            kind
        };
        if kind == MediaKind::Video && !probe.has_video {
            return Err(Stop::Refused("the video has no picture".into()));
        }
        if kind == MediaKind::Audio && !probe.has_audio {
            return Err(Stop::Refused("the audio file has no sound".into()));
        }
        let (out_path, ext, mime) = if kind == MediaKind::Audio {
            (scratch.path("out.mp3"), "mp3", "audio/mpeg")
        } else {
            (scratch.path("out.mp4"), "mp4", "video/mp4")
        };
        let stats = if kind == MediaKind::Audio {
            ffmpeg.transcode_audio(input, &out_path).await?
        } else {
            ffmpeg
                .transcode_video(input, &out_path, kind == MediaKind::Gifv)
                .await?
        };
        record_rss(&runtime.counters, stats.peak_rss_bytes);
        let file_key = keys::original(media.id, remote, ext);
        let file_size = std::fs::metadata(&out_path)
            .map(|m| m.len() as i64)
            .map_err(|e| Stop::Retry(format!("reading ffmpeg's output: {e}")))?;
        runtime
            .storage
            .put_file(&file_key, &out_path, mime)
            .await
            .map_err(storage_err)?;
        // The output's own size (after scaling) is what clients get.
        let out_probe = ffmpeg.probe(&out_path).await.ok();
        let (mut width, mut height) = (probe.width, probe.height);
        if let Some(p) = &out_probe {
            width = p.width.or(width);
            height = p.height.or(height);
        }
        let mut preview = None;
        let mut blurhash = None;
        let mut small = None;
        if kind != MediaKind::Audio {
            let frame = scratch.path("frame.png");
            let stats = ffmpeg.extract_frame(&out_path, &frame).await?;
            record_rss(&runtime.counters, stats.peak_rss_bytes);
            let png = std::fs::read(&frame)
                .map_err(|e| Stop::Retry(format!("reading the preview frame: {e}")))?;
            let opts = self.image_options(MediaPurpose::Attachment);
            let (encoded, hash) =
                tokio::task::spawn_blocking(move || rookery_media::preview_from_frame(&png, &opts))
                    .await
                    .map_err(blocking_failed)??;
            let key = keys::small(media.id, remote, encoded.ext);
            small = Some((encoded.width, encoded.height));
            let size = Self::put(runtime, &key, encoded).await?;
            preview = Some((key, size));
            blurhash = Some(hash);
        }
        Ok(Output {
            kind,
            content_type: mime.to_owned(),
            file_key,
            file_size,
            preview,
            blurhash,
            width,
            height,
            small,
            duration: out_probe
                .as_ref()
                .and_then(|p| p.duration_secs)
                .or(probe.duration_secs),
            frame_rate: out_probe
                .as_ref()
                .and_then(|p| p.frame_rate.clone())
                .or(probe.frame_rate.clone()),
            bitrate: out_probe.as_ref().and_then(|p| p.bitrate).or(probe.bitrate),
        })
    }

    async fn finish_processing(
        &self,
        runtime: &MediaRuntime,
        mut media: MediaAttachment,
        out: Output,
    ) -> crate::Result<()> {
        let upload_key = media.upload_key.take();
        media.kind = out.kind;
        media.state = MediaState::Ready;
        media.content_type = Some(out.content_type);
        media.file_key = Some(out.file_key);
        media.file_size = out.file_size;
        if let Some((key, size)) = out.preview {
            media.preview_key = Some(key);
            media.preview_size = size;
        }
        // A remote sender's blurhash describes the same picture: keep it.
        media.blurhash = media.blurhash.take().or(out.blurhash);
        media.meta.width = out.width;
        media.meta.height = out.height;
        if let Some((w, h)) = out.small {
            media.meta.small_width = Some(w);
            media.meta.small_height = Some(h);
        }
        media.meta.duration = out.duration;
        media.meta.frame_rate = out.frame_rate;
        media.meta.bitrate = out.bitrate;
        let now = self.clock.now();
        media.updated_at = now;
        if media.is_remote() {
            media.fetched_at = Some(now);
            media.last_used_at = Some(now);
        }
        // Read first, then write: a remote account whose image changed meanwhile keeps
        // pointing at its new one.
        let point_account = match media.purpose {
            MediaPurpose::Avatar | MediaPurpose::Header if media.is_remote() => self
                .store
                .account(media.account_id)
                .await?
                .is_some_and(|a| {
                    let current = if media.purpose == MediaPurpose::Avatar {
                        a.avatar_remote_url
                    } else {
                        a.header_remote_url
                    };
                    current == media.remote_url
                }),
            MediaPurpose::Avatar | MediaPurpose::Header => true,
            _ => false,
        };
        let mut tx = self.store.begin().await?;
        if !tx.complete_media(&media).await? {
            // Deleted (expired, its status or account gone) or finished elsewhere meanwhile:
            // what this run stored belongs to nothing.
            drop(tx);
            let gone = self.store.media(media.id).await?.is_none();
            let mut orphans = vec![media.file_key.clone(), media.preview_key.clone()];
            if gone {
                orphans.push(upload_key);
            }
            for key in orphans.into_iter().flatten() {
                let _ = runtime.storage.delete(&key).await;
            }
            return Ok(());
        }
        if point_account {
            tx.set_account_image(media.account_id, media.purpose, Some(media.id), now)
                .await?;
        }
        if media.purpose == MediaPurpose::Emoji
            && let Some(url) = &media.remote_url
        {
            tx.set_emoji_media(url, media.id).await?;
        }
        tx.commit().await?;
        if let Some(key) = upload_key
            && let Err(e) = runtime.storage.delete(&key).await
        {
            tracing::warn!(%key, error = %e, "raw upload not deleted");
        }
        if matches!(media.purpose, MediaPurpose::Avatar | MediaPurpose::Header)
            && !media.is_remote()
        {
            self.account_images_changed(media.account_id).await;
        }
        Ok(())
    }

    async fn fail_media(
        &self,
        runtime: &MediaRuntime,
        mut media: MediaAttachment,
        reason: String,
    ) -> crate::Result<()> {
        let upload_key = media.upload_key.take();
        media.state = if media.is_remote() {
            MediaState::Remote
        } else {
            MediaState::Failed
        };
        media.error = Some(reason.chars().take(500).collect());
        media.updated_at = self.clock.now();
        let mut tx = self.store.begin().await?;
        // Not `processing` any more (or gone): someone else settled it.
        let settled = tx.complete_media(&media).await?;
        tx.commit().await?;
        if let Some(key) = upload_key.filter(|_| settled) {
            let _ = runtime.storage.delete(&key).await;
        }
        Ok(())
    }
}

/// The box an avatar or header is shown in (Mastodon's 400×400 and 1500×500).
fn account_image_box(purpose: MediaPurpose) -> Option<(u32, u32)> {
    match purpose {
        MediaPurpose::Avatar => Some((400, 400)),
        MediaPurpose::Header => Some((1500, 500)),
        MediaPurpose::Attachment | MediaPurpose::Emoji | MediaPurpose::Card => None,
    }
}

/// Processes an image whose original must fit within `fit` on both sides. The pixel budget
/// alone does not do it (a 1600×400 avatar within 400×400 pixels is 800×200): when the first
/// result is too wide or too tall, it is made again with the budget of the size that fits.
/// Only odd-shaped avatars and headers (2 MB at most) are decoded twice.
fn process_within(
    bytes: &[u8],
    mut opts: rookery_media::ImageOptions,
    fit: Option<(u32, u32)>,
) -> Result<rookery_media::ProcessedImage, MediaError> {
    let mut processed = rookery_media::process_image(bytes, &opts)?;
    let Some((box_w, box_h)) = fit else {
        return Ok(processed);
    };
    // One more pass nearly always fits; the others absorb a pixel of rounding.
    for _ in 0..3 {
        let (w, h) = (processed.original.width, processed.original.height);
        if w <= box_w && h <= box_h {
            break;
        }
        let scale = (f64::from(box_w) / f64::from(w)).min(f64::from(box_h) / f64::from(h));
        let side =
            |v: u32, max: u32| ((f64::from(v) * scale).round() as u64).clamp(1, u64::from(max));
        let budget = side(w, box_w) * side(h, box_h);
        opts.original_max_pixels = budget
            .min(opts.original_max_pixels.saturating_sub(1))
            .max(1);
        processed = rookery_media::process_image(bytes, &opts)?;
    }
    Ok(processed)
}

fn record_rss(counters: &MediaCounters, peak: Option<u64>) {
    if let Some(p) = peak {
        counters
            .ffmpeg_peak_rss
            .store(p, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Static names for metric labels.
fn kind_name(kind: &str) -> &'static str {
    match kind {
        "image" => "image",
        "gifv" => "gifv",
        "video" => "video",
        "audio" => "audio",
        _ => "unknown",
    }
}

impl From<Stop> for ServiceError {
    fn from(s: Stop) -> Self {
        match s {
            Stop::Refused(m) => ServiceError::invalid("file", m),
            Stop::Retry(m) => ServiceError::Unavailable(m),
        }
    }
}
