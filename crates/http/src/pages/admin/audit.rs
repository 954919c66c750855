//! `GET /admin/action_logs`: the audit log — who did what to what, when and why, newest first.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use rookery_model::{Id, Permission};
use rookery_store::Page;
use serde::Deserialize;

use super::{admin_frame, admin_page, staff};
use crate::pages::Site;
use crate::pages::session::ClientIp;
use crate::pages::settings::settings_page;
use crate::{ApiError, AppState};

const PER_PAGE: u32 = 40;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/action_logs", get(list))
}

pub(super) struct LogRow {
    pub who: String,
    pub action: String,
    pub target: String,
    pub reason: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "admin/action_logs.html")]
struct ActionLogs {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    rows: Vec<LogRow>,
    /// The link to older entries, when there may be some.
    older: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    max_id: Option<String>,
}

/// `GET /admin/action_logs`.
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let staff = match staff(&state, &headers, &ip, Permission::ViewAuditLog).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    let page = Page {
        max_id: q
            .max_id
            .as_deref()
            .and_then(|m| m.parse::<i64>().ok())
            .map(Id::from_i64),
        limit: PER_PAGE,
    };
    let logs = state
        .services
        .audit_log()
        .list(staff.moderator, page, None, None)
        .await?;
    let older = (logs.len() == PER_PAGE as usize)
        .then(|| {
            logs.last()
                .map(|l| format!("/admin/action_logs?max_id={}", l.id))
        })
        .flatten();
    let rows = log_rows(&state, logs).await?;
    let body = settings_page!(ActionLogs, admin_frame(&state, &staff, "action_logs"), {
        rows: rows,
        older: older,
    });
    admin_page(&body, &staff, StatusCode::OK)
}

/// Audit-log entries as the pages show them (the moderators' names read once).
pub(super) async fn log_rows(
    state: &AppState,
    logs: Vec<rookery_store::ActionLog>,
) -> Result<Vec<LogRow>, ApiError> {
    let mut ids: Vec<Id> = logs.iter().filter_map(|l| l.account_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<Id, String> = state
        .services
        .store
        .accounts(&ids)
        .await
        .map_err(rookery_service::ServiceError::from)?
        .into_iter()
        .map(|a| (a.id, format!("@{}", a.username)))
        .collect();
    Ok(logs
        .into_iter()
        .map(|l| LogRow {
            who: match l.account_id {
                Some(id) => names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                None => "the command line".into(),
            },
            action: l.action,
            target: if l.target_name.is_empty() {
                l.target_type
            } else {
                format!("{} {}", l.target_type, l.target_name)
            },
            reason: l.reason,
            at: l.created_at.to_rfc3339(),
        })
        .collect())
}
