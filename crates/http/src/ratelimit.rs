//! Rate limits on the client API, as Mastodon applies them: per access token (or, without a
//! valid one, per client address) in fixed windows, with `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` on every API response and `429` past the
//! limit. Sign-in and sign-up (`/oauth/*`, `/auth/*`, the settings forms) count per address,
//! and failed passwords and second factors also per account. A token counts only
//! once it has been checked (a made-up one is anonymous, so it cannot buy its own allowance);
//! the check is kept for the handler, which does not make it again. Counters live in this
//! process (each web process limits on its own), at most [`MAX_KEYS`] of them.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use rookery_model::Timestamp;

use crate::{ApiError, AppState};

/// Limits per window.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub per_token: u32,
    pub per_address: u32,
    pub window_ms: i64,
}

impl Default for RateLimits {
    /// Mastodon's defaults: 300 requests per token and 7,500 per address in 5 minutes.
    fn default() -> Self {
        RateLimits {
            per_token: 300,
            per_address: 7_500,
            window_ms: 300_000,
        }
    }
}

/// Sign-in and sign-up attempts (the password grant, the sign-in form, `POST /api/v1/accounts`)
/// per address in
/// [`SIGN_IN_WINDOW_MS`] (Mastodon's login throttle).
pub const SIGN_IN_ATTEMPTS: u32 = 25;
pub const SIGN_IN_WINDOW_MS: i64 = 300_000;

/// Counters kept at most; past that (a flood of addresses or tokens in one window), new keys
/// share one counter with the per-address limit.
pub const MAX_KEYS: usize = 100_000;

/// An address block (`10.0.0.0/8`, `::1`), for the proxies whose forwarded addresses are
/// believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// `ADDRESS` or `ADDRESS/PREFIX`; `None` if it is neither.
    pub fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Network { addr, prefix })
    }

    /// Whether `ip` is in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |a: IpAddr| -> (u128, u8) {
            match a {
                IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
                IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let ((net, width), (addr, addr_width)) = (bits(self.addr), bits(ip));
        if width != addr_width {
            return false;
        }
        let shift = u32::from(width - self.prefix);
        let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
        (net & mask) == (addr & mask)
    }
}

/// Proxies believed when none are configured: loopback and private networks, as Rails (and so
/// Mastodon) trusts by default. A proxy elsewhere must be listed in `server.trusted_proxies`.
pub fn default_trusted_proxies() -> Vec<Network> {
    [
        "127.0.0.0/8",
        "::1",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
    ]
    .iter()
    .filter_map(|n| Network::parse(n))
    .collect()
}

/// An address in a forwarding header: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`,
/// `"[2001:db8::1]"`, or a bare IPv6 address.
fn forwarded_ip(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    let v = match v.strip_prefix('[') {
        Some(rest) => rest.split(']').next()?,
        None => v.rsplit_once(':').map_or(v, |(a, _)| a),
    };
    v.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The client's address: the connection's, or, when that is a trusted proxy, the nearest hop
/// of `X-Forwarded-For` (else of `Forwarded: for=`) that is not a trusted proxy. The walk goes
/// from the right (the hops our proxies added) and stops at anything it cannot read, so what a
/// client wrote itself on the left is never taken.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[Network],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let entries = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let mut hops = entries("x-forwarded-for");
    if hops.is_empty() {
        hops = entries("forwarded")
            .iter()
            .flat_map(|h| h.split(';'))
            .filter_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                k.eq_ignore_ascii_case("for").then(|| v.to_owned())
            })
            .collect();
    }
    let mut nearest = peer;
    for raw in hops.iter().rev() {
        let Some(ip) = forwarded_ip(raw) else {
            break;
        };
        nearest = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(nearest)
}

/// The key a client address counts under: IPv6 addresses by their /64 (one subscriber usually
/// has the whole block, as Mastodon counts them).
fn address_key(ip: Option<IpAddr>) -> String {
    match ip {
        None => "a:unknown".to_owned(),
        Some(IpAddr::V4(v4)) => format!("a:{v4}"),
        Some(IpAddr::V6(v6)) => {
            let block = u128::from(v6) & (u128::MAX << 64);
            format!("a:{}/64", std::net::Ipv6Addr::from(block))
        }
    }
}

/// Fixed-window counters.
#[derive(Debug, Default)]
pub struct Limiter {
    limits: Option<RateLimits>,
    counters: Mutex<HashMap<String, (i64, u32)>>,
    trusted: Vec<Network>,
}

impl Limiter {
    /// The proxies whose forwarded addresses are believed.
    pub(crate) fn trusted(&self) -> &[Network] {
        &self.trusted
    }

    /// A limiter; `None` disables limits.
    pub fn new(limits: Option<RateLimits>) -> Self {
        Limiter {
            limits,
            counters: Mutex::new(HashMap::new()),
            trusted: default_trusted_proxies(),
        }
    }

    /// The same, believing the forwarded addresses that these proxies send (instead of the
    /// default loopback and private networks, when any is given).
    pub fn with_trusted_proxies(mut self, trusted: Vec<Network>) -> Self {
        if !trusted.is_empty() {
            self.trusted = trusted;
        }
        self
    }

    /// Whether `key` (an account's passwords or second factors) has had fewer than `limit`
    /// failures in the current window of `window_ms`. Counts nothing: see [`Self::failed`].
    /// (Per process: behind a load balancer each web process keeps its own count.)
    pub(crate) fn allows(&self, key: &str, limit: u32, window_ms: i64, now: Timestamp) -> bool {
        let now_ms = now.as_millis();
        let window_end = now_ms.div_euclid(window_ms) * window_ms + window_ms;
        let counters = match self.counters.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        counters
            .get(key)
            .is_none_or(|(end, used)| *end != window_end || *used < limit)
    }

    /// Records a failure for `key` (see [`Self::allows`]).
    pub(crate) fn failed(&self, key: String, window_ms: i64, now: Timestamp) {
        self.hit(key, u32::MAX, window_ms, now);
    }

    /// Counts a request for `key`; returns (limit, remaining, window end, allowed).
    fn hit(
        &self,
        key: String,
        limit: u32,
        window_ms: i64,
        now: Timestamp,
    ) -> (u32, u32, i64, bool) {
        let now_ms = now.as_millis();
        let window_end = now_ms.div_euclid(window_ms) * window_ms + window_ms;
        let mut counters = match self.counters.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if counters.len() >= MAX_KEYS && !counters.contains_key(&key) {
            // Each counter ends with its own window (limits have windows of their own).
            counters.retain(|_, (end, _)| *end > now_ms);
        }
        let key = if counters.len() >= MAX_KEYS && !counters.contains_key(&key) {
            "overflow".to_owned()
        } else {
            key
        };
        let entry = counters.entry(key).or_insert((window_end, 0));
        if entry.0 != window_end {
            *entry = (window_end, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        let used = entry.1;
        (limit, limit.saturating_sub(used), window_end, used <= limit)
    }
}

/// Whether a request is a sign-in or sign-up attempt, which Mastodon allows 25 of per address
/// in five minutes: the sign-in forms and their second step, the password grant,
/// `POST /api/v1/accounts`, asking for the confirmation mail again, the forms under `/auth/`,
/// and the settings forms that check a password. The grant is read from the (small, bounded) body of `POST /oauth/token`; other grants (apps
/// exchanging codes, refreshing tokens) are not attempts.
async fn sign_in_attempt(req: Request) -> Result<(Request, bool), Response> {
    use axum::http::Method;
    if req.method() != Method::POST {
        return Ok((req, false));
    }
    match req.uri().path() {
        "/oauth/authorize"
        | "/oauth/authorize/two_factor"
        | "/api/v1/accounts"
        | "/api/v1/emails/confirmations"
        | "/settings/password"
        | "/settings/two_factor/disable" => Ok((req, true)),
        // Sign-up, confirmation and password-reset forms.
        path if path.starts_with("/auth/") => Ok((req, true)),
        "/oauth/token" => {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "The request is too large")
                    .into_response()
            })?;
            let form = crate::extract::form_to_json(&bytes);
            let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let grant = |v: &serde_json::Value| {
                v.get("grant_type")
                    .and_then(|g| g.as_str().map(str::to_owned))
            };
            let password = grant(&json).or_else(|| grant(&form)).as_deref() == Some("password");
            Ok((
                Request::from_parts(parts, axum::body::Body::from(bytes)),
                password,
            ))
        }
        _ => Ok((req, false)),
    }
}

/// Middleware for `/api/`, `/oauth/`, `/auth/` and `/settings/` routes.
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limits) = state.limiter.limits else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    let api = path.starts_with("/api/");
    if !(api
        || path.starts_with("/oauth/")
        || path.starts_with("/auth/")
        || path.starts_with("/settings/"))
    {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let mut token_key = None;
    if api && let Some(token) = crate::auth::bearer(&parts) {
        // Checked once here and kept for the handler's `Auth`.
        let auth = match crate::auth::authenticate(&state, &token).await {
            Ok(a) => a,
            Err(e) => return e.into_response(),
        };
        token_key = auth.as_ref().map(|a| format!("t:{}", a.token.id));
        parts.extensions.insert(crate::auth::Auth(auth));
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let address = address_key(client_address(peer, &parts.headers, &state.limiter.trusted));
    let (req, attempt) = match sign_in_attempt(Request::from_parts(parts, body)).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let now = state.services.clock.now();
    let (key, max) = match token_key {
        Some(k) => (k, limits.per_token),
        None => (address.clone(), limits.per_address),
    };
    // Password guessing and mass sign-ups: few per address, with their own headers when refused.
    let mut counted = state.limiter.hit(key, max, limits.window_ms, now);
    if attempt && counted.3 {
        let login = state.limiter.hit(
            format!("login:{address}"),
            SIGN_IN_ATTEMPTS,
            SIGN_IN_WINDOW_MS,
            now,
        );
        if !login.3 {
            counted = login;
        }
    }
    let (limit, remaining, reset, allowed) = counted;
    let mut response = if allowed {
        next.run(req).await
    } else {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests").into_response()
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        (
            "x-ratelimit-reset",
            Timestamp::from_millis(reset).to_rfc3339(),
        ),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}

/// Failed passwords allowed per account (by the login typed) in [`FAILURE_WINDOW_MS`].
const PASSWORD_FAILURES: u32 = 10;
/// Failed second factors allowed per account in [`FAILURE_WINDOW_MS`] (a six-digit code
/// cannot be guessed in so few tries).
const SECOND_FACTOR_FAILURES: u32 = 10;
const FAILURE_WINDOW_MS: i64 = 3600 * 1000;

/// What an account's secrets are guarded against: guessing its password, or its second
/// factor, however many addresses the guesses come from.
pub(crate) enum Guard<'a> {
    /// The login typed (an e-mail address or a username).
    Password(&'a str),
    /// The account whose second factor is being checked.
    SecondFactor(rookery_model::Id),
}

impl Guard<'_> {
    fn key(&self) -> (String, u32) {
        match self {
            Guard::Password(login) => (
                format!("fail:login:{}", login.trim().to_lowercase()),
                PASSWORD_FAILURES,
            ),
            Guard::SecondFactor(id) => (format!("fail:2fa:{id}"), SECOND_FACTOR_FAILURES),
        }
    }

    /// Whether another try is allowed now.
    pub(crate) fn allowed(&self, limiter: &Limiter, now: Timestamp) -> bool {
        let (key, limit) = self.key();
        limiter.allows(&key, limit, FAILURE_WINDOW_MS, now)
    }

    /// Counts a failed try.
    pub(crate) fn failed(&self, limiter: &Limiter, now: Timestamp) {
        limiter.failed(self.key().0, FAILURE_WINDOW_MS, now);
    }
}

/// What a page or API answer says when [`Guard::allowed`] refuses.
pub(crate) const TOO_MANY_FAILURES: &str =
    "Too many failed attempts for this account: try again in an hour.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let trusted: Vec<Network> = ["10.0.0.0/8", "::1"]
            .iter()
            .filter_map(|t| Network::parse(t))
            .collect();
        assert_eq!(trusted.len(), 2);
        assert!(Network::parse("10.0.0.0/33").is_none());
        assert!(Network::parse("nope").is_none());
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let headers = |name: &'static str, value: &str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert(name, value.parse().unwrap());
            h
        };
        let h = headers("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.1.2.3");
        // From a trusted proxy: the nearest untrusted hop (a client cannot forge past it).
        assert_eq!(
            client_address(Some(ip("10.9.9.9")), &h, &trusted),
            Some(ip("203.0.113.9"))
        );
        // From anyone else: the connection's own address.
        assert_eq!(
            client_address(Some(ip("198.51.100.1")), &h, &trusted),
            Some(ip("198.51.100.1"))
        );
        // A hop with a port is read; one that cannot be read stops the walk there, so the
        // client's own left-hand entry is never taken.
        let h = headers("x-forwarded-for", "6.6.6.6, garbage, 203.0.113.9:4711");
        assert_eq!(
            client_address(Some(ip("10.9.9.9")), &h, &trusted),
            Some(ip("203.0.113.9"))
        );
        let h = headers("x-forwarded-for", "6.6.6.6, garbage, 10.0.0.5");
        assert_eq!(
            client_address(Some(ip("10.9.9.9")), &h, &trusted),
            Some(ip("10.0.0.5"))
        );
        let f = headers("forwarded", "for=\"[2001:db8::7]:4711\";proto=https");
        assert_eq!(
            client_address(Some(ip("::1")), &f, &trusted),
            Some(ip("2001:db8::7"))
        );
        let f = headers("forwarded", "for=192.0.2.60;proto=http");
        assert_eq!(
            client_address(Some(ip("::1")), &f, &trusted),
            Some(ip("192.0.2.60"))
        );
        // Nothing forwarded: the proxy's own address.
        let none = axum::http::HeaderMap::new();
        assert_eq!(
            client_address(Some(ip("::1")), &none, &trusted),
            Some(ip("::1"))
        );
        // An IPv4 peer seen through an IPv6 socket is still the IPv4 proxy.
        let h = headers("x-forwarded-for", "203.0.113.9");
        assert_eq!(
            client_address(Some(ip("::ffff:10.1.1.1")), &h, &trusted),
            Some(ip("203.0.113.9"))
        );
        assert!(Network::parse("0.0.0.0/0").is_some_and(|n| n.contains(ip("8.8.8.8"))));
        assert!(!Network::parse("::/0").is_some_and(|n| n.contains(ip("8.8.8.8"))));
        // Loopback and private networks are believed by default.
        let defaults = default_trusted_proxies();
        assert!(defaults.iter().any(|n| n.contains(ip("127.0.0.1"))));
        assert!(defaults.iter().any(|n| n.contains(ip("192.168.1.2"))));
        assert!(!defaults.iter().any(|n| n.contains(ip("8.8.8.8"))));
        // IPv6 clients count by their /64.
        assert_eq!(
            address_key(Some(ip("2001:db8:1:2:aaaa::1"))),
            address_key(Some(ip("2001:db8:1:2:bbbb::9")))
        );
        assert_ne!(
            address_key(Some(ip("2001:db8:1:2::1"))),
            address_key(Some(ip("2001:db8:1:3::1")))
        );
    }

    #[test]
    fn the_table_is_bounded() {
        let limiter = Limiter::new(Some(RateLimits::default()));
        let now = Timestamp::from_millis(1_000_000);
        for i in 0..MAX_KEYS {
            limiter.hit(format!("a:{i}"), 1, 300_000, now);
        }
        // Past the bound, new keys share one counter: a second newcomer finds it spent.
        assert!(limiter.hit("a:new".into(), 1, 300_000, now).3);
        assert!(!limiter.hit("a:newer".into(), 1, 300_000, now).3);
        // Known keys keep their own.
        assert!(!limiter.hit("a:7".into(), 1, 300_000, now).3);
        let size = limiter.counters.lock().map(|c| c.len()).unwrap_or(0);
        assert!(size <= MAX_KEYS + 1, "{size}");
        // A new window frees the table.
        let later = Timestamp::from_millis(now.as_millis() + 300_000);
        assert!(limiter.hit("a:fresh".into(), 1, 300_000, later).3);
        let size = limiter.counters.lock().map(|c| c.len()).unwrap_or(0);
        assert!(size < 10, "{size}");
    }
}
