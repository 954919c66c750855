//! Actors: the ActivityPub document (the HTML profile is in `pages::profile`).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::{activity_json, wants_json};
use crate::{ApiError, AppState};

/// `GET /users/{username}` — the actor as ActivityPub JSON when asked for it
/// (`application/activity+json`, `application/ld+json`), otherwise a redirect to the profile
/// page. In authorized-fetch mode an unsigned request gets the key-only document.
pub(crate) async fn actor(
    State(state): State<AppState>,
    Path(username): Path<String>,
    headers: HeaderMap,
    view: super::federation::ActorView,
) -> Result<Response, ApiError> {
    let actor = state.services.local_actor(&username).await?;
    if wants_json(&headers) {
        Ok(actor_json(actor, view))
    } else {
        Ok(Redirect::to(&actor.url).into_response())
    }
}

/// The actor as ActivityPub JSON, whole or key-only.
pub(crate) fn actor_json(
    actor: rookery_activitypub::actor::Actor,
    view: super::federation::ActorView,
) -> Response {
    match view {
        super::federation::ActorView::Full => activity_json(actor),
        super::federation::ActorView::KeyOnly => activity_json(actor.key_only()),
    }
}
