//! `[media]`: where files are stored, upload and processing limits, and the remote media cache.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use rookery_service::media::{MediaSettings, RemoteMediaPolicy};

use super::ConfigError;

/// `[media]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// `local` (a directory served by Rookery under `/system/`) or `s3` (see `[media.s3]`).
    pub backend: String,
    /// Local storage: the directory (default: `media/` in the data directory).
    pub local_dir: Option<PathBuf>,
    /// Local storage: the URL files are served from, when a CDN or another host serves the
    /// directory (default: `https://DOMAIN/system`).
    pub local_url: Option<String>,
    /// Largest image upload, in bytes.
    pub image_max_bytes: u64,
    /// Largest video, audio or GIF upload, in bytes.
    pub video_max_bytes: u64,
    /// Images with more pixels are refused (decompression bombs).
    pub image_max_pixels: u64,
    /// Uploads not attached to a status within this time are deleted.
    pub unattached_ttl_secs: i64,
    /// How long an upload request waits for processing before answering 202.
    pub upload_wait_ms: u64,
    /// The ffmpeg and ffprobe programs (Debian package `ffmpeg`).
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// CPU threads one ffmpeg run may use.
    pub ffmpeg_threads: u32,
    /// ffmpeg runs at once in one process (on top of the `media` queue's concurrency).
    pub ffmpeg_max_concurrent: usize,
    /// One ffmpeg run is killed after this long and the attachment marked failed.
    pub ffmpeg_timeout_secs: u64,
    /// Longest video or audio accepted, in seconds.
    pub max_duration_secs: u64,
    pub remote: RemoteMediaConfig,
    pub s3: S3MediaConfig,
}

impl Default for MediaConfig {
    fn default() -> Self {
        let s = MediaSettings::default();
        MediaConfig {
            backend: "local".into(),
            local_dir: None,
            local_url: None,
            image_max_bytes: s.image_max_bytes,
            video_max_bytes: s.video_max_bytes,
            image_max_pixels: s.image_max_pixels,
            unattached_ttl_secs: s.unattached_ttl_secs,
            upload_wait_ms: s.upload_wait_ms,
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            ffmpeg_threads: 1,
            ffmpeg_max_concurrent: 1,
            ffmpeg_timeout_secs: 600,
            max_duration_secs: 3600,
            remote: RemoteMediaConfig::default(),
            s3: S3MediaConfig::default(),
        }
    }
}

/// `[media.remote]`: other servers' files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemoteMediaConfig {
    /// `on_receipt` (copied as posts and profiles arrive), `lazy` (when first viewed) or
    /// `never` (clients load them from their servers).
    pub policy: String,
    /// The cache is kept under this many bytes; least recently used copies go first.
    pub cache_max_bytes: u64,
    /// Copies older than this are dropped (and fetched again if viewed).
    pub cache_max_age_secs: i64,
    /// Largest remote file copied.
    pub max_bytes: u64,
}

impl Default for RemoteMediaConfig {
    fn default() -> Self {
        let s = MediaSettings::default();
        RemoteMediaConfig {
            policy: "on_receipt".into(),
            cache_max_bytes: s.cache_max_bytes,
            cache_max_age_secs: s.cache_max_age_secs,
            max_bytes: s.remote_max_bytes,
        }
    }
}

/// `[media.s3]`: an S3-compatible bucket.
#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct S3MediaConfig {
    /// The service URL without the bucket: `https://s3.eu-west-1.amazonaws.com`,
    /// `https://ACCOUNT.r2.cloudflarestorage.com`, `http://127.0.0.1:3900`.
    pub endpoint: String,
    /// The signing region (`us-east-1`, `auto` for R2, `garage`…).
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `path` (`ENDPOINT/BUCKET/KEY`, works with any endpoint) or `virtual_host`
    /// (`BUCKET.ENDPOINT-HOST/KEY`, what AWS prefers).
    pub addressing: String,
    /// Where clients fetch files when not from the bucket's own URL: a CDN or alias host
    /// (`https://media.example.com`). Files are `{public_url}/{key}`.
    pub public_url: Option<String>,
    /// A canned ACL sent with every upload (`public-read`); leave unset for providers that
    /// refuse ACLs (R2) or buckets made public by policy.
    pub acl: Option<String>,
    /// Connect to this address instead of resolving the endpoint's host (split-horizon DNS,
    /// tests).
    pub connect_to: Option<String>,
    pub timeout_secs: u64,
}

impl std::fmt::Debug for S3MediaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3MediaConfig")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("addressing", &self.addressing)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// Where files go, resolved.
#[derive(Debug, Clone)]
pub enum StorageSettings {
    Local { dir: PathBuf, url: String },
    S3(rookery_storage::S3Config),
}

/// `[media]` resolved: storage and ffmpeg.
#[derive(Debug, Clone)]
pub struct MediaBackend {
    pub storage: StorageSettings,
    pub ffmpeg: rookery_media::FfmpegOptions,
}

pub(super) fn resolve(
    c: &MediaConfig,
    data_dir: &Path,
    base_url: &str,
    settings: &mut MediaSettings,
) -> Result<MediaBackend, ConfigError> {
    let err = |option: &str, reason: String| ConfigError::new(format!("media.{option}"), reason);
    if c.image_max_bytes < 1024 || c.video_max_bytes < 1024 {
        return Err(err(
            "image_max_bytes",
            "image_max_bytes and video_max_bytes must be at least 1024".into(),
        ));
    }
    if c.video_max_bytes > 4 * 1024 * 1024 * 1024 {
        return Err(err("video_max_bytes", "must be at most 4 GiB".into()));
    }
    if c.image_max_pixels < 10_000 {
        return Err(err("image_max_pixels", "must be at least 10000".into()));
    }
    if c.unattached_ttl_secs < 60 || c.remote.cache_max_age_secs < 60 {
        return Err(err(
            "unattached_ttl_secs",
            "unattached_ttl_secs and remote.cache_max_age_secs must be at least 60".into(),
        ));
    }
    if c.ffmpeg_timeout_secs > 1200 {
        return Err(err(
            "ffmpeg_timeout_secs",
            "must be at most 1200 (a media job runs at most an hour: probe, transcode and preview)"
                .into(),
        ));
    }
    if c.ffmpeg_threads == 0 || c.ffmpeg_max_concurrent == 0 || c.ffmpeg_timeout_secs == 0 {
        return Err(err(
            "ffmpeg_threads",
            "ffmpeg_threads, ffmpeg_max_concurrent and ffmpeg_timeout_secs must be at least 1"
                .into(),
        ));
    }
    let policy = RemoteMediaPolicy::parse(&c.remote.policy).ok_or_else(|| {
        err(
            "remote.policy",
            format!(
                "{:?} is not one of \"on_receipt\", \"lazy\", \"never\"",
                c.remote.policy
            ),
        )
    })?;
    settings.image_max_bytes = c.image_max_bytes;
    settings.video_max_bytes = c.video_max_bytes;
    settings.image_max_pixels = c.image_max_pixels;
    settings.unattached_ttl_secs = c.unattached_ttl_secs;
    settings.upload_wait_ms = c.upload_wait_ms.min(30_000);
    settings.remote_policy = policy;
    settings.cache_max_bytes = c.remote.cache_max_bytes;
    settings.cache_max_age_secs = c.remote.cache_max_age_secs;
    settings.remote_max_bytes = c.remote.max_bytes;

    let storage = match c.backend.as_str() {
        "local" => StorageSettings::Local {
            dir: c
                .local_dir
                .clone()
                .unwrap_or_else(|| data_dir.join("media")),
            url: c
                .local_url
                .clone()
                .map(|u| u.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("{base_url}/system")),
        },
        "s3" => StorageSettings::S3(s3(&c.s3)?),
        other => {
            return Err(err(
                "backend",
                format!("{other:?} is not one of \"local\", \"s3\""),
            ));
        }
    };
    let ffmpeg = rookery_media::FfmpegOptions {
        ffmpeg: c.ffmpeg.clone(),
        ffprobe: c.ffprobe.clone(),
        threads: c.ffmpeg_threads,
        timeout: Duration::from_secs(c.ffmpeg_timeout_secs),
        max_concurrent: c.ffmpeg_max_concurrent,
        max_duration_secs: c.max_duration_secs as f64,
        ..rookery_media::FfmpegOptions::default()
    };
    Ok(MediaBackend { storage, ffmpeg })
}

fn s3(c: &S3MediaConfig) -> Result<rookery_storage::S3Config, ConfigError> {
    let err = |option: &str, reason: &str| ConfigError::new(format!("media.s3.{option}"), reason);
    for (name, value) in [
        ("endpoint", &c.endpoint),
        ("region", &c.region),
        ("bucket", &c.bucket),
        ("access_key_id", &c.access_key_id),
        ("secret_access_key", &c.secret_access_key),
    ] {
        if value.trim().is_empty() {
            return Err(err(name, "must be set when media.backend = \"s3\""));
        }
    }
    let addressing = match c.addressing.as_str() {
        "" | "path" => rookery_storage::Addressing::Path,
        "virtual_host" => rookery_storage::Addressing::VirtualHost,
        _ => {
            return Err(err(
                "addressing",
                "must be \"path\" (ENDPOINT/BUCKET/KEY) or \"virtual_host\" (BUCKET.ENDPOINT/KEY)",
            ));
        }
    };
    let resolve = match c.connect_to.as_deref() {
        None | Some("") => None,
        Some(a) => Some(a.parse::<SocketAddr>().map_err(|_| {
            err(
                "connect_to",
                "must be an address:port such as 10.0.0.5:9000",
            )
        })?),
    };
    // Empty means unset, as for `connect_to` and `acl` (an environment variable can clear a
    // value from the file).
    let public_url = c
        .public_url
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(p) = public_url
        && !(p.starts_with("https://") || p.starts_with("http://"))
    {
        return Err(err("public_url", "must be an http(s) URL"));
    }
    let mut config = rookery_storage::S3Config::new(
        c.endpoint.trim_end_matches('/'),
        c.region.as_str(),
        c.bucket.as_str(),
        c.access_key_id.as_str(),
        c.secret_access_key.as_str(),
    );
    config.addressing = addressing;
    config.public_url = public_url.map(|u| u.trim_end_matches('/').to_owned());
    config.acl = c.acl.clone().filter(|a| !a.is_empty());
    config.resolve = resolve;
    if c.timeout_secs > 0 {
        config.timeout = Duration::from_secs(c.timeout_secs);
    }
    // What only the storage checks (an endpoint with a path, virtual-hosted addressing on an
    // IP address or with a bucket that is no host name, …): found now, so that `config check`
    // reports it rather than `serve` at start-up. Makes no request.
    rookery_storage::S3Storage::new(config.clone())
        .map_err(|e| ConfigError::new("media.s3", e.to_string()))?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> S3MediaConfig {
        S3MediaConfig {
            endpoint: "https://s3.eu-west-1.amazonaws.com/".into(),
            region: "eu-west-1".into(),
            bucket: "rookery-media".into(),
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            ..S3MediaConfig::default()
        }
    }

    fn refused(change: impl FnOnce(&mut S3MediaConfig)) -> String {
        let mut c = valid();
        change(&mut c);
        match s3(&c) {
            Err(e) => e.to_string(),
            Ok(config) => panic!("accepted: {config:?}"),
        }
    }

    #[test]
    fn s3_settings_resolve() {
        let mut c = valid();
        c.addressing = "virtual_host".into();
        c.public_url = Some("https://media.example.com/".into());
        c.connect_to = Some("10.0.0.5:9000".into());
        c.acl = Some(String::new());
        let config = s3(&c).unwrap();
        assert_eq!(config.endpoint, "https://s3.eu-west-1.amazonaws.com");
        assert_eq!(config.addressing, rookery_storage::Addressing::VirtualHost);
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://media.example.com")
        );
        assert_eq!(config.resolve, Some("10.0.0.5:9000".parse().unwrap()));
        assert_eq!(config.acl, None);
        assert_eq!(config.timeout, rookery_storage::S3Config::DEFAULT_TIMEOUT);
    }

    #[test]
    fn empty_optional_s3_settings_are_unset() {
        let mut c = valid();
        c.public_url = Some(" ".into());
        c.connect_to = Some(String::new());
        let config = s3(&c).unwrap();
        assert_eq!(config.public_url, None);
        assert_eq!(config.resolve, None);
    }

    #[test]
    fn bad_s3_settings_are_named() {
        assert!(refused(|c| c.bucket = " ".into()).contains("media.s3.bucket"));
        assert!(refused(|c| c.addressing = "vhost".into()).contains("media.s3.addressing"));
        assert!(refused(|c| c.connect_to = Some("nowhere".into())).contains("media.s3.connect_to"));
        assert!(
            refused(|c| c.public_url = Some("media.example.com".into()))
                .contains("media.s3.public_url")
        );
        // Only the storage itself knows these; they are configuration errors all the same.
        for e in [
            refused(|c| c.endpoint = "https://s3.example.com/rookery-media".into()),
            refused(|c| c.endpoint = "s3.example.com".into()),
            refused(|c| {
                c.endpoint = "http://127.0.0.1:9000".into();
                c.addressing = "virtual_host".into();
            }),
            refused(|c| {
                c.bucket = "Rookery_Media".into();
                c.addressing = "virtual_host".into();
            }),
        ] {
            assert!(e.starts_with("media.s3"), "{e}");
        }
    }
}
