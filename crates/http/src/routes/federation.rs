//! Server-to-server endpoints: inboxes, the instance actor, and the signature check that
//! authorized-fetch mode puts in front of ActivityPub documents; plus `/api/v2/search`, where
//! clients ask for remote accounts and posts.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, OriginalUri, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rookery_service::federation::{InboundRequest, InboxError, RequestParts};
use serde::Deserialize;

use super::activity_json;
use crate::auth::Auth;
use crate::paging::LooseQuery;
use crate::{ApiError, AppState};

/// The request's method, path and headers, as signatures see them.
fn request_parts(method: &Method, path_and_query: &str, headers: &HeaderMap) -> RequestParts {
    RequestParts {
        method: method.as_str().to_owned(),
        path_and_query: path_and_query.to_owned(),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
    }
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

async fn receive(state: AppState, username: Option<String>, req: Request) -> Response {
    let limit = state.services.settings.federation.inbox_max_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {limit} bytes"),
        );
    }
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map(|u| u.0.clone())
        .unwrap_or_else(|| req.uri().clone());
    let path_and_query = path
        .path_and_query()
        .map_or_else(|| path.path().to_owned(), |p| p.as_str().to_owned());
    let parts = request_parts(req.method(), &path_and_query, req.headers());
    let body = match axum::body::to_bytes(req.into_body(), limit).await {
        Ok(b) => b.to_vec(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {limit} bytes"),
            );
        }
    };
    match state
        .services
        .receive(username.as_deref(), InboundRequest { parts, body })
        .await
    {
        Ok(_) => (StatusCode::ACCEPTED, Body::empty()).into_response(),
        Err(e) => {
            let status = match &e {
                InboxError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                InboxError::Invalid(_) => StatusCode::BAD_REQUEST,
                InboxError::NoInbox => StatusCode::NOT_FOUND,
                InboxError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                InboxError::KeyUnavailable(_) | InboxError::Unavailable(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            };
            if e.is_temporary() {
                // Mastodon (401, 408, 429 and 5xx are retried), GoToSocial (5xx retried) and
                // Fedify retry a 503; Retry-After spaces the retries out. See
                // docs/federation.md, "What our inbox answers".
                tracing::warn!(error = %e, outcome = e.outcome(), "inbox request not checked");
                let mut r = error(status, "try again later".into());
                r.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("300"));
                return r;
            }
            tracing::debug!(error = %e, status = status.as_u16(), "inbox request refused");
            error(status, e.to_string())
        }
    }
}

/// `POST /inbox` (and the instance actor's inbox).
pub(crate) async fn shared_inbox(State(state): State<AppState>, req: Request) -> Response {
    receive(state, None, req).await
}

/// `POST /users/{username}/inbox`.
pub(crate) async fn user_inbox(
    State(state): State<AppState>,
    Path(username): Path<String>,
    req: Request,
) -> Response {
    receive(state, Some(username), req).await
}

/// `GET /actor`: the instance actor (always fetchable unsigned: peers fetch it to check our
/// own signed fetches).
pub(crate) async fn instance_actor(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(activity_json(state.services.instance_actor().await?))
}

/// `GET /actor/{collection}` and `/actor/collections/{name}`: the instance actor's
/// collections (always empty; fetchable unsigned, like the actor).
pub(crate) async fn instance_actor_collection(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let path = uri.path().strip_prefix("/actor/").unwrap_or_default();
    Ok(activity_json(
        state.services.instance_actor_collection(path)?,
    ))
}

/// In authorized-fetch mode, a URL that serves only ActivityPub needs a valid HTTP signature,
/// whatever the request asks for. As an extractor, the check runs before the handler.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedFetch;

/// In authorized-fetch mode, a URL that serves ActivityPub or HTML needs a valid signature when
/// the request asks for ActivityPub.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedIfActivityPub;

/// How much of an actor a request may see. In authorized-fetch mode an ActivityPub request
/// without any signature gets the key-only document (as Mastodon serves it: peers fetch signers'
/// keys unsigned); a request with a signature must pass the check, so a peer whose signature we
/// cannot verify hears 401 and may sign again another way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActorView {
    Full,
    KeyOnly,
}

impl FromRequestParts<AppState> for ActorView {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !state.services.settings.federation.authorized_fetch
            || !super::wants_json(&parts.headers)
        {
            return Ok(ActorView::Full);
        }
        let headers = &parts.headers;
        let signed = headers.contains_key("signature")
            || headers.contains_key("signature-input")
            || headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim_start().starts_with("Signature"));
        if !signed {
            return Ok(ActorView::KeyOnly);
        }
        check_signature(state, parts)
            .await
            .map(|()| ActorView::Full)
    }
}

impl FromRequestParts<AppState> for SignedFetch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        check_signature(state, parts).await.map(|()| SignedFetch)
    }
}

impl FromRequestParts<AppState> for SignedIfActivityPub {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if super::wants_json(&parts.headers) {
            check_signature(state, parts).await?;
        }
        Ok(SignedIfActivityPub)
    }
}

async fn check_signature(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    if !state.services.settings.federation.authorized_fetch {
        return Ok(());
    }
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |u| &u.0);
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let signed = request_parts(&Method::GET, &path, &parts.headers);
    match state.services.verify_signature(&signed, false).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_temporary() => {
            tracing::warn!(error = %e, "fetch signature not checked");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "try again later",
            ))
        }
        Err(e) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!("Request not signed: {e}"),
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::loose::opt_bool")]
    resolve: Option<bool>,
    limit: Option<String>,
    offset: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::loose::opt_bool")]
    following: Option<bool>,
}

/// `GET /api/v2/search`.
pub(crate) async fn search(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(p): LooseQuery<SearchParams>,
) -> Result<Json<rookery_service::SearchResults>, ApiError> {
    let viewer = match &auth.0 {
        None => None,
        Some(_) => auth.scope("read:search")?.user.as_ref().map(|u| &u.account),
    };
    let limit = match p.limit.as_deref().filter(|l| !l.is_empty()) {
        None => 20,
        Some(l) => l
            .parse::<u32>()
            .map_err(|_| ApiError::bad_request("limit is not a number"))?
            .clamp(1, 40),
    };
    let kind = p.kind.as_deref().filter(|k| !k.is_empty());
    if let Some(k) = kind
        && !matches!(k, "accounts" | "statuses" | "hashtags")
    {
        return Err(ApiError::bad_request(format!("{k:?} is not a search type")));
    }
    let offset = match p.offset.as_deref().filter(|o| !o.is_empty()) {
        None => 0,
        Some(o) => o
            .parse::<u32>()
            .map_err(|_| ApiError::bad_request("offset is not a number"))?,
    };
    if offset > 0 && viewer.is_none() {
        // As Mastodon: paging through results is for signed-in users.
        return Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "Search queries with offset require a valid access token",
        ));
    }
    let query = rookery_service::SearchQuery {
        kind,
        resolve: p.resolve.unwrap_or(false),
        limit,
        offset,
        following: p.following.unwrap_or(false),
    };
    Ok(Json(state.services.search(viewer, &p.q, query).await?))
}
