//! Object keys: which ones this crate accepts.
//!
//! Keys are made by Rookery (`media_attachments/files/110/…/original/3f2a.png`), never taken
//! from a request, so the rules are strict rather than permissive: the same key must name
//! the same file on a disk and the same object in any S3-compatible store, need no escaping in
//! a URL, and never climb out of the storage root.

use crate::StorageError;

/// The longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 512;

/// Checks a key: 1 to [`MAX_KEY_LEN`] bytes of ASCII letters, digits, `.`, `_`, `-` and `/`;
/// `/`-separated segments that are not empty and do not start with a dot (so no `.`, `..`,
/// hidden files, or the temporary files the local backend writes); no leading or trailing `/`.
pub fn validate_key(key: &str) -> Result<(), StorageError> {
    let refuse = |reason: &'static str| {
        Err(StorageError::InvalidKey {
            key: key.chars().take(64).collect(),
            reason,
        })
    };
    if key.is_empty() {
        return refuse("it is empty");
    }
    if key.len() > MAX_KEY_LEN {
        return refuse("it is longer than 512 bytes");
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
    {
        return if bad.is_ascii_control() {
            refuse("it contains a control character")
        } else {
            refuse("only ASCII letters, digits, '.', '_', '-' and '/' are allowed")
        };
    }
    if key.starts_with('/') {
        return refuse("it starts with '/'");
    }
    for segment in key.split('/') {
        if segment.is_empty() {
            return refuse("it has an empty path segment");
        }
        if segment.starts_with('.') {
            return refuse("a path segment starts with '.'");
        }
    }
    Ok(())
}

/// Percent-encodes a `/`-separated path the way SigV4's canonical URI wants it (and any URL
/// accepts it): every byte but the unreserved `A-Z a-z 0-9 - . _ ~` becomes `%XX` (upper-case
/// hex), and `/` stays as it is. Encodes once — S3 does not double-encode.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
        }
    }
    out
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rookery_keys() {
        for key in [
            "a",
            "media_attachments/files/110/234/original/3f2a-b_c.png",
            "cache/accounts/avatars/1.webp",
            "x.tar.gz",
            &"a".repeat(MAX_KEY_LEN),
        ] {
            assert!(validate_key(key).is_ok(), "{key} should be accepted");
        }
    }

    #[test]
    fn refuses_hostile_keys() {
        let long = "a".repeat(MAX_KEY_LEN + 1);
        for key in [
            "",
            "../x",
            "a/../x",
            "..",
            ".",
            "/abs",
            "a//b",
            "a/./b",
            "a/",
            ".hidden",
            "a/.tmp-1-2-x",
            "a\0b",
            "a\nb",
            "a b",
            "a+b",
            "a%2Fb",
            "a\\b",
            "ü.png",
            "a?b",
            "a#b",
            "~x",
            &long,
        ] {
            match validate_key(key) {
                Err(StorageError::InvalidKey { .. }) => {}
                other => panic!("{key:?} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn error_names_the_reason_and_cuts_long_keys() {
        let err = validate_key(&"b".repeat(1000)).unwrap_err().to_string();
        assert!(err.contains("longer than 512 bytes"), "{err}");
        assert!(err.len() < 200, "{err}");
        let err = validate_key("a//b").unwrap_err().to_string();
        assert!(err.contains("empty path segment"), "{err}");
    }

    #[test]
    fn encodes_like_sigv4() {
        assert_eq!(encode_path("a/b-c_d.e~f"), "a/b-c_d.e~f");
        assert_eq!(encode_path("test$file.text"), "test%24file.text");
        assert_eq!(encode_path("a b+c"), "a%20b%2Bc");
        assert_eq!(encode_path("ü/é.png"), "%C3%BC/%C3%A9.png");
        assert_eq!(encode_path("100%"), "100%25");
    }
}
