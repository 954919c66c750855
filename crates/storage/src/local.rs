//! Objects as files under a directory that Rookery serves itself.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use crate::{BlobStore, StorageError, encode_path, validate_key};

/// Stores object `a/b.png` as the file `{root}/a/b.png`.
///
/// Writes go to a temporary file in the target's directory (named with a leading dot, which
/// no valid key has), are synced, then renamed over the target: a reader sees the old object
/// or the new one, never half of one. Directories are created as needed and pruned again when
/// their last object is deleted. Keys are validated, so a path never leaves `root`.
#[derive(Debug)]
pub struct LocalStorage {
    root: PathBuf,
    base_url: String,
    temp_counter: AtomicU64,
}

/// What a write copies from.
enum Source<'a> {
    Bytes(&'a [u8]),
    File(tokio::fs::File),
}

impl LocalStorage {
    /// `root` is the directory holding the objects (created on first write); `base_url` is
    /// where Rookery serves it, like `https://example.com/system` (a trailing `/` is ignored).
    pub fn new(root: PathBuf, base_url: String) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        LocalStorage {
            root,
            base_url,
            temp_counter: AtomicU64::new(0),
        }
    }

    /// The file that holds `key`.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, StorageError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    /// Creates a fresh temporary file next to `path`, creating the directory first.
    async fn create_temp(&self, path: &Path) -> Result<(PathBuf, tokio::fs::File), StorageError> {
        let dir = path.parent().unwrap_or(&self.root);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut last_error = None;
        for _ in 0..8 {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| StorageError::io("create directory", dir, e))?;
            let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
            let temp = dir.join(format!(".tmp-{}-{n}-{name}", std::process::id()));
            match tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)
                .await
            {
                Ok(file) => return Ok((temp, file)),
                // Another storage handle in this process picked the same name, or a
                // concurrent delete pruned the directory we just created: try again.
                Err(e) if matches!(e.kind(), ErrorKind::AlreadyExists | ErrorKind::NotFound) => {
                    last_error = Some((temp, e));
                }
                Err(e) => return Err(StorageError::io("create", temp, e)),
            }
        }
        let (temp, e) = last_error.unwrap_or_else(|| {
            (
                dir.to_path_buf(),
                std::io::Error::other("no attempt was made"),
            )
        });
        Err(StorageError::io("create", temp, e))
    }

    async fn place(&self, path: PathBuf, mut source: Source<'_>) -> Result<(), StorageError> {
        let (temp, mut file) = self.create_temp(&path).await?;
        let written = async {
            match &mut source {
                Source::Bytes(bytes) => file.write_all(bytes).await?,
                Source::File(input) => {
                    tokio::io::copy(input, &mut file).await?;
                }
            }
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&temp, &path).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(StorageError::io("write", path, e));
        }
        Ok(())
    }

    /// Removes the now empty directories between `path` and the root (best effort: a
    /// directory that is not empty, or any error, stops it).
    async fn prune_empty_dirs(&self, path: &Path) {
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.root || !d.starts_with(&self.root) {
                break;
            }
            if tokio::fs::remove_dir(d).await.is_err() {
                break;
            }
            dir = d.parent();
        }
    }
}

/// Whether an I/O error means "there is no such object".
fn is_missing(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

#[async_trait]
impl BlobStore for LocalStorage {
    fn backend(&self) -> &'static str {
        "local"
    }

    async fn put(&self, key: &str, body: Vec<u8>, _content_type: &str) -> Result<(), StorageError> {
        let path = self.path_of(key)?;
        self.place(path, Source::Bytes(&body)).await?;
        tracing::debug!(key, bytes = body.len(), "stored on the local disk");
        Ok(())
    }

    async fn put_file(
        &self,
        key: &str,
        path: &Path,
        _content_type: &str,
    ) -> Result<(), StorageError> {
        let target = self.path_of(key)?;
        // Opened before the temporary file exists, so a missing input leaves nothing behind.
        let input = tokio::fs::File::open(path)
            .await
            .map_err(|e| StorageError::io("open", path, e))?;
        self.place(target, Source::File(input)).await?;
        tracing::debug!(key, "stored on the local disk");
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let path = self.path_of(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(StorageError::io("read", path, e)),
        }
    }

    async fn get_to_file(&self, key: &str, to: &Path) -> Result<bool, StorageError> {
        let path = self.path_of(key)?;
        let mut input = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if is_missing(&e) => return Ok(false),
            Err(e) => return Err(StorageError::io("open", path, e)),
        };
        let mut output = tokio::fs::File::create(to)
            .await
            .map_err(|e| StorageError::io("create", to, e))?;
        let copied = async {
            tokio::io::copy(&mut input, &mut output).await?;
            output.flush().await
        }
        .await;
        if let Err(e) = copied {
            drop(output);
            let _ = tokio::fs::remove_file(to).await;
            return Err(StorageError::io("copy to", to, e));
        }
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {
                self.prune_empty_dirs(&path).await;
                tracing::debug!(key, "deleted from the local disk");
                Ok(())
            }
            Err(e) if is_missing(&e) => Ok(()),
            Err(e) => Err(StorageError::io("delete", path, e)),
        }
    }

    fn url(&self, key: &str) -> String {
        format!("{}/{}", self.base_url, encode_path(key))
    }

    fn local_root(&self) -> Option<&Path> {
        Some(&self.root)
    }
}
