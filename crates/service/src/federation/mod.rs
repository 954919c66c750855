//! Federation: how Rookery talks ActivityPub with other servers.
//!
//! - [`Transport`] is the HTTP client, injected by the binary (it lives outside this crate so
//!   the use cases stay free of HTTP libraries; the real one refuses private addresses).
//! - `signing`: HTTP signatures on what we send, checks on what we receive.
//! - `actors`: remote accounts — WebFinger, actor documents, keys, refreshes.
//! - `instance_actor`: the server's own actor, which signs fetches.
//! - `inbox`: verifying an inbox POST and queueing it (`ingress` queue).
//! - `ingress`: what each received activity does.
//! - `delivery`: building our activities and delivering them (`push` queue).
//! - `polls`, `featured_tags`: what those areas exchange with other servers.

mod actors;
mod collections;
mod counts;
mod delivery;
mod featured_posts;
mod featured_tags;
mod flags;
mod inbox;
mod ingress;
mod instance_actor;
mod moves;
mod polls;
mod posts;
mod quotes;
mod replies;
mod signing;
mod threads;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rookery_activitypub::keys::KeyPair;
use rookery_model::Id;

pub use actors::{RefreshActor, ResolveError};
pub use counts::SyncCounts;
pub(crate) use delivery::Outgoing;
pub use delivery::{Deliver, Federate};
pub use featured_posts::SyncFeatured;
pub use featured_tags::SyncFeaturedTags;
pub use inbox::{Accepted, InboundRequest, InboxError};
pub use ingress::Ingress;
pub use instance_actor::INSTANCE_ACTOR_COLLECTIONS;
pub(crate) use polls::Ballot;
pub use polls::PollUpdate;
pub use quotes::VerifyQuote;
pub use replies::FetchReplies;
pub(crate) use replies::replies_collection;
pub use rookery_activitypub::sanitize::sanitize_html;
pub use signing::RequestParts;
pub use threads::{FetchParent, MAX_ANCESTORS};

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// The URL after redirects.
    pub url: String,
    pub content_type: Option<String>,
    /// A redirect's target (from [`Transport::get_hop`]).
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// Why a request went nowhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The address is private, loopback, link-local… and not allowed by configuration.
    #[error("refused: {0}")]
    Refused(String),
    /// The response was larger than the limit.
    #[error("response too large")]
    TooLarge,
    /// Connection, TLS, timeout, malformed URL.
    #[error("{0}")]
    Failed(String),
    /// This process already has as many requests in flight to the host as it allows.
    #[error("too many requests in flight to {0}")]
    Busy(String),
}

/// The HTTP client federation uses.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// `GET url` with `headers`.
    async fn get(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<HttpResponse, TransportError>;

    /// `GET url` with `headers` without following a redirect (a signature is for one URL: the
    /// caller signs again for the next). Implementations may bound how many of these are in
    /// flight to one host.
    async fn get_hop(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<HttpResponse, TransportError> {
        self.get(url, headers).await
    }

    /// `GET url` of a media file: unsigned, up to `max_bytes` (a larger body is
    /// [`TransportError::TooLarge`]).
    async fn get_media(&self, url: &str, max_bytes: u64) -> Result<HttpResponse, TransportError> {
        let r = self.get(url, &[]).await?;
        if r.body.len() as u64 > max_bytes {
            return Err(TransportError::TooLarge);
        }
        Ok(r)
    }

    /// `POST url` with `headers` and `body`.
    async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Result<HttpResponse, TransportError>;
}

/// The transport when none is configured (unit tests, tools): every request fails.
#[derive(Debug, Default)]
pub struct NoTransport;

#[async_trait]
impl Transport for NoTransport {
    async fn get(&self, _: &str, _: &[(String, String)]) -> Result<HttpResponse, TransportError> {
        Err(TransportError::Failed(
            "federation has no HTTP client".into(),
        ))
    }
    async fn post(
        &self,
        _: &str,
        _: &[(String, String)],
        _: Vec<u8>,
    ) -> Result<HttpResponse, TransportError> {
        Err(TransportError::Failed(
            "federation has no HTTP client".into(),
        ))
    }
}

/// The outcomes of an inbox request, as `/metrics` labels them.
pub const INBOX_OUTCOMES: [&str; 8] = [
    "accepted",
    "dropped",
    "unauthorized",
    "invalid",
    "no_inbox",
    "too_large",
    "key_unavailable",
    "unavailable",
];

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct FederationCounters {
    /// Inbox requests by outcome, in the order of [`INBOX_OUTCOMES`]: queued, dropped (blocked
    /// domain, repeat), refused for their signature, malformed, no such inbox, too large,
    /// the signer's key not fetchable right now (503), our database unreachable (503).
    pub inbox: [AtomicU64; INBOX_OUTCOMES.len()],
    /// Deliveries answered 2xx.
    pub delivered: AtomicU64,
    /// Deliveries that failed and will be retried.
    pub delivery_failed: AtomicU64,
    /// Deliveries given up (refused by the peer, or the address is not allowed).
    pub delivery_refused: AtomicU64,
    /// Deliveries skipped because the host is marked unavailable.
    pub delivery_skipped: AtomicU64,
    /// Remote documents fetched (actors, objects, WebFinger).
    pub fetches: AtomicU64,
    /// Fetches that failed.
    pub fetch_failures: AtomicU64,
    /// Signatures verified, by scheme.
    pub verified_cavage: AtomicU64,
    pub verified_rfc9421: AtomicU64,
    /// Signers' keys fetched again after a signature did not match them.
    pub key_refetches: AtomicU64,
    /// … and not fetched again, because the same actor's key was fetched again moments ago.
    pub key_refetches_skipped: AtomicU64,
    /// Requests signed again with the other scheme after a 401 (double knock).
    pub second_knocks: AtomicU64,
    /// Activities received, by type and what became of them (see [`ActivityOutcome`]).
    activities: Mutex<HashMap<(String, ActivityOutcome), u64>>,
}

/// What became of a received activity, for `rookery_federation_activities_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActivityOutcome {
    /// Applied (whatever it changed).
    Processed,
    /// A type Rookery reads but does not act on (`Move`, `EmojiReact`, …).
    Ignored,
    /// A type Rookery does not know: accepted from a valid signer and dropped.
    Unknown,
}

impl ActivityOutcome {
    pub fn label(self) -> &'static str {
        match self {
            ActivityOutcome::Processed => "processed",
            ActivityOutcome::Ignored => "ignored",
            ActivityOutcome::Unknown => "unknown",
        }
    }
}

/// Distinct activity type names counted before the rest are counted as `other` (peers choose
/// the names; the metric must stay small).
const MAX_ACTIVITY_TYPES: usize = 64;

impl FederationCounters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one received activity of type `kind`.
    pub(crate) fn activity(&self, kind: &str, outcome: ActivityOutcome) {
        let Ok(mut counts) = self.activities.lock() else {
            return;
        };
        let plain = !kind.is_empty()
            && kind.len() <= 40
            && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let known = counts.keys().any(|(k, _)| k == kind);
        let distinct = || {
            let mut names: Vec<&String> = counts.keys().map(|(k, _)| k).collect();
            names.sort();
            names.dedup();
            names.len()
        };
        let name = if plain && (known || distinct() < MAX_ACTIVITY_TYPES) {
            kind.to_owned()
        } else {
            "other".to_owned()
        };
        *counts.entry((name, outcome)).or_default() += 1;
    }

    /// `(type, outcome, count)` of the activities received so far, sorted.
    pub fn activities(&self) -> Vec<(String, &'static str, u64)> {
        let mut out: Vec<_> = self
            .activities
            .lock()
            .map(|c| {
                c.iter()
                    .map(|((k, o), n)| (k.clone(), o.label(), *n))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Counts one inbox request with `outcome` (one of [`INBOX_OUTCOMES`]).
    pub(crate) fn inbox(&self, outcome: &str) {
        if let Some(i) = INBOX_OUTCOMES.iter().position(|o| *o == outcome) {
            Self::bump(&self.inbox[i]);
        }
    }

    /// Inbox requests counted with `outcome` so far (0 for an unknown outcome).
    pub fn inbox_count(&self, outcome: &str) -> u64 {
        INBOX_OUTCOMES
            .iter()
            .position(|o| *o == outcome)
            .map_or(0, |i| self.inbox[i].load(Ordering::Relaxed))
    }

    /// `(name, value)` pairs, for exporting.
    pub fn snapshot(&self) -> Vec<(&'static str, &'static str, u64)> {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out: Vec<_> = INBOX_OUTCOMES
            .iter()
            .zip(&self.inbox)
            .map(|(o, c)| ("inbox", *o, get(c)))
            .collect();
        out.extend([
            ("delivery", "delivered", get(&self.delivered)),
            ("delivery", "failed", get(&self.delivery_failed)),
            ("delivery", "refused", get(&self.delivery_refused)),
            (
                "delivery",
                "skipped_unavailable",
                get(&self.delivery_skipped),
            ),
            ("fetch", "ok", get(&self.fetches)),
            ("fetch", "failed", get(&self.fetch_failures)),
            ("signature", "cavage", get(&self.verified_cavage)),
            ("signature", "rfc9421", get(&self.verified_rfc9421)),
            ("key_refetch", "done", get(&self.key_refetches)),
            ("key_refetch", "skipped", get(&self.key_refetches_skipped)),
            ("signing", "second_knock", get(&self.second_knocks)),
        ]);
        out
    }
}

/// How often one actor's key may be fetched again because a signature did not match it.
pub(crate) const KEY_REFETCH_INTERVAL_MS: i64 = 5 * 60 * 1000;

/// Federation state shared by every clone of `Services`.
pub(crate) struct FederationState {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) counters: Arc<FederationCounters>,
    /// Parsed private keys of local accounts (parsing a PEM costs more than signing).
    pub(crate) keys: Mutex<HashMap<Id, Arc<KeyPair>>>,
    /// The instance actor's key, once loaded.
    pub(crate) instance_key: Mutex<Option<Arc<KeyPair>>>,
    /// Hosts this process delivered to successfully, and when it last wrote that down (a
    /// success is written at most once a minute per host, not per delivery; other processes'
    /// failures are corrected within that minute).
    pub(crate) healthy_hosts: Mutex<HashMap<String, rookery_model::Timestamp>>,
    /// Hosts that refused our default signature scheme and took the other one.
    pub(crate) signature_schemes: Mutex<HashMap<String, signing::SignatureScheme>>,
    /// Actors whose key was fetched again after a signature failed to match, and when: at
    /// most once per [`KEY_REFETCH_INTERVAL_MS`] each, so junk signed in a real actor's name
    /// cannot make us hammer its server.
    pub(crate) key_refetches: Mutex<HashMap<String, rookery_model::Timestamp>>,
    /// Remote posts whose replies this process queued for reading, and when.
    pub(crate) replies_read: Mutex<replies::RepliesRead>,
    /// The domain blocks, and when they were read.
    #[allow(clippy::type_complexity)]
    pub(crate) domain_blocks: Mutex<
        Option<(
            rookery_model::Timestamp,
            Arc<Vec<rookery_model::DomainBlock>>,
        )>,
    >,
    /// IP blocks and allowed domains, and when they were read.
    pub(crate) server_policy: Mutex<
        Option<(
            rookery_model::Timestamp,
            Arc<crate::moderation::ip_blocks::PolicySnapshot>,
        )>,
    >,
}

impl FederationState {
    pub(crate) fn new(transport: Arc<dyn Transport>) -> Self {
        FederationState {
            transport,
            counters: Arc::new(FederationCounters::default()),
            keys: Mutex::new(HashMap::new()),
            instance_key: Mutex::new(None),
            healthy_hosts: Mutex::new(HashMap::new()),
            replies_read: Mutex::new(HashMap::new()),
            signature_schemes: Mutex::new(HashMap::new()),
            key_refetches: Mutex::new(HashMap::new()),
            domain_blocks: Mutex::new(None),
            server_policy: Mutex::new(None),
        }
    }
}

/// The host (with port, if any) of a URL, lower-cased; `None` for anything that is not an
/// absolute http(s) URL.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(authority.to_ascii_lowercase())
}

pub(crate) use rookery_activitypub::is_public;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://A.example/users/x").as_deref(),
            Some("a.example")
        );
        assert_eq!(
            host_of("http://127.0.0.1:8080/inbox").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(host_of("https://a.example").as_deref(), Some("a.example"));
        assert_eq!(host_of("https://u@evil/x"), None);
        assert_eq!(host_of("ftp://a/x"), None);
        assert_eq!(host_of("https:///x"), None);
    }
}
