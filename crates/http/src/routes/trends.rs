//! Trends: `GET /api/v1/trends/tags` (and its old name `/api/v1/trends`),
//! `/api/v1/trends/statuses` and `/api/v1/trends/links`. Public; paged by `offset` and
//! `limit`, with `Link` headers carrying the next and previous offsets, as Mastodon's.

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use rookery_service::trends::TrendPage;

use crate::auth::Auth;
use crate::paging::LooseQuery;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TrendParams {
    offset: Option<String>,
    limit: Option<String>,
}

/// `offset` and `limit` (`default`, at most `max`); anything but a whole number is refused.
pub(crate) struct Window {
    pub(crate) offset: u32,
    pub(crate) limit: u32,
    /// Whether `limit` was given (the links carry it only then, as Mastodon's).
    explicit_limit: bool,
}

impl TrendParams {
    pub(crate) fn window(&self, default: u32, max: u32) -> Result<Window, ApiError> {
        let number = |v: &Option<String>, what: &str| -> Result<Option<u32>, ApiError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| ApiError::bad_request(format!("{what} is not a number"))),
            }
        };
        let limit = number(&self.limit, "limit")?;
        Ok(Window {
            offset: number(&self.offset, "offset")?.unwrap_or(0),
            limit: limit.map_or(default, |l| l.clamp(1, max)),
            explicit_limit: limit.is_some(),
        })
    }
}

/// A page as JSON with its `Link` header: `next` when the page was full, `prev` when it did
/// not start at the beginning.
pub(crate) fn respond<T: Serialize>(
    state: &AppState,
    uri: &OriginalUri,
    w: &Window,
    page: TrendPage<T>,
) -> Response {
    let link = |offset: u32| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if w.explicit_limit {
            q.append_pair("limit", &w.limit.to_string());
        }
        q.append_pair("offset", &offset.to_string());
        format!(
            "{}{}?{}",
            state.services.urls.base(),
            uri.path(),
            q.finish()
        )
    };
    let mut links = Vec::new();
    if page.full {
        links.push(format!(
            "<{}>; rel=\"next\"",
            link(w.offset.saturating_add(w.limit))
        ));
    }
    if w.offset > 0 {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            link(w.offset.saturating_sub(w.limit))
        ));
    }
    let mut response = Json(page.items).into_response();
    if !links.is_empty()
        && let Ok(v) = HeaderValue::from_str(&links.join(", "))
    {
        response.headers_mut().insert(header::LINK, v);
    }
    response
}

fn viewer(auth: &Auth) -> Option<&rookery_model::Account> {
    auth.0
        .as_ref()
        .and_then(|a| a.user.as_ref())
        .map(|u| &u.account)
}

/// `GET /api/v1/trends/tags` (also `GET /api/v1/trends`) — `limit` 10, at most 20.
pub(crate) async fn tags(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<TrendParams>,
) -> Result<Response, ApiError> {
    let w = p.window(10, 20)?;
    let page = state
        .services
        .trends()
        .tags(viewer(&auth), w.offset, w.limit)
        .await?;
    Ok(respond(&state, &uri, &w, page))
}

/// `GET /api/v1/trends/statuses` — `limit` 20, at most 40; without what the viewer blocks,
/// mutes or filters.
pub(crate) async fn statuses(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<TrendParams>,
) -> Result<Response, ApiError> {
    let w = p.window(20, 40)?;
    let page = state
        .services
        .trends()
        .statuses(viewer(&auth), w.offset, w.limit)
        .await?;
    Ok(respond(&state, &uri, &w, page))
}

/// `GET /api/v1/trends/links` — `limit` 10, at most 20.
pub(crate) async fn links(
    State(state): State<AppState>,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<TrendParams>,
) -> Result<Response, ApiError> {
    let w = p.window(10, 20)?;
    let page = state.services.trends().links(w.offset, w.limit).await?;
    Ok(respond(&state, &uri, &w, page))
}
