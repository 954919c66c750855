//! Notifications, one by one (`/api/v1/notifications`) and grouped (`/api/v2/notifications`).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use rookery_api as api;
use rookery_model::Id;
use rookery_service::notifications::GroupedQuery;

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
    #[serde(default, deserialize_with = "loose::opt_string_list")]
    grouped_types: Option<Vec<String>>,
    expand_accounts: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    include_filtered: Option<bool>,
}

impl Params {
    fn account_id(&self) -> Result<Option<Id>, ApiError> {
        match self.account_id.as_deref().filter(|a| !a.is_empty()) {
            None => Ok(None),
            Some(a) => Ok(Some(path_id(a)?)),
        }
    }

    /// `limit` for unread counts: 100 by default, at most 1,000 (Mastodon's).
    fn count_limit(&self) -> Result<u32, ApiError> {
        Ok(self.page.page(100, 1000)?.limit)
    }
}

/// `GET /api/v1/notifications` — newest first; `types[]`, `exclude_types[]`, `account_id`.
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<Params>,
) -> Result<Paged<api::Notification>, ApiError> {
    let user = auth.user("read:notifications")?;
    let items = state
        .services
        .notifications()
        .list(
            user,
            &p.types,
            &p.exclude_types,
            p.account_id()?,
            p.include_filtered.unwrap_or(false),
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

/// `POST /api/v1/notifications/clear` and `/api/v2/notifications/clear` — delete all of the
/// user's notifications.
pub(crate) async fn clear(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:notifications")?;
    state.services.notifications().dismiss(user, None).await?;
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
        .notifications()
        .dismiss(user, Some(path_id(&id)?))
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
        state
            .services
            .notifications()
            .show(user, path_id(&id)?)
            .await?,
    ))
}

/// `GET /api/v1/notifications/unread_count` — notifications newer than the `notifications`
/// marker (`limit` 100 by default, at most 1,000).
pub(crate) async fn unread_count_v1(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(p): LooseQuery<Params>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("read:notifications")?;
    let count = state
        .services
        .notifications()
        .unread_count(
            user,
            &p.types,
            &p.exclude_types,
            p.account_id()?,
            None,
            p.count_limit()?,
        )
        .await?;
    Ok(Json(json!({ "count": count })))
}

/// `GET /api/v2/notifications/unread_count` — groups with notifications newer than the
/// `notifications` marker.
pub(crate) async fn unread_count_v2(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(p): LooseQuery<Params>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("read:notifications")?;
    let notifications = state.services.notifications();
    let grouped = notifications.grouped_kinds(p.grouped_types.as_deref());
    let count = notifications
        .unread_count(
            user,
            &p.types,
            &p.exclude_types,
            p.account_id()?,
            Some(&grouped),
            p.count_limit()?,
        )
        .await?;
    Ok(Json(json!({ "count": count })))
}

/// `GET /api/v2/notifications` — notifications grouped as Mastodon groups them: one entry per
/// group (favourites and boosts of a post, follows), `limit` groups (40, at most 80), paged
/// by notification ids.
pub(crate) async fn grouped(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<Params>,
) -> Result<Response, ApiError> {
    let user = auth.user("read:notifications")?;
    let partial_avatars = match p.expand_accounts.as_deref() {
        None | Some("") | Some("full") => false,
        Some("partial_avatars") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid value for 'expand_accounts': {other:?}"
            )));
        }
    };
    let page = state
        .services
        .notifications()
        .grouped(
            user,
            &GroupedQuery {
                types: p.types,
                exclude_types: p.exclude_types,
                grouped_types: p.grouped_types,
                partial_avatars,
                page: p.page.page(40, 80)?,
            },
        )
        .await?;
    let links = Paged::links(
        page.bounds
            .map(|(newest, oldest)| (newest.to_string(), oldest.to_string())),
        state.services.urls.base(),
        &uri,
        &["expand_accounts", "account_id"],
    );
    Ok(links.respond(page.results))
}

/// `GET /api/v2/notifications/{group_key}` — one group, whole.
pub(crate) async fn group(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Json<api::GroupedNotificationsResults>, ApiError> {
    let user = auth.user("read:notifications")?;
    Ok(Json(
        state.services.notifications().group(user, &key).await?,
    ))
}

/// `GET /api/v2/notifications/{group_key}/accounts` — who is in a group, newest first.
pub(crate) async fn group_accounts(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    Path(key): Path<String>,
    LooseQuery(p): LooseQuery<Params>,
) -> Result<Paged<api::Account>, ApiError> {
    let user = auth.user("read:notifications")?;
    let rows = state
        .services
        .notifications()
        .group_accounts(user, &key, p.page.page(40, 80)?)
        .await?;
    Ok(Paged::keyed(
        rows.into_iter()
            .map(|(id, a)| (id.to_string(), a))
            .collect(),
        state.services.urls.base(),
        &uri,
    ))
}

/// `POST /api/v2/notifications/{group_key}/dismiss` — dismiss a whole group.
pub(crate) async fn dismiss_group(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:notifications")?;
    state
        .services
        .notifications()
        .dismiss_group(user, &key)
        .await?;
    Ok(Json(json!({})))
}
