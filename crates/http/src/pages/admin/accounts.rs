//! `/admin/accounts`: accounts as moderators see them — pending sign-ups to approve or reject,
//! each account's state, the reports about it and the warnings it got, and the actions on it
//! with their undoing.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use rookery_model::{Id, Permission};
use rookery_service::ServiceError;
use rookery_service::moderation::actions::{ActionKind, ActionRequest};
use rookery_store::{AccountFilter, AccountOrigin, AccountState, ReportFilter, TimelinePage};
use serde::Deserialize;

use super::reports::state_of;
use super::{Staff, admin_frame, admin_page, staff, staff_posted};
use crate::pages::Site;
use crate::pages::session::ClientIp;
use crate::pages::settings::settings_page;
use crate::{ApiError, AppState};

const PER_PAGE: u32 = 40;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(list))
        .route("/admin/accounts/{id}", get(show))
        .route("/admin/accounts/{id}/{step}", post(step))
}

struct AccountRow {
    id: String,
    acct: String,
    email: String,
    state: String,
    at: String,
    /// Why they want to join (sign-ups waiting for approval).
    reason: String,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    tab: &'static str,
    rows: Vec<AccountRow>,
}

struct ReportRow {
    id: String,
    category: String,
    comment: String,
    open: bool,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    id: String,
    acct: String,
    display_name: String,
    email: String,
    role: String,
    state: String,
    at: String,
    remote: bool,
    pending: bool,
    suspended: bool,
    silenced: bool,
    disabled: bool,
    sensitized: bool,
    ip: String,
    reason: String,
    reports: Vec<ReportRow>,
    /// What moderators did to it, newest first (for those who may read the audit log).
    history: Vec<super::audit::LogRow>,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    status: Option<String>,
}

/// `GET /admin/accounts` (`?status=pending|active|silenced|suspended|remote`).
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let staff = match staff(&state, &headers, &ip, Permission::ManageUsers).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    let (tab, filter) = match q.status.as_deref() {
        Some("pending") => ("pending", local(AccountState::Pending)),
        Some("silenced") => ("silenced", any(AccountState::Silenced)),
        Some("suspended") => ("suspended", any(AccountState::Suspended)),
        Some("remote") => (
            "remote",
            AccountFilter {
                origin: Some(AccountOrigin::Remote),
                ..AccountFilter::default()
            },
        ),
        _ => ("active", local(AccountState::Active)),
    };
    let page = TimelinePage {
        max_id: None,
        since_id: None,
        min_id: None,
        limit: PER_PAGE,
    };
    let rows = state
        .services
        .account_actions()
        .list(staff.moderator, &filter, page)
        .await?
        .into_iter()
        .map(|a| AccountRow {
            id: a.id.clone(),
            acct: format!("@{}", a.account.acct),
            email: a.email.clone(),
            state: state_of(&a),
            at: a.created_at.clone(),
            reason: a.invite_request.clone().unwrap_or_default(),
        })
        .collect();
    let body = settings_page!(AccountsPage, admin_frame(&state, &staff, "accounts"), {
        tab: tab,
        rows: rows,
    });
    admin_page(&body, &staff, StatusCode::OK)
}

fn local(state: AccountState) -> AccountFilter {
    AccountFilter {
        origin: Some(AccountOrigin::Local),
        state: Some(state),
        ..AccountFilter::default()
    }
}

fn any(state: AccountState) -> AccountFilter {
    AccountFilter {
        state: Some(state),
        ..AccountFilter::default()
    }
}

fn account_id(id: &str) -> Result<Id, ApiError> {
    id.parse::<i64>()
        .map(Id::from_i64)
        .map_err(|_| ServiceError::NotFound("account").into())
}

async fn account_page(
    state: &AppState,
    staff: &Staff,
    id: Id,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let a = services.admin_account(staff.moderator, id).await?;
    let reports = if staff.moderator.role.can(Permission::ManageReports) {
        let filter = ReportFilter {
            target_account_id: Some(id),
            ..ReportFilter::default()
        };
        let page = TimelinePage {
            max_id: None,
            since_id: None,
            min_id: None,
            limit: PER_PAGE,
        };
        services
            .reports()
            .list(staff.moderator, &filter, page)
            .await?
            .into_iter()
            .map(|r| ReportRow {
                id: r.id.to_string(),
                category: r.category,
                comment: r.comment.chars().take(140).collect(),
                open: r.action_taken_at.is_none(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let history = if staff.moderator.role.can(Permission::ViewAuditLog) {
        let page = rookery_store::Page {
            max_id: None,
            limit: PER_PAGE,
        };
        let logs = services
            .audit_log()
            .list(staff.moderator, page, None, Some(("Account", id)))
            .await?;
        super::audit::log_rows(state, logs).await?
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut f = admin_frame(state, staff, "accounts");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(AccountPage, f, {
        id: a.id.clone(),
        acct: format!("@{}", a.account.acct),
        display_name: a.account.display_name.clone(),
        email: a.email.clone(),
        role: a
            .role
            .as_ref()
            .map(|r| r.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "User".into()),
        state: state_of(&a),
        at: a.created_at.clone(),
        remote: a.domain.is_some(),
        pending: !a.approved,
        suspended: a.suspended,
        silenced: a.silenced,
        disabled: a.disabled,
        sensitized: a.sensitized,
        ip: a.ip.clone().unwrap_or_default(),
        reason: a.invite_request.clone().unwrap_or_default(),
        reports: reports,
        history: history,
    });
    admin_page(&body, staff, status)
}

/// `GET /admin/accounts/{id}`.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let staff = match staff(&state, &headers, &ip, Permission::ManageUsers).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    account_page(&state, &staff, account_id(&id)?, None, None).await
}

#[derive(Debug, Deserialize)]
struct StepForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    send_email: Option<String>,
}

/// `POST /admin/accounts/{id}/{action|approve|reject|enable|unsilence|unsuspend|unsensitive}`.
async fn step(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path((id, step)): Path<(String, String)>,
    axum::Form(form): axum::Form<StepForm>,
) -> Result<Response, ApiError> {
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        Permission::ManageUsers,
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = account_id(&id)?;
    let actions = state.services.account_actions();
    let by = staff.moderator;
    let done = match step.as_str() {
        "action" => {
            let Some(kind) = ActionKind::parse(&form.kind) else {
                return account_page(&state, &staff, id, None, Some("Choose an action.".into()))
                    .await;
            };
            let request = ActionRequest {
                kind,
                report_id: None,
                text: form.text,
                send_email: form.send_email.is_some(),
            };
            actions.perform(by, id, &request).await.map(|()| "Done.")
        }
        "approve" => actions
            .approve(by, id)
            .await
            .map(|_| "The sign-up is approved."),
        "reject" => {
            // A rejected sign-up is gone: back to the list.
            actions.reject(by, id).await?;
            return list(
                State(state),
                headers,
                ClientIp(ip),
                Query(ListQuery {
                    status: Some("pending".into()),
                }),
            )
            .await;
        }
        "enable" => actions
            .enable(by, id)
            .await
            .map(|_| "The login works again."),
        "unsilence" => actions
            .unsilence(by, id)
            .await
            .map(|_| "The limit is lifted."),
        "unsuspend" => actions
            .unsuspend(by, id)
            .await
            .map(|_| "The suspension is lifted."),
        "unsensitive" => actions
            .unsensitive(by, id)
            .await
            .map(|_| "Its media is no longer marked sensitive."),
        _ => return Err(ServiceError::NotFound("action").into()),
    };
    match done {
        Ok(notice) => account_page(&state, &staff, id, Some(notice.into()), None).await,
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Unprocessable(_))) => {
            account_page(&state, &staff, id, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}
