//! Quote posts: the quotes of one's post, revoking one, who may quote a post, and the
//! `QuoteAuthorization` documents other servers check.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use serde::Deserialize;

use rookery_api as api;

use super::activity_json;
use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::Body;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

/// `GET /api/v1/statuses/{id}/quotes`: accepted quotes, paged by quote id.
pub(crate) async fn index(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    Path(id): Path<String>,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::Status>, ApiError> {
    let user = auth.user("read:statuses")?;
    let rows = state
        .services
        .quotes()
        .of_status(&user.account, path_id(&id)?, p.page(20, 40)?)
        .await?;
    Ok(Paged::keyed(rows, state.services.urls.base(), &uri))
}

/// `POST /api/v1/statuses/{id}/quotes/{quoting_status_id}/revoke`.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, quoting)): Path<(String, String)>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:statuses")?;
    Ok(Json(
        state
            .services
            .quotes()
            .revoke(user, path_id(&id)?, path_id(&quoting)?)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct PolicyForm {
    quote_approval_policy: Option<String>,
}

/// `PUT /api/v1/statuses/{id}/interaction_policy`.
pub(crate) async fn interaction_policy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<PolicyForm>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:statuses")?;
    let Some(asked) = form.quote_approval_policy.filter(|p| !p.trim().is_empty()) else {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: quote_approval_policy is missing",
        ));
    };
    Ok(Json(
        state
            .services
            .quotes()
            .set_policy(user, path_id(&id)?, &asked)
            .await?,
    ))
}

/// `GET /users/{username}/quote_authorizations/{id}`.
pub(crate) async fn authorization(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    _signed: super::federation::SignedFetch,
) -> Result<Response, ApiError> {
    let body = state
        .services
        .ap_quote_authorization(&username, path_id(&id)?)
        .await?;
    Ok(activity_json(body))
}
