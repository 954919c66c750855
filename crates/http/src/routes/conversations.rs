//! Direct conversations (`/api/v1/conversations`).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use serde_json::json;

use rookery_api as api;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

/// `GET /api/v1/conversations` — 20 by default, at most 40, paged by their last statuses.
pub(crate) async fn index(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::Conversation>, ApiError> {
    let user = auth.user("read:statuses")?;
    let rows = state
        .services
        .conversations()
        .list(user, p.page(20, 40)?)
        .await?;
    Ok(Paged::keyed(
        rows.into_iter().map(|(k, c)| (k.to_string(), c)).collect(),
        state.services.urls.base(),
        &uri,
    ))
}

/// `POST /api/v1/conversations/:id/read`.
pub(crate) async fn read(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Conversation>, ApiError> {
    let user = auth.user("write:conversations")?;
    Ok(Json(
        state
            .services
            .conversations()
            .read(user, path_id(&id)?)
            .await?,
    ))
}

/// `DELETE /api/v1/conversations/:id`.
pub(crate) async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:conversations")?;
    state
        .services
        .conversations()
        .remove(user, path_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}
