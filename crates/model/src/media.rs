//! Media: files attached to statuses, avatars and headers — uploaded here or cached from other
//! servers.

use crate::id::Id;
use crate::time::Timestamp;

/// What a file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaPurpose {
    /// Attached (or to be attached) to a status.
    Attachment,
    Avatar,
    Header,
    /// A custom emoji's image.
    Emoji,
    /// A preview card's image.
    Card,
}

impl MediaPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaPurpose::Attachment => "attachment",
            MediaPurpose::Avatar => "avatar",
            MediaPurpose::Header => "header",
            MediaPurpose::Emoji => "emoji",
            MediaPurpose::Card => "card",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "attachment" => MediaPurpose::Attachment,
            "avatar" => MediaPurpose::Avatar,
            "header" => MediaPurpose::Header,
            "emoji" => MediaPurpose::Emoji,
            "card" => MediaPurpose::Card,
            _ => return None,
        })
    }
}

/// Mastodon's attachment types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    /// A looping silent video (what animated GIFs become).
    Gifv,
    Video,
    Audio,
    Unknown,
}

impl MediaKind {
    /// The API and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Gifv => "gifv",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Unknown => "unknown",
        }
    }

    /// Reads a name; anything else is `Unknown`.
    pub fn parse(text: &str) -> Self {
        match text {
            "image" => MediaKind::Image,
            "gifv" => MediaKind::Gifv,
            "video" => MediaKind::Video,
            "audio" => MediaKind::Audio,
            _ => MediaKind::Unknown,
        }
    }
}

/// Where a file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaState {
    /// Uploaded, waiting for (or in) the `media` queue.
    Processing,
    /// Processed (local) or cached (remote): `file_key` is set.
    Ready,
    /// Processing refused or failed; `error` says why.
    Failed,
    /// A remote file known only by its URL (not fetched yet, or evicted from the cache).
    Remote,
}

impl MediaState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaState::Processing => "processing",
            MediaState::Ready => "ready",
            MediaState::Failed => "failed",
            MediaState::Remote => "remote",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "processing" => MediaState::Processing,
            "ready" => MediaState::Ready,
            "failed" => MediaState::Failed,
            "remote" => MediaState::Remote,
            _ => return None,
        })
    }
}

/// What processing learnt about a file (Mastodon's `meta`), plus the focal point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaMeta {
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The preview's size.
    pub small_width: Option<u32>,
    pub small_height: Option<u32>,
    /// Seconds (video, audio, gifv).
    pub duration: Option<f64>,
    /// Like `30/1`.
    pub frame_rate: Option<String>,
    /// Bits per second.
    pub bitrate: Option<u64>,
    /// Focal point, each in -1.0..=1.0.
    pub focus: Option<(f64, f64)>,
}

/// A stored (or remotely known) media file.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaAttachment {
    pub id: Id,
    /// The uploader, or the remote account it came from.
    pub account_id: Id,
    /// The status it is attached to (attachments only; `None` until posted).
    pub status_id: Option<Id>,
    pub purpose: MediaPurpose,
    pub kind: MediaKind,
    pub state: MediaState,
    /// Of the processed (or cached) file.
    pub content_type: Option<String>,
    /// Storage key of the processed original (or the cached remote file).
    pub file_key: Option<String>,
    pub file_size: i64,
    /// Storage key of the preview image.
    pub preview_key: Option<String>,
    pub preview_size: i64,
    /// Storage key of the raw upload, until processing is done with it.
    pub upload_key: Option<String>,
    /// Where a remote file lives on its server.
    pub remote_url: Option<String>,
    pub preview_remote_url: Option<String>,
    /// Alt text.
    pub description: String,
    pub blurhash: Option<String>,
    pub meta: MediaMeta,
    /// Why processing failed.
    pub error: Option<String>,
    /// Last time a cached remote file was used (least recently used files are evicted first).
    pub last_used_at: Option<Timestamp>,
    /// When a remote file was cached.
    pub fetched_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl MediaAttachment {
    /// A row for another server's file at `url`, known only by its URL so far.
    pub fn remote(
        id: Id,
        account_id: Id,
        purpose: MediaPurpose,
        kind: MediaKind,
        url: String,
        now: Timestamp,
    ) -> Self {
        MediaAttachment {
            id,
            account_id,
            status_id: None,
            purpose,
            kind,
            state: MediaState::Remote,
            content_type: None,
            file_key: None,
            file_size: 0,
            preview_key: None,
            preview_size: 0,
            upload_key: None,
            remote_url: Some(url),
            preview_remote_url: None,
            description: String::new(),
            blurhash: None,
            meta: MediaMeta::default(),
            error: None,
            last_used_at: None,
            fetched_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether this is a copy of (or a link to) another server's file.
    pub fn is_remote(&self) -> bool {
        self.remote_url.is_some()
    }

    /// Bytes this file takes in storage (original, preview and any raw upload not yet removed).
    pub fn stored_bytes(&self) -> i64 {
        self.file_size + self.preview_size
    }
}

/// Storage used by one category of files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaUsage {
    pub purpose: MediaPurpose,
    /// Copies of remote files (the cache) rather than local uploads.
    pub remote: bool,
    pub files: i64,
    pub bytes: i64,
}

/// A custom emoji: `:shortcode:` in text, shown as an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomEmoji {
    pub id: crate::Id,
    pub shortcode: String,
    /// `None` for this instance's own.
    pub domain: Option<String>,
    /// The ActivityPub id of a remote emoji.
    pub uri: Option<String>,
    /// Where a remote emoji's image lives.
    pub image_remote_url: Option<String>,
    /// Storage key of the image (a local upload or a cached copy); read-only here.
    pub image_key: Option<String>,
    /// Storage key of a still copy, for a local emoji whose image is animated.
    pub static_key: Option<String>,
    /// The picker's category (local emoji).
    pub category: Option<String>,
    /// Whether the picker offers it (`false`: unlisted, usable by typing its shortcode).
    pub visible_in_picker: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl CustomEmoji {
    /// Whether `text` may be a shortcode: letters, digits and `_`, two to 64 of them
    /// (Mastodon's `[a-zA-Z0-9_]{2,}`, with a length bound).
    pub fn valid_shortcode(text: &str) -> bool {
        (2..=64).contains(&text.len())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }
}
