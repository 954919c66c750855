//! One connection to Redis: TCP or TLS (`rediss://`), authentication, and reading replies.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;

use crate::resp::{self, Value};

/// Where and how to reach Redis.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// `redis://[user:password@]host[:port][/db]` or `rediss://…` for TLS.
    pub url: String,
    /// PEM file of CA certificates to trust (instead of the built-in web roots).
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain and key, for servers that ask for one.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// Prefix of every channel name, so several instances can share one server.
    pub prefix: String,
    pub connect_timeout: Duration,
    /// Events a streaming subscriber may fall behind by (per channel).
    pub buffer: usize,
}

impl RedisOptions {
    /// Options for `url` with defaults.
    pub fn new(url: impl Into<String>) -> Self {
        RedisOptions {
            url: url.into(),
            ca_file: None,
            client_cert: None,
            client_key: None,
            prefix: "rookery:".into(),
            connect_timeout: Duration::from_secs(5),
            buffer: rookery_events::DEFAULT_CAPACITY,
        }
    }
}

/// Why Redis could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RedisError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Io(String),
    #[error("redis said: {0}")]
    Server(String),
    #[error(transparent)]
    Protocol(#[from] resp::ProtocolError),
}

impl From<std::io::Error> for RedisError {
    fn from(e: std::io::Error) -> Self {
        RedisError::Io(e.to_string())
    }
}

/// What a URL says, checked once.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    host: String,
    port: u16,
    tls: Option<Arc<rustls::ClientConfig>>,
    user: Option<String>,
    password: Option<String>,
    db: Option<u32>,
    timeout: Duration,
}

fn read_certs(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>, RedisError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| RedisError::Config(format!("cannot read {}: {e}", path.display())))?
        .collect();
    let certs = certs.map_err(|e| {
        RedisError::Config(format!("{}: not PEM certificates: {e}", path.display()))
    })?;
    if certs.is_empty() {
        return Err(RedisError::Config(format!(
            "{} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

fn tls_config(o: &RedisOptions) -> Result<rustls::ClientConfig, RedisError> {
    let mut roots = rustls::RootCertStore::empty();
    match &o.ca_file {
        Some(path) => {
            for c in read_certs(path)? {
                roots.add(c).map_err(|e| {
                    RedisError::Config(format!("{}: unusable CA certificate: {e}", path.display()))
                })?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RedisError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots);
    match (&o.client_cert, &o.client_key) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(cert), Some(key)) => {
            let chain = read_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                RedisError::Config(format!("{}: not a PEM private key: {e}", key.display()))
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| RedisError::Config(format!("client certificate: {e}")))
        }
        _ => Err(RedisError::Config(
            "client_cert and client_key go together".into(),
        )),
    }
}

impl Target {
    pub(crate) fn parse(o: &RedisOptions) -> Result<Target, RedisError> {
        let url = url::Url::parse(&o.url)
            .map_err(|e| RedisError::Config(format!("not a redis:// or rediss:// URL: {e}")))?;
        let tls = match url.scheme() {
            "redis" => None,
            "rediss" => Some(Arc::new(tls_config(o)?)),
            other => {
                return Err(RedisError::Config(format!(
                    "scheme {other:?}: expected redis:// or rediss://"
                )));
            }
        };
        if tls.is_none() && (o.ca_file.is_some() || o.client_cert.is_some()) {
            return Err(RedisError::Config(
                "certificates are set but the URL is not rediss://".into(),
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| RedisError::Config("the URL has no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = Some(url.username()).filter(|u| !u.is_empty()).map(decode);
        let password = url.password().map(decode);
        let db = match url.path().trim_start_matches('/') {
            "" => None,
            d => Some(
                d.parse()
                    .map_err(|_| RedisError::Config(format!("database {d:?} is not a number")))?,
            ),
        };
        Ok(Target {
            host,
            port: url.port().unwrap_or(6379),
            tls,
            user,
            password,
            db,
            timeout: o.connect_timeout,
        })
    }

    /// `host:port`, for messages.
    pub(crate) fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Connects, authenticates and selects the database.
    pub(crate) async fn connect(&self) -> Result<Conn, RedisError> {
        tokio::time::timeout(self.timeout, self.connect_inner())
            .await
            .map_err(|_| RedisError::Io(format!("no answer from {} in time", self.address())))?
    }

    async fn connect_inner(&self) -> Result<Conn, RedisError> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port)).await?;
        tcp.set_nodelay(true)?;
        let stream: Box<dyn Stream> = match &self.tls {
            None => Box::new(tcp),
            Some(config) => {
                let name = ServerName::try_from(self.host.clone())
                    .map_err(|e| RedisError::Config(format!("host {:?}: {e}", self.host)))?;
                let tls = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name, tcp)
                    .await
                    .map_err(|e| RedisError::Io(format!("TLS with {}: {e}", self.address())))?;
                Box::new(tls)
            }
        };
        let (r, w) = tokio::io::split(stream);
        let mut conn = Conn {
            reader: Reader {
                io: r,
                buf: Vec::with_capacity(8192),
            },
            writer: w,
        };
        if let Some(password) = &self.password {
            let reply = match &self.user {
                Some(user) => {
                    conn.call(&[b"AUTH", user.as_bytes(), password.as_bytes()])
                        .await?
                }
                None => conn.call(&[b"AUTH", password.as_bytes()]).await?,
            };
            expect_ok(reply)?;
        }
        if let Some(db) = self.db {
            expect_ok(conn.call(&[b"SELECT", db.to_string().as_bytes()]).await?)?;
        }
        Ok(conn)
    }
}

fn expect_ok(v: Value) -> Result<(), RedisError> {
    match v {
        Value::Error(e) => Err(RedisError::Server(e)),
        _ => Ok(()),
    }
}

pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// The reading half with its buffer.
pub(crate) struct Reader {
    io: ReadHalf<Box<dyn Stream>>,
    buf: Vec<u8>,
}

impl Reader {
    /// The next reply. Cancel-safe: bytes read stay in the buffer.
    pub(crate) async fn read(&mut self) -> Result<Value, RedisError> {
        loop {
            if let Some((v, used)) = resp::parse(&self.buf)? {
                self.buf.drain(..used);
                return Ok(v);
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.io.read(&mut chunk).await?;
            if n == 0 {
                return Err(RedisError::Io("the server closed the connection".into()));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// A connection, split so one task can read while another part writes.
pub(crate) struct Conn {
    pub(crate) reader: Reader,
    pub(crate) writer: WriteHalf<Box<dyn Stream>>,
}

impl Conn {
    /// Sends one command and reads its reply.
    pub(crate) async fn call(&mut self, args: &[&[u8]]) -> Result<Value, RedisError> {
        let mut out = Vec::new();
        resp::encode(&mut out, args);
        self.writer.write_all(&out).await?;
        self.writer.flush().await?;
        self.reader.read().await
    }
}
