//! Accounts.

use axum::Json;
use axum::extract::State;
use serde_json::json;

use crate::auth::Auth;
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
