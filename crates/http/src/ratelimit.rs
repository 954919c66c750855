//! Rate limits on the client API, as Mastodon applies them: per access token (or, without a
//! valid one, per client address) in fixed windows, with `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` on every API response and `429` past the
//! limit. Sign-in and sign-up (`/oauth/*`, `/auth/*`) count per address. A token counts only
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

/// Sign-in attempts (`POST /oauth/token`, the sign-in form) per address in
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

/// The client's address: the connection's, or, when that is a trusted proxy, the nearest
/// address in `X-Forwarded-For` (else `Forwarded: for=`) that is not one.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[Network],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let value = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .collect()
    };
    let mut hops: Vec<IpAddr> = value("x-forwarded-for")
        .iter()
        .filter_map(|h| h.parse().ok())
        .collect();
    if hops.is_empty() {
        hops = value("forwarded")
            .iter()
            .flat_map(|h| h.split(';'))
            .filter_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                if !k.eq_ignore_ascii_case("for") {
                    return None;
                }
                let v = v.trim_matches('"');
                let v = v
                    .strip_prefix('[')
                    .map_or(v, |r| r.split(']').next().unwrap_or(r));
                v.parse()
                    .ok()
                    .or_else(|| v.rsplit_once(':').and_then(|(a, _)| a.parse().ok()))
            })
            .collect();
    }
    hops.iter()
        .rev()
        .copied()
        .find(|ip| !is_trusted(*ip))
        .or(hops.first().copied())
        .or(Some(peer))
}

/// Fixed-window counters.
#[derive(Debug, Default)]
pub struct Limiter {
    limits: Option<RateLimits>,
    counters: Mutex<HashMap<String, (i64, u32)>>,
    trusted: Vec<Network>,
}

impl Limiter {
    /// A limiter; `None` disables limits.
    pub fn new(limits: Option<RateLimits>) -> Self {
        Limiter {
            limits,
            counters: Mutex::new(HashMap::new()),
            trusted: Vec::new(),
        }
    }

    /// The same, believing the forwarded addresses that these proxies send.
    pub fn with_trusted_proxies(mut self, trusted: Vec<Network>) -> Self {
        self.trusted = trusted;
        self
    }

    /// Counts a request for `key`; returns (limit, remaining, window end, allowed).
    fn hit(
        &self,
        key: String,
        limit: u32,
        window_ms: i64,
        now: Timestamp,
    ) -> (u32, u32, i64, bool) {
        let window = now.as_millis().div_euclid(window_ms) * window_ms;
        let mut counters = match self.counters.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if counters.len() >= MAX_KEYS && !counters.contains_key(&key) {
            counters.retain(|_, (start, _)| *start >= window);
        }
        let key = if counters.len() >= MAX_KEYS && !counters.contains_key(&key) {
            "overflow".to_owned()
        } else {
            key
        };
        let entry = counters.entry(key).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        let used = entry.1;
        (
            limit,
            limit.saturating_sub(used),
            window + window_ms,
            used <= limit,
        )
    }
}

/// Middleware for `/api/`, `/oauth/` and `/auth/` routes.
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limits) = state.limiter.limits else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    let api = path.starts_with("/api/");
    if !(api || path.starts_with("/oauth/") || path.starts_with("/auth/")) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let mut token_key = None;
    if api && let Some(token) = crate::auth::bearer(&parts) {
        // Checked once here and kept for the handler's `Auth`.
        let auth = match state.services.authenticate(&token).await {
            Ok(a) => a,
            Err(e) => return ApiError::from(e).into_response(),
        };
        token_key = auth.as_ref().map(|a| format!("t:{}", a.token.id));
        parts.extensions.insert(crate::auth::Auth(auth));
    }
    let req = Request::from_parts(parts, body);
    let (key, max) = match token_key {
        Some(k) => (k, limits.per_token),
        None => {
            let peer = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip());
            let addr = client_address(peer, req.headers(), &state.limiter.trusted)
                .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
            (format!("a:{addr}"), limits.per_address)
        }
    };
    let now = state.services.clock.now();
    // Password guessing: sign-in posts from one address are few, as Mastodon allows them.
    let sign_in = req.method() == axum::http::Method::POST
        && matches!(req.uri().path(), "/oauth/token" | "/oauth/authorize");
    let login_ok = !sign_in || {
        let login_key = format!("login:{}", key.strip_prefix("a:").unwrap_or(&key));
        state
            .limiter
            .hit(login_key, SIGN_IN_ATTEMPTS, SIGN_IN_WINDOW_MS, now)
            .3
    };
    let (limit, remaining, reset, allowed) = state.limiter.hit(key, max, limits.window_ms, now);
    let mut response = if allowed && login_ok {
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
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.9, 10.1.2.3".parse().unwrap(),
        );
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
        let mut f = axum::http::HeaderMap::new();
        f.insert(
            "forwarded",
            "for=\"[2001:db8::7]:4711\";proto=https".parse().unwrap(),
        );
        assert_eq!(
            client_address(Some(ip("::1")), &f, &trusted),
            Some(ip("2001:db8::7"))
        );
        f.insert("forwarded", "for=192.0.2.60;proto=http".parse().unwrap());
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
        assert!(Network::parse("0.0.0.0/0").is_some_and(|n| n.contains(ip("8.8.8.8"))));
        assert!(!Network::parse("::/0").is_some_and(|n| n.contains(ip("8.8.8.8"))));
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
