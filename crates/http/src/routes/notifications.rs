//! Notifications.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use serde::Deserialize;
use serde_json::json;

use rookery_api as api;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::loose;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Params {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "loose::string_list")]
    types: Vec<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    exclude_types: Vec<String>,
    account_id: Option<String>,
}

/// `GET /api/v1/notifications` — newest first; `types[]`, `exclude_types[]`.
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<Params>,
) -> Result<Paged<api::Notification>, ApiError> {
    let user = auth.user("read:notifications")?;
    let items = state
        .services
        .notifications(
            user,
            &p.types,
            &p.exclude_types,
            match p.account_id.as_deref().filter(|a| !a.is_empty()) {
                None => None,
                Some(a) => Some(path_id(a)?),
            },
            p.page.page(40, 80)?,
        )
        .await?;
    Ok(Paged::new(
        items,
        |n| n.id.clone(),
        state.services.urls.base(),
        &uri,
    ))
}

/// `POST /api/v1/notifications/clear` — delete all of the user's notifications.
pub(crate) async fn clear(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:notifications")?;
    state.services.dismiss_notifications(user, None).await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/notifications/{id}/dismiss` — delete one notification.
pub(crate) async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:notifications")?;
    state
        .services
        .dismiss_notifications(user, Some(path_id(&id)?))
        .await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/notifications/{id}` — one notification.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Notification>, ApiError> {
    let user = auth.user("read:notifications")?;
    Ok(Json(
        state.services.notification(user, path_id(&id)?).await?,
    ))
}
