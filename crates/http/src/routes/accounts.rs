//! Accounts.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::LooseQuery;
use crate::{ApiError, AppState};

/// `GET /api/v1/accounts/verify_credentials` — the signed-in user's account, with `source` and
/// `role` (Mastodon's CredentialAccount).
pub(crate) async fn verify_credentials(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("read:accounts")?;
    let entity = state.services.account_entity(&user.account);
    let mut body = serde_json::to_value(entity)
        .map_err(|e| ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    body["source"] = json!({
        "privacy": "public",
        "sensitive": false,
        "language": user.user.locale.clone().unwrap_or_default(),
        "note": user.account.note,
        "fields": [],
        "follow_requests_count": 0,
        "hide_collections": false,
        "discoverable": user.account.discoverable,
        "indexable": user.account.discoverable,
    });
    let role = user.user.role;
    body["role"] = json!({
        "id": (rookery_model::Role::ALL.iter().position(|r| *r == role).unwrap_or(0)).to_string(),
        "name": role.display_name(),
        "color": "",
        "permissions": "0",
        "highlighted": role >= rookery_model::Role::Moderator,
    });
    Ok(Json(body))
}

/// `GET /api/v1/accounts/{id}` — an account.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::Account>, ApiError> {
    Ok(Json(state.services.get_account(path_id(&id)?).await?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct LookupParams {
    #[serde(default)]
    acct: String,
}

/// `GET /api/v1/accounts/lookup?acct=` — an account by its handle.
pub(crate) async fn lookup(
    State(state): State<AppState>,
    LooseQuery(p): LooseQuery<LookupParams>,
) -> Result<Json<rookery_api::Account>, ApiError> {
    Ok(Json(state.services.lookup_account(&p.acct).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FollowParams {
    #[serde(default, deserialize_with = "loose::opt_bool")]
    reblogs: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    notify: Option<bool>,
}

/// `POST /api/v1/accounts/{id}/follow` — follow (options `reblogs`, `notify`).
pub(crate) async fn follow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(p): Body<FollowParams>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:follows")?;
    Ok(Json(
        state
            .services
            .follow(user, path_id(&id)?, p.reblogs, p.notify)
            .await?,
    ))
}

/// `POST /api/v1/accounts/{id}/unfollow`.
pub(crate) async fn unfollow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:follows")?;
    Ok(Json(state.services.unfollow(user, path_id(&id)?).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RelationshipParams {
    #[serde(default, deserialize_with = "loose::string_list")]
    id: Vec<String>,
}

/// `GET /api/v1/accounts/relationships?id[]=` — how the user stands to each account.
pub(crate) async fn relationships(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(p): LooseQuery<RelationshipParams>,
) -> Result<Json<Vec<rookery_api::Relationship>>, ApiError> {
    let user = auth.user("read:follows")?;
    let ids: Vec<rookery_model::Id> = p.id.iter().filter_map(|i| i.parse().ok()).collect();
    Ok(Json(state.services.relationships(user, &ids).await?))
}
