//! Reports for moderators: `/api/v1/admin/reports…` (scopes `admin:read:reports` /
//! `admin:write:reports`, permission Manage Reports), answering Admin::Report entities.

use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::routing::{get, post};
use serde::Deserialize;

use rookery_model::Permission;
use rookery_service::moderation::reports::ReportUpdate;
use rookery_store::{Report, ReportFilter};

use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::routes::path_id;
use crate::{ApiError, AppState};

const READ: &str = "admin:read:reports";
const WRITE: &str = "admin:write:reports";

/// The admin report routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/reports", get(list))
        .route("/api/v1/admin/reports/{id}", get(show).put(update))
        .route(
            "/api/v1/admin/reports/{id}/assign_to_self",
            post(assign_to_self),
        )
        .route("/api/v1/admin/reports/{id}/unassign", post(unassign))
        .route("/api/v1/admin/reports/{id}/resolve", post(resolve))
        .route("/api/v1/admin/reports/{id}/reopen", post(reopen))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    #[serde(default, deserialize_with = "loose::opt_bool")]
    resolved: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    target_account_id: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

fn opt_id(v: Option<&str>) -> Result<Option<rookery_model::Id>, ApiError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "account id is not valid",
            )
        }),
    }
}

async fn entity(state: &AppState, report: &Report) -> Result<rookery_api::AdminReport, ApiError> {
    Ok(state.services.admin_report_entity(report).await?)
}

/// `GET /api/v1/admin/reports` — unresolved reports (resolved ones with `resolved=true`),
/// optionally only those by `account_id` or about `target_account_id`; 100 (at most 200),
/// newest first, Link paging.
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<ListParams>,
) -> Result<Paged<rookery_api::AdminReport>, ApiError> {
    let by = auth.moderator(READ, Permission::ManageReports)?;
    let filter = ReportFilter {
        resolved: Some(p.resolved.unwrap_or(false)),
        account_id: opt_id(p.account_id.as_deref())?,
        target_account_id: opt_id(p.target_account_id.as_deref())?,
    };
    let reports = state
        .services
        .reports()
        .list(by, &filter, p.page.page(100, 200)?)
        .await?;
    let mut rows = Vec::with_capacity(reports.len());
    for r in &reports {
        rows.push((r.id.to_string(), entity(&state, r).await?));
    }
    Ok(Paged::keyed(rows, state.services.urls.base(), &uri))
}

/// `GET /api/v1/admin/reports/:id`
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::AdminReport>, ApiError> {
    let by = auth.moderator(READ, Permission::ManageReports)?;
    let report = state.services.reports().get(by, path_id(&id)?).await?;
    Ok(Json(entity(&state, &report).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct UpdateForm {
    #[serde(default)]
    category: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_list")]
    rule_ids: Option<Vec<String>>,
}

/// `PUT /api/v1/admin/reports/:id` — `category`, `rule_ids[]`.
pub(crate) async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<UpdateForm>,
) -> Result<Json<rookery_api::AdminReport>, ApiError> {
    let by = auth.moderator(WRITE, Permission::ManageReports)?;
    let report = state
        .services
        .reports()
        .update(
            by,
            path_id(&id)?,
            ReportUpdate {
                category: form.category,
                rule_ids: form.rule_ids,
            },
        )
        .await?;
    Ok(Json(entity(&state, &report).await?))
}

/// `POST /api/v1/admin/reports/:id/assign_to_self`
pub(crate) async fn assign_to_self(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::AdminReport>, ApiError> {
    let by = auth.moderator(WRITE, Permission::ManageReports)?;
    let report = state
        .services
        .reports()
        .assign_to_self(by, path_id(&id)?)
        .await?;
    Ok(Json(entity(&state, &report).await?))
}

/// `POST /api/v1/admin/reports/:id/unassign`
pub(crate) async fn unassign(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::AdminReport>, ApiError> {
    let by = auth.moderator(WRITE, Permission::ManageReports)?;
    let report = state.services.reports().unassign(by, path_id(&id)?).await?;
    Ok(Json(entity(&state, &report).await?))
}

/// `POST /api/v1/admin/reports/:id/resolve`
pub(crate) async fn resolve(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::AdminReport>, ApiError> {
    let by = auth.moderator(WRITE, Permission::ManageReports)?;
    let report = state.services.reports().resolve(by, path_id(&id)?).await?;
    Ok(Json(entity(&state, &report).await?))
}

/// `POST /api/v1/admin/reports/:id/reopen`
pub(crate) async fn reopen(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::AdminReport>, ApiError> {
    let by = auth.moderator(WRITE, Permission::ManageReports)?;
    let report = state.services.reports().reopen(by, path_id(&id)?).await?;
    Ok(Json(entity(&state, &report).await?))
}
