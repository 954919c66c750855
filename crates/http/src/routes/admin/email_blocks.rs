//! E-mail blocks: `/api/v1/admin/email_domain_blocks` (Admin::EmailDomainBlock) and
//! `/api/v1/admin/canonical_email_blocks` (Admin::CanonicalEmailBlock).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use rookery_api::{AdminCanonicalEmailBlock, AdminEmailDomainBlock};
use rookery_model::Permission::ManageBlocks;
use rookery_service::moderation::email_blocks::{
    canonical_email_block_entity, email_domain_block_entity,
};
use serde::Deserialize;

use crate::auth::Auth;
use crate::extract::Body;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::routes::path_id;
use crate::{ApiError, AppState};

const READ_DOMAINS: &str = "admin:read:email_domain_blocks";
const WRITE_DOMAINS: &str = "admin:write:email_domain_blocks";
const READ_CANONICAL: &str = "admin:read:canonical_email_blocks";
const WRITE_CANONICAL: &str = "admin:write:canonical_email_blocks";

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DomainForm {
    domain: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CanonicalForm {
    email: Option<String>,
    canonical_email_hash: Option<String>,
}

/// `GET /api/v1/admin/email_domain_blocks` — newest first, 100 a page (at most 200).
pub(crate) async fn domains(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<AdminEmailDomainBlock>, ApiError> {
    let by = auth.moderator(READ_DOMAINS, ManageBlocks)?;
    let s = &state.services;
    let blocks = s.email_blocks().domains(by).await?;
    let all = blocks
        .iter()
        .map(|b| email_domain_block_entity(s, b))
        .collect();
    let id = |b: &AdminEmailDomainBlock| b.id.parse().unwrap_or(0);
    Ok(Paged::of_whole_list(
        all,
        id,
        p.page(100, 200)?,
        s.urls.base(),
        &uri,
    ))
}

/// `GET /api/v1/admin/email_domain_blocks/{id}` — one.
pub(crate) async fn domain(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminEmailDomainBlock>, ApiError> {
    let by = auth.moderator(READ_DOMAINS, ManageBlocks)?;
    let s = &state.services;
    let block = s.email_blocks().domain(by, path_id(&id)?).await?;
    Ok(Json(email_domain_block_entity(s, &block)))
}

/// `POST /api/v1/admin/email_domain_blocks` — `domain`.
pub(crate) async fn block_domain(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<DomainForm>,
) -> Result<Json<AdminEmailDomainBlock>, ApiError> {
    let by = auth.moderator(WRITE_DOMAINS, ManageBlocks)?;
    let s = &state.services;
    let block = s
        .email_blocks()
        .block_domain(by, form.domain.as_deref().unwrap_or_default())
        .await?;
    Ok(Json(email_domain_block_entity(s, &block)))
}

/// `DELETE /api/v1/admin/email_domain_blocks/{id}` — answers `{}`.
pub(crate) async fn unblock_domain(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let by = auth.moderator(WRITE_DOMAINS, ManageBlocks)?;
    state
        .services
        .email_blocks()
        .unblock_domain(by, path_id(&id)?)
        .await?;
    Ok(Json(serde_json::json!({})))
}

/// `GET /api/v1/admin/canonical_email_blocks` — blocked addresses (as hashes), newest first,
/// 100 a page (at most 200).
pub(crate) async fn canonical(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<AdminCanonicalEmailBlock>, ApiError> {
    let by = auth.moderator(READ_CANONICAL, ManageBlocks)?;
    let blocks = state.services.email_blocks().canonical(by).await?;
    let all = blocks.iter().map(canonical_email_block_entity).collect();
    let id = |b: &AdminCanonicalEmailBlock| b.id.parse().unwrap_or(0);
    let base = state.services.urls.base();
    Ok(Paged::of_whole_list(all, id, p.page(100, 200)?, base, &uri))
}

/// `GET /api/v1/admin/canonical_email_blocks/{id}` — one.
pub(crate) async fn canonical_one(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminCanonicalEmailBlock>, ApiError> {
    let by = auth.moderator(READ_CANONICAL, ManageBlocks)?;
    let block = state
        .services
        .email_blocks()
        .canonical_one(by, path_id(&id)?)
        .await?;
    Ok(Json(canonical_email_block_entity(&block)))
}

/// `POST /api/v1/admin/canonical_email_blocks/test` — `email`: the blocks that match it.
pub(crate) async fn test(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<CanonicalForm>,
) -> Result<Json<Vec<AdminCanonicalEmailBlock>>, ApiError> {
    let by = auth.moderator(READ_CANONICAL, ManageBlocks)?;
    let blocks = state
        .services
        .email_blocks()
        .test(by, form.email.as_deref().unwrap_or_default())
        .await?;
    Ok(Json(
        blocks.iter().map(canonical_email_block_entity).collect(),
    ))
}

/// `POST /api/v1/admin/canonical_email_blocks` — `email` or `canonical_email_hash`.
pub(crate) async fn block_canonical(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<CanonicalForm>,
) -> Result<Json<AdminCanonicalEmailBlock>, ApiError> {
    let by = auth.moderator(WRITE_CANONICAL, ManageBlocks)?;
    let block = state
        .services
        .email_blocks()
        .block_canonical(
            by,
            form.email.as_deref(),
            form.canonical_email_hash.as_deref(),
        )
        .await?;
    Ok(Json(canonical_email_block_entity(&block)))
}

/// `DELETE /api/v1/admin/canonical_email_blocks/{id}` — answers `{}`.
pub(crate) async fn unblock_canonical(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let by = auth.moderator(WRITE_CANONICAL, ManageBlocks)?;
    state
        .services
        .email_blocks()
        .unblock_canonical(by, path_id(&id)?)
        .await?;
    Ok(Json(serde_json::json!({})))
}
