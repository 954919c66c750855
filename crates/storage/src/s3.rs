//! Objects in an S3-compatible store (AWS S3, Cloudflare R2, Garage, MinIO, …), spoken to with
//! plain signed HTTP requests: `PutObject`, `GetObject`, `DeleteObject` and `HeadBucket`.

use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder, Response, header};
use rookery_model::{Clock, SystemClock};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

use crate::sigv4::{self, Credentials};
use crate::{BlobStore, StorageError, encode_path, validate_key};

/// How the bucket appears in request URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Addressing {
    /// `https://s3.example.com/bucket/key`: works everywhere, including with IP endpoints.
    #[default]
    Path,
    /// `https://bucket.s3.example.com/key`: what AWS prefers; the endpoint must be a host name.
    VirtualHost,
}

/// Keys under these prefixes are never made public by [`S3Config::acl`] nor cached by
/// shared caches: raw uploads (which still carry their metadata) and account archives
/// (everything an account holds, direct messages included).
pub const PRIVATE_PREFIXES: [&str; 2] = ["uploads/", "backups/"];

fn is_private(key: &str) -> bool {
    PRIVATE_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Where and how to reach the bucket. `Debug` hides the secret.
#[derive(Clone)]
pub struct S3Config {
    /// The service's base URL, without the bucket: `https://s3.eu-west-1.amazonaws.com`,
    /// `http://127.0.0.1:9000`. No path, query or credentials.
    pub endpoint: String,
    /// The signing region: `eu-west-1`, `auto` (R2), `garage`, …
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub addressing: Addressing,
    /// Where clients fetch objects, if not from the bucket itself (a CDN, or an alias host):
    /// `url(key)` is then `{public_url}/{key}`.
    pub public_url: Option<String>,
    /// A canned ACL sent as `x-amz-acl` on uploads, like `public-read` (never on raw uploads
    /// under `uploads/`, which are not for the public). Unset, no header is
    /// sent (R2 and buckets with object ownership enforced refuse it).
    pub acl: Option<String>,
    /// `Cache-Control` stored with each object and served with it.
    pub cache_control: String,
    /// Connect here instead of resolving the endpoint's host (and the bucket's virtual host,
    /// `{bucket}.{host}`) through DNS: for split-horizon setups and tests. The endpoint URL's
    /// port wins over this address's port; with no port in the URL, this port is used (0 means
    /// the scheme's default).
    pub resolve: Option<SocketAddr>,
    /// Limit for connecting and for each wait on the server while reading an answer. Uploads
    /// get this plus one second per MiB of body in all.
    pub timeout: Duration,
}

impl S3Config {
    /// `Cache-Control` for media: keys never change their content.
    pub const DEFAULT_CACHE_CONTROL: &'static str = "public, max-age=31536000, immutable";
    /// The default [`S3Config::timeout`].
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// A path-style configuration with the default cache control and timeout, no ACL, no
    /// public URL and no resolver override.
    pub fn new(
        endpoint: impl Into<String>,
        region: impl Into<String>,
        bucket: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        S3Config {
            endpoint: endpoint.into(),
            region: region.into(),
            bucket: bucket.into(),
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            addressing: Addressing::Path,
            public_url: None,
            acl: None,
            cache_control: Self::DEFAULT_CACHE_CONTROL.to_owned(),
            resolve: None,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("addressing", &self.addressing)
            .field("public_url", &self.public_url)
            .field("acl", &self.acl)
            .field("cache_control", &self.cache_control)
            .field("resolve", &self.resolve)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The S3 backend. Every request is signed with AWS Signature Version 4 in the
/// `Authorization` header; uploads from memory carry their SHA-256, uploads streamed from a
/// file are sent as `UNSIGNED-PAYLOAD` with a `Content-Length`.
#[derive(Debug)]
pub struct S3Storage {
    client: reqwest::Client,
    credentials: Credentials,
    region: String,
    bucket: String,
    /// `http` or `https`.
    scheme: String,
    /// `host[:port]` requests go to, and their `Host` header: the endpoint's, or
    /// `{bucket}.{endpoint}` for virtual-hosted addressing.
    authority: String,
    /// `/{bucket}` with path-style addressing, empty otherwise.
    bucket_path: String,
    /// `url(key)` is `{public_base}/{key}`.
    public_base: String,
    acl: Option<String>,
    cache_control: String,
    timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl S3Storage {
    /// Checks the configuration and builds the HTTP client. Makes no request (see
    /// [`S3Storage::check_bucket`]).
    pub fn new(config: S3Config) -> Result<S3Storage, StorageError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// Like [`S3Storage::new`], signing with the time `clock` tells.
    pub fn with_clock(config: S3Config, clock: Arc<dyn Clock>) -> Result<S3Storage, StorageError> {
        let bad = |m: String| Err(StorageError::Config(m));
        let endpoint = match url::Url::parse(&config.endpoint) {
            Ok(u) => u,
            Err(e) => return bad(format!("S3 endpoint {:?}: {e}", config.endpoint)),
        };
        let scheme = endpoint.scheme().to_owned();
        if scheme != "http" && scheme != "https" {
            return bad(format!(
                "S3 endpoint {:?} must be an http:// or https:// URL",
                config.endpoint
            ));
        }
        if !endpoint.username().is_empty() || endpoint.password().is_some() {
            return bad("S3 endpoint must not carry credentials".to_owned());
        }
        if endpoint.path() != "/" || endpoint.query().is_some() || endpoint.fragment().is_some() {
            return bad(format!(
                "S3 endpoint {:?} must have no path or query (the bucket is configured apart)",
                config.endpoint
            ));
        }
        let (host, domain) = match endpoint.host() {
            Some(url::Host::Domain(d)) => (d.to_owned(), true),
            Some(h) => (h.to_string(), false),
            None => return bad(format!("S3 endpoint {:?} has no host", config.endpoint)),
        };
        let port = endpoint.port().map(|p| format!(":{p}")).unwrap_or_default();
        let bucket = config.bucket.clone();
        if bucket.is_empty() || bucket.contains('/') {
            return bad(format!("S3 bucket name {bucket:?} is empty or has a '/'"));
        }
        if config.region.is_empty() {
            return bad("S3 region is empty".to_owned());
        }
        if config.access_key_id.is_empty() || config.secret_access_key.is_empty() {
            return bad("S3 access key id or secret access key is empty".to_owned());
        }
        for (name, value) in [
            ("cache control", Some(&config.cache_control)),
            ("ACL", config.acl.as_ref()),
        ] {
            if let Some(v) = value
                && header::HeaderValue::from_str(v).is_err()
            {
                return bad(format!("S3 {name} {v:?} cannot be sent as a header"));
            }
        }
        let (authority, bucket_path) = match config.addressing {
            Addressing::Path => (
                format!("{host}{port}"),
                format!("/{}", encode_path(&bucket)),
            ),
            Addressing::VirtualHost => {
                if !domain {
                    return bad(format!(
                        "virtual-hosted addressing needs a host name in the S3 endpoint, \
                         not {host}: use path-style addressing"
                    ));
                }
                let dns_safe = bucket
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
                if !dns_safe || bucket.starts_with(['-', '.']) || bucket.ends_with(['-', '.']) {
                    return bad(format!(
                        "bucket {bucket:?} cannot be a host name: use path-style addressing"
                    ));
                }
                (format!("{bucket}.{host}{port}"), String::new())
            }
        };
        let public_base = match &config.public_url {
            Some(public) => {
                let public = public.trim_end_matches('/');
                match url::Url::parse(public) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => public.to_owned(),
                    _ => {
                        return bad(format!("S3 public URL {public:?} is not an http(s) URL"));
                    }
                }
            }
            None => format!("{scheme}://{authority}{bucket_path}"),
        };

        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .read_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("rookery-storage/", env!("CARGO_PKG_VERSION")));
        if let Some(addr) = config.resolve
            && domain
        {
            builder = builder
                .resolve(&host, addr)
                .resolve(&format!("{bucket}.{host}"), addr);
        }
        let client = builder
            .build()
            .map_err(|e| StorageError::Config(format!("cannot build the S3 HTTP client: {e}")))?;

        Ok(S3Storage {
            client,
            credentials: Credentials::new(config.access_key_id, config.secret_access_key),
            region: config.region,
            bucket,
            scheme,
            authority,
            bucket_path,
            public_base,
            acl: config.acl,
            cache_control: config.cache_control,
            timeout: config.timeout,
            clock,
        })
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// `HeadBucket`: whether the bucket exists and the credentials may use it. Meant for
    /// start-up, so a misconfiguration shows before the first upload.
    pub async fn check_bucket(&self) -> Result<(), StorageError> {
        let path = if self.bucket_path.is_empty() {
            "/".to_owned()
        } else {
            self.bucket_path.clone()
        };
        let response = self
            .signed(Method::HEAD, &path, &[], sigv4::EMPTY_PAYLOAD_SHA256)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.transport("HEAD", "", e))?;
        if response.status().is_success() {
            return Ok(());
        }
        let status = response.status();
        let hint = match status.as_u16() {
            404 => ": no such bucket",
            403 => ": access denied (wrong credentials, region or bucket policy?)",
            301 | 307 => ": the bucket is elsewhere (wrong region or endpoint?)",
            _ => "",
        };
        Err(StorageError::Http {
            status: status.as_u16(),
            message: format!("HEAD {}: {status}{hint}", self.bucket),
        })
    }

    /// The signed request for `path` (canonical, already encoded).
    fn signed(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        payload_hash: &str,
    ) -> RequestBuilder {
        let signed = sigv4::sign(
            &self.credentials,
            &self.region,
            self.clock.now(),
            &sigv4::Request {
                method: method.as_str(),
                host: &self.authority,
                path,
                query: "",
                headers,
                payload_hash,
            },
        );
        let url = format!("{}://{}{path}", self.scheme, self.authority);
        let mut request = self.client.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        for (name, value) in signed.headers {
            request = request.header(name, value);
        }
        request
    }

    /// The signed request for object `key` (validated).
    fn object_request(
        &self,
        method: Method,
        key: &str,
        headers: &[(&str, &str)],
        payload_hash: &str,
    ) -> Result<RequestBuilder, StorageError> {
        validate_key(key)?;
        let path = format!("{}/{}", self.bucket_path, encode_path(key));
        Ok(self.signed(method, &path, headers, payload_hash))
    }

    /// The headers an upload of `key` carries. Private keys (raw uploads, archives) never
    /// get the public ACL, and tell caches not to keep them.
    fn upload_headers<'a>(&'a self, key: &str, content_type: &'a str) -> Vec<(&'a str, &'a str)> {
        let private = is_private(key);
        let cache_control = if private {
            "private, no-store"
        } else {
            self.cache_control.as_str()
        };
        let mut headers = vec![
            ("content-type", content_type),
            ("cache-control", cache_control),
        ];
        if let Some(acl) = &self.acl
            && !private
        {
            headers.push(("x-amz-acl", acl.as_str()));
        }
        headers
    }

    /// How long an upload of `len` bytes may take in all.
    fn upload_budget(&self, len: u64) -> Duration {
        self.timeout + Duration::from_secs(len / (1024 * 1024))
    }

    fn transport(&self, op: &'static str, key: &str, e: reqwest::Error) -> StorageError {
        StorageError::Transport {
            op,
            target: format!("{}/{key}", self.bucket),
            source: Box::new(e.without_url()),
        }
    }

    /// Turns a non-success answer into an error, returning S3's error code with it.
    async fn failure(
        &self,
        op: &'static str,
        key: &str,
        response: Response,
    ) -> (Option<String>, StorageError) {
        let status = response.status();
        let body = read_error_body(response).await;
        let code = xml_element(&body, "Code");
        let detail = match (&code, xml_element(&body, "Message")) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.clone(),
            (None, _) => {
                let text: String = body.chars().take(200).collect();
                let text = text.trim();
                if text.is_empty() {
                    status.to_string()
                } else {
                    format!("{status}: {text}")
                }
            }
        };
        let error = StorageError::Http {
            status: status.as_u16(),
            message: format!("{op} {}/{key}: {detail}", self.bucket),
        };
        (code, error)
    }
}

/// Bodies larger than this are hashed on a blocking thread.
const HASH_INLINE_MAX: usize = 1024 * 1024;

/// The body's SHA-256 for the signature, and the body back. SHA-256 runs at a few hundred
/// MB/s: a large body would hold an async worker thread (the only one on a one-core server)
/// for a noticeable time, so it is hashed in `spawn_blocking`.
async fn payload_hash(body: Vec<u8>) -> Result<(String, Vec<u8>), tokio::task::JoinError> {
    if body.len() <= HASH_INLINE_MAX {
        return Ok((sigv4::sha256_hex(&body), body));
    }
    tokio::task::spawn_blocking(move || (sigv4::sha256_hex(&body), body)).await
}

/// Reads at most 64 KiB of an error answer's body (best effort: a broken body is an empty one).
async fn read_error_body(mut response: Response) -> String {
    const LIMIT: usize = 64 * 1024;
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= LIMIT {
            body.truncate(LIMIT);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The text of the first `<name>…</name>` in an S3 error document, entities decoded. Enough
/// for S3's flat `<Error><Code>…</Code><Message>…</Message></Error>`.
fn xml_element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(&close)?;
    let text = body[start..start + len].trim();
    if text.is_empty() {
        return None;
    }
    Some(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[async_trait]
impl BlobStore for S3Storage {
    fn backend(&self) -> &'static str {
        "s3"
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), StorageError> {
        let (payload_hash, body) =
            payload_hash(body)
                .await
                .map_err(|e| StorageError::Transport {
                    op: "PUT",
                    target: format!("{}/{key}", self.bucket),
                    source: Box::new(e),
                })?;
        let len = body.len();
        let response = self
            .object_request(
                Method::PUT,
                key,
                &self.upload_headers(key, content_type),
                &payload_hash,
            )?
            .timeout(self.upload_budget(len as u64))
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport("PUT", key, e))?;
        if !response.status().is_success() {
            return Err(self.failure("PUT", key, response).await.1);
        }
        tracing::debug!(key, bytes = len, bucket = %self.bucket, "stored in S3");
        Ok(())
    }

    async fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StorageError> {
        validate_key(key)?;
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| StorageError::io("open", path, e))?;
        let len = file
            .metadata()
            .await
            .map_err(|e| StorageError::io("read the size of", path, e))?
            .len();
        let body = FileBody {
            file,
            remaining: len,
            buf: vec![0; 64 * 1024],
        };
        let response = self
            .object_request(
                Method::PUT,
                key,
                &self.upload_headers(key, content_type),
                sigv4::UNSIGNED_PAYLOAD,
            )?
            .header(header::CONTENT_LENGTH, len)
            .timeout(self.upload_budget(len))
            .body(reqwest::Body::wrap(body))
            .send()
            .await
            .map_err(|e| self.transport("PUT", key, e))?;
        if !response.status().is_success() {
            return Err(self.failure("PUT", key, response).await.1);
        }
        tracing::debug!(key, bytes = len, bucket = %self.bucket, "streamed to S3");
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let response = self
            .object_request(Method::GET, key, &[], sigv4::EMPTY_PAYLOAD_SHA256)?
            .send()
            .await
            .map_err(|e| self.transport("GET", key, e))?;
        if !response.status().is_success() {
            return match self.failure("GET", key, response).await {
                (Some(code), _) if code == "NoSuchKey" => Ok(None),
                (_, e) => Err(e),
            };
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport("GET", key, e))?;
        Ok(Some(body.to_vec()))
    }

    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, StorageError> {
        let mut response = self
            .object_request(Method::GET, key, &[], sigv4::EMPTY_PAYLOAD_SHA256)?
            .send()
            .await
            .map_err(|e| self.transport("GET", key, e))?;
        if !response.status().is_success() {
            return match self.failure("GET", key, response).await {
                (Some(code), _) if code == "NoSuchKey" => Ok(false),
                (_, e) => Err(e),
            };
        }
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(|e| StorageError::io("create", path, e))?;
        let copied: Result<(), StorageError> = async {
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| self.transport("GET", key, e))?
            {
                file.write_all(&chunk)
                    .await
                    .map_err(|e| StorageError::io("write", path, e))?;
            }
            file.flush()
                .await
                .map_err(|e| StorageError::io("write", path, e))
        }
        .await;
        if let Err(e) = copied {
            drop(file);
            let _ = tokio::fs::remove_file(path).await;
            return Err(e);
        }
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let response = self
            .object_request(Method::DELETE, key, &[], sigv4::EMPTY_PAYLOAD_SHA256)?
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.transport("DELETE", key, e))?;
        if !response.status().is_success() {
            // S3 answers 204 for a missing key; some compatible stores say NoSuchKey.
            return match self.failure("DELETE", key, response).await {
                (Some(code), _) if code == "NoSuchKey" => Ok(()),
                (_, e) => Err(e),
            };
        }
        tracing::debug!(key, bucket = %self.bucket, "deleted from S3");
        Ok(())
    }

    fn url(&self, key: &str) -> String {
        format!("{}/{}", self.public_base, encode_path(key))
    }

    fn local_root(&self) -> Option<&Path> {
        None
    }
}

/// A file as a request body of known length, read in 64 KiB chunks.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Vec<u8>,
}

impl http_body::Body for FileBody {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.remaining)
            .unwrap_or(usize::MAX)
            .min(this.buf.len());
        let mut read = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) => {
                let filled = read.filled();
                if filled.is_empty() {
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the file shrank while it was being uploaded",
                    ))));
                }
                this.remaining -= filled.len() as u64;
                Poll::Ready(Some(Ok(http_body::Frame::data(
                    bytes::Bytes::copy_from_slice(filled),
                ))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
#[path = "s3_tests.rs"]
mod tests;
