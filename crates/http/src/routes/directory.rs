//! The instance beyond its entity: `/api/v1/instance/activity|peers|extended_description|
//! privacy_policy|domain_blocks|rules|translation_languages` and `/api/v1/directory`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use rookery_api as api;

use crate::paging::LooseQuery;
use crate::{ApiError, AppState};

/// `GET /api/v1/instance/activity`.
pub(crate) async fn activity(State(state): State<AppState>) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(state.services.instance_activity().await?))
}

/// `GET /api/v1/instance/peers`.
pub(crate) async fn peers(State(state): State<AppState>) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(state.services.instance_peers().await?))
}

/// `GET /api/v1/instance/extended_description`.
pub(crate) async fn extended_description(State(state): State<AppState>) -> Json<Value> {
    Json(state.services.extended_description())
}

/// `GET /api/v1/instance/languages`.
pub(crate) async fn languages(State(state): State<AppState>) -> Json<Value> {
    Json(state.services.instance_languages())
}

/// `GET /api/v1/instance/privacy_policy`.
pub(crate) async fn privacy_policy(State(state): State<AppState>) -> Json<Value> {
    Json(state.services.privacy_policy())
}

/// `GET /api/v1/instance/terms_of_service` — 404 when none are set, as Mastodon.
pub(crate) async fn terms_of_service(
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    state
        .services
        .terms_of_service(None)
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

/// `GET /api/v1/instance/terms_of_service/{date}` — the terms in effect from that day.
pub(crate) async fn terms_of_service_on(
    State(state): State<AppState>,
    axum::extract::Path(date): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    state
        .services
        .terms_of_service(Some(&date))
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

/// `GET /api/v1/instance/domain_blocks`: 404 unless `instance.show_domain_blocks` lets this
/// viewer see the list (as Mastodon).
pub(crate) async fn domain_blocks(
    State(state): State<AppState>,
    crate::auth::Auth(auth): crate::auth::Auth,
) -> Result<Json<Vec<Value>>, ApiError> {
    match state.services.public_domain_blocks(auth.is_some()).await? {
        Some(list) => Ok(Json(list)),
        None => Err(ApiError::not_found()),
    }
}

/// `GET /api/v1/instance/rules`: the same list as the instance entity's `rules`.
pub(crate) async fn rules(State(state): State<AppState>) -> Result<Json<Vec<api::Rule>>, ApiError> {
    Ok(Json(state.services.rules().shown().await?))
}

/// `GET /api/v1/instance/translation_languages`: none, as translation is not offered
/// (`configuration.translation.enabled` is false).
pub(crate) async fn translation_languages() -> Json<Value> {
    Json(json!({}))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DirectoryParams {
    offset: Option<String>,
    limit: Option<String>,
    order: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::loose::opt_bool")]
    local: Option<bool>,
}

/// `GET /api/v1/directory` — `order` `active` or `new`, `local`, `offset`, `limit` (40, ≤ 80).
pub(crate) async fn directory(
    State(state): State<AppState>,
    LooseQuery(p): LooseQuery<DirectoryParams>,
) -> Result<Json<Vec<api::Account>>, ApiError> {
    let number =
        |v: &Option<String>, default: u32, what: &str| match v.as_deref().filter(|s| !s.is_empty())
        {
            None => Ok(default),
            Some(s) => s
                .parse::<u32>()
                .map_err(|_| ApiError::bad_request(format!("{what} is not a number"))),
        };
    Ok(Json(
        state
            .services
            .directory(
                p.order.as_deref(),
                p.local.unwrap_or(false),
                number(&p.offset, 0, "offset")?,
                number(&p.limit, 40, "limit")?,
            )
            .await?,
    ))
}
