//! IP blocks of severity `no_access`: every request from a blocked network is refused with
//! 403 before it reaches a handler (Mastodon's blocklist does the same), sign-in included.
//! The client's address is the rate limiter's (behind trusted proxies, the forwarded one).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rookery_store::IpBlockSeverity;

use crate::{ApiError, AppState};

/// Middleware: refuses requests from networks blocked with `no_access`.
pub(crate) async fn refuse_blocked(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let Some(ip) = crate::ratelimit::client_address(peer, req.headers(), state.limiter.trusted())
    else {
        return next.run(req).await;
    };
    match state.services.ip_block_for(ip).await {
        Ok(Some(IpBlockSeverity::NoAccess)) => {
            ApiError::new(StatusCode::FORBIDDEN, "Forbidden").into_response()
        }
        Ok(_) => next.run(req).await,
        Err(e) => ApiError::from(e).into_response(),
    }
}
