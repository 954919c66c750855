//! A warning (Mastodon's strike) as its owner reads it: `GET /disputes/strikes/{id}`, behind a
//! web session; the page the warning's e-mail links to. Anyone else's warning is not found.
//! The page shows the warning's appeal, or a form to appeal it (once, within 20 days).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use rookery_model::Id;
use rookery_service::ServiceError;
use rookery_service::moderation::appeals::{MAX_TEXT_CHARS, appealable};
use serde::Deserialize;

use super::Site;
use super::session::ClientIp;
use super::settings::{Signed, frame, page as render_page, posted, settings_page, signed};
use crate::{ApiError, AppState};

/// The strike routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/disputes/strikes/{id}", get(page))
        .route("/disputes/strikes/{id}/appeal", post(appeal))
}

#[derive(Template)]
#[template(path = "settings/strike.html")]
struct StrikePage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    id: String,
    what: &'static str,
    text: String,
    created: String,
    overruled: bool,
    /// `pending`, `approved` or `rejected` once appealed; empty before.
    appeal_state: &'static str,
    /// The state in words.
    appeal_said: &'static str,
    appeal_text: String,
    /// Why it can no longer be appealed (empty: the form is shown).
    closed: String,
    max_chars: usize,
    draft: String,
}

/// What a warning's action did, in words.
fn described(action: &str) -> &'static str {
    match action {
        "sensitive" | "mark_statuses_as_sensitive" => "Your media is marked as sensitive.",
        "disable" => "Your login was disabled.",
        "silence" => "Your account was limited: only those who follow you see your posts.",
        "suspend" => "Your account was suspended.",
        "delete_statuses" => "Some of your posts were removed.",
        _ => "A moderator sent you a warning.",
    }
}

fn warning_id(id: &str) -> Result<Id, ApiError> {
    id.parse::<i64>()
        .map(Id::from_i64)
        .map_err(|_| ApiError::not_found())
}

async fn strike_page(
    state: &AppState,
    s: &Signed,
    id: Id,
    notice: Option<String>,
    error: Option<String>,
    draft: String,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let w = services.own_warning(&s.local, id).await?;
    let appeal = services.appeals().of_warning(w.id).await?;
    let closed = match &appeal {
        Some(_) => String::new(),
        None => appealable(&w, None, services.clock.now())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default(),
    };
    let appeal_state = appeal.as_ref().map_or("", |a| a.state());
    let appeal_said = match appeal_state {
        "pending" => "Your appeal waits for the moderators' decision.",
        "approved" => "Your appeal was approved.",
        "rejected" => "Your appeal was rejected.",
        _ => "",
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut f = frame(state, s, "strikes");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(StrikePage, f, {
        id: w.id.to_string(),
        what: described(&w.action),
        text: w.text.clone(),
        created: w.created_at.to_rfc3339(),
        overruled: w.overruled_at.is_some(),
        appeal_state: appeal_state,
        appeal_said: appeal_said,
        appeal_text: appeal.map(|a| a.text).unwrap_or_default(),
        closed: closed,
        max_chars: MAX_TEXT_CHARS,
        draft: draft,
    });
    render_page(&body, s, status)
}

/// `GET /disputes/strikes/{id}` — one of the user's own warnings.
pub(crate) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = match signed(&state, &headers, &ip).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    strike_page(&state, &s, warning_id(&id)?, None, None, String::new()).await
}

#[derive(Debug, Deserialize)]
struct AppealForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    text: String,
}

/// `POST /disputes/strikes/{id}/appeal` — appeals the warning (its owner only).
async fn appeal(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<AppealForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = warning_id(&id)?;
    match state
        .services
        .appeals()
        .submit(&s.local, id, &form.text)
        .await
    {
        Ok(_) => {
            let notice = "Your appeal was sent to the moderators.".to_owned();
            strike_page(&state, &s, id, Some(notice), None, String::new()).await
        }
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Unprocessable(_))) => {
            strike_page(&state, &s, id, None, Some(e.to_string()), form.text).await
        }
        Err(e) => Err(e.into()),
    }
}
