//! A warning (Mastodon's strike) as its owner reads it: `GET /disputes/strikes/{id}`, behind a
//! web session; the page the warning's e-mail links to. Anyone else's warning is not found.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use super::auth::with_cookie;
use super::session::{ClientIp, current, to_sign_in};
use super::{Site, render};
use crate::forms::{self, Csrf};
use crate::{ApiError, AppState};

/// The strike routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/disputes/strikes/{id}", get(page))
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
    what: &'static str,
    text: String,
    created: String,
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

/// `GET /disputes/strikes/{id}` — one of the user's own warnings.
pub(crate) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some((_, local)) = current(&state, &headers, &ip).await? else {
        return Ok(to_sign_in());
    };
    let id = id.parse().map_err(|_| ApiError::not_found())?;
    let w = state.services.own_warning(&local, id).await?;
    let csrf: Csrf = forms::issue(&state.services, &headers).await?;
    let response = render(&StrikePage {
        site: Site::of(&state.services),
        me: local.account.username.as_str().to_owned(),
        csrf: csrf.token.clone(),
        notice: None,
        error: None,
        section: "strikes",
        what: described(&w.action),
        text: w.text,
        created: w.created_at.to_rfc3339(),
    })?;
    Ok(with_cookie(response, &csrf))
}
