//! Mastodon's streaming API: WebSocket (`GET /api/v1/streaming`, several streams per
//! connection) and server-sent events (`GET /api/v1/streaming/<stream>`), fed by the event bus.
//!
//! Each connection subscribes to the bus channels of its streams and filters every event for
//! its user exactly as the REST timelines do (blocks and mutes both ways; notification mutes
//! for notifications). A connection that falls further behind than its channel buffers is
//! disconnected; it never slows the others. On shutdown every connection is closed cleanly.

mod conn;
mod metrics;
mod spec;
mod sse;
mod ws;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rookery_model::Id;
use rookery_service::Authenticated;
use tokio::sync::watch;

pub use metrics::StreamingMetrics;
use spec::{Spec, StreamError};

use crate::AppState;

/// Limits of the streaming API.
#[derive(Debug, Clone, Copy)]
pub struct StreamingLimits {
    /// Open streaming connections one access token may hold.
    pub connections_per_token: usize,
    /// Seconds between heartbeats (SSE comments, WebSocket pings).
    pub heartbeat: Duration,
    /// Largest WebSocket message a client may send.
    pub max_message_bytes: usize,
    /// Streams one WebSocket connection may subscribe to.
    pub subscriptions_per_connection: usize,
    /// Open streaming connections without a token from one client address.
    pub anonymous_per_address: usize,
    /// Messages waiting to be written to one client; a client that lets more pile up is
    /// disconnected.
    pub buffer: usize,
}

impl Default for StreamingLimits {
    fn default() -> Self {
        StreamingLimits {
            connections_per_token: 32,
            heartbeat: Duration::from_secs(15),
            max_message_bytes: 16 * 1024,
            subscriptions_per_connection: 64,
            anonymous_per_address: 64,
            buffer: rookery_events::DEFAULT_CAPACITY,
        }
    }
}

/// Shared state of the streaming endpoints in one process.
pub struct Streaming {
    pub limits: StreamingLimits,
    pub metrics: StreamingMetrics,
    per_token: Mutex<HashMap<Holder, usize>>,
    closing: watch::Sender<bool>,
    /// Open connections (to let them finish their goodbyes on shutdown).
    open: watch::Sender<usize>,
}

impl std::fmt::Debug for Streaming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streaming")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Streaming {
    /// Streaming state with `limits`, its metrics registered in `registry`.
    pub fn new(
        limits: StreamingLimits,
        registry: &mut prometheus_client::registry::Registry,
    ) -> Self {
        Streaming {
            limits,
            metrics: StreamingMetrics::new(registry),
            per_token: Mutex::new(HashMap::new()),
            closing: watch::channel(false).0,
            open: watch::channel(0).0,
        }
    }

    /// Closes every streaming connection (on shutdown): WebSockets get a `1001 going away`
    /// close frame, event streams end.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// After [`Streaming::close_all`]: waits until every connection has finished (WebSocket
    /// close frames written), at most `limit`.
    pub async fn wait_closed(&self, limit: std::time::Duration) {
        let mut open = self.open.subscribe();
        let _ = tokio::time::timeout(limit, open.wait_for(|n| *n == 0)).await;
    }

    pub(crate) fn opened(&self) {
        self.open.send_modify(|n| *n += 1);
    }

    pub(crate) fn finished(&self) {
        self.open.send_modify(|n| *n = n.saturating_sub(1));
    }

    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Counts a connection against its holder's limit (its token's, or for connections
    /// without a token their address's); `None` when the limit is reached.
    fn admit(self: &std::sync::Arc<Self>, token: Holder) -> Option<TokenSlot> {
        let limit = match token {
            Holder::Token(_) => self.limits.connections_per_token,
            Holder::Address(_) => self.limits.anonymous_per_address,
        };
        let mut map = self
            .per_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(token).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(TokenSlot {
            streaming: self.clone(),
            token,
        })
    }

    fn release(&self, token: Holder) {
        let mut map = self
            .per_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&token) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&token);
            }
        }
    }
}

/// A token's place among its connections; freed on drop.
struct TokenSlot {
    streaming: std::sync::Arc<Streaming>,
    token: Holder,
}

/// The holder already has as many streaming connections as allowed (answered with 429).
pub(crate) struct LimitReached;

/// Whom a streaming connection counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Holder {
    Token(Id),
    Address(std::net::IpAddr),
}

/// Admits a connection: by token when it has one, else by client address (connections
/// without a peer address — in-process tests — are not limited).
fn admit(
    streaming: &std::sync::Arc<Streaming>,
    auth: Option<&Authenticated>,
    parts: &Parts,
) -> Result<Option<TokenSlot>, LimitReached> {
    let holder = match auth {
        Some(a) => Holder::Token(a.token.id),
        None => match parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        {
            Some(info) => Holder::Address(info.0.ip()),
            None => return Ok(None),
        },
    };
    streaming.admit(holder).map(Some).ok_or(LimitReached)
}

impl Drop for TokenSlot {
    fn drop(&mut self) {
        self.streaming.release(self.token);
    }
}

/// The streaming routes (for `serve` and `streaming` processes).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/streaming", get(root))
        .route("/api/v1/streaming/", get(root))
        .route("/api/v1/streaming/health", get(health))
        .route("/api/v1/streaming/{*stream}", get(sse::by_path))
}

/// `GET /api/v1/streaming/health`.
async fn health() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "OK")
}

/// `GET /api/v1/streaming`: a WebSocket upgrade, or server-sent events for `?stream=`.
async fn root(State(state): State<AppState>, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let upgrade = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => ws::upgrade(state, parts, upgrade).await,
            Err(e) => e.into_response(),
        }
    } else {
        sse::by_query(state, parts).await
    }
}

/// The request's access token: `Authorization: Bearer`, `access_token` query parameter, or
/// (WebSocket, as masto.js sends it) `Sec-WebSocket-Protocol`.
fn token_of(parts: &Parts) -> Option<String> {
    crate::auth::bearer(parts).or_else(|| protocol_token(&parts.headers))
}

fn protocol_token(headers: &HeaderMap) -> Option<String> {
    let h = headers.get(header::SEC_WEBSOCKET_PROTOCOL)?.to_str().ok()?;
    h.split(',')
        .map(str::trim)
        .find(|p| !p.is_empty())
        .map(str::to_owned)
}

fn query_param(parts: &Parts, name: &str) -> Option<String> {
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Resolves the token, if any. A token that was given but is not valid is refused (unlike the
/// REST API, where it makes the request anonymous), as Mastodon's streaming server does.
async fn authenticate(
    state: &AppState,
    token: Option<&str>,
) -> Result<Option<Authenticated>, StreamError> {
    let Some(token) = token else {
        return Ok(None);
    };
    match state.services.authenticate(token).await {
        Ok(Some(a)) if a.user.as_ref().is_none_or(|u| u.user.approved) => Ok(Some(a)),
        Ok(_) => Err(StreamError::BAD_TOKEN),
        Err(e) => {
            tracing::warn!(error = %e, "streaming: cannot check a token");
            Err(StreamError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "Service unavailable",
            })
        }
    }
}

/// Whether `auth` may open `spec` (a list stream: only its owner).
async fn authorize(
    state: &AppState,
    spec: &Spec,
    auth: Option<&Authenticated>,
) -> Result<(), StreamError> {
    let Some(scope) = spec.required_scope() else {
        return Ok(());
    };
    let auth = auth.ok_or(StreamError::NO_TOKEN)?;
    let Some(user) = auth.user.as_ref() else {
        return Err(StreamError::NO_TOKEN);
    };
    if !(auth.token.scopes.allows(scope) || auth.token.scopes.allows("read")) {
        return Err(StreamError::SCOPE);
    }
    if let spec::Kind::List(id) = spec.kind {
        match state.services.lists().show(user, id).await {
            Ok(_) => {}
            Err(rookery_service::ServiceError::NotFound(_)) => return Err(StreamError::NO_LIST),
            Err(e) => {
                tracing::warn!(error = %e, "streaming: cannot check a list");
                return Err(StreamError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message: "Service unavailable",
                });
            }
        }
    }
    Ok(())
}

fn error_response(e: &StreamError) -> Response {
    (
        e.status,
        axum::Json(serde_json::json!({ "error": e.message })),
    )
        .into_response()
}

fn too_many() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(serde_json::json!({
            "error": "Too many streaming connections for this access token or address"
        })),
    )
        .into_response()
}
