//! The MediaAttachment entity.

use serde::Serialize;
use serde_json::Value;

/// docs.joinmastodon.org/entities/MediaAttachment
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MediaAttachment {
    pub id: String,
    /// `image`, `gifv`, `video`, `audio` or `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `null` while processing.
    pub url: Option<String>,
    pub preview_url: Option<String>,
    /// Where a remote file lives on its server (`null` for local uploads).
    pub remote_url: Option<String>,
    pub preview_remote_url: Option<String>,
    pub text_url: Option<String>,
    /// `original` / `small` sizes, duration, focus… (shape depends on the type).
    pub meta: Value,
    pub description: Option<String>,
    pub blurhash: Option<String>,
}
