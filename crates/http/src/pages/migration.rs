//! Moving an account, behind a web session: `GET /settings/migration` shows the account's
//! aliases (the accounts it may be moved from) with forms to add and remove them, and the form
//! that moves it to another account (with the password, as Mastodon asks for it).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use rookery_service::ServiceError;
use serde::Deserialize;

use super::Site;
use super::session::ClientIp;
use super::settings::{Signed, frame, page as render_page, posted, settings_page, signed};
use crate::ratelimit::Guard;
use crate::{ApiError, AppState};

/// The migration routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/migration", get(show).post(move_account))
        .route("/settings/aliases", post(change_alias))
}

#[derive(Template)]
#[template(path = "settings/migration.html")]
struct MigrationPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    /// This account's actor URI (what the other account must name).
    own_uri: String,
    aliases: Vec<String>,
    /// Where it moved (`user@domain`), or empty.
    moved_to: String,
    target: String,
}

async fn migration_page(
    state: &AppState,
    s: &Signed,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let services = &state.services;
    // Read again: a form may just have changed it.
    let local = services
        .local_account(s.local.account.username.as_str())
        .await?;
    let moved_to = services
        .account_moves()
        .moved_to(&local)
        .await?
        .map(|a| a.acct())
        .unwrap_or_default();
    let mut f = frame(state, s, "migration");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(MigrationPage, f, {
        own_uri: services.urls.actor(local.account.username.as_str()),
        aliases: services.account_moves().aliases(&local),
        moved_to: moved_to,
        target: String::new(),
    });
    render_page(&body, s, status)
}

/// `GET /settings/migration`.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => migration_page(&state, &s, None, None, StatusCode::OK).await,
        Err(to) => Ok(to),
    }
}

#[derive(Debug, Deserialize)]
struct AliasForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    alias: String,
    /// `remove`, or (anything else) add.
    #[serde(default)]
    action: String,
}

/// A service refusal shown on the page; anything else is an error page.
async fn refused(state: &AppState, s: &Signed, e: ServiceError) -> Result<Response, ApiError> {
    match e {
        ServiceError::Invalid { .. } | ServiceError::NotFound(_) | ServiceError::Unavailable(_) => {
            let status = match e {
                ServiceError::Unavailable(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            migration_page(state, s, None, Some(e.to_string()), status).await
        }
        other => Err(other.into()),
    }
}

/// `POST /settings/aliases` — names another account as this one's alias, or (with
/// `action=remove`) stops naming it.
async fn change_alias(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<AliasForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let moves = state.services.account_moves();
    let (changed, notice) = if form.action == "remove" {
        (
            moves.remove_alias(&s.local, &form.alias).await,
            "The alias is removed.",
        )
    } else {
        (
            moves.add_alias(&s.local, &form.alias).await,
            "The alias is saved.",
        )
    };
    match changed {
        Ok(_) => migration_page(&state, &s, Some(notice.to_owned()), None, StatusCode::OK).await,
        Err(e) => refused(&state, &s, e).await,
    }
}

#[derive(Debug, Deserialize)]
struct MoveForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    password: String,
}

/// `POST /settings/migration` — with the password, moves the account.
async fn move_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<MoveForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let services = &state.services;
    // Wrong passwords count against the account as at sign-in.
    let guard = Guard::Password(s.local.account.username.as_str());
    let now = services.clock.now();
    if !guard.allowed(&state.limiter, now) {
        let error = "Too many wrong passwords: try again in an hour.".to_owned();
        return migration_page(&state, &s, None, Some(error), StatusCode::TOO_MANY_REQUESTS).await;
    }
    if !services.check_password(&s.local, &form.password).await {
        guard.failed(&state.limiter, now);
        let error = "The password is not right.".to_owned();
        return migration_page(
            &state,
            &s,
            None,
            Some(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match services
        .account_moves()
        .move_to(&s.local, &form.target)
        .await
    {
        Ok(target) => {
            let notice = format!(
                "Your account moved to {}. Your followers are being moved.",
                target.acct()
            );
            migration_page(&state, &s, Some(notice), None, StatusCode::OK).await
        }
        Err(e) => refused(&state, &s, e).await,
    }
}
