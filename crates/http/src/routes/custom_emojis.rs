//! This instance's custom emoji: `GET /api/v1/custom_emojis` for apps, and `GET /emojis/{id}`,
//! the ActivityPub document the `Emoji` tags of local posts and actors point at.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;

use rookery_api as api;

use super::activity_json;
use super::statuses::path_id;
use crate::{ApiError, AppState};

/// `GET /api/v1/custom_emojis` — public: the emoji pickers offer, by shortcode.
pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<Json<Vec<api::CustomEmoji>>, ApiError> {
    Ok(Json(state.services.custom_emojis().picker().await?))
}

/// `GET /emojis/{id}` — the `Emoji` object, whatever the `Accept` (as Mastodon answers it).
pub(crate) async fn emoji(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(activity_json(
        state
            .services
            .custom_emojis()
            .ap_emoji(path_id(&id)?)
            .await?,
    ))
}
