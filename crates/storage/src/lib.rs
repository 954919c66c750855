//! Where Rookery keeps media files: the [`BlobStore`] trait and its two backends.
//!
//! - [`LocalStorage`]: files under a directory that Rookery serves itself
//!   ([`BlobStore::local_root`] tells the HTTP layer where).
//! - [`S3Storage`]: an S3-compatible bucket (AWS, R2, Garage, MinIO, …), spoken to with plain
//!   HTTP requests signed by this crate's own AWS Signature Version 4 code ([`sigv4`]); clients
//!   fetch objects from the bucket or from a CDN in front of it ([`S3Config::public_url`]).
//!
//! Keys are `/`-separated names that Rookery makes up, checked by [`validate_key`] on every
//! call: the same key names the same file on disk and the same object in a bucket.
//!
//! ```
//! # async fn demo() -> Result<(), rookery_storage::StorageError> {
//! use std::sync::Arc;
//! use rookery_storage::{BlobStore, LocalStorage};
//!
//! let dir = std::env::temp_dir().join("rookery-storage-doc-example");
//! let store: Arc<dyn BlobStore> =
//!     Arc::new(LocalStorage::new(dir.clone(), "https://example.com/system".into()));
//! store.put("media/1/original.txt", b"hello".to_vec(), "text/plain").await?;
//! assert_eq!(store.get("media/1/original.txt").await?.as_deref(), Some(&b"hello"[..]));
//! assert_eq!(store.url("media/1/original.txt"), "https://example.com/system/media/1/original.txt");
//! store.delete("media/1/original.txt").await?;
//! assert_eq!(store.get("media/1/original.txt").await?, None);
//! # let _ = std::fs::remove_dir_all(dir);
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(demo()).unwrap();
//! ```

use std::path::Path;

use async_trait::async_trait;

mod error;
mod key;
mod local;
mod s3;
pub mod sigv4;

pub use error::StorageError;
pub use key::{MAX_KEY_LEN, encode_path, validate_key};
pub use local::LocalStorage;
pub use s3::{Addressing, S3Config, S3Storage};

/// A place to keep media objects. Used as `Arc<dyn BlobStore>`; the binary picks the backend.
///
/// Every method validates its key first ([`validate_key`]) and fails with
/// [`StorageError::InvalidKey`] before touching anything.
#[async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// `"local"` or `"s3"`.
    fn backend(&self) -> &'static str;

    /// Stores `body` under `key`, replacing any object there.
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), StorageError>;

    /// Stores the file at `path` under `key` without reading it all into memory (large
    /// videos).
    async fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StorageError>;

    /// The object's bytes; `None` when there is no such object.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError>;

    /// Writes the object to the file at `path` (created or truncated), for tools that want a
    /// file (ffmpeg). `false`, and no file written, when there is no such object.
    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, StorageError>;

    /// Removes the object. Removing a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;

    /// The URL clients fetch the object from.
    fn url(&self, key: &str) -> String;

    /// The directory holding the objects when Rookery serves them itself (the local
    /// backend); `None` otherwise.
    fn local_root(&self) -> Option<&Path>;
}
