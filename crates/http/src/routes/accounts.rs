//! Accounts.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::paging::LooseQuery;
use crate::{ApiError, AppState};

/// Mastodon's CredentialAccount: the account with `source` and `role`.
async fn credential(
    state: &AppState,
    user: &rookery_store::LocalAccount,
) -> Result<serde_json::Value, ApiError> {
    let requests = state.services.follow_request_count(user).await?;
    let entity = state
        .services
        .account_entity_with_emojis(&user.account)
        .await?;
    let mut body = serde_json::to_value(entity)
        .map_err(|e| ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let fields: Vec<serde_json::Value> = user
        .account
        .fields
        .iter()
        .map(|f| json!({"name": f.name, "value": f.value, "verified_at": null}))
        .collect();
    let posting = &user.user.posting;
    body["source"] = json!({
        "privacy": posting.visibility.as_str(),
        "sensitive": posting.sensitive,
        "language": posting.language,
        "quote_policy": posting.quote_policy.setting(),
        "note": user.account.note,
        "fields": fields,
        "follow_requests_count": requests,
        "hide_collections": user.account.profile.hide_collections,
        "discoverable": user.account.discoverable,
        "indexable": user.account.profile.indexable,
        "attribution_domains": user.account.profile.attribution_domains,
    });
    body["role"] = serde_json::to_value(rookery_service::moderation::accounts_view::role_entity(
        user.user.role,
    ))
    .unwrap_or_default();
    Ok(body)
}

/// `GET /api/v1/accounts/verify_credentials` — the signed-in user's account, with `source` and
/// `role` (Mastodon's CredentialAccount).
pub(crate) async fn verify_credentials(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("read:accounts")?;
    Ok(Json(credential(&state, user).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct UpdateCredentials {
    display_name: Option<String>,
    note: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    bot: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    discoverable: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    hide_collections: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    indexable: Option<bool>,
    avatar_description: Option<String>,
    header_description: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_list")]
    attribution_domains: Option<Vec<String>>,
    fields_attributes: Option<serde_json::Value>,
    source: Option<SourceUpdate>,
}

/// `source[privacy]`, `source[sensitive]`, `source[language]`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SourceUpdate {
    privacy: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    sensitive: Option<bool>,
    language: Option<String>,
    quote_policy: Option<String>,
}

/// `fields_attributes` as forms send it (`{"0": {"name", "value"}}`) or JSON (`[{…}]`).
fn field_pairs(v: &serde_json::Value) -> Result<Vec<(String, String)>, ApiError> {
    let items: Vec<&serde_json::Value> = match v {
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::Object(o) => {
            let mut keyed: Vec<(&String, &serde_json::Value)> = o.iter().collect();
            keyed.sort_by_key(|(k, _)| k.parse::<u32>().unwrap_or(u32::MAX));
            keyed.into_iter().map(|(_, v)| v).collect()
        }
        serde_json::Value::Null => Vec::new(),
        _ => {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: fields_attributes must be a list",
            ));
        }
    };
    items
        .into_iter()
        .map(|i| {
            let get = |k: &str| i.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            if i.is_object() {
                Ok((get("name"), get("value")))
            } else {
                Err(ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation failed: each field needs a name and a value",
                ))
            }
        })
        .collect()
}

/// `PATCH /api/v1/accounts/update_credentials` — edit the profile.
pub(crate) async fn update_credentials(
    State(state): State<AppState>,
    auth: Auth,
    req: axum::extract::Request,
) -> Result<Json<serde_json::Value>, ApiError> {
    // The token first: a client that may not edit the profile is refused before its
    // (possibly large) images are read.
    let user = auth.user("write:accounts")?;
    let crate::extract::WithFiles { form, files } =
        <crate::extract::WithFiles<UpdateCredentials> as axum::extract::FromRequest<AppState>>::from_request(
            req, &state,
        )
        .await?;
    let mut avatar = None;
    let mut header = None;
    // An empty file part (a form's unused file field) is no new image.
    for (name, bytes) in files.into_iter().filter(|(_, b)| !b.is_empty()) {
        match name.as_str() {
            "avatar" => avatar = Some(bytes),
            "header" => header = Some(bytes),
            _ => {}
        }
    }
    let fields = match &form.fields_attributes {
        None => None,
        Some(v) => Some(field_pairs(v)?),
    };
    let updated = state
        .services
        .update_profile(
            user,
            rookery_service::ProfileUpdate {
                display_name: form.display_name,
                note: form.note,
                locked: form.locked,
                bot: form.bot,
                discoverable: form.discoverable,
                hide_collections: form.hide_collections,
                indexable: form.indexable,
                avatar_description: form.avatar_description,
                header_description: form.header_description,
                attribution_domains: form.attribution_domains,
                fields,
                avatar,
                header,
                posting: form
                    .source
                    .map(|s| rookery_service::PostingUpdate {
                        privacy: s.privacy,
                        sensitive: s.sensitive,
                        language: s.language,
                        quote_policy: s.quote_policy,
                    })
                    .unwrap_or_default(),
            },
        )
        .await?;
    Ok(Json(credential(&state, &updated).await?))
}

/// `DELETE /api/v1/profile/avatar` — back to the default avatar.
pub(crate) async fn delete_avatar(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    remove_image(&state, &auth, rookery_model::MediaPurpose::Avatar).await
}

/// `DELETE /api/v1/profile/header` — back to the default header.
pub(crate) async fn delete_header(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    remove_image(&state, &auth, rookery_model::MediaPurpose::Header).await
}

async fn remove_image(
    state: &AppState,
    auth: &Auth,
    purpose: rookery_model::MediaPurpose,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = auth.user("write:accounts")?;
    let updated = state.services.remove_profile_image(user, purpose).await?;
    Ok(Json(credential(state, &updated).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Register {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    agreement: Option<bool>,
    locale: Option<String>,
    reason: Option<String>,
    invite_code: Option<String>,
}

/// `POST /api/v1/accounts` — sign up (with an app token); returns the new user's token.
pub(crate) async fn register(
    State(state): State<AppState>,
    auth: Auth,
    crate::pages::ClientIp(ip): crate::pages::ClientIp,
    Body(form): Body<Register>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let app = auth.scope("write:accounts")?.app.clone();
    let issued = state
        .services
        .register(
            &app,
            rookery_service::Registration {
                username: form.username,
                email: form.email,
                password: form.password,
                agreement: form.agreement.unwrap_or(false),
                locale: form.locale,
                reason: form.reason,
                invite_code: form.invite_code,
                ip: ip.parse().ok(),
            },
        )
        .await?;
    Ok(Json(json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": issued.token.scopes.to_string(),
        "created_at": issued.token.created_at.as_secs(),
    })))
}

/// `GET /api/v1/accounts/{id}` — an account.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::Account>, ApiError> {
    Ok(Json(state.services.get_account(path_id(&id)?).await?))
}

/// `GET /api/v1/accounts?id[]=` — several accounts at once (at most 40), in the order asked;
/// unknown ids are left out.
pub(crate) async fn many(
    State(state): State<AppState>,
    LooseQuery(q): LooseQuery<super::statuses::ManyIds>,
) -> Result<Json<Vec<rookery_api::Account>>, ApiError> {
    let mut out = Vec::new();
    for id in q.ids(40)? {
        match state.services.get_account(id).await {
            Ok(a) => out.push(a),
            Err(rookery_service::ServiceError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
pub(crate) struct LookupParams {
    #[serde(default)]
    acct: String,
}

/// `GET /api/v1/accounts/lookup?acct=` — an account by its handle. Signed-in users may look up
/// remote accounts not seen yet (WebFinger); anonymous callers only find known ones.
pub(crate) async fn lookup(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(p): LooseQuery<LookupParams>,
) -> Result<Json<rookery_api::Account>, ApiError> {
    let resolve = auth.0.as_ref().is_some_and(|a| a.user.is_some());
    Ok(Json(state.services.lookup_account(&p.acct, resolve).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FollowParams {
    #[serde(default, deserialize_with = "loose::opt_bool")]
    reblogs: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    notify: Option<bool>,
}

/// `POST /api/v1/accounts/{id}/follow` — follow (options `reblogs`, `notify`).
pub(crate) async fn follow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(p): Body<FollowParams>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:follows")?;
    Ok(Json(
        state
            .services
            .follow(user, path_id(&id)?, p.reblogs, p.notify)
            .await?,
    ))
}

/// `POST /api/v1/accounts/{id}/unfollow`.
pub(crate) async fn unfollow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:follows")?;
    Ok(Json(state.services.unfollow(user, path_id(&id)?).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RelationshipParams {
    #[serde(default, deserialize_with = "loose::string_list")]
    id: Vec<String>,
}

/// `GET /api/v1/accounts/relationships?id[]=` — how the user stands to each account.
pub(crate) async fn relationships(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(p): LooseQuery<RelationshipParams>,
) -> Result<Json<Vec<rookery_api::Relationship>>, ApiError> {
    let user = auth.user("read:follows")?;
    let ids: Vec<rookery_model::Id> = p.id.iter().filter_map(|i| i.parse().ok()).collect();
    Ok(Json(state.services.relationships(user, &ids).await?))
}

/// `POST /api/v1/accounts/{id}/block`.
pub(crate) async fn block(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:blocks")?;
    Ok(Json(state.services.block(user, path_id(&id)?).await?))
}

/// `POST /api/v1/accounts/{id}/unblock`.
pub(crate) async fn unblock(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:blocks")?;
    Ok(Json(
        state
            .services
            .unrestrict(user, path_id(&id)?, rookery_service::Restriction::Block)
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MuteParams {
    #[serde(default, deserialize_with = "loose::opt_bool")]
    notifications: Option<bool>,
    duration: Option<serde_json::Value>,
}

/// `POST /api/v1/accounts/{id}/mute` (`notifications`, `duration` in seconds).
pub(crate) async fn mute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(p): Body<MuteParams>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:mutes")?;
    let duration = match &p.duration {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) if s.is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s.parse::<u64>().map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: duration must be a number of seconds",
            )
        })?),
        Some(_) => {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: duration must be a number of seconds",
            ));
        }
    };
    Ok(Json(
        state
            .services
            .mute(user, path_id(&id)?, p.notifications, duration)
            .await?,
    ))
}

/// `POST /api/v1/accounts/{id}/unmute`.
pub(crate) async fn unmute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:mutes")?;
    Ok(Json(
        state
            .services
            .unrestrict(user, path_id(&id)?, rookery_service::Restriction::Mute)
            .await?,
    ))
}

async fn restricted(
    state: &AppState,
    auth: &Auth,
    uri: &axum::extract::OriginalUri,
    params: &crate::paging::PageParams,
    kind: rookery_service::Restriction,
    scope: &str,
) -> Result<crate::paging::Paged<rookery_api::Account>, ApiError> {
    let user = auth.user(scope)?;
    let rows = state
        .services
        .restricted(user, kind, params.page(40, 80)?)
        .await?;
    Ok(crate::paging::Paged::keyed(
        rows,
        state.services.urls.base(),
        uri,
    ))
}

/// `GET /api/v1/blocks` — accounts the user blocks.
pub(crate) async fn blocks(
    State(state): State<AppState>,
    auth: Auth,
    uri: axum::extract::OriginalUri,
    LooseQuery(p): LooseQuery<crate::paging::PageParams>,
) -> Result<crate::paging::Paged<rookery_api::Account>, ApiError> {
    restricted(
        &state,
        &auth,
        &uri,
        &p,
        rookery_service::Restriction::Block,
        "read:blocks",
    )
    .await
}

/// `GET /api/v1/mutes` — accounts the user mutes.
pub(crate) async fn mutes(
    State(state): State<AppState>,
    auth: Auth,
    uri: axum::extract::OriginalUri,
    LooseQuery(p): LooseQuery<crate::paging::PageParams>,
) -> Result<crate::paging::Paged<rookery_api::Account>, ApiError> {
    restricted(
        &state,
        &auth,
        &uri,
        &p,
        rookery_service::Restriction::Mute,
        "read:mutes",
    )
    .await
}

/// `GET /api/v1/follow_requests` — accounts asking to follow the (locked) user.
pub(crate) async fn follow_requests(
    State(state): State<AppState>,
    auth: Auth,
    uri: axum::extract::OriginalUri,
    LooseQuery(p): LooseQuery<crate::paging::PageParams>,
) -> Result<crate::paging::Paged<rookery_api::Account>, ApiError> {
    let user = auth.user("read:follows")?;
    let rows = state
        .services
        .follow_requests(user, p.page(40, 80)?)
        .await?;
    Ok(crate::paging::Paged::keyed(
        rows,
        state.services.urls.base(),
        &uri,
    ))
}

/// `POST /api/v1/follow_requests/{id}/authorize`.
pub(crate) async fn authorize_follow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:follows")?;
    Ok(Json(
        state
            .services
            .answer_follow_request(user, path_id(&id)?, true)
            .await?,
    ))
}

/// `POST /api/v1/follow_requests/{id}/reject`.
pub(crate) async fn reject_follow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<rookery_api::Relationship>, ApiError> {
    let user = auth.user("write:follows")?;
    Ok(Json(
        state
            .services
            .answer_follow_request(user, path_id(&id)?, false)
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
    limit: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::loose::opt_bool")]
    resolve: Option<bool>,
    offset: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::loose::opt_bool")]
    following: Option<bool>,
}

/// `GET /api/v1/accounts/search?q=` — accounts by username or display name; `resolve=true`
/// looks a full handle up on its server.
pub(crate) async fn search(
    State(state): State<AppState>,
    auth: Auth,
    LooseQuery(p): LooseQuery<SearchParams>,
) -> Result<Json<Vec<rookery_api::Account>>, ApiError> {
    let user = auth.user("read:accounts")?;
    let number =
        |v: &Option<String>, default: u32, what: &str| match v.as_deref().filter(|l| !l.is_empty())
        {
            None => Ok(default),
            Some(l) => l
                .parse::<u32>()
                .map_err(|_| ApiError::bad_request(format!("{what} is not a number"))),
        };
    let query = rookery_service::AccountSearchQuery {
        limit: number(&p.limit, 40, "limit")?,
        offset: number(&p.offset, 0, "offset")?,
        resolve: p.resolve.unwrap_or(false),
        following_of: p.following.unwrap_or(false).then_some(user.account.id),
    };
    Ok(Json(state.services.search_accounts(&p.q, query).await?))
}

async fn follow_list(
    state: &AppState,
    auth: &Auth,
    uri: &axum::extract::OriginalUri,
    id: &str,
    params: &crate::paging::PageParams,
    followers: bool,
) -> Result<crate::paging::Paged<rookery_api::Account>, ApiError> {
    let viewer = match &auth.0 {
        None => None,
        Some(_) => auth
            .scope("read:accounts")?
            .user
            .as_ref()
            .map(|u| u.account.id),
    };
    let rows = state
        .services
        .follow_list(path_id(id)?, viewer, followers, params.page(40, 80)?)
        .await?;
    Ok(crate::paging::Paged::keyed(
        rows,
        state.services.urls.base(),
        uri,
    ))
}

/// `GET /api/v1/accounts/{id}/followers` — empty for others when the account hides it.
pub(crate) async fn followers(
    State(state): State<AppState>,
    auth: Auth,
    uri: axum::extract::OriginalUri,
    Path(id): Path<String>,
    LooseQuery(p): LooseQuery<crate::paging::PageParams>,
) -> Result<crate::paging::Paged<rookery_api::Account>, ApiError> {
    follow_list(&state, &auth, &uri, &id, &p, true).await
}

/// `GET /api/v1/accounts/{id}/following` — empty for others when the account hides it.
pub(crate) async fn following(
    State(state): State<AppState>,
    auth: Auth,
    uri: axum::extract::OriginalUri,
    Path(id): Path<String>,
    LooseQuery(p): LooseQuery<crate::paging::PageParams>,
) -> Result<crate::paging::Paged<rookery_api::Account>, ApiError> {
    follow_list(&state, &auth, &uri, &id, &p, false).await
}
