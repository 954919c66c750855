//! Lists (`/api/v1/lists…`), their members, and list timelines.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use rookery_api as api;
use rookery_model::Id;
use rookery_service::lists::ListParams;
use rookery_store::TimelinePage;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

/// Members listed by `limit=0` at most.
const ALL_MEMBERS: u32 = 10_000;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListForm {
    title: Option<String>,
    replies_policy: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    exclusive: Option<bool>,
}

impl From<ListForm> for ListParams {
    fn from(f: ListForm) -> Self {
        ListParams {
            title: f.title,
            replies_policy: f.replies_policy,
            exclusive: f.exclusive,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AccountIds {
    #[serde(default, deserialize_with = "loose::string_list")]
    account_ids: Vec<String>,
}

impl AccountIds {
    /// The ids; one that is not an id cannot name an account (404, as an unknown one).
    fn ids(&self) -> Result<Vec<Id>, ApiError> {
        if self.account_ids.len() > 1000 {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Too many accounts at once",
            ));
        }
        self.account_ids.iter().map(|a| path_id(a)).collect()
    }
}

/// `GET /api/v1/lists`.
pub(crate) async fn index(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<api::List>>, ApiError> {
    let user = auth.user("read:lists")?;
    Ok(Json(state.services.lists().all(user).await?))
}

/// `POST /api/v1/lists`.
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<ListForm>,
) -> Result<Json<api::List>, ApiError> {
    let user = auth.user("write:lists")?;
    Ok(Json(
        state.services.lists().create(user, &form.into()).await?,
    ))
}

/// `GET /api/v1/lists/:id`.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::List>, ApiError> {
    let user = auth.user("read:lists")?;
    Ok(Json(
        state.services.lists().show(user, path_id(&id)?).await?,
    ))
}

/// `PUT /api/v1/lists/:id`.
pub(crate) async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<ListForm>,
) -> Result<Json<api::List>, ApiError> {
    let user = auth.user("write:lists")?;
    Ok(Json(
        state
            .services
            .lists()
            .update(user, path_id(&id)?, &form.into())
            .await?,
    ))
}

/// `DELETE /api/v1/lists/:id`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:lists")?;
    state.services.lists().delete(user, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/lists/:id/accounts` — 40 by default and at most; `limit=0` for all, unpaged.
pub(crate) async fn accounts(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    Path(id): Path<String>,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Response, ApiError> {
    let user = auth.user("read:lists")?;
    let id = path_id(&id)?;
    let lists = state.services.lists();
    if p.wants_all() {
        let page = TimelinePage {
            limit: ALL_MEMBERS,
            ..TimelinePage::default()
        };
        let rows = lists.members(user, id, page).await?;
        let all: Vec<api::Account> = rows.into_iter().map(|(_, a)| a).collect();
        return Ok(Json(all).into_response());
    }
    let rows = lists.members(user, id, p.page(40, 40)?).await?;
    Ok(Paged::keyed(
        rows.into_iter().map(|(k, a)| (k.to_string(), a)).collect(),
        state.services.urls.base(),
        &uri,
    )
    .into_response())
}

/// `POST /api/v1/lists/:id/accounts` — `account_ids[]`.
pub(crate) async fn add_accounts(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<AccountIds>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:lists")?;
    state
        .services
        .lists()
        .add_members(user, path_id(&id)?, &form.ids()?)
        .await?;
    Ok(Json(json!({})))
}

/// `DELETE /api/v1/lists/:id/accounts` — `account_ids[]` in the body or the query.
pub(crate) async fn remove_accounts(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<AccountIds>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:lists")?;
    state
        .services
        .lists()
        .remove_members(user, path_id(&id)?, &form.ids()?)
        .await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/accounts/:id/lists` — the user's lists holding that account.
pub(crate) async fn of_account(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<api::List>>, ApiError> {
    let user = auth.user("read:lists")?;
    Ok(Json(
        state
            .services
            .lists()
            .containing(user, path_id(&id)?)
            .await?,
    ))
}

/// `GET /api/v1/timelines/list/:id`.
pub(crate) async fn timeline(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    Path(id): Path<String>,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::Status>, ApiError> {
    let user = auth.user("read:lists")?;
    let items = state
        .services
        .lists()
        .timeline(user, path_id(&id)?, p.page(20, 40)?)
        .await?;
    Ok(Paged::<api::Status>::statuses(
        items,
        state.services.urls.base(),
        &uri,
    ))
}
