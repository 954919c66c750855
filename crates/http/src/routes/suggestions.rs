//! Follow suggestions: `GET /api/v2/suggestions`, `GET /api/v1/suggestions`,
//! `DELETE /api/v1/suggestions/{account_id}`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use rookery_api as api;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::paging::LooseQuery;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Params {
    limit: Option<String>,
}

fn limit(p: &Params) -> Result<u32, ApiError> {
    match p.limit.as_deref().filter(|l| !l.is_empty()) {
        None => Ok(40),
        Some(l) => l
            .parse::<u32>()
            .map_err(|_| ApiError::bad_request("limit is not a number")),
    }
}

/// `GET /api/v2/suggestions` — `limit` (40, at most 80).
pub(crate) async fn v2(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(p): LooseQuery<Params>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let user = auth.user("read:accounts")?;
    Ok(Json(state.services.suggestions(user, limit(&p)?).await?))
}

/// `GET /api/v1/suggestions` — accounts only.
pub(crate) async fn v1(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(p): LooseQuery<Params>,
) -> Result<Json<Vec<api::Account>>, ApiError> {
    let user = auth.user("read")?;
    Ok(Json(
        state.services.suggested_accounts(user, limit(&p)?).await?,
    ))
}

/// `DELETE /api/v1/suggestions/{account_id}`.
pub(crate) async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:accounts")?;
    state
        .services
        .dismiss_suggestion(user, path_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}
