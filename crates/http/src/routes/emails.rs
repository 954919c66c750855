//! `/api/v1/emails/…`: the confirmation of a new account's address, from the app it signed up
//! with.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::auth::Auth;
use crate::{ApiError, AppState};

/// `POST /api/v1/emails/confirmations`: mails the confirmation link again.
pub(crate) async fn resend_confirmation(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.any_user("write:accounts")?;
    if user.user.confirmed_at.is_some() || !state.services.mail().enabled() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "This method is only available while the e-mail is awaiting confirmation",
        ));
    }
    state
        .services
        .account_links()
        .resend_confirmation(user)
        .await?;
    Ok(Json(serde_json::json!({})))
}

/// `GET /api/v1/emails/check_confirmation`: whether the address is confirmed yet.
pub(crate) async fn check_confirmation(auth: Auth) -> Result<Json<bool>, ApiError> {
    let user = auth.any_user("read:accounts")?;
    Ok(Json(user.user.confirmed_at.is_some()))
}
