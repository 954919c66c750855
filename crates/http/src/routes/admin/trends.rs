//! Staff's review of trends: `/api/v1/admin/trends/{tags,statuses,links}`, pending and
//! rejected items included, paged by `offset` and `limit` as the public trends, and
//! `POST …/{id}/approve` and `…/{id}/reject`, answering the reviewed item. Links' publishers
//! (`/api/v1/admin/trends/links/publishers`) are not reviewed separately.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use rookery_api::{AdminTag, AdminTrendsLink, AdminTrendsStatus};
use rookery_model::Permission::ManageTaxonomies;

use crate::auth::Auth;
use crate::paging::LooseQuery;
use crate::routes::path_id;
use crate::routes::trends::{TrendParams, respond};
use crate::{ApiError, AppState};

const READ: &str = "admin:read";
const WRITE: &str = "admin:write";

/// `GET /api/v1/admin/trends/tags` — `limit` 10, at most 20.
pub(crate) async fn tags(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<TrendParams>,
) -> Result<Response, ApiError> {
    let by = auth.moderator(READ, ManageTaxonomies)?;
    let w = p.window(10, 20)?;
    let page = state
        .services
        .trend_review()
        .tags(by, w.offset, w.limit)
        .await?;
    Ok(respond(&state, &uri, &w, page))
}

/// `GET /api/v1/admin/trends/statuses` — `limit` 20, at most 40.
pub(crate) async fn statuses(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<TrendParams>,
) -> Result<Response, ApiError> {
    let by = auth.moderator(READ, ManageTaxonomies)?;
    let viewer = &auth.user(READ)?.account;
    let w = p.window(20, 40)?;
    let page = state
        .services
        .trend_review()
        .statuses(by, Some(viewer), w.offset, w.limit)
        .await?;
    Ok(respond(&state, &uri, &w, page))
}

/// `GET /api/v1/admin/trends/links` — `limit` 10, at most 20.
pub(crate) async fn links(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<TrendParams>,
) -> Result<Response, ApiError> {
    let by = auth.moderator(READ, ManageTaxonomies)?;
    let w = p.window(10, 20)?;
    let page = state
        .services
        .trend_review()
        .links(by, w.offset, w.limit)
        .await?;
    Ok(respond(&state, &uri, &w, page))
}

/// `approve` or `reject` from the path; anything else is not a route.
fn decision(word: &str) -> Result<bool, ApiError> {
    match word {
        "approve" => Ok(true),
        "reject" => Ok(false),
        _ => Err(ApiError::not_found()),
    }
}

/// `POST /api/v1/admin/trends/tags/{id}/approve` and `…/reject`.
pub(crate) async fn review_tag(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, word)): Path<(String, String)>,
) -> Result<Json<AdminTag>, ApiError> {
    let approved = decision(&word)?;
    let by = auth.moderator(WRITE, ManageTaxonomies)?;
    let tag = state
        .services
        .trend_review()
        .review_tag(by, path_id(&id)?, approved)
        .await?;
    Ok(Json(tag))
}

/// `POST /api/v1/admin/trends/links/{id}/approve` and `…/reject` (`id`: the preview card's).
pub(crate) async fn review_link(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, word)): Path<(String, String)>,
) -> Result<Json<AdminTrendsLink>, ApiError> {
    let approved = decision(&word)?;
    let by = auth.moderator(WRITE, ManageTaxonomies)?;
    let link = state
        .services
        .trend_review()
        .review_link(by, path_id(&id)?, approved)
        .await?;
    Ok(Json(link))
}

/// `POST /api/v1/admin/trends/statuses/{id}/approve` and `…/reject`.
pub(crate) async fn review_status(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, word)): Path<(String, String)>,
) -> Result<Json<AdminTrendsStatus>, ApiError> {
    let approved = decision(&word)?;
    let by = auth.moderator(WRITE, ManageTaxonomies)?;
    let viewer = &auth.user(WRITE)?.account;
    let status = state
        .services
        .trend_review()
        .review_status(by, Some(viewer), path_id(&id)?, approved)
        .await?;
    Ok(Json(status))
}
