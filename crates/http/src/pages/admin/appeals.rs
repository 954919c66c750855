//! `/admin/disputes/appeals`: appeals of warnings as moderators see them — those waiting for a
//! decision, with buttons to approve (the warning's action is reversed) or reject them, and
//! those decided. Permission: manage appeals.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use rookery_model::{Id, Permission};
use rookery_service::ServiceError;
use serde::Deserialize;

use super::{Staff, TokenForm, admin_frame, admin_page, staff, staff_posted};
use crate::pages::Site;
use crate::pages::session::ClientIp;
use crate::pages::settings::settings_page;
use crate::{ApiError, AppState};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/disputes/appeals", get(list))
        .route("/admin/disputes/appeals/{id}/{step}", post(decide))
}

struct AppealRow {
    id: String,
    account_id: String,
    acct: String,
    action: String,
    warning_text: String,
    warned_at: String,
    text: String,
    state: &'static str,
    at: String,
}

#[derive(Template)]
#[template(path = "admin/appeals.html")]
struct AppealsPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    pending: bool,
    rows: Vec<AppealRow>,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn appeals_page(
    state: &AppState,
    staff: &Staff,
    pending: bool,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let rows = state
        .services
        .appeals()
        .list(staff.moderator, pending)
        .await?
        .into_iter()
        .map(|v| AppealRow {
            id: v.appeal.id.to_string(),
            account_id: v.appeal.account_id.to_string(),
            acct: v.acct,
            action: v.warning.action,
            warning_text: v.warning.text.chars().take(300).collect(),
            warned_at: v.warning.created_at.to_rfc3339(),
            state: v.appeal.state(),
            text: v.appeal.text,
            at: v.appeal.created_at.to_rfc3339(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut f = admin_frame(state, staff, "appeals");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(AppealsPage, f, { pending: pending, rows: rows });
    admin_page(&body, staff, status)
}

/// `GET /admin/disputes/appeals` (`?status=decided` for those decided).
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let staff = match staff(&state, &headers, &ip, Permission::ManageAppeals).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    let pending = q.status.as_deref() != Some("decided");
    appeals_page(&state, &staff, pending, None, None).await
}

/// `POST /admin/disputes/appeals/{id}/{approve|reject}`.
async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path((id, step)): Path<(String, String)>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        Permission::ManageAppeals,
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = id
        .parse::<i64>()
        .map(Id::from_i64)
        .map_err(|_| ApiError::from(ServiceError::NotFound("appeal")))?;
    let appeals = state.services.appeals();
    let done = match step.as_str() {
        "approve" => appeals
            .approve(staff.moderator, id)
            .await
            .map(|()| "The appeal is approved: the decision is reversed."),
        "reject" => appeals
            .reject(staff.moderator, id)
            .await
            .map(|()| "The appeal is rejected."),
        _ => return Err(ServiceError::NotFound("action").into()),
    };
    match done {
        Ok(notice) => appeals_page(&state, &staff, true, Some(notice.into()), None).await,
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Unprocessable(_))) => {
            appeals_page(&state, &staff, true, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}
