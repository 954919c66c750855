//! A user's own domain blocks: `GET/POST/DELETE /api/v1/domain_blocks`.

use axum::Json;
use axum::extract::{OriginalUri, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Auth;
use crate::extract::Body;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

/// `GET /api/v1/domain_blocks` — domain names, newest first (100, at most 200), Link paging.
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<String>, ApiError> {
    let user = auth.user("read:blocks")?;
    let rows = state
        .services
        .user_domain_blocks(user, p.page(100, 200)?)
        .await?;
    Ok(Paged::keyed(
        rows.into_iter()
            .map(|(id, d)| (id.to_string(), d))
            .collect(),
        state.services.urls.base(),
        &uri,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DomainForm {
    domain: Option<String>,
}

fn domain(form: &DomainForm) -> Result<&str, ApiError> {
    form.domain
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: Domain can't be blank",
            )
        })
}

/// `POST /api/v1/domain_blocks` — `domain`.
pub(crate) async fn block(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<DomainForm>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:blocks")?;
    state
        .services
        .set_domain_block(user, domain(&form)?, true)
        .await?;
    Ok(Json(json!({})))
}

/// `DELETE /api/v1/domain_blocks` — `domain` in the body or the query.
pub(crate) async fn unblock(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<DomainForm>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:blocks")?;
    state
        .services
        .set_domain_block(user, domain(&form)?, false)
        .await?;
    Ok(Json(json!({})))
}
