//! Announcements: `/api/v1/announcements`, dismissing them and reacting to them.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use rookery_api as api;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::{ApiError, AppState};

/// `GET /api/v1/announcements` — every published announcement, oldest first, with `read`.
/// (`with_dismissed` is accepted and, as on Mastodon, changes nothing: dismissed ones are
/// listed with `read: true`.)
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<api::Announcement>>, ApiError> {
    let user = auth.signed_in()?;
    Ok(Json(state.services.announcements().for_user(user).await?))
}

/// `POST /api/v1/announcements/{id}/dismiss` — `{}`.
pub(crate) async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:accounts")?;
    let id = path_id(&id)?;
    state.services.announcements().dismiss(user, id).await?;
    Ok(Json(json!({})))
}

/// `PUT /api/v1/announcements/{id}/reactions/{name}` — `{}`.
pub(crate) async fn react(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:favourites")?;
    let id = path_id(&id)?;
    state
        .services
        .announcements()
        .react(user, id, &name)
        .await?;
    Ok(Json(json!({})))
}

/// `DELETE /api/v1/announcements/{id}/reactions/{name}` — `{}`.
pub(crate) async fn unreact(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:favourites")?;
    let id = path_id(&id)?;
    state
        .services
        .announcements()
        .unreact(user, id, &name)
        .await?;
    Ok(Json(json!({})))
}
