//! `/admin/…`: the moderators' pages — the dashboard, the audit log, webhooks — server-rendered
//! like the settings pages, for signed-in staff only, every form CSRF-protected. Each page asks
//! for the permission its actions need (Mastodon's role permissions); anyone else gets 403.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rookery_model::Permission;
use rookery_service::moderation::Moderator;

use super::settings::{Frame, Signed, frame, page, posted, signed};
use crate::{ApiError, AppState};

mod accounts;
mod appeals;
mod audit;
mod blocks;
mod dashboard;
mod reports;
mod rules;
mod webhooks;

/// The admin pages' routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(dashboard::routes())
        .merge(audit::routes())
        .merge(reports::routes())
        .merge(accounts::routes())
        .merge(appeals::routes())
        .merge(blocks::routes())
        .merge(rules::routes())
        .merge(webhooks::routes())
}

/// A staff member on an admin page.
pub(super) struct Staff {
    pub(super) signed: Signed,
    pub(super) moderator: Moderator,
}

#[derive(askama::Template)]
#[template(path = "admin/forbidden.html")]
struct Forbidden {
    site: super::Site,
    me: String,
}

fn forbidden(state: &AppState, s: &Signed) -> Result<Response, ApiError> {
    let body = Forbidden {
        site: super::Site::of(&state.services),
        me: s.local.account.username.to_string(),
    };
    page(&body, s, StatusCode::FORBIDDEN)
}

fn as_staff(
    state: &AppState,
    s: Signed,
    permission: Permission,
) -> Result<Result<Staff, Response>, ApiError> {
    match Moderator::of(&s.local, permission) {
        Ok(moderator) => Ok(Ok(Staff {
            signed: s,
            moderator,
        })),
        Err(_) => Ok(Err(forbidden(state, &s)?)),
    }
}

/// The signed-in staff member whose role grants `permission`; else the sign-in page or 403.
pub(super) async fn staff(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
    permission: Permission,
) -> Result<Result<Staff, Response>, ApiError> {
    match signed(state, headers, ip).await? {
        Ok(s) => as_staff(state, s, permission),
        Err(to) => Ok(Err(to)),
    }
}

/// [`staff`] for a posted form, whose CSRF token must match.
pub(super) async fn staff_posted(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
    token: &str,
    permission: Permission,
) -> Result<Result<Staff, Response>, ApiError> {
    match posted(state, headers, ip, token).await? {
        Ok(s) => as_staff(state, s, permission),
        Err(to) => Ok(Err(to)),
    }
}

/// The frame of an admin page in `section`.
pub(super) fn admin_frame(state: &AppState, staff: &Staff, section: &'static str) -> Frame {
    frame(state, &staff.signed, section)
}

/// Renders an admin page.
pub(super) fn admin_page(
    body: &impl askama::Template,
    staff: &Staff,
    status: StatusCode,
) -> Result<Response, ApiError> {
    page(body, &staff.signed, status)
}

/// A form's `authenticity_token` only.
#[derive(Debug, serde::Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    pub(super) authenticity_token: String,
}
