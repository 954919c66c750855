//! `[federation]`: how this instance talks to others.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

/// `[federation]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    /// Let outgoing requests reach loopback, private and link-local addresses (tests, or
    /// instances federating on a private network). Off: such addresses are refused after DNS
    /// resolution and on every redirect.
    pub allow_private_addresses: bool,
    /// Individual private addresses allowed even when the above is off.
    pub allowed_addresses: Vec<String>,
    /// Try `http://` for WebFinger when `https://` fails (test setups only).
    pub allow_http: bool,
    /// Serve ActivityPub documents only to requests with a valid HTTP signature.
    pub authorized_fetch: bool,
    /// A PEM file of extra CA certificates outgoing requests trust (self-signed peers).
    pub extra_ca_file: Option<PathBuf>,
    /// How far a signed request's `Date` may be from our clock.
    pub max_clock_skew_secs: i64,
    /// Largest inbox body accepted (at most 1 MiB, the server's request limit).
    pub inbox_max_bytes: usize,
    /// Remote actors are fetched again when their copy is older than this.
    pub actor_refresh_secs: i64,
    /// Time limit of one outgoing request.
    pub request_timeout_secs: u64,
    /// Largest response body read from another server.
    pub max_response_bytes: usize,
    /// Deliveries in flight to one host from this process; more wait their turn in the queue.
    pub per_host_concurrency: usize,
    /// A host whose deliveries fail for this long is marked unavailable…
    pub unavailable_after_secs: i64,
    /// …and skipped for this long, or until a request from it arrives.
    pub unavailable_for_secs: i64,
    /// Allow-list mode: federate only with the domains moderators allowed (the admin API's
    /// domain allows); every other server is treated as suspended.
    pub limited_federation: bool,
}

impl Default for FederationConfig {
    fn default() -> Self {
        let s = rookery_service::FederationSettings::default();
        FederationConfig {
            allow_private_addresses: false,
            allowed_addresses: Vec::new(),
            allow_http: s.allow_http,
            authorized_fetch: s.authorized_fetch,
            extra_ca_file: None,
            max_clock_skew_secs: s.max_clock_skew_secs,
            inbox_max_bytes: s.inbox_max_bytes,
            actor_refresh_secs: s.actor_refresh_secs,
            request_timeout_secs: 10,
            max_response_bytes: 2 * 1024 * 1024,
            per_host_concurrency: 4,
            unavailable_after_secs: s.unavailable_after_secs,
            unavailable_for_secs: s.unavailable_for_secs,
            limited_federation: s.limited_federation,
        }
    }
}

/// What the outgoing HTTP client needs.
#[derive(Debug, Clone)]
pub struct TransportSettings {
    pub fetch: rookery_fetch::FetchOptions,
    pub per_host_concurrency: usize,
}

pub(super) fn resolve(
    c: &FederationConfig,
    settings: &mut rookery_service::FederationSettings,
) -> Result<TransportSettings, ConfigError> {
    let positive = |name: &str, v: i64| {
        if v < 1 {
            Err(ConfigError::new(
                format!("federation.{name}"),
                "must be at least 1",
            ))
        } else {
            Ok(())
        }
    };
    positive("max_clock_skew_secs", c.max_clock_skew_secs)?;
    positive("actor_refresh_secs", c.actor_refresh_secs)?;
    positive("unavailable_after_secs", c.unavailable_after_secs)?;
    positive("unavailable_for_secs", c.unavailable_for_secs)?;
    if c.inbox_max_bytes < 1024 || c.inbox_max_bytes > rookery_http::DEFAULT_BODY_LIMIT {
        return Err(ConfigError::new(
            "federation.inbox_max_bytes",
            format!(
                "must be between 1024 and {}",
                rookery_http::DEFAULT_BODY_LIMIT
            ),
        ));
    }
    if c.request_timeout_secs == 0 || c.max_response_bytes < 1024 || c.per_host_concurrency == 0 {
        return Err(ConfigError::new(
            "federation",
            "request_timeout_secs, per_host_concurrency must be at least 1 and max_response_bytes at least 1024",
        ));
    }
    let allowed_addresses = c
        .allowed_addresses
        .iter()
        .map(|a| {
            a.parse::<IpAddr>().map_err(|_| {
                ConfigError::new(
                    "federation.allowed_addresses",
                    format!("{a:?} is not an IP address"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(ca) = &c.extra_ca_file
        && !ca.is_file()
    {
        return Err(ConfigError::new(
            "federation.extra_ca_file",
            format!("{} is not a readable file", ca.display()),
        ));
    }
    settings.allow_http = c.allow_http;
    settings.authorized_fetch = c.authorized_fetch;
    settings.max_clock_skew_secs = c.max_clock_skew_secs;
    settings.inbox_max_bytes = c.inbox_max_bytes;
    settings.actor_refresh_secs = c.actor_refresh_secs;
    settings.unavailable_after_secs = c.unavailable_after_secs;
    settings.unavailable_for_secs = c.unavailable_for_secs;
    settings.limited_federation = c.limited_federation;
    Ok(TransportSettings {
        fetch: rookery_fetch::FetchOptions {
            allow_private_addresses: c.allow_private_addresses,
            allowed_addresses,
            timeout: Duration::from_secs(c.request_timeout_secs),
            max_body: c.max_response_bytes,
            max_redirects: 3,
            extra_ca: c.extra_ca_file.clone(),
            // Filled in with the instance's URL by the caller.
            user_agent: format!("Rookery/{}", rookery_service::VERSION),
        },
        per_host_concurrency: c.per_host_concurrency,
    })
}
