//! Notification policy (`/api/v2/notifications/policy`, and v1's) and requests
//! (`/api/v1/notifications/requests…`).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use rookery_api as api;
use rookery_model::Id;
use rookery_service::notifications::PolicyUpdate;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

/// `PATCH /api/v2/notifications/policy`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PolicyForm {
    for_not_following: Option<String>,
    for_not_followers: Option<String>,
    for_new_accounts: Option<String>,
    for_private_mentions: Option<String>,
    for_limited_accounts: Option<String>,
}

/// `PUT /api/v1/notifications/policy`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PolicyFormV1 {
    #[serde(default, deserialize_with = "loose::opt_bool")]
    filter_not_following: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    filter_not_followers: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    filter_new_accounts: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    filter_private_mentions: Option<bool>,
}

/// `id[]` of the requests answered at once.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RequestIds {
    #[serde(default, deserialize_with = "loose::string_list")]
    id: Vec<String>,
}

impl RequestIds {
    /// The ids; one that is not an id names no request and is skipped, as an unknown one.
    fn ids(&self) -> Result<Vec<Id>, ApiError> {
        if self.id.len() > rookery_service::notifications::MAX_ANSWERED {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Too many notification requests at once",
            ));
        }
        Ok(self.id.iter().filter_map(|i| path_id(i).ok()).collect())
    }
}

/// `GET /api/v2/notifications/policy`.
pub(crate) async fn policy(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<api::NotificationPolicy>, ApiError> {
    let user = auth.user("read:notifications")?;
    Ok(Json(state.services.notifications().policy(user).await?))
}

/// `PATCH /api/v2/notifications/policy` — `accept`, `filter` or `drop` per case.
pub(crate) async fn update_policy(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<PolicyForm>,
) -> Result<Json<api::NotificationPolicy>, ApiError> {
    let user = auth.user("write:notifications")?;
    let notifications = state.services.notifications();
    let update = PolicyUpdate {
        for_not_following: form.for_not_following,
        for_not_followers: form.for_not_followers,
        for_new_accounts: form.for_new_accounts,
        for_private_mentions: form.for_private_mentions,
        for_limited_accounts: form.for_limited_accounts,
    };
    notifications.update_policy(user, &update).await?;
    Ok(Json(notifications.policy(user).await?))
}

/// `GET /api/v1/notifications/policy` — the version 1 shape (booleans).
pub(crate) async fn policy_v1(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<api::NotificationPolicyV1>, ApiError> {
    let user = auth.user("read:notifications")?;
    Ok(Json(state.services.notifications().policy_v1(user).await?))
}

/// `PUT` (or `PATCH`) `/api/v1/notifications/policy` — `true` filters, `false` accepts.
pub(crate) async fn update_policy_v1(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<PolicyFormV1>,
) -> Result<Json<api::NotificationPolicyV1>, ApiError> {
    let user = auth.user("write:notifications")?;
    let notifications = state.services.notifications();
    let update = PolicyUpdate::from_flags(
        form.filter_not_following,
        form.filter_not_followers,
        form.filter_new_accounts,
        form.filter_private_mentions,
    );
    notifications.update_policy(user, &update).await?;
    Ok(Json(notifications.policy_v1(user).await?))
}

/// `GET /api/v1/notifications/requests` — newest first (40, at most 80), Link paging.
pub(crate) async fn requests(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Response, ApiError> {
    let user = auth.user("read:notifications")?;
    let (items, bounds) = state
        .services
        .notifications()
        .requests(user, p.page(40, 80)?)
        .await?;
    let links = Paged::links(
        bounds.map(|(newest, oldest)| (newest.to_string(), oldest.to_string())),
        state.services.urls.base(),
        &uri,
        &[],
    );
    Ok(links.respond(items))
}

/// `GET /api/v1/notifications/requests/{id}`.
pub(crate) async fn request(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::NotificationRequest>, ApiError> {
    let user = auth.user("read:notifications")?;
    Ok(Json(
        state
            .services
            .notifications()
            .request(user, path_id(&id)?)
            .await?,
    ))
}

/// `POST /api/v1/notifications/requests/{id}/accept`.
pub(crate) async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:notifications")?;
    state
        .services
        .notifications()
        .accept_requests(user, &[path_id(&id)?], true)
        .await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/notifications/requests/{id}/dismiss`.
pub(crate) async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:notifications")?;
    state
        .services
        .notifications()
        .dismiss_requests(user, &[path_id(&id)?], true)
        .await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/notifications/requests/accept` — `id[]`.
pub(crate) async fn accept_many(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<RequestIds>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:notifications")?;
    state
        .services
        .notifications()
        .accept_requests(user, &form.ids()?, false)
        .await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/notifications/requests/dismiss` — `id[]`.
pub(crate) async fn dismiss_many(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<RequestIds>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:notifications")?;
    state
        .services
        .notifications()
        .dismiss_requests(user, &form.ids()?, false)
        .await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/notifications/requests/merged` — accepted requests are merged before the
/// accept call returns, so this is always true.
pub(crate) async fn merged(auth: Auth) -> Result<Json<serde_json::Value>, ApiError> {
    auth.user("read:notifications")?;
    Ok(Json(json!({ "merged": true })))
}
