//! Allowed domains (allow-list federation): `/api/v1/admin/domain_allows`.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use rookery_api::AdminDomainAllow;
use rookery_model::Permission::ManageFederation;
use rookery_service::moderation::domain_allows::domain_allow_entity;
use serde::Deserialize;

use crate::auth::Auth;
use crate::extract::Body;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::routes::path_id;
use crate::{ApiError, AppState};

const READ: &str = "admin:read:domain_allows";
const WRITE: &str = "admin:write:domain_allows";

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AllowForm {
    domain: Option<String>,
}

/// `GET /api/v1/admin/domain_allows` — newest first, 100 a page (at most 200).
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<AdminDomainAllow>, ApiError> {
    let by = auth.moderator(READ, ManageFederation)?;
    let allows = state.services.domain_allows().list(by).await?;
    let all = allows.iter().map(domain_allow_entity).collect();
    let id = |a: &AdminDomainAllow| a.id.parse().unwrap_or(0);
    let base = state.services.urls.base();
    Ok(Paged::of_whole_list(all, id, p.page(100, 200)?, base, &uri))
}

/// `GET /api/v1/admin/domain_allows/{id}` — one allowed domain.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminDomainAllow>, ApiError> {
    let by = auth.moderator(READ, ManageFederation)?;
    let allow = state
        .services
        .domain_allows()
        .get(by, path_id(&id)?)
        .await?;
    Ok(Json(domain_allow_entity(&allow)))
}

/// `POST /api/v1/admin/domain_allows` — `domain`.
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<AllowForm>,
) -> Result<Json<AdminDomainAllow>, ApiError> {
    let by = auth.moderator(WRITE, ManageFederation)?;
    let allow = state
        .services
        .domain_allows()
        .create(by, form.domain.as_deref().unwrap_or_default())
        .await?;
    Ok(Json(domain_allow_entity(&allow)))
}

/// `DELETE /api/v1/admin/domain_allows/{id}` — answers `{}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let by = auth.moderator(WRITE, ManageFederation)?;
    state
        .services
        .domain_allows()
        .delete(by, path_id(&id)?)
        .await?;
    Ok(Json(serde_json::json!({})))
}
