//! Media storage for the use cases: the local-directory and S3-compatible backends of
//! `rookery-storage` behind the service's [`MediaStorage`] trait, and the media runtime.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use rookery_service::media::{MediaCounters, MediaRuntime, MediaStorage, StorageFailure};
use rookery_storage::{BlobStore, LocalStorage, S3Storage};

use crate::config::{ConfigError, MediaBackend, StorageSettings};

/// [`MediaStorage`] over a [`BlobStore`].
pub struct Storage(pub Arc<dyn BlobStore>);

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Storage").field(&self.0.backend()).finish()
    }
}

fn failure(e: rookery_storage::StorageError) -> StorageFailure {
    StorageFailure(e.to_string())
}

#[async_trait]
impl MediaStorage for Storage {
    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StorageFailure> {
        self.0.put(key, body, content_type).await.map_err(failure)
    }
    async fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StorageFailure> {
        self.0
            .put_file(key, path, content_type)
            .await
            .map_err(failure)
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageFailure> {
        self.0.get(key).await.map_err(failure)
    }
    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, StorageFailure> {
        self.0.get_to_file(key, path).await.map_err(failure)
    }
    async fn delete(&self, key: &str) -> Result<(), StorageFailure> {
        self.0.delete(key).await.map_err(failure)
    }
    fn url(&self, key: &str) -> String {
        self.0.url(key)
    }
    fn local_root(&self) -> Option<&Path> {
        self.0.local_root()
    }
}

/// The configured storage backend.
pub fn storage(settings: &StorageSettings) -> Result<Arc<dyn BlobStore>, ConfigError> {
    Ok(match settings {
        StorageSettings::Local { dir, url } => {
            std::fs::create_dir_all(dir).map_err(|e| {
                ConfigError::new(
                    "media.local_dir",
                    format!("cannot create {}: {e}", dir.display()),
                )
            })?;
            Arc::new(LocalStorage::new(dir.clone(), url.clone()))
        }
        StorageSettings::S3(config) => {
            let s3 = Arc::new(
                S3Storage::new(config.clone())
                    .map_err(|e| ConfigError::new("media.s3", e.to_string()))?,
            );
            // A wrong bucket or secret is said at start-up, not at the first upload (which
            // would answer 503). Not fatal: the bucket may come up after us.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                let probe = s3.clone();
                handle.spawn(async move {
                    match probe.check_bucket().await {
                        Ok(()) => {
                            tracing::debug!(bucket = %probe.bucket(), "media bucket reachable")
                        }
                        Err(e) => tracing::warn!(
                            error = %e,
                            "media.s3: the bucket cannot be used; uploads will fail until it can"
                        ),
                    }
                });
            }
            s3
        }
    })
}

/// The base URL files are served from: the storage's URL of a key, without the key.
pub fn base_url(store: &dyn BlobStore) -> String {
    let probe = store.url("k");
    probe
        .strip_suffix("/k")
        .map_or_else(|| probe.clone(), str::to_owned)
}

/// Storage and ffmpeg for the use cases.
pub fn runtime(backend: &MediaBackend) -> Result<(MediaRuntime, String), ConfigError> {
    let blobs = storage(&backend.storage)?;
    let base = base_url(blobs.as_ref());
    Ok((
        MediaRuntime {
            storage: Arc::new(Storage(blobs)),
            ffmpeg: rookery_media::Ffmpeg::new(backend.ffmpeg.clone()),
            counters: Arc::new(MediaCounters::default()),
        },
        base,
    ))
}
