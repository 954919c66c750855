//! What a user's apps share: read markers and preferences.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use std::collections::BTreeMap;

use rookery_api as api;

use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::LooseQuery;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MarkerQuery {
    #[serde(default, deserialize_with = "loose::string_list")]
    timeline: Vec<String>,
}

/// `GET /api/v1/markers?timeline[]=home&timeline[]=notifications`.
pub(crate) async fn markers(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(q): LooseQuery<MarkerQuery>,
) -> Result<Json<BTreeMap<String, api::Marker>>, ApiError> {
    let user = auth.user("read:statuses")?;
    Ok(Json(state.services.markers().get(user, &q.timeline).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MarkerUpdate {
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    last_read_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SaveMarkers {
    home: Option<MarkerUpdate>,
    notifications: Option<MarkerUpdate>,
}

/// `POST /api/v1/markers` — `home[last_read_id]`, `notifications[last_read_id]` (form or
/// JSON); answers with the markers written.
pub(crate) async fn save_markers(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<SaveMarkers>,
) -> Result<Json<BTreeMap<String, api::Marker>>, ApiError> {
    let user = auth.user("write:statuses")?;
    let updates: Vec<(String, Option<String>)> =
        [("home", form.home), ("notifications", form.notifications)]
            .into_iter()
            .filter_map(|(t, u)| u.map(|u| (t.to_owned(), u.last_read_id)))
            .collect();
    Ok(Json(state.services.markers().save(user, &updates).await?))
}

/// `GET /api/v1/preferences`.
pub(crate) async fn preferences(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<api::Preferences>, ApiError> {
    let user = auth.user("read:accounts")?;
    Ok(Json(state.services.preferences(user)))
}
