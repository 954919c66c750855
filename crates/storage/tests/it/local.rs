use std::path::Path;
use std::sync::Arc;

use rookery_storage::{BlobStore, LocalStorage, StorageError};
use rookery_testkit::TempDir;

fn store(dir: &TempDir) -> LocalStorage {
    LocalStorage::new(
        dir.path().join("media"),
        "https://example.com/system/".into(),
    )
}

/// Files in `dir` whose name starts with a dot (temporary files left behind).
fn hidden_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            found.extend(hidden_files(&entry.path()));
        } else if name.starts_with('.') {
            found.push(name);
        }
    }
    found
}

#[tokio::test]
async fn put_get_get_to_file_delete_round_trip() {
    let dir = TempDir::new("rookery-storage-test").unwrap();
    let s = store(&dir);
    assert_eq!(s.backend(), "local");
    assert_eq!(s.local_root(), Some(dir.path().join("media").as_path()));

    let key = "media_attachments/files/1/original/a.png";
    s.put(key, b"png bytes".to_vec(), "image/png")
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("media").join(key)).unwrap(),
        b"png bytes"
    );
    assert_eq!(s.get(key).await.unwrap().unwrap(), b"png bytes");

    let out = dir.path().join("copy.png");
    assert!(s.get_to_file(key, &out).await.unwrap());
    assert_eq!(std::fs::read(&out).unwrap(), b"png bytes");

    s.delete(key).await.unwrap();
    assert_eq!(s.get(key).await.unwrap(), None);
    // Emptied directories go too; the root stays.
    assert!(!dir.path().join("media/media_attachments").exists());
    assert!(dir.path().join("media").is_dir());
    assert!(hidden_files(dir.path()).is_empty());
}

#[tokio::test]
async fn put_file_streams_a_large_file() {
    let dir = TempDir::new("rookery-storage-test").unwrap();
    let s = store(&dir);
    let body: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let input = dir.path().join("video.mp4");
    std::fs::write(&input, &body).unwrap();
    s.put_file("v/1.mp4", &input, "video/mp4").await.unwrap();
    assert!(input.exists(), "the input file stays");
    let out = dir.path().join("out.mp4");
    assert!(s.get_to_file("v/1.mp4", &out).await.unwrap());
    assert_eq!(std::fs::read(&out).unwrap(), body);

    let missing = dir.path().join("nope.mp4");
    let err = s
        .put_file("v/2.mp4", &missing, "video/mp4")
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Io { .. }), "{err:?}");
    assert_eq!(s.get("v/2.mp4").await.unwrap(), None);
    assert!(hidden_files(dir.path()).is_empty());
}

#[tokio::test]
async fn overwrite_replaces_atomically() {
    let dir = TempDir::new("rookery-storage-test").unwrap();
    let s = Arc::new(store(&dir));
    s.put("a/k", vec![b'a'; 100_000], "application/octet-stream")
        .await
        .unwrap();
    // Readers racing many overwrites only ever see one whole version.
    let writer = {
        let s = Arc::clone(&s);
        tokio::spawn(async move {
            for i in 0..40u8 {
                let byte = if i % 2 == 0 { b'b' } else { b'a' };
                s.put("a/k", vec![byte; 100_000], "application/octet-stream")
                    .await
                    .unwrap();
            }
        })
    };
    while !writer.is_finished() {
        let got = s.get("a/k").await.unwrap().unwrap();
        assert_eq!(got.len(), 100_000);
        assert!(got.iter().all(|b| *b == got[0]), "a torn read");
    }
    writer.await.unwrap();
    assert_eq!(s.get("a/k").await.unwrap().unwrap(), vec![b'a'; 100_000]);
    assert!(hidden_files(dir.path()).is_empty());
}

#[tokio::test]
async fn missing_objects() {
    let dir = TempDir::new("rookery-storage-test").unwrap();
    let s = store(&dir);
    assert_eq!(s.get("no/such/key").await.unwrap(), None);
    let out = dir.path().join("out");
    assert!(!s.get_to_file("no/such/key", &out).await.unwrap());
    assert!(!out.exists(), "no file is written for a missing object");
    s.delete("no/such/key").await.unwrap();
    // A key below an existing object is missing too, not an error.
    s.put("file", b"x".to_vec(), "text/plain").await.unwrap();
    assert_eq!(s.get("file/below").await.unwrap(), None);
    s.delete("file/below").await.unwrap();
}

#[tokio::test]
async fn hostile_keys_are_refused_everywhere() {
    let dir = TempDir::new("rookery-storage-test").unwrap();
    let s = store(&dir);
    // Something outside the root that a bad key could reach.
    std::fs::write(dir.path().join("x"), b"secret").unwrap();
    let long = "a".repeat(1000);
    let keys = [
        "../x",
        "/abs",
        "a//b",
        "a/./b",
        "a/../../x",
        "a\0b",
        &long,
        "ünï.png",
        "a b",
        "a+b",
        "",
        ".",
        "..",
        "a/",
    ];
    let out = dir.path().join("out");
    for key in keys {
        let refused = |r: Result<(), StorageError>| match r {
            Err(StorageError::InvalidKey { .. }) => {}
            other => panic!("{key:?}: expected InvalidKey, got {other:?}"),
        };
        refused(s.put(key, b"x".to_vec(), "text/plain").await);
        refused(s.put_file(key, &dir.path().join("x"), "text/plain").await);
        refused(s.get(key).await.map(|_| ()));
        refused(s.get_to_file(key, &out).await.map(|_| ()));
        refused(s.delete(key).await);
    }
    assert_eq!(std::fs::read(dir.path().join("x")).unwrap(), b"secret");
    assert!(!out.exists());
}

#[test]
fn urls() {
    let s = LocalStorage::new("/srv/rookery".into(), "https://example.com/system/".into());
    assert_eq!(
        s.url("media_attachments/files/1/original/a.png"),
        "https://example.com/system/media_attachments/files/1/original/a.png"
    );
    let s = LocalStorage::new("/srv/rookery".into(), "http://127.0.0.1:3000/system".into());
    assert_eq!(s.url("a/b.webp"), "http://127.0.0.1:3000/system/a/b.webp");
}
