//! Statuses and timelines.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use axum::response::{IntoResponse, Response};
use rookery_api as api;
use rookery_model::Id;
use rookery_service::NewStatus;
use rookery_service::scheduled::Posted;

use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::{ApiError, AppState};

/// Ids in paths: anything that is not an id is simply not found.
pub(crate) fn path_id(raw: &str) -> Result<Id, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateStatus {
    #[serde(default)]
    status: Option<String>,
    in_reply_to_id: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    sensitive: Option<bool>,
    spoiler_text: Option<String>,
    visibility: Option<String>,
    language: Option<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    media_ids: Vec<String>,
    poll: Option<serde_json::Value>,
    scheduled_at: Option<String>,
    quoted_status_id: Option<String>,
    quote_approval_policy: Option<String>,
}

/// Mastodon's answer for a post that cannot be quoted (missing, hidden or not allowed).
fn quoted_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "The post you are trying to quote does not appear to exist.",
    )
}

fn unprocessable(msg: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, msg)
}

/// `POST /api/v1/statuses` — post a status.
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    headers: axum::http::HeaderMap,
    Body(form): Body<CreateStatus>,
) -> Result<Response, ApiError> {
    let user = auth.user("write:statuses")?;
    let mut media_ids = Vec::new();
    for raw in form.media_ids.iter().filter(|m| !m.is_empty()) {
        media_ids.push(raw.parse::<Id>().map_err(|_| {
            unprocessable(&format!(
                "Media {raw} not found or already attached to another post"
            ))
        })?);
    }
    let poll = super::polls::poll_input(form.poll.as_ref())?;
    let scheduled_at = super::scheduled_statuses::scheduled_at(form.scheduled_at.as_deref())?;
    let in_reply_to_id = match form.in_reply_to_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(path_id(raw)?),
    };
    let quoted_status_id = match form.quoted_status_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(raw.parse::<Id>().map_err(|_| quoted_not_found())?),
    };
    let posted = state
        .services
        .scheduled_statuses()
        .post(
            user,
            NewStatus {
                text: form.status.unwrap_or_default(),
                in_reply_to_id,
                sensitive: form.sensitive,
                spoiler_text: form.spoiler_text.unwrap_or_default(),
                visibility: form.visibility,
                language: form.language,
                media_ids,
                idempotency_key: headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                poll,
                quoted_status_id,
                quote_approval_policy: form.quote_approval_policy,
            },
            scheduled_at,
        )
        .await?;
    Ok(match posted {
        Posted::Now(status) => Json(status).into_response(),
        Posted::Scheduled(scheduled) => Json(scheduled).into_response(),
    })
}

fn viewer(auth: &Auth) -> Result<Option<&rookery_model::Account>, ApiError> {
    match &auth.0 {
        None => Ok(None),
        Some(_) => Ok(auth
            .scope("read:statuses")?
            .user
            .as_ref()
            .map(|u| &u.account)),
    }
}

/// `GET /api/v1/statuses/{id}/card` (removed from Mastodon in 3.0, still called by old apps):
/// the status's preview card, or `{}`.
pub(crate) async fn card(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = viewer(&auth)?;
    let status = state.services.get_status(viewer, path_id(&id)?).await?;
    Ok(Json(match status.card {
        Some(card) => serde_json::to_value(card)
            .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "rendering a card"))?,
        None => json!({}),
    }))
}

/// `GET /api/v1/statuses/{id}` — one status, if the viewer may see it.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    let viewer = viewer(&auth)?;
    Ok(Json(
        state.services.get_status(viewer, path_id(&id)?).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ManyIds {
    #[serde(default, deserialize_with = "crate::extract::loose::string_list")]
    id: Vec<String>,
}

impl ManyIds {
    /// The ids asked for, each once, in order; more than `max` is a 422 (as Mastodon). Ids
    /// that are not ids cannot name anything and are left out, like unknown ones.
    pub(crate) fn ids(&self, max: usize) -> Result<Vec<rookery_model::Id>, ApiError> {
        if self.id.len() > max {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                format!("Validation failed: at most {max} ids at once"),
            ));
        }
        let mut out: Vec<rookery_model::Id> = Vec::new();
        for id in self.id.iter().filter_map(|i| i.trim().parse().ok()) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }
}

/// `GET /api/v1/statuses?id[]=` — several statuses at once (at most 20), those the viewer may
/// see, in the order asked; unknown ids are left out.
pub(crate) async fn many(
    State(state): State<AppState>,
    auth: Auth,
    crate::paging::LooseQuery(q): crate::paging::LooseQuery<ManyIds>,
) -> Result<Json<Vec<api::Status>>, ApiError> {
    let viewer = viewer(&auth)?;
    let mut out = Vec::new();
    for id in q.ids(20)? {
        match state.services.get_status(viewer, id).await {
            Ok(s) => out.push(s),
            Err(rookery_service::ServiceError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(out))
}

/// `DELETE /api/v1/statuses/{id}` — delete one's own status (returned with `text`).
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(p): Body<DeleteParams>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:statuses")?;
    Ok(Json(
        state
            .services
            .delete_status(user, path_id(&id)?, p.delete_media.unwrap_or(false))
            .await?,
    ))
}

/// `delete_media` of `DELETE /api/v1/statuses/{id}` (query or body).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DeleteParams {
    #[serde(default, deserialize_with = "loose::opt_bool")]
    delete_media: Option<bool>,
}

/// `GET /api/v1/statuses/{id}/context` — ancestors and descendants.
pub(crate) async fn context(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = viewer(&auth)?;
    let (ancestors, descendants) = state.services.context(viewer, path_id(&id)?).await?;
    Ok(Json(
        json!({"ancestors": ancestors, "descendants": descendants}),
    ))
}

/// `GET /api/v1/timelines/home` — the signed-in user's home feed.
pub(crate) async fn home(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(params): LooseQuery<PageParams>,
) -> Result<Paged<api::Status>, ApiError> {
    let user = auth.user("read:statuses")?;
    let items = state
        .services
        .home_timeline(user, params.page(20, 40)?)
        .await?;
    Ok(Paged::<api::Status>::statuses(
        items,
        state.services.urls.base(),
        &uri,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PublicParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    only_media: Option<bool>,
}

impl PublicParams {
    /// `local=true` → only local, `remote=true` → only remote, else both.
    fn locality(&self) -> Option<bool> {
        match (self.local, self.remote) {
            (Some(true), _) => Some(true),
            (_, Some(true)) => Some(false),
            _ => None,
        }
    }
}

/// `GET /api/v1/timelines/public` — public statuses (`local`, `remote`, `only_media`).
pub(crate) async fn public(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(params): LooseQuery<PublicParams>,
) -> Result<Paged<api::Status>, ApiError> {
    let viewer = viewer(&auth)?;
    let page = params.page.page(20, 40)?;
    let local = params.locality();
    let only_media = params.only_media == Some(true);
    let items = state
        .services
        .public_timeline(viewer, local, only_media, page)
        .await?;
    Ok(Paged::<api::Status>::statuses(
        items,
        state.services.urls.base(),
        &uri,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AccountStatusesParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    exclude_replies: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    exclude_reblogs: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    pinned: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    only_media: Option<bool>,
    tagged: Option<String>,
}

/// `GET /api/v1/accounts/{id}/statuses` — an account's statuses the viewer may see.
pub(crate) async fn of_account(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    Path(id): Path<String>,
    LooseQuery(params): LooseQuery<AccountStatusesParams>,
) -> Result<Paged<api::Status>, ApiError> {
    let viewer = viewer(&auth)?;
    let id = path_id(&id)?;
    let page = params.page.page(20, 40)?;
    if params.pinned == Some(true) {
        let items = state.services.pinned_statuses(viewer, id).await?;
        return Ok(Paged::new(
            items,
            |s| s.id.clone(),
            state.services.urls.base(),
            &uri,
        ));
    }
    let items = state
        .services
        .account_statuses(
            viewer,
            id,
            rookery_service::AccountStatusesQuery {
                exclude_replies: params.exclude_replies.unwrap_or(false),
                exclude_reblogs: params.exclude_reblogs.unwrap_or(false),
                tagged: params.tagged.filter(|t| !t.trim().is_empty()),
                only_media: params.only_media == Some(true),
            },
            page,
        )
        .await?;
    Ok(Paged::<api::Status>::statuses(
        items,
        state.services.urls.base(),
        &uri,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct EditStatus {
    #[serde(default)]
    status: Option<String>,
    spoiler_text: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    sensitive: Option<bool>,
    language: Option<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    media_ids: Vec<String>,
    poll: Option<serde_json::Value>,
    media_attributes: Option<serde_json::Value>,
    quote_approval_policy: Option<String>,
}

/// `media_attributes[]` of an edit: a JSON list, or a form's `media_attributes[0][id]=…`
/// (an object keyed by position). Thumbnails are not changed by edits.
fn media_edits(v: Option<&serde_json::Value>) -> Result<Vec<rookery_service::MediaEdit>, ApiError> {
    use serde_json::Value;
    let items: Vec<&Value> = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(m)) => m.values().collect(),
        Some(_) => {
            return Err(unprocessable(
                "Validation failed: media_attributes must be a list",
            ));
        }
    };
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    items
        .into_iter()
        .map(|item| {
            let id = text(item.get("id"))
                .and_then(|raw| raw.parse::<Id>().ok())
                .ok_or_else(|| unprocessable("Validation failed: media_attributes need an id"))?;
            Ok(rookery_service::MediaEdit {
                id,
                description: text(item.get("description")),
                focus: text(item.get("focus")),
            })
        })
        .collect()
}

/// `PUT /api/v1/statuses/{id}` — edit one's own status.
pub(crate) async fn edit(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<EditStatus>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:statuses")?;
    let mut media_ids = Vec::new();
    for raw in form.media_ids.iter().filter(|m| !m.is_empty()) {
        media_ids.push(raw.parse::<Id>().map_err(|_| {
            unprocessable(&format!(
                "Media {raw} not found or already attached to another post"
            ))
        })?);
    }
    let poll = super::polls::poll_input(form.poll.as_ref())?;
    let status_id = path_id(&id)?;
    if let Some(p) = form.quote_approval_policy.as_deref()
        && !p.trim().is_empty()
        && rookery_model::QuotePolicy::from_setting(p.trim()).is_none()
    {
        return Err(unprocessable(&format!(
            "Validation failed: quote_approval_policy {p:?} is not public, followers or nobody"
        )));
    }
    let mut updated = state
        .services
        .edit_status(
            user,
            status_id,
            rookery_service::StatusUpdate {
                text: form.status.unwrap_or_default(),
                spoiler_text: form.spoiler_text,
                sensitive: form.sensitive,
                language: form.language,
                media_ids,
                media_attributes: media_edits(form.media_attributes.as_ref())?,
                poll,
            },
        )
        .await?;
    // Who may quote it, once the edit itself went through.
    if let Some(policy) = form
        .quote_approval_policy
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        updated = state
            .services
            .quotes()
            .set_policy(user, status_id, policy)
            .await?;
    }
    Ok(Json(updated))
}

/// `GET /api/v1/statuses/{id}/history` — every version, oldest first.
pub(crate) async fn history(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<api::StatusEdit>>, ApiError> {
    let viewer = viewer(&auth)?;
    Ok(Json(
        state.services.status_history(viewer, path_id(&id)?).await?,
    ))
}

/// `GET /api/v1/statuses/{id}/source` — the text as typed, for editing.
pub(crate) async fn source(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::StatusSource>, ApiError> {
    let user = auth.user("read:statuses")?;
    Ok(Json(
        state.services.status_source(user, path_id(&id)?).await?,
    ))
}

/// `GET /api/v1/timelines/tag/{hashtag}` — public statuses with a hashtag (`local`, `remote`).
pub(crate) async fn tag(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    Path(hashtag): Path<String>,
    LooseQuery(params): LooseQuery<PublicParams>,
) -> Result<Paged<api::Status>, ApiError> {
    let viewer = viewer(&auth)?;
    let page = params.page.page(20, 40)?;
    let local = params.locality();
    let items = state
        .services
        .tag_timeline(
            viewer,
            &hashtag,
            local,
            params.only_media == Some(true),
            page,
        )
        .await?;
    Ok(Paged::<api::Status>::statuses(
        items,
        state.services.urls.base(),
        &uri,
    ))
}

/// `POST /api/v1/statuses/{id}/pin`.
pub(crate) async fn pin(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:accounts")?;
    Ok(Json(state.services.pin(user, path_id(&id)?, true).await?))
}

/// `POST /api/v1/statuses/{id}/unpin`.
pub(crate) async fn unpin(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:accounts")?;
    Ok(Json(state.services.pin(user, path_id(&id)?, false).await?))
}

/// `POST /api/v1/statuses/{id}/mute` — no more notifications from this thread.
pub(crate) async fn mute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:mutes")?;
    Ok(Json(
        state
            .services
            .mute_conversation(user, path_id(&id)?, true)
            .await?,
    ))
}

/// `POST /api/v1/statuses/{id}/unmute`.
pub(crate) async fn unmute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Status>, ApiError> {
    let user = auth.user("write:mutes")?;
    Ok(Json(
        state
            .services
            .mute_conversation(user, path_id(&id)?, false)
            .await?,
    ))
}
