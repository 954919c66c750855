//! The Instance entity.

use axum::Json;
use axum::extract::State;

use rookery_api as api;

use crate::{ApiError, AppState};

/// `GET /api/v1/instance` (also with a trailing slash).
pub(crate) async fn v1(State(state): State<AppState>) -> Result<Json<api::InstanceV1>, ApiError> {
    Ok(Json(state.services.instance_v1().await?))
}

/// `GET /api/v2/instance` (also with a trailing slash).
pub(crate) async fn v2(State(state): State<AppState>) -> Result<Json<api::InstanceV2>, ApiError> {
    Ok(Json(state.services.instance_v2().await?))
}
