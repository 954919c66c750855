//! Endorsements, notes, familiar followers and removing a follower.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use serde::Deserialize;
use serde_json::Value;

use rookery_api as api;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

/// `POST /api/v1/accounts/{id}/pin` and `/endorse`.
pub(crate) async fn endorse(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Relationship>, ApiError> {
    let user = auth.user("write:accounts")?;
    Ok(Json(state.services.endorse(user, path_id(&id)?).await?))
}

/// `POST /api/v1/accounts/{id}/unpin` and `/unendorse`.
pub(crate) async fn unendorse(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Relationship>, ApiError> {
    let user = auth.user("write:accounts")?;
    Ok(Json(state.services.unendorse(user, path_id(&id)?).await?))
}

/// `GET /api/v1/endorsements` — newest first (40, at most 80), Link paging.
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::Account>, ApiError> {
    let user = auth.user("read:accounts")?;
    let rows = state.services.endorsements(user, p.page(40, 80)?).await?;
    Ok(Paged::keyed(
        rows.into_iter()
            .map(|(id, a)| (id.to_string(), a))
            .collect(),
        state.services.urls.base(),
        &uri,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NoteForm {
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /api/v1/accounts/{id}/note` — `comment` (empty or absent removes it).
pub(crate) async fn note(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<NoteForm>,
) -> Result<Json<api::Relationship>, ApiError> {
    let user = auth.user("write:accounts")?;
    Ok(Json(
        state
            .services
            .set_account_note(user, path_id(&id)?, form.comment.as_deref().unwrap_or(""))
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Ids {
    #[serde(default, deserialize_with = "loose::string_list")]
    id: Vec<String>,
}

/// `GET /api/v1/accounts/familiar_followers?id[]=` — unknown ids answer with no accounts.
/// The ids may also come as a JSON body (`{"id": [...]}`), as Mastodon.py sends them and Rails
/// reads them.
pub(crate) async fn familiar_followers(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(q): LooseQuery<Ids>,
    body: axum::body::Bytes,
) -> Result<Json<Vec<Value>>, ApiError> {
    let user = auth.user("read:follows")?;
    let mut asked = q.id;
    if asked.is_empty() && !body.iter().all(u8::is_ascii_whitespace) {
        let from_body: Ids = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("the body is not JSON ids: {e}")))?;
        asked = from_body.id;
    }
    let ids: Vec<_> = asked.iter().filter_map(|i| path_id(i).ok()).collect();
    Ok(Json(state.services.familiar_followers(user, &ids).await?))
}

/// `POST /api/v1/accounts/{id}/remove_from_followers`.
pub(crate) async fn remove_from_followers(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Relationship>, ApiError> {
    let user = auth.user("write:follows")?;
    Ok(Json(
        state
            .services
            .remove_from_followers(user, path_id(&id)?)
            .await?,
    ))
}
