//! The one error type of this crate.

use std::path::PathBuf;

/// Why a storage operation failed. Messages name the operation and the object, never a
/// credential.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The key is not one this crate stores (see [`crate::validate_key`]).
    #[error("invalid storage key {key:?}: {reason}")]
    InvalidKey {
        /// The offending key, cut to its first 64 characters.
        key: String,
        reason: &'static str,
    },
    /// The backend's configuration cannot work (bad endpoint URL, empty bucket, …).
    #[error("invalid storage configuration: {0}")]
    Config(String),
    /// A local file operation failed.
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The object store answered with a non-success status. `message` names the request and
    /// carries S3's `<Code>` and `<Message>` when the body had them, e.g.
    /// `PUT bucket/key: SignatureDoesNotMatch: The request signature we calculated does not match`.
    #[error("object store answered {status}: {message}")]
    Http { status: u16, message: String },
    /// The request never got an answer: connection refused, timeout, TLS failure, a body
    /// that broke off.
    #[error("{op} {target} failed: {source}")]
    Transport {
        op: &'static str,
        /// `bucket/key` (never a URL with credentials: requests are signed in headers).
        target: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StorageError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StorageError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Whether this is a [`StorageError::Http`] with the given status.
    pub fn is_status(&self, wanted: u16) -> bool {
        matches!(self, StorageError::Http { status, .. } if *status == wanted)
    }
}
