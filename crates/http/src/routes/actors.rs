//! Actors: the ActivityPub document and the HTML profile at the same place.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{activity_json, escape_html, wants_json};
use crate::{ApiError, AppState};

/// `GET /users/{username}` — the actor as ActivityPub JSON when asked for it
/// (`application/activity+json`, `application/ld+json`), otherwise a redirect to the profile
/// page.
pub(crate) async fn actor(
    State(state): State<AppState>,
    Path(username): Path<String>,
    headers: HeaderMap,
    _signed: super::federation::SignedIfActivityPub,
) -> Result<Response, ApiError> {
    let actor = state.services.local_actor(&username).await?;
    if wants_json(&headers) {
        Ok(activity_json(actor))
    } else {
        Ok(Redirect::to(&actor.url).into_response())
    }
}

/// `GET /@{username}` — the HTML profile page (ActivityPub clients asking for JSON get the
/// actor, as Mastodon does).
pub(crate) async fn profile_page(
    State(state): State<AppState>,
    Path(username): Path<String>,
    headers: HeaderMap,
    _signed: super::federation::SignedIfActivityPub,
) -> Result<Response, ApiError> {
    let actor = state.services.local_actor(&username).await?;
    if wants_json(&headers) {
        return Ok(activity_json(actor));
    }
    let domain = &state.services.settings.domain;
    let name = if actor.name.is_empty() {
        actor.preferred_username.clone()
    } else {
        actor.name.clone()
    };
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} (@{user}@{domain})</title>\
         <link rel=\"alternate\" type=\"application/activity+json\" href=\"{id}\">\
         </head><body><main><h1>{title}</h1><p>@{user}@{domain}</p>\
         <div class=\"note\">{summary}</div></main></body></html>\n",
        title = escape_html(&name),
        user = escape_html(&actor.preferred_username),
        id = escape_html(&actor.id),
        summary = actor.summary, // already sanitised HTML
    );
    let mut response = ([(header::VARY, "Accept")], Html(page)).into_response();
    if !actor.discoverable {
        response.headers_mut().insert(
            HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, noarchive"),
        );
    }
    Ok(response)
}
