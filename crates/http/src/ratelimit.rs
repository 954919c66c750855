//! Rate limits on the client API, as Mastodon applies them: per access token (or, without one,
//! per client address) in fixed windows, with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset` on every API response and `429` past the limit. Counters live in this
//! process (each web process limits on its own).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
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

/// Fixed-window counters.
#[derive(Debug, Default)]
pub struct Limiter {
    limits: Option<RateLimits>,
    counters: Mutex<HashMap<String, (i64, u32)>>,
}

impl Limiter {
    /// A limiter; `None` disables limits.
    pub fn new(limits: Option<RateLimits>) -> Self {
        Limiter {
            limits,
            counters: Mutex::new(HashMap::new()),
        }
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
        if counters.len() > 100_000 {
            counters.retain(|_, (start, _)| *start >= window);
        }
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

fn bearer_key(req: &Request) -> Option<String> {
    let h = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| format!("t:{}", rookery_service::crypto::sha256_hex(token.trim())))
}

/// Middleware for `/api/` routes.
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limits) = state.limiter.limits else {
        return next.run(req).await;
    };
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let (key, max) = match bearer_key(&req) {
        Some(k) => (k, limits.per_token),
        None => {
            let addr = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
            (format!("a:{addr}"), limits.per_address)
        }
    };
    let now = state.services.clock.now();
    let (limit, remaining, reset, allowed) = state.limiter.hit(key, max, limits.window_ms, now);
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
