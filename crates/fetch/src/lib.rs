//! Outgoing HTTP for federation, safe by default:
//! - **no private addresses**: loopback, private, link-local, carrier-grade NAT, unique-local,
//!   multicast and unspecified addresses are refused — after DNS resolution (a resolver of our
//!   own filters every answer), for IP literals in URLs, and on every redirect — unless
//!   `allow_private_addresses` is set (tests, closed networks);
//! - **bounded**: a total time limit per request, a body size limit enforced while reading
//!   (a 10 GB response costs at most the limit), a redirect limit, http(s) only;
//! - **TLS with rustls** (aws-lc-rs), the web's root certificates, plus an extra CA file for
//!   test instances with self-signed certificates.
//!
//! Signing is the caller's business ([`rookery_activitypub::signatures`] builds the headers).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// How the fetcher behaves.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Allow loopback and private addresses (tests; instances on a private network).
    pub allow_private_addresses: bool,
    /// Addresses allowed even though private (a known peer on the local network).
    pub allowed_addresses: Vec<IpAddr>,
    /// Total time for one request, redirects and body included.
    pub timeout: Duration,
    /// Largest response body read.
    pub max_body: usize,
    pub max_redirects: usize,
    /// A PEM file of extra CA certificates to trust (self-signed test peers).
    pub extra_ca: Option<PathBuf>,
    pub user_agent: String,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            allow_private_addresses: false,
            allowed_addresses: Vec::new(),
            timeout: Duration::from_secs(10),
            max_body: 5 * 1024 * 1024,
            max_redirects: 3,
            extra_ca: None,
            user_agent: "Rookery".into(),
        }
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("refused: {0}")]
    Refused(String),
    #[error("invalid URL: {0}")]
    Url(String),
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Network(String),
    #[error("configuration: {0}")]
    Config(String),
}

/// Whether `ip` is somewhere a fediverse server must not reach on a peer's say-so.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])) // carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) // benchmarking
                || o[0] >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
            };
            // Addresses that carry an IPv4 address: judge that one.
            if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                return is_forbidden(embedded(s[6], s[7])); // NAT64 well-known prefix
            }
            if s[0] == 0x2002 {
                return is_forbidden(embedded(s[1], s[2])); // 6to4
            }
            if s[..6] == [0, 0, 0, 0, 0, 0] && !v6.is_loopback() && !v6.is_unspecified() {
                return true; // IPv4-compatible (deprecated): never a real peer
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || (s[0] & 0xffc0) == 0xfec0 // site local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // local-use NAT64 (64:ff9b:1::/48)
        }
    }
}

/// Which addresses may be reached.
#[derive(Debug, Clone)]
pub struct AddressPolicy {
    pub allow_private: bool,
    pub allowed: Vec<IpAddr>,
}

impl AddressPolicy {
    /// Whether `ip` may be connected to.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allow_private || !is_forbidden(ip) || self.allowed.contains(&ip)
    }
}

/// A resolver that drops forbidden addresses from every answer.
#[derive(Debug)]
struct SafeResolver {
    policy: AddressPolicy,
}

impl Resolve for SafeResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?
                .collect();
            let safe: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| policy.permits(a.ip()))
                .collect();
            if safe.is_empty() {
                return Err(
                    format!("{host} resolves only to private or reserved addresses").into(),
                );
            }
            let addrs: Addrs = Box::new(safe.into_iter());
            Ok(addrs)
        })
    }
}

/// Checks a URL before it is requested (or followed): http(s), a host, and no forbidden IP
/// literal.
pub fn check_url(url: &url::Url, policy: &AddressPolicy) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Url(format!(
            "scheme {:?} is not http(s)",
            url.scheme()
        )));
    }
    match url.host() {
        None => Err(FetchError::Url("no host".into())),
        Some(url::Host::Ipv4(ip)) if !policy.permits(IpAddr::V4(ip)) => Err(FetchError::Refused(
            format!("{ip} is a private or reserved address"),
        )),
        Some(url::Host::Ipv6(ip)) if !policy.permits(IpAddr::V6(ip)) => Err(FetchError::Refused(
            format!("{ip} is a private or reserved address"),
        )),
        Some(_) => Ok(()),
    }
}

/// A response, read whole (within the size limit).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// The URL after redirects.
    pub url: String,
    pub content_type: Option<String>,
    /// The `Location` header (of a redirect [`Fetcher::get_hop`] did not follow).
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// The federation HTTP client.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// The same without following redirects, for requests signed for one URL.
    single: reqwest::Client,
    opts: Arc<FetchOptions>,
    policy: AddressPolicy,
}

fn tls_config(extra_ca: Option<&PathBuf>) -> Result<rustls::ClientConfig, FetchError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| FetchError::Config(format!("cannot read {}: {e}", path.display())))?
            .collect::<Result<_, _>>()
            .map_err(|e| {
                FetchError::Config(format!("{}: not PEM certificates: {e}", path.display()))
            })?;
        if certs.is_empty() {
            return Err(FetchError::Config(format!(
                "{} holds no certificate",
                path.display()
            )));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| FetchError::Config(format!("{}: {e}", path.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl Fetcher {
    /// A client with `opts` (an unreadable CA file is an error).
    pub fn new(opts: FetchOptions) -> Result<Fetcher, FetchError> {
        let policy = AddressPolicy {
            allow_private: opts.allow_private_addresses,
            allowed: opts.allowed_addresses.clone(),
        };
        let redirect_policy = policy.clone();
        let max_redirects = opts.max_redirects;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                return attempt.error(format!("more than {max_redirects} redirects"));
            }
            match check_url(attempt.url(), &redirect_policy) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e.to_string()),
            }
        });
        let build = |redirect: reqwest::redirect::Policy| -> Result<reqwest::Client, FetchError> {
            reqwest::Client::builder()
                .use_preconfigured_tls(tls_config(opts.extra_ca.as_ref())?)
                .dns_resolver(Arc::new(SafeResolver {
                    policy: policy.clone(),
                }))
                .redirect(redirect)
                .timeout(opts.timeout)
                .connect_timeout(opts.timeout.min(Duration::from_secs(5)))
                .user_agent(opts.user_agent.clone())
                .no_proxy()
                .build()
                .map_err(|e| FetchError::Config(e.to_string()))
        };
        let client = build(redirects)?;
        let single = build(reqwest::redirect::Policy::none())?;
        Ok(Fetcher {
            client,
            single,
            opts: Arc::new(opts),
            policy,
        })
    }

    /// `GET url` with `headers`.
    pub async fn get(&self, url: &str, headers: &[(&str, String)]) -> Result<Response, FetchError> {
        let (max, timeout) = (self.opts.max_body, self.opts.timeout);
        self.send(reqwest::Method::GET, url, headers, None, max, timeout)
            .await
    }

    /// `GET url` with `headers`, not following a redirect: a 3xx comes back with its
    /// `Location`, for the caller to sign a request for the new URL.
    pub async fn get_hop(
        &self,
        url: &str,
        headers: &[(&str, String)],
    ) -> Result<Response, FetchError> {
        let (max, timeout) = (self.opts.max_body, self.opts.timeout);
        self.send_with(
            &self.single,
            reqwest::Method::GET,
            url,
            headers,
            None,
            max,
            timeout,
        )
        .await
    }

    /// `GET url` reading at most `max_body` bytes within `timeout` (media files: their own
    /// limits, whatever the client's defaults). The body is refused as soon as it passes the
    /// limit, not after reading it whole.
    pub async fn get_limited(
        &self,
        url: &str,
        headers: &[(&str, String)],
        max_body: usize,
        timeout: Duration,
    ) -> Result<Response, FetchError> {
        self.send(reqwest::Method::GET, url, headers, None, max_body, timeout)
            .await
    }

    /// `POST url` with `headers` and `body`.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Response, FetchError> {
        let (max, timeout) = (self.opts.max_body, self.opts.timeout);
        self.send(
            reqwest::Method::POST,
            url,
            headers,
            Some(body),
            max,
            timeout,
        )
        .await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
        max: usize,
        timeout: Duration,
    ) -> Result<Response, FetchError> {
        self.send_with(&self.client, method, url, headers, body, max, timeout)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_with(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
        max: usize,
        timeout: Duration,
    ) -> Result<Response, FetchError> {
        let parsed = url::Url::parse(url).map_err(|e| FetchError::Url(e.to_string()))?;
        check_url(&parsed, &self.policy)?;
        let mut req = client.request(method, parsed).timeout(timeout);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let work = async {
            let mut resp = req.send().await.map_err(classify)?;
            let status = resp.status().as_u16();
            let final_url = resp.url().to_string();
            let content_type = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if resp.content_length().is_some_and(|n| n > max as u64) {
                return Err(FetchError::TooLarge(max));
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(classify)? {
                if body.len() + chunk.len() > max {
                    return Err(FetchError::TooLarge(max));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Response {
                status,
                url: final_url,
                content_type,
                location,
                body,
            })
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| FetchError::Timeout)?
    }
}

fn classify(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    // Walk the sources: our resolver's and redirect policy's refusals are in there.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if text.contains("private or reserved") || e.is_redirect() {
        FetchError::Refused(text)
    } else {
        FetchError::Network(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2001:db8::1",
            "::127.0.0.1",
            "2002:7f00:1::",
            "2002:a00:1::1",
            "fec0::1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808", // DNS64 answer for a public IPv4 peer
            "2002:808:808::1",
        ] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_before_any_request() {
        let strict = AddressPolicy {
            allow_private: false,
            allowed: Vec::new(),
        };
        let check = |u: &str| check_url(&url::Url::parse(u).unwrap(), &strict);
        assert!(check("https://mastodon.example/users/bob").is_ok());
        assert!(matches!(
            check("http://127.0.0.1/x"),
            Err(FetchError::Refused(_))
        ));
        assert!(matches!(
            check("http://[::1]:8080/x"),
            Err(FetchError::Refused(_))
        ));
        assert!(matches!(
            check("http://169.254.169.254/latest"),
            Err(FetchError::Refused(_))
        ));
        assert!(matches!(
            check("file:///etc/passwd"),
            Err(FetchError::Url(_))
        ));
        assert!(matches!(
            check("gopher://x.example/"),
            Err(FetchError::Url(_))
        ));
        let open = AddressPolicy {
            allow_private: true,
            allowed: Vec::new(),
        };
        assert!(check_url(&url::Url::parse("http://127.0.0.1/x").unwrap(), &open).is_ok());
        let one = AddressPolicy {
            allow_private: false,
            allowed: vec!["127.0.0.1".parse().unwrap()],
        };
        assert!(check_url(&url::Url::parse("http://127.0.0.1/x").unwrap(), &one).is_ok());
        assert!(check_url(&url::Url::parse("http://127.0.0.2/x").unwrap(), &one).is_err());
    }
}
