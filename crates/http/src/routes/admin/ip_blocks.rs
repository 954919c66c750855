//! IP blocks: `/api/v1/admin/ip_blocks` (Mastodon's Admin::IpBlock).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use rookery_api::AdminIpBlock;
use rookery_model::Permission::ManageBlocks;
use rookery_service::moderation::ip_blocks::{IpBlockInput, ip_block_entity};
use serde::Deserialize;

use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::routes::path_id;
use crate::{ApiError, AppState};

const READ: &str = "admin:read:ip_blocks";
const WRITE: &str = "admin:write:ip_blocks";

#[derive(Debug, Default, Deserialize)]
pub(crate) struct IpBlockForm {
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    ip: Option<String>,
    severity: Option<String>,
    comment: Option<String>,
    /// Seconds; empty clears the expiry on an update.
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    expires_in: Option<String>,
}

fn input(form: IpBlockForm) -> Result<IpBlockInput, ApiError> {
    let expires_in = match form.expires_in.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(text) => Some(Some(text.parse::<i64>().map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: Expires in must be a number of seconds",
            )
        })?)),
    };
    Ok(IpBlockInput {
        ip: form.ip,
        severity: form.severity,
        comment: form.comment,
        expires_in,
    })
}

/// `GET /api/v1/admin/ip_blocks` — newest first, 100 a page (at most 200).
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<AdminIpBlock>, ApiError> {
    let by = auth.moderator(READ, ManageBlocks)?;
    let blocks = state.services.ip_blocks().list(by).await?;
    let all = blocks.iter().map(ip_block_entity).collect();
    let id = |b: &AdminIpBlock| b.id.parse().unwrap_or(0);
    let base = state.services.urls.base();
    Ok(Paged::of_whole_list(all, id, p.page(100, 200)?, base, &uri))
}

/// `GET /api/v1/admin/ip_blocks/{id}` — one block.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminIpBlock>, ApiError> {
    let by = auth.moderator(READ, ManageBlocks)?;
    let block = state.services.ip_blocks().get(by, path_id(&id)?).await?;
    Ok(Json(ip_block_entity(&block)))
}

/// `POST /api/v1/admin/ip_blocks` — `ip` (`ADDRESS/PREFIX`), `severity`, `comment`,
/// `expires_in` (seconds).
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<IpBlockForm>,
) -> Result<Json<AdminIpBlock>, ApiError> {
    let by = auth.moderator(WRITE, ManageBlocks)?;
    let block = state.services.ip_blocks().create(by, input(form)?).await?;
    Ok(Json(ip_block_entity(&block)))
}

/// `PUT /api/v1/admin/ip_blocks/{id}` — any of the fields of a new block.
pub(crate) async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<IpBlockForm>,
) -> Result<Json<AdminIpBlock>, ApiError> {
    let by = auth.moderator(WRITE, ManageBlocks)?;
    let block = state
        .services
        .ip_blocks()
        .update(by, path_id(&id)?, input(form)?)
        .await?;
    Ok(Json(ip_block_entity(&block)))
}

/// `DELETE /api/v1/admin/ip_blocks/{id}` — answers `{}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let by = auth.moderator(WRITE, ManageBlocks)?;
    state.services.ip_blocks().delete(by, path_id(&id)?).await?;
    Ok(Json(serde_json::json!({})))
}
