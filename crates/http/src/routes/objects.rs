//! Local posts and collections as ActivityPub documents (`/users/:name/statuses/:id`, its
//! `/activity`, `/outbox`, `/followers`, `/following`, `/collections/featured`), and the HTML
//! page of a post for browsers.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rookery_model::Id;
use rookery_service::CollectionPage;

use super::statuses::path_id;
use super::{activity_json, escape_html, wants_json};
use crate::{ApiError, AppState};

/// `?page=true|1`, `max_id`, `min_id` (anything unparsable is ignored).
fn collection_page(query: Option<String>) -> CollectionPage {
    let mut page = CollectionPage::default();
    let Some(q) = query else { return page };
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        match k.as_ref() {
            "page" => page.page = matches!(v.as_ref(), "true" | "1"),
            "max_id" => page.max_id = v.parse::<Id>().ok(),
            "min_id" => page.min_id = v.parse::<Id>().ok(),
            _ => {}
        }
    }
    page
}

/// `GET /users/{username}/statuses/{id}`: the `Note` for ActivityPub clients; browsers go to
/// the post's page.
pub(crate) async fn status(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    headers: HeaderMap,
    _signed: super::federation::SignedIfActivityPub,
) -> Result<Response, ApiError> {
    let note = state.services.ap_note(&username, path_id(&id)?).await?;
    if wants_json(&headers) {
        Ok(activity_json(note))
    } else {
        Ok(Redirect::to(&note.url).into_response())
    }
}

/// `GET /users/{username}/statuses/{id}/activity`.
pub(crate) async fn status_activity(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    _signed: super::federation::SignedFetch,
) -> Result<Response, ApiError> {
    let activity = state.services.ap_create(&username, path_id(&id)?).await?;
    Ok(activity_json(activity))
}

/// `GET /users/{username}/outbox`.
pub(crate) async fn outbox(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    _signed: super::federation::SignedFetch,
) -> Result<Response, ApiError> {
    let body = state
        .services
        .ap_outbox(&username, collection_page(query))
        .await?;
    Ok(activity_json(body))
}

/// `GET /users/{username}/followers`.
pub(crate) async fn followers(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    _signed: super::federation::SignedFetch,
) -> Result<Response, ApiError> {
    let body = state
        .services
        .ap_follows(&username, true, collection_page(query))
        .await?;
    Ok(activity_json(body))
}

/// `GET /users/{username}/following`.
pub(crate) async fn following(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    _signed: super::federation::SignedFetch,
) -> Result<Response, ApiError> {
    let body = state
        .services
        .ap_follows(&username, false, collection_page(query))
        .await?;
    Ok(activity_json(body))
}

/// `GET /users/{username}/collections/featured`.
pub(crate) async fn featured(
    State(state): State<AppState>,
    Path(username): Path<String>,
    _signed: super::federation::SignedFetch,
) -> Result<Response, ApiError> {
    Ok(activity_json(state.services.ap_featured(&username).await?))
}

/// `GET /users/{username}/collections/tags`.
pub(crate) async fn featured_tags(
    State(state): State<AppState>,
    Path(username): Path<String>,
    _signed: super::federation::SignedFetch,
) -> Result<Response, ApiError> {
    Ok(activity_json(
        state.services.ap_featured_tags(&username).await?,
    ))
}

/// `GET /@{username}/{id}`: the post's HTML page (ActivityPub clients get the `Note`).
pub(crate) async fn status_page(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    headers: HeaderMap,
    _signed: super::federation::SignedIfActivityPub,
) -> Result<Response, ApiError> {
    let note = state.services.ap_note(&username, path_id(&id)?).await?;
    if wants_json(&headers) {
        return Ok(activity_json(note));
    }
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>@{user}@{domain}</title>\
         <link rel=\"alternate\" type=\"application/activity+json\" href=\"{id}\">\
         </head><body><main><article><p><a href=\"{author}\">@{user}@{domain}</a> \
         <time datetime=\"{published}\">{published}</time></p>{warning}\
         <div class=\"content\">{content}</div></article></main></body></html>\n",
        user = escape_html(&username.to_ascii_lowercase()),
        domain = escape_html(state.services.settings.domain.as_str()),
        id = escape_html(&note.id),
        author = escape_html(&note.attributed_to),
        published = escape_html(&note.published),
        warning = note
            .summary
            .as_deref()
            .map(|s| format!("<p class=\"spoiler\">{}</p>", escape_html(s)))
            .unwrap_or_default(),
        content = note.content, // already sanitised HTML
    );
    let mut response = ([(header::VARY, "Accept")], Html(page)).into_response();
    // An author who is not discoverable is kept out of search engines' indexes.
    if !state.services.local_actor(&username).await?.discoverable {
        response.headers_mut().insert(
            axum::http::HeaderName::from_static("x-robots-tag"),
            axum::http::HeaderValue::from_static("noindex, noarchive"),
        );
    }
    Ok(response)
}
