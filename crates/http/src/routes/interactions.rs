//! Favourites, reblogs and bookmarks.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use serde::Deserialize;

use rookery_api as api;
use rookery_service::Interaction;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::Body;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

async fn toggle(
    state: &AppState,
    auth: &Auth,
    id: &str,
    kind: Interaction,
    on: bool,
    scope: &str,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user(scope)?;
    Ok(Json(
        state
            .services
            .interact(user, path_id(id)?, kind, on)
            .await?,
    ))
}

/// `POST /api/v1/statuses/{id}/favourite`.
pub(crate) async fn favourite(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    toggle(
        &state,
        &auth,
        &id,
        Interaction::Favourite,
        true,
        "write:favourites",
    )
    .await
}

/// `POST /api/v1/statuses/{id}/unfavourite`.
pub(crate) async fn unfavourite(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    toggle(
        &state,
        &auth,
        &id,
        Interaction::Favourite,
        false,
        "write:favourites",
    )
    .await
}

/// `POST /api/v1/statuses/{id}/bookmark`.
pub(crate) async fn bookmark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    toggle(
        &state,
        &auth,
        &id,
        Interaction::Bookmark,
        true,
        "write:bookmarks",
    )
    .await
}

/// `POST /api/v1/statuses/{id}/unbookmark`.
pub(crate) async fn unbookmark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    toggle(
        &state,
        &auth,
        &id,
        Interaction::Bookmark,
        false,
        "write:bookmarks",
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReblogParams {
    visibility: Option<String>,
}

/// `POST /api/v1/statuses/{id}/reblog` — boost (optional `visibility`).
pub(crate) async fn reblog(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(p): Body<ReblogParams>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:statuses")?;
    Ok(Json(
        state
            .services
            .reblog(user, path_id(&id)?, p.visibility.as_deref())
            .await?,
    ))
}

/// `POST /api/v1/statuses/{id}/unreblog`.
pub(crate) async fn unreblog(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:statuses")?;
    Ok(Json(state.services.unreblog(user, path_id(&id)?).await?))
}

fn paged<T>(state: &AppState, uri: &OriginalUri, rows: Vec<(String, T)>) -> Paged<T> {
    Paged::keyed(rows, state.services.urls.base(), uri)
}

async fn listed(
    state: &AppState,
    auth: &Auth,
    uri: &OriginalUri,
    params: &PageParams,
    kind: Interaction,
    scope: &str,
) -> Result<Paged<api::Status>, ApiError> {
    let user = auth.user(scope)?;
    let rows = state
        .services
        .interacted(user, kind, params.page(20, 40)?)
        .await?;
    Ok(paged(state, uri, rows))
}

/// `GET /api/v1/favourites` — the user's favourites, newest first.
pub(crate) async fn favourites(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::Status>, ApiError> {
    listed(
        &state,
        &auth,
        &uri,
        &p,
        Interaction::Favourite,
        "read:favourites",
    )
    .await
}

/// `GET /api/v1/bookmarks` — the user's bookmarks, newest first.
pub(crate) async fn bookmarks(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::Status>, ApiError> {
    listed(
        &state,
        &auth,
        &uri,
        &p,
        Interaction::Bookmark,
        "read:bookmarks",
    )
    .await
}

async fn who(
    state: &AppState,
    auth: &Auth,
    uri: &OriginalUri,
    id: &str,
    params: &PageParams,
    kind: Interaction,
) -> Result<Paged<api::Account>, ApiError> {
    let viewer = match &auth.0 {
        None => None,
        Some(_) => auth
            .scope("read:accounts")?
            .user
            .as_ref()
            .map(|u| &u.account),
    };
    let rows = state
        .services
        .interacting(viewer, path_id(id)?, kind, params.page(40, 80)?)
        .await?;
    Ok(paged(state, uri, rows))
}

/// `GET /api/v1/statuses/{id}/favourited_by`.
pub(crate) async fn favourited_by(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    Path(id): Path<String>,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::Account>, ApiError> {
    who(&state, &auth, &uri, &id, &p, Interaction::Favourite).await
}

/// `GET /api/v1/statuses/{id}/reblogged_by`.
pub(crate) async fn reblogged_by(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    Path(id): Path<String>,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::Account>, ApiError> {
    who(&state, &auth, &uri, &id, &p, Interaction::Reblog).await
}
