//! Featured hashtags: `/api/v1/featured_tags` (list, feature, unfeature, suggestions),
//! `GET /api/v1/accounts/{id}/featured_tags`, and `POST /api/v1/tags/{name}/feature` and
//! `/unfeature`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use rookery_api as api;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::Body;
use crate::{ApiError, AppState};

/// `GET /api/v1/featured_tags` — the user's, most used first.
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<api::FeaturedTag>>, ApiError> {
    let user = auth.user("read:accounts")?;
    Ok(Json(state.services.featured_tags().list(user).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FeatureForm {
    #[serde(default)]
    name: Option<String>,
}

/// `POST /api/v1/featured_tags` — `name` (`#` allowed in front).
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<FeatureForm>,
) -> Result<Json<api::FeaturedTag>, ApiError> {
    let user = auth.user("write:accounts")?;
    Ok(Json(
        state
            .services
            .featured_tags()
            .create(user, form.name.as_deref().unwrap_or(""))
            .await?,
    ))
}

/// `DELETE /api/v1/featured_tags/{id}` — `{}`; 404 for an id not the user's.
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:accounts")?;
    state
        .services
        .featured_tags()
        .delete(user, path_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/featured_tags/suggestions` — Tag entities.
pub(crate) async fn suggestions(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<api::Tag>>, ApiError> {
    let user = auth.user("read:accounts")?;
    Ok(Json(
        state.services.featured_tags().suggestions(user).await?,
    ))
}

/// `GET /api/v1/accounts/{id}/featured_tags` — public.
pub(crate) async fn of_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<api::FeaturedTag>>, ApiError> {
    Ok(Json(
        state
            .services
            .featured_tags()
            .of_account(path_id(&id)?)
            .await?,
    ))
}

/// `POST /api/v1/tags/{name}/feature`.
pub(crate) async fn feature(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<Json<api::Tag>, ApiError> {
    let user = auth.user("write:accounts")?;
    Ok(Json(
        state
            .services
            .featured_tags()
            .set_featuring(user, &name, true)
            .await?,
    ))
}

/// `POST /api/v1/tags/{name}/unfeature`.
pub(crate) async fn unfeature(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<Json<api::Tag>, ApiError> {
    let user = auth.user("write:accounts")?;
    Ok(Json(
        state
            .services
            .featured_tags()
            .set_featuring(user, &name, false)
            .await?,
    ))
}
