//! Local posts and collections as ActivityPub documents (`/users/:name/statuses/:id`, its
//! `/activity`, `/outbox`, `/followers`, `/following`, `/collections/featured`). The HTML page
//! of a post is in `pages::status`.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use rookery_model::Id;
use rookery_service::CollectionPage;

use super::statuses::path_id;
use super::{activity_json, wants_json};
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

/// `GET /users/{username}/statuses/{id}/replies`: the replies collection of a public or
/// unlisted post.
pub(crate) async fn replies(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    _signed: super::federation::SignedFetch,
) -> Result<Response, ApiError> {
    let page = collection_page(query).page;
    let collection = state
        .services
        .ap_replies(&username, path_id(&id)?, page)
        .await?;
    Ok(activity_json(collection))
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
