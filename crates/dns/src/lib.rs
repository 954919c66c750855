//! DNS lookups for Rookery: the mail exchangers (MX records) of a domain, which sign-up checks
//! against the e-mail domain blocks.
//!
//! [`MxLookup`] asks the system's resolvers (`/etc/resolv.conf`), or one configured server, with
//! [hickory-resolver](https://docs.rs/hickory-resolver). Every lookup gives up after its timeout,
//! however many servers and retries that leaves room for, and answers are cached briefly (at
//! most [`CACHE_POSITIVE`] for names that have records, [`CACHE_NEGATIVE`] for names that have
//! none), so a burst of sign-ups from one provider asks once.
//!
//! ```no_run
//! # async fn run() -> Result<(), rookery_dns::DnsError> {
//! use std::time::Duration;
//! let mx = rookery_dns::MxLookup::new(&rookery_dns::DnsSettings {
//!     server: None, // the system's resolvers
//!     timeout: Duration::from_secs(5),
//! })?;
//! let hosts = mx.mx_hosts("example.com").await?; // e.g. ["mail.example.com"]
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

/// Longest time an answer with records is reused.
pub const CACHE_POSITIVE: Duration = Duration::from_secs(5 * 60);
/// Longest time an answer without records is reused.
pub const CACHE_NEGATIVE: Duration = Duration::from_secs(60);
/// Answers kept in the cache.
const CACHE_ENTRIES: u64 = 1024;

/// Where and how long to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsSettings {
    /// One server to ask (UDP, then TCP for long answers) instead of the system's resolvers.
    pub server: Option<SocketAddr>,
    /// The most one lookup may take, every server and retry included.
    pub timeout: Duration,
}

/// A lookup that did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// The resolver could not be set up (an unreadable `/etc/resolv.conf`).
    #[error("cannot read the system's DNS configuration: {0}")]
    Config(String),
    /// The name is not a domain name.
    #[error("{0:?} is not a domain name: {1}")]
    Name(String, String),
    /// No server answered in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The servers answered with an error, or could not be reached.
    #[error("{0}")]
    Lookup(String),
}

/// Looks up MX records.
#[derive(Clone)]
pub struct MxLookup {
    resolver: TokioResolver,
    timeout: Duration,
}

impl std::fmt::Debug for MxLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MxLookup")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl MxLookup {
    /// A resolver asking `settings.server`, or the system's resolvers when it is `None`.
    pub fn new(settings: &DnsSettings) -> Result<MxLookup, DnsError> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = match settings.server {
            None => {
                TokioResolver::builder(provider).map_err(|e| DnsError::Config(e.to_string()))?
            }
            Some(addr) => {
                let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                    .into_iter()
                    .map(|mut c| {
                        c.port = addr.port();
                        c
                    })
                    .collect();
                let server = NameServerConfig::new(addr.ip(), true, connections);
                TokioResolver::builder_with_config(
                    ResolverConfig::from_parts(None, Vec::new(), vec![server]),
                    provider,
                )
            }
        };
        let options = builder.options_mut();
        // One attempt per server within the whole budget; the overall timeout below bounds the
        // rest (several servers in resolv.conf, a retry over TCP).
        options.timeout = settings.timeout;
        options.attempts = 1;
        options.cache_size = CACHE_ENTRIES;
        options.positive_max_ttl = Some(CACHE_POSITIVE);
        options.negative_max_ttl = Some(CACHE_NEGATIVE);
        // Mail domains are absolute: no search list, no /etc/hosts.
        options.ndots = 0;
        options.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
        let resolver = builder
            .build()
            .map_err(|e| DnsError::Config(e.to_string()))?;
        Ok(MxLookup {
            resolver,
            timeout: settings.timeout,
        })
    }

    /// The mail exchangers of `domain`, most preferred first: host names in lower case without
    /// the final dot. Empty when the domain has no MX records, or says it takes no mail (a
    /// "null MX", RFC 7505); an error when the name does not exist or nobody answered in time.
    pub async fn mx_hosts(&self, domain: &str) -> Result<Vec<String>, DnsError> {
        let name = domain.trim().trim_end_matches('.');
        if name.is_empty() {
            return Err(DnsError::Name(domain.to_owned(), "empty".into()));
        }
        // Fully qualified: one query, no search domains.
        let fqdn = format!("{name}.");
        let lookup = tokio::time::timeout(self.timeout, self.resolver.mx_lookup(fqdn.as_str()))
            .await
            .map_err(|_| DnsError::Timeout(self.timeout))?;
        let lookup = match lookup {
            Ok(lookup) => lookup,
            // The name exists and has no MX records.
            Err(e) if e.is_no_records_found() && !e.is_nx_domain() => return Ok(Vec::new()),
            Err(e) => return Err(DnsError::Lookup(e.to_string())),
        };
        let mut found: Vec<(u16, String)> = lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::MX(mx) => Some((
                    mx.preference,
                    mx.exchange
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase(),
                )),
                _ => None,
            })
            .filter(|(_, host)| !host.is_empty())
            .collect();
        found.sort();
        let mut hosts: Vec<String> = Vec::with_capacity(found.len());
        for (_, host) in found {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        Ok(hosts)
    }
}
