//! Media processing for Rookery: decides what an upload really is and turns it into files that
//! are safe to store and serve. No storage, database or HTTP here.
//!
//! - [`sniff`] reads the type from the first bytes (never the file name or Content-Type);
//!   anything it does not know is refused cheaply.
//! - [`process_image`] (JPEG, PNG, WebP, still GIF) decodes within limits, applies the EXIF
//!   orientation and re-encodes without metadata (no EXIF, GPS, XMP), with a preview and a
//!   [BlurHash](https://blurha.sh). Synchronous and CPU-bound: run it in
//!   `tokio::task::spawn_blocking`.
//! - [`Ffmpeg`] runs ffmpeg/ffprobe (Debian package `ffmpeg`) for video, animated GIFs and
//!   audio: H.264/AAC MP4, MP3, a PNG frame for the preview.
//!
//! # Limits (defaults)
//! | what | default |
//! |---|---|
//! | image file size | 16 MiB ([`ImageOptions::max_bytes`]) |
//! | image pixels, checked from the header before decoding | 33,177,600 = 7680×4320, and 16,384 per side |
//! | decoder memory | 256 MiB ([`ImageOptions::max_alloc`]) |
//! | stored original | scaled down past 8,294,400 pixels = 3840×2160; JPEG q88 (4:2:0) or PNG |
//! | preview | within 230,400 pixels = 640×360, never enlarged; JPEG q80, PNG if transparent |
//! | blurhash | 4×4 components (36 characters), from a copy ≤ 64 px |
//! | video output | within 1920×1080, even sides, ≤ 60 fps, H.264 CRF 23 `veryfast`, AAC 128k |
//! | audio output | MP3 192k, no tags |
//! | video/audio duration | 3600 s (refused by [`Ffmpeg::probe`], cut by the transcodes) |
//! | video pixels | 33,177,600 for every video stream in the probe, and for every frame ffmpeg/ffprobe decode (`-max_pixels`); a run that met a bigger frame fails |
//! | ffmpeg/ffprobe allocations | 512 MiB each (`-max_alloc`) |
//! | ffmpeg output | 256 MiB (`-fs`); a run that reached it fails |
//! | ffmpeg | 1 thread, 1 run at a time, 10 minutes, then killed |
//! | ffprobe | 4 runs at a time, 30 s |
//!
//! ffmpeg only ever sees local files (`-protocol_whitelist file`, `file:` paths) through the
//! demuxer that [`sniff`] chose, never one it guessed: playlists cannot make it read other
//! files.
//!
//! ```no_run
//! # async fn demo(upload: &[u8], path: &std::path::Path) -> Result<(), rookery_media::MediaError> {
//! use rookery_media::{Ffmpeg, FfmpegOptions, ImageOptions, Kind, process_image, sniff};
//! match sniff(upload).map(|s| s.kind) {
//!     Some(Kind::Image) => {
//!         let bytes = upload.to_vec();
//!         let done = tokio::task::spawn_blocking(move || {
//!             process_image(&bytes, &ImageOptions::default())
//!         })
//!         .await
//!         .map_err(|e| rookery_media::MediaError::Failed(e.to_string()))??;
//!         println!("{}×{} {}", done.original.width, done.original.height, done.blurhash);
//!     }
//!     Some(Kind::Video) => {
//!         let ffmpeg = Ffmpeg::new(FfmpegOptions::default());
//!         let probe = ffmpeg.probe(path).await?;
//!         let out = path.with_extension("out.mp4");
//!         ffmpeg.transcode_video(path, &out, !probe.has_audio).await?;
//!     }
//!     _ => return Err(rookery_media::MediaError::Unsupported),
//! }
//! # Ok(()) }
//! ```

mod blurhash;
mod error;
mod ffmpeg;
mod header;
mod images;
mod probe;
mod process;
mod resample;
mod sniff;

pub use blurhash::{encode as blurhash_encode, is_valid as blurhash_is_valid};
pub use error::MediaError;
pub use ffmpeg::{Ffmpeg, FfmpegOptions};
pub use images::{
    Encoded, ImageOptions, ImageTimings, ProcessedImage, gif_is_animated, preview_from_frame,
    process_image,
};
pub use probe::Probe;
pub use process::RunStats;
pub use sniff::{Kind, SNIFF_LEN, Sniffed, sniff};
