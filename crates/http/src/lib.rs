//! Rookery's HTTP surface: the Mastodon client API, ActivityPub and discovery endpoints,
//! HTML pages, and the operational endpoints (`/health`, `/ready`, `/metrics`).
//!
//! Handlers are thin: they parse, call one use case on [`rookery_service::Services`], and
//! render. Errors become responses only here ([`error::ApiError`]).

pub mod auth;
mod error;
pub mod extract;
mod forms;
mod ip_access;
mod metrics;
mod pages;
pub mod paging;
pub mod ratelimit;
mod routes;
pub mod streaming;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Method, StatusCode, header};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

use rookery_service::{LagCheck, Services};

pub use error::ApiError;
pub use metrics::Metrics;
pub use streaming::{Streaming, StreamingLimits};

/// Largest request body accepted by default (media uploads will raise it per route).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub metrics: Arc<Metrics>,
    /// For processes that run queues: `/ready` also checks their lag.
    pub lag: Option<Arc<LagCheck>>,
    /// Client API rate limits.
    pub limiter: Arc<ratelimit::Limiter>,
    /// The streaming API's limits, connections and metrics.
    pub streaming: Arc<Streaming>,
}

/// `/health`, `/ready` and `/metrics` alone: the admin port of `worker` and `scheduler`
/// processes.
pub fn ops_router(state: AppState) -> Router {
    routes::ops()
        .fallback(routes::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// The routes of the `web` role: everything but the streaming API.
pub fn web_router(state: AppState) -> Router {
    finish(web_routes(&state), state)
}

/// The client API and ActivityPub routes (each group with its body limit), plus local media
/// files when media is on this machine's disk.
fn web_routes(state: &AppState) -> Router<AppState> {
    let media = &state.services.settings.media;
    // Multipart framing and the text fields around the file.
    let upload_limit = usize::try_from(media.video_max_bytes.max(media.image_max_bytes))
        .unwrap_or(usize::MAX)
        .saturating_add(1024 * 1024);
    let mut router = limited(
        routes::router()
            .layer(RequestBodyLimitLayer::new(DEFAULT_BODY_LIMIT))
            .merge(routes::upload_routes(upload_limit))
            .merge(routes::import_routes()),
        state,
    );
    if let Some(root) = state.services.local_media_root() {
        router = router.merge(routes::local_files(root));
    }
    router
}

/// The routes of a `streaming` process: the streaming API and the operational endpoints.
pub fn streaming_router(state: AppState) -> Router {
    finish(routes::ops().merge(streaming::routes()), state)
}

/// Everything one process serves in `serve`: the web routes and the streaming API.
pub fn full_router(state: AppState) -> Router {
    finish(web_routes(&state).merge(streaming::routes()), state)
}

/// Client API rate limits (not for long-lived streaming connections).
fn limited(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        ratelimit::limit,
    ))
}

fn finish(router: Router<AppState>, state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::LINK,
            HeaderName::from_static("x-ratelimit-reset"),
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(std::time::Duration::from_secs(86_400));
    // Mastodon (Rails) also answers API paths with a trailing slash, and clients send them
    // (Mastodon.py asks for `/api/v1/reports/`, `/api/v1/admin/domain_blocks/`, …): a path
    // that matches nothing is tried once more without it.
    let exact = router
        .clone()
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state.clone());
    router
        .fallback_service(tower::service_fn(move |req| {
            without_trailing_slash(exact.clone(), req)
        }))
        .method_not_allowed_fallback(routes::method_not_allowed)
        // Networks blocked with `no_access` reach nothing: API, pages, media, streaming.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ip_access::refuse_blocked,
        ))
        .layer(cors)
        .layer(axum::middleware::from_fn(pages::secure_pages))
        .layer(axum::middleware::map_response(close_after_too_large))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Routes `req` on `router` with its API path's trailing slashes taken off.
async fn without_trailing_slash(
    router: Router,
    mut req: axum::extract::Request,
) -> Result<axum::response::Response, std::convert::Infallible> {
    let path = req.uri().path();
    if path.starts_with("/api/") && path.len() > "/api/".len() && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let target = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        if let Ok(uri) = target.parse::<axum::http::Uri>() {
            *req.uri_mut() = uri;
        }
    }
    tower::ServiceExt::oneshot(router, req).await
}

/// A body refused as too large is left unread, so the server drops the connection after
/// answering: say so, or the client reuses it for its next request and sees that request
/// fail half-sent.
async fn close_after_too_large(mut response: axum::response::Response) -> axum::response::Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    response
}
