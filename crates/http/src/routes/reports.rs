//! Reporting an account to the moderators: `POST /api/v1/reports`; and the admin API's
//! report routes (`admin::reports`), registered together by [`routes`].

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;

use rookery_service::moderation::reports::NewReport;

use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::{ApiError, AppState};

/// The report routes, user and admin.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports", post(create))
        .merge(super::admin::reports::routes())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CreateReport {
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    status_ids: Vec<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    forward: Option<bool>,
    #[serde(default, deserialize_with = "loose::string_list")]
    forward_to_domains: Vec<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    rule_ids: Vec<String>,
}

/// `POST /api/v1/reports` — `account_id`, `status_ids[]`, `comment`, `forward`,
/// `forward_to_domains[]`, `category`, `rule_ids[]`: files a report; answers Mastodon's Report
/// entity.
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<CreateReport>,
) -> Result<Json<rookery_api::Report>, ApiError> {
    let user = auth.user("write:reports")?;
    let account_id = form
        .account_id
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: Target account can't be blank",
            )
        })?;
    let report = state
        .services
        .reports()
        .create(
            &user.account,
            NewReport {
                account_id,
                status_ids: form.status_ids,
                comment: form.comment.unwrap_or_default(),
                forward: form.forward.unwrap_or(false),
                forward_to_domains: form.forward_to_domains,
                category: form.category,
                rule_ids: form.rule_ids,
            },
        )
        .await?;
    Ok(Json(state.services.report_entity(&report).await?))
}
