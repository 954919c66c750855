//! Actors: the ActivityPub document (the HTML profile is in `pages::profile`).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::{activity_json, wants_json};
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
