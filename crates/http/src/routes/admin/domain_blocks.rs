//! Server-wide domain blocks: `/api/v1/admin/domain_blocks` (Mastodon's Admin::DomainBlock).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use rookery_api::AdminDomainBlock;
use rookery_model::Permission::ManageFederation;
use rookery_service::NewDomainBlock;
use rookery_service::moderation::domain_blocks::{DomainBlockChange, domain_block_entity};
use serde::Deserialize;

use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::routes::path_id;
use crate::{ApiError, AppState};

const READ: &str = "admin:read:domain_blocks";
const WRITE: &str = "admin:write:domain_blocks";

#[derive(Debug, Default, Deserialize)]
pub(crate) struct BlockForm {
    domain: Option<String>,
    severity: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    reject_media: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    reject_reports: Option<bool>,
    private_comment: Option<String>,
    public_comment: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    obfuscate: Option<bool>,
}

/// `GET /api/v1/admin/domain_blocks` — the blocks, newest first, 100 a page (at most 200).
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<AdminDomainBlock>, ApiError> {
    let by = auth.moderator(READ, ManageFederation)?;
    let blocks = state.services.admin_domain_blocks().list(by).await?;
    let all = blocks.iter().map(domain_block_entity).collect();
    let page = p.page(100, 200)?;
    let id = |b: &AdminDomainBlock| b.id.parse().unwrap_or(0);
    let base = state.services.urls.base();
    Ok(Paged::of_whole_list(all, id, page, base, &uri))
}

/// `GET /api/v1/admin/domain_blocks/{id}` — one block.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminDomainBlock>, ApiError> {
    let by = auth.moderator(READ, ManageFederation)?;
    let block = state
        .services
        .admin_domain_blocks()
        .get(by, path_id(&id)?)
        .await?;
    Ok(Json(domain_block_entity(&block)))
}

/// `POST /api/v1/admin/domain_blocks` — `domain`, `severity` (default `silence`),
/// `reject_media`, `reject_reports`, `private_comment`, `public_comment`, `obfuscate`.
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<BlockForm>,
) -> Result<Json<AdminDomainBlock>, ApiError> {
    let by = auth.moderator(WRITE, ManageFederation)?;
    let new = NewDomainBlock {
        domain: form.domain.unwrap_or_default(),
        severity: form.severity.unwrap_or_else(|| "silence".into()),
        reject_media: form.reject_media.unwrap_or(false),
        reject_reports: form.reject_reports.unwrap_or(false),
        private_comment: form.private_comment.unwrap_or_default(),
        public_comment: form.public_comment.unwrap_or_default(),
        obfuscate: form.obfuscate.unwrap_or(false),
    };
    let block = state.services.admin_domain_blocks().create(by, new).await?;
    Ok(Json(domain_block_entity(&block)))
}

/// `PUT /api/v1/admin/domain_blocks/{id}` — any of the fields of a new block but `domain`.
pub(crate) async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<BlockForm>,
) -> Result<Json<AdminDomainBlock>, ApiError> {
    let by = auth.moderator(WRITE, ManageFederation)?;
    let change = DomainBlockChange {
        severity: form.severity,
        reject_media: form.reject_media,
        reject_reports: form.reject_reports,
        private_comment: form.private_comment,
        public_comment: form.public_comment,
        obfuscate: form.obfuscate,
    };
    let block = state
        .services
        .admin_domain_blocks()
        .update(by, path_id(&id)?, change)
        .await?;
    Ok(Json(domain_block_entity(&block)))
}

/// `DELETE /api/v1/admin/domain_blocks/{id}` — lifts the block; answers `{}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let by = auth.moderator(WRITE, ManageFederation)?;
    state
        .services
        .admin_domain_blocks()
        .delete(by, path_id(&id)?)
        .await?;
    Ok(Json(serde_json::json!({})))
}
