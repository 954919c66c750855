//! Hashtags: `GET /api/v1/tags/{name}`, following them, `GET /api/v1/followed_tags`.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};

use rookery_api as api;

use crate::auth::Auth;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

/// `GET /api/v1/tags/{name}` — with `following` for a signed-in viewer.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<Json<api::Tag>, ApiError> {
    // Public: a token without `read:follows` is answered as if anonymous.
    let viewer = auth
        .scope("read:follows")
        .ok()
        .and_then(|a| a.user.as_ref())
        .map(|u| &u.account);
    Ok(Json(state.services.tags().get(viewer, &name).await?))
}

/// `POST /api/v1/tags/{name}/follow`.
pub(crate) async fn follow(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<Json<api::Tag>, ApiError> {
    let user = auth.user("write:follows")?;
    Ok(Json(
        state
            .services
            .tags()
            .set_following(user, &name, true)
            .await?,
    ))
}

/// `POST /api/v1/tags/{name}/unfollow`.
pub(crate) async fn unfollow(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> Result<Json<api::Tag>, ApiError> {
    let user = auth.user("write:follows")?;
    Ok(Json(
        state
            .services
            .tags()
            .set_following(user, &name, false)
            .await?,
    ))
}

/// `GET /api/v1/followed_tags` — newest follow first (100, at most 200), Link paging.
pub(crate) async fn followed(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(p): LooseQuery<PageParams>,
) -> Result<Paged<api::Tag>, ApiError> {
    let user = auth.user("read:follows")?;
    let rows = state
        .services
        .tags()
        .followed(user, p.page(100, 200)?)
        .await?;
    Ok(Paged::keyed(
        rows.into_iter()
            .map(|(id, t)| (id.to_string(), t))
            .collect(),
        state.services.urls.base(),
        &uri,
    ))
}
