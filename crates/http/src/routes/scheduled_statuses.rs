//! Scheduled statuses: `/api/v1/scheduled_statuses` (and `scheduled_at` of a new status).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use rookery_api as api;
use rookery_model::Timestamp;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::Body;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

/// `scheduled_at` as apps send it: RFC 3339 (any offset), a date and time without an offset
/// (UTC), or a date alone (midnight UTC). Empty means not scheduled.
pub(crate) fn scheduled_at(raw: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let parsed = Timestamp::parse_rfc3339(raw)
        .or_else(|| Timestamp::parse_rfc3339(&format!("{raw}Z")))
        .or_else(|| Timestamp::parse_rfc3339(&format!("{raw}T00:00:00Z")));
    match parsed {
        Some(t) => Ok(Some(t)),
        None => Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!("Validation failed: scheduled_at {raw:?} is not a date and time"),
        )),
    }
}

/// `GET /api/v1/scheduled_statuses` — newest first (20, at most 40), Link paging.
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::ScheduledStatus>, ApiError> {
    let user = auth.user("read:statuses")?;
    let rows = state
        .services
        .scheduled_statuses()
        .list(user, p.page(20, 40)?)
        .await?;
    Ok(Paged::keyed(
        rows.into_iter()
            .map(|(id, s)| (id.to_string(), s))
            .collect(),
        state.services.urls.base(),
        &uri,
    ))
}

/// `GET /api/v1/scheduled_statuses/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::ScheduledStatus>, ApiError> {
    let user = auth.user("read:statuses")?;
    let id = path_id(&id)?;
    Ok(Json(
        state.services.scheduled_statuses().get(user, id).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Reschedule {
    #[serde(default)]
    scheduled_at: Option<String>,
}

/// `PUT /api/v1/scheduled_statuses/{id}` — `scheduled_at`.
pub(crate) async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<Reschedule>,
) -> Result<Json<api::ScheduledStatus>, ApiError> {
    let user = auth.user("write:statuses")?;
    let id = path_id(&id)?;
    let at = scheduled_at(form.scheduled_at.as_deref())?;
    Ok(Json(
        state
            .services
            .scheduled_statuses()
            .reschedule(user, id, at)
            .await?,
    ))
}

/// `DELETE /api/v1/scheduled_statuses/{id}` — `{}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:statuses")?;
    let id = path_id(&id)?;
    state.services.scheduled_statuses().cancel(user, id).await?;
    Ok(Json(json!({})))
}
