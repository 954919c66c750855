//! `/admin/reports`: the reports queue and each report — who reported whom and why, the
//! reported posts, assigning, resolving and reopening, and acting on the reported account with
//! the report resolved in the same step.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use rookery_model::{Id, Permission};
use rookery_service::ServiceError;
use rookery_service::moderation::actions::{ActionKind, ActionRequest};
use rookery_service::moderation::post_removal::PostRemoval;
use rookery_store::{ReportFilter, TimelinePage};
use serde::Deserialize;

use super::{Staff, TokenForm, admin_frame, admin_page, staff, staff_posted};
use crate::pages::Site;
use crate::pages::session::ClientIp;
use crate::pages::settings::settings_page;
use crate::{ApiError, AppState};

const PER_PAGE: u32 = 40;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/reports", get(list))
        .route("/admin/reports/{id}", get(show))
        .route("/admin/reports/{id}/action", post(action))
        .route("/admin/reports/{id}/remove_posts", post(remove_posts))
        .route("/admin/reports/{id}/notes", post(add_note))
        .route("/admin/reports/{id}/notes/{note}/delete", post(delete_note))
        .route("/admin/reports/{id}/{step}", post(step))
}

struct ReportRow {
    id: String,
    target: String,
    reporter: String,
    category: String,
    comment: String,
    at: String,
}

#[derive(Template)]
#[template(path = "admin/reports.html")]
struct ReportsPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    resolved: bool,
    rows: Vec<ReportRow>,
}

struct PostRow {
    id: String,
    url: String,
    content: String,
    spoiler: String,
    at: String,
    /// Deleted since it was reported (what is shown is what it said then).
    gone: bool,
}

struct NoteRow {
    id: String,
    by: String,
    content: String,
    at: String,
    /// This moderator may delete it.
    deletable: bool,
}

#[derive(Template)]
#[template(path = "admin/report.html")]
struct ReportPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    id: String,
    target: String,
    target_id: String,
    target_state: String,
    reporter: String,
    category: String,
    rules: Vec<String>,
    comment: String,
    forwarded: bool,
    remote: bool,
    at: String,
    resolved_by: Option<String>,
    assigned: Option<String>,
    assigned_to_me: bool,
    has_live_posts: bool,
    posts: Vec<PostRow>,
    notes: Vec<NoteRow>,
}

fn acct(a: &rookery_api::AdminAccount) -> String {
    format!("@{}", a.account.acct)
}

/// What moderators have done to an account, in a few words.
pub(super) fn state_of(a: &rookery_api::AdminAccount) -> String {
    let mut parts = Vec::new();
    if a.suspended {
        parts.push("suspended");
    }
    if a.silenced {
        parts.push("limited");
    }
    if a.disabled {
        parts.push("login disabled");
    }
    if a.sensitized {
        parts.push("media marked sensitive");
    }
    if !a.approved {
        parts.push("waiting for approval");
    }
    if parts.is_empty() {
        "active".into()
    } else {
        parts.join(", ")
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    resolved: Option<String>,
}

/// `GET /admin/reports` (`?resolved=1` for the resolved ones).
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let staff = match staff(&state, &headers, &ip, Permission::ManageReports).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    let resolved = q.resolved.is_some_and(|r| r == "1" || r == "true");
    let filter = ReportFilter {
        resolved: Some(resolved),
        ..ReportFilter::default()
    };
    let page = TimelinePage {
        max_id: None,
        since_id: None,
        min_id: None,
        limit: PER_PAGE,
    };
    let services = &state.services;
    let reports = services
        .reports()
        .list(staff.moderator, &filter, page)
        .await?;
    let mut rows = Vec::with_capacity(reports.len());
    for r in &reports {
        let e = services.admin_report_entity(r).await?;
        rows.push(ReportRow {
            id: e.id.clone(),
            target: acct(&e.target_account),
            reporter: acct(&e.account),
            category: e.category.clone(),
            comment: e.comment.chars().take(140).collect(),
            at: e.created_at.clone(),
        });
    }
    let body = settings_page!(ReportsPage, admin_frame(&state, &staff, "reports"), {
        resolved: resolved,
        rows: rows,
    });
    admin_page(&body, &staff, StatusCode::OK)
}

fn report_id(id: &str) -> Result<Id, ApiError> {
    id.parse::<i64>()
        .map(Id::from_i64)
        .map_err(|_| ServiceError::NotFound("report").into())
}

async fn report_page(
    state: &AppState,
    staff: &Staff,
    id: Id,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let report = services.reports().get(staff.moderator, id).await?;
    let e = services.admin_report_entity(&report).await?;
    let me = staff.moderator.account_id.map(|i| i.to_string());
    // Every reported post as it was reported; the live one where it is still there.
    let posts = services
        .reports()
        .reported_posts(staff.moderator, id)
        .await?
        .into_iter()
        .map(|p| {
            let id = p.status_id.to_string();
            match e.statuses.iter().find(|s| s.id == id) {
                Some(s) => PostRow {
                    id,
                    url: s.url.clone().unwrap_or_else(|| s.uri.clone()),
                    content: s.content.clone(),
                    spoiler: s.spoiler_text.clone(),
                    at: s.created_at.clone(),
                    gone: false,
                },
                None => PostRow {
                    id,
                    url: p.url.unwrap_or_default(),
                    content: p.content,
                    spoiler: p.spoiler_text,
                    at: p.posted_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    gone: true,
                },
            }
        })
        .collect::<Vec<_>>();
    let admin = staff.moderator.role >= rookery_model::Role::Admin;
    let mut notes = Vec::new();
    for n in services.reports().notes(staff.moderator, id).await? {
        let by = match n.account_id {
            Some(a) => match services
                .store
                .account(a)
                .await
                .map_err(ServiceError::from)?
            {
                Some(a) => format!("@{}", a.username.as_str()),
                None => "a former moderator".to_owned(),
            },
            None => "the command line".to_owned(),
        };
        notes.push(NoteRow {
            id: n.id.to_string(),
            by,
            content: n.content,
            at: n.created_at.to_rfc3339(),
            deletable: admin
                || (n.account_id.is_some() && n.account_id == staff.moderator.account_id),
        });
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut f = admin_frame(state, staff, "reports");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(ReportPage, f, {
        id: e.id.clone(),
        target: acct(&e.target_account),
        target_id: e.target_account.id.clone(),
        target_state: state_of(&e.target_account),
        reporter: acct(&e.account),
        category: e.category.clone(),
        rules: e.rules.iter().map(|r| r.text.clone()).collect(),
        comment: e.comment.clone(),
        forwarded: e.forwarded,
        remote: e.target_account.domain.is_some(),
        at: e.created_at.clone(),
        resolved_by: e
            .action_taken
            .then(|| e.action_taken_by_account.as_ref().map(acct).unwrap_or_default()),
        assigned: e.assigned_account.as_ref().map(acct),
        assigned_to_me: e
            .assigned_account
            .as_ref()
            .is_some_and(|a| Some(&a.id) == me.as_ref()),
        has_live_posts: posts.iter().any(|p| !p.gone),
        posts: posts,
        notes: notes,
    });
    admin_page(&body, staff, status)
}

/// `GET /admin/reports/{id}`.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let staff = match staff(&state, &headers, &ip, Permission::ManageReports).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    report_page(&state, &staff, report_id(&id)?, None, None).await
}

/// `POST /admin/reports/{id}/{assign|unassign|resolve|reopen}`.
async fn step(
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
        Permission::ManageReports,
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = report_id(&id)?;
    let reports = state.services.reports();
    let by = staff.moderator;
    let notice = match step.as_str() {
        "assign" => {
            reports.assign_to_self(by, id).await?;
            "The report is assigned to you."
        }
        "unassign" => {
            reports.unassign(by, id).await?;
            "The report is assigned to no one."
        }
        "resolve" => {
            reports.resolve(by, id).await?;
            "The report is resolved."
        }
        "reopen" => {
            reports.reopen(by, id).await?;
            "The report is open again."
        }
        _ => return Err(ServiceError::NotFound("action").into()),
    };
    report_page(&state, &staff, id, Some(notice.into()), None).await
}

#[derive(Debug, Deserialize)]
struct ActionForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    send_email: Option<String>,
}

/// `POST /admin/reports/{id}/action`: acts on the reported account and resolves the report.
async fn action(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ActionForm>,
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
    let id = report_id(&id)?;
    let report = state.services.reports().get(staff.moderator, id).await?;
    let Some(kind) = ActionKind::parse(&form.kind) else {
        return report_page(&state, &staff, id, None, Some("Choose an action.".into())).await;
    };
    let request = ActionRequest {
        kind,
        report_id: Some(id),
        text: form.text,
        send_email: form.send_email.is_some(),
    };
    match state
        .services
        .account_actions()
        .perform(staff.moderator, report.target_account_id, &request)
        .await
    {
        Ok(()) => {
            let notice = format!("Done ({}); the report is resolved.", kind.as_str());
            report_page(&state, &staff, id, Some(notice), None).await
        }
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Unprocessable(_))) => {
            report_page(&state, &staff, id, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/reports/{id}/remove_posts` (`status_ids` repeated — none: all of the report's
/// posts —, `text`, `send_email`): removes reported posts and resolves the report.
async fn remove_posts(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let id = report_id(&id)?;
    let mut token = String::new();
    let mut request = PostRemoval {
        report_id: id,
        status_ids: Vec::new(),
        text: String::new(),
        send_email: false,
    };
    let mut unreadable = false;
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "authenticity_token" => token = v.into_owned(),
            "status_ids" => match v.parse::<i64>() {
                Ok(n) => request.status_ids.push(Id::from_i64(n)),
                Err(_) => unreadable = true,
            },
            "text" => request.text = v.into_owned(),
            "send_email" => request.send_email = true,
            _ => {}
        }
    }
    let staff = match staff_posted(&state, &headers, &ip, &token, Permission::ManageReports).await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    if unreadable || request.status_ids.is_empty() {
        let error = "Choose the posts to remove.".to_owned();
        return report_page(&state, &staff, id, None, Some(error)).await;
    }
    match state
        .services
        .account_actions()
        .remove_reported_posts(staff.moderator, &request)
        .await
    {
        Ok(n) => {
            let notice = format!("{n} post(s) removed; the report is resolved.");
            report_page(&state, &staff, id, Some(notice), None).await
        }
        Err(e @ ServiceError::Unprocessable(_)) => {
            report_page(&state, &staff, id, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    content: String,
    /// Present when "Add and resolve" was pressed.
    #[serde(default)]
    resolve: Option<String>,
}

/// `POST /admin/reports/{id}/notes` (`content`, `resolve`): a note for the other moderators.
async fn add_note(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<NoteForm>,
) -> Result<Response, ApiError> {
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        Permission::ManageReports,
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = report_id(&id)?;
    let resolve = form.resolve.is_some();
    match state
        .services
        .reports()
        .add_note(staff.moderator, id, &form.content, resolve)
        .await
    {
        Ok(_) => {
            let notice = if resolve {
                "Note added; the report is resolved."
            } else {
                "Note added."
            };
            report_page(&state, &staff, id, Some(notice.into()), None).await
        }
        Err(e @ ServiceError::Invalid { .. }) => {
            report_page(&state, &staff, id, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/reports/{id}/notes/{note}/delete`.
async fn delete_note(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path((id, note)): Path<(String, String)>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        Permission::ManageReports,
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = report_id(&id)?;
    let note = note
        .parse::<i64>()
        .map(Id::from_i64)
        .map_err(|_| ApiError::from(ServiceError::NotFound("note")))?;
    state
        .services
        .reports()
        .delete_note(staff.moderator, id, note)
        .await?;
    report_page(&state, &staff, id, Some("Note deleted.".into()), None).await
}
