//! AWS Signature Version 4 for S3 requests, signed in the `Authorization` header.
//!
//! Written from AWS's specification ("Authenticating Requests: Using the Authorization
//! Header", S3 API reference) and checked against its published examples in the tests below.
//! Public so that other code speaking to the same store (the test kit's read-through CDN)
//! signs the same way.
//!
//! ```
//! use rookery_model::Timestamp;
//! use rookery_storage::sigv4::{self, Credentials, Request};
//!
//! let credentials = Credentials::new("AKIDEXAMPLE", "secret");
//! let signed = sigv4::sign(
//!     &credentials,
//!     "us-east-1",
//!     Timestamp::from_millis(1_369_353_600_000),
//!     &Request {
//!         method: "GET",
//!         host: "examplebucket.s3.amazonaws.com",
//!         path: "/test.txt",
//!         query: "",
//!         headers: &[],
//!         payload_hash: sigv4::EMPTY_PAYLOAD_SHA256,
//!     },
//! );
//! // Send these along with the request's own headers.
//! assert_eq!(signed.headers[0], ("host", "examplebucket.s3.amazonaws.com".to_owned()));
//! assert!(signed.authorization().starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/"));
//! ```

use aws_lc_rs::{digest, hmac};
use rookery_model::Timestamp;

/// `x-amz-content-sha256` for a body that is not hashed (streamed uploads).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The SHA-256 of the empty string: the payload hash of GET, HEAD and DELETE.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "s3";

/// An access key pair. `Debug` shows the key id and hides the secret.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
}

impl Credentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
        }
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// What gets signed.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `PUT`, …
    pub method: &'a str,
    /// The `Host` header exactly as sent: `bucket.s3.amazonaws.com`, `127.0.0.1:9000`.
    pub host: &'a str,
    /// The path, already percent-encoded once (see [`crate::encode_path`]): `/bucket/a%20b`.
    pub path: &'a str,
    /// The canonical query string (names and values encoded, sorted); `""` for none.
    pub query: &'a str,
    /// Further headers to sign and send (`content-type`, `range`, `x-amz-acl`, …). `host`,
    /// `x-amz-date` and `x-amz-content-sha256` are added by [`sign`].
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body, or [`UNSIGNED_PAYLOAD`].
    pub payload_hash: &'a str,
}

/// The outcome of [`sign`].
#[derive(Debug, Clone)]
pub struct Signed {
    /// Headers to send besides `Request::headers`: `host`, `x-amz-date`,
    /// `x-amz-content-sha256` and `authorization`, in that order.
    pub headers: Vec<(&'static str, String)>,
    /// The hex signature alone.
    pub signature: String,
    /// The canonical request that was hashed (for debugging a `SignatureDoesNotMatch`; it
    /// holds no secret).
    pub canonical_request: String,
}

impl Signed {
    /// The `Authorization` header's value.
    pub fn authorization(&self) -> &str {
        self.headers
            .iter()
            .find(|(name, _)| *name == "authorization")
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Signs `request` at time `at` for `region`.
pub fn sign(
    credentials: &Credentials,
    region: &str,
    at: Timestamp,
    request: &Request<'_>,
) -> Signed {
    let amz_date = amz_date(at);
    let date = &amz_date[..8];

    let mut headers: Vec<(String, String)> = vec![
        ("host".to_owned(), request.host.to_owned()),
        ("x-amz-date".to_owned(), amz_date.clone()),
        (
            "x-amz-content-sha256".to_owned(),
            request.payload_hash.to_owned(),
        ),
    ];
    headers.extend(
        request
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), canonical_value(v))),
    );
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    // Repeated names are signed once, their values joined by commas.
    let mut merged: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        match merged.last_mut() {
            Some(last) if last.0 == name => {
                last.1.push(',');
                last.1.push_str(&value);
            }
            _ => merged.push((name, value)),
        }
    }
    let signed_headers = merged
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let mut canonical_request =
        format!("{}\n{}\n{}\n", request.method, request.path, request.query);
    for (name, value) in &merged {
        canonical_request.push_str(name);
        canonical_request.push(':');
        canonical_request.push_str(value);
        canonical_request.push('\n');
    }
    canonical_request.push('\n');
    canonical_request.push_str(&signed_headers);
    canonical_request.push('\n');
    canonical_request.push_str(request.payload_hash);

    let scope = format!("{date}/{region}/{SERVICE}/aws4_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let key = signing_key(&credentials.secret_access_key, date, region);
    let signature = hex(hmac::sign(&key, string_to_sign.as_bytes()).as_ref());
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id
    );
    Signed {
        headers: vec![
            ("host", request.host.to_owned()),
            ("x-amz-date", amz_date),
            ("x-amz-content-sha256", request.payload_hash.to_owned()),
            ("authorization", authorization),
        ],
        signature,
        canonical_request,
    }
}

/// `20130524T000000Z`: the basic ISO 8601 form SigV4 wants.
pub fn amz_date(at: Timestamp) -> String {
    // `to_rfc3339` gives `2013-05-24T00:00:00.000Z`.
    let full = at.to_rfc3339();
    let date: String = full.chars().take(10).filter(|c| *c != '-').collect();
    let time: String = full
        .chars()
        .skip(11)
        .take(8)
        .filter(|c| *c != ':')
        .collect();
    format!("{date}T{time}Z")
}

/// Hex SHA-256 of `data`, as `x-amz-content-sha256` wants it.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

fn signing_key(secret: &str, date: &str, region: &str) -> hmac::Key {
    let step = |key: &[u8], data: &str| {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
    };
    let k_date = step(format!("AWS4{secret}").as_bytes(), date);
    let k_region = step(k_date.as_ref(), region);
    let k_service = step(k_region.as_ref(), SERVICE);
    let k_signing = step(k_service.as_ref(), "aws4_request");
    hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref())
}

/// Trims a header value and collapses runs of spaces into one.
fn canonical_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2013-05-24T00:00:00Z, the time of AWS's examples.
    const EXAMPLE_TIME: Timestamp = Timestamp::from_millis(1_369_353_600_000);

    fn example_credentials() -> Credentials {
        Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
    }

    /// AWS S3 API reference, "Example: GET Object" (header-based SigV4).
    #[test]
    fn aws_get_object_example() {
        let signed = sign(
            &example_credentials(),
            "us-east-1",
            EXAMPLE_TIME,
            &Request {
                method: "GET",
                host: "examplebucket.s3.amazonaws.com",
                path: "/test.txt",
                query: "",
                headers: &[("Range", "bytes=0-9")],
                payload_hash: EMPTY_PAYLOAD_SHA256,
            },
        );
        assert_eq!(
            signed.canonical_request,
            "GET\n/test.txt\n\n\
             host:examplebucket.s3.amazonaws.com\n\
             range:bytes=0-9\n\
             x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-amz-date:20130524T000000Z\n\n\
             host;range;x-amz-content-sha256;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(signed.canonical_request.as_bytes()),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        assert_eq!(
            signed.signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert_eq!(
            signed.authorization(),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    /// AWS S3 API reference, "Example: PUT Object": a signed payload, a `$` in the key that
    /// must be percent-encoded, and headers given in no particular order.
    #[test]
    fn aws_put_object_example() {
        let body = b"Welcome to Amazon S3.";
        let payload_hash = sha256_hex(body);
        assert_eq!(
            payload_hash,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        );
        let path = format!("/{}", crate::encode_path("test$file.text"));
        let signed = sign(
            &example_credentials(),
            "us-east-1",
            EXAMPLE_TIME,
            &Request {
                method: "PUT",
                host: "examplebucket.s3.amazonaws.com",
                path: &path,
                query: "",
                headers: &[
                    ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                    ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ],
                payload_hash: &payload_hash,
            },
        );
        assert!(
            signed
                .canonical_request
                .starts_with("PUT\n/test%24file.text\n\n"),
            "{}",
            signed.canonical_request
        );
        assert_eq!(
            signed.signature,
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
    }

    #[test]
    fn every_input_changes_the_signature() {
        let base = Request {
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            query: "",
            headers: &[("range", "bytes=0-9")],
            payload_hash: EMPTY_PAYLOAD_SHA256,
        };
        let sig = |c: &Credentials, region: &str, at: Timestamp, r: &Request<'_>| {
            sign(c, region, at, r).signature
        };
        let reference = sig(&example_credentials(), "us-east-1", EXAMPLE_TIME, &base);
        let others = [
            sig(
                &Credentials::new("AKIAIOSFODNN7EXAMPLE", "other"),
                "us-east-1",
                EXAMPLE_TIME,
                &base,
            ),
            sig(&example_credentials(), "eu-west-1", EXAMPLE_TIME, &base),
            sig(
                &example_credentials(),
                "us-east-1",
                EXAMPLE_TIME.plus_millis(1000),
                &base,
            ),
            sig(
                &example_credentials(),
                "us-east-1",
                EXAMPLE_TIME,
                &Request {
                    method: "DELETE",
                    ..base
                },
            ),
            sig(
                &example_credentials(),
                "us-east-1",
                EXAMPLE_TIME,
                &Request {
                    headers: &[("range", "bytes=0-10")],
                    ..base
                },
            ),
            sig(
                &example_credentials(),
                "us-east-1",
                EXAMPLE_TIME,
                &Request {
                    payload_hash: UNSIGNED_PAYLOAD,
                    ..base
                },
            ),
        ];
        for other in others {
            assert_ne!(other, reference);
        }
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let signed = sign(
            &example_credentials(),
            "us-east-1",
            EXAMPLE_TIME,
            &Request {
                method: "PUT",
                host: "h",
                path: "/k",
                query: "",
                headers: &[("Cache-Control", "  public,   max-age=1 ")],
                payload_hash: UNSIGNED_PAYLOAD,
            },
        );
        assert!(
            signed
                .canonical_request
                .contains("\ncache-control:public, max-age=1\n"),
            "{}",
            signed.canonical_request
        );
    }

    #[test]
    fn amz_date_format() {
        assert_eq!(amz_date(EXAMPLE_TIME), "20130524T000000Z");
        assert_eq!(
            amz_date(Timestamp::from_millis(1_574_810_851_123)),
            "20191126T232731Z"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let shown = format!("{:?}", example_credentials());
        assert!(shown.contains("AKIAIOSFODNN7EXAMPLE"));
        assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
    }
}
