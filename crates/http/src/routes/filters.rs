//! Filters: `/api/v2/filters…` (filters, their keywords and statuses) and version 1's
//! `/api/v1/filters` (one keyword each).

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use rookery_api as api;
use rookery_service::filters::{FilterInput, FilterV1Input, KeywordInput};

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::{ApiError, AppState};

/// `expires_in`: absent leaves the expiry alone, blank or null removes it, a number of seconds
/// sets it.
fn expires_in<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Some(None)),
        Value::String(s) if s.trim().is_empty() => Ok(Some(None)),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(|n| Some(Some(n)))
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a number of seconds"))),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(|n| Some(Some(n)))
            .ok_or_else(|| serde::de::Error::custom("expires_in is out of range")),
        other => Err(serde::de::Error::custom(format!(
            "{other} is not a number of seconds"
        ))),
    }
}

/// A loose boolean inside `keywords_attributes`.
fn flag(v: Option<&Value>) -> Result<Option<bool>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) => Ok(Some(n.as_i64() != Some(0))),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "on" | "yes" => Ok(Some(true)),
            "0" | "false" | "off" | "no" | "" => Ok(Some(false)),
            other => Err(format!("{other:?} is not a boolean")),
        },
        Some(other) => Err(format!("{other} is not a boolean")),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `keywords_attributes` as a JSON array, a form's `[][keyword]` list, or a form's
/// `[0][keyword]` object.
fn keywords_attributes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<KeywordInput>, D::Error> {
    let items: Vec<Value> = match Value::deserialize(d)? {
        Value::Null => Vec::new(),
        Value::Array(a) => a,
        Value::Object(o) => o.into_iter().map(|(_, v)| v).collect(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "keywords_attributes: {other} is not a list"
            )));
        }
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(o) = item else {
                return Err(serde::de::Error::custom(
                    "keywords_attributes: each keyword is an object",
                ));
            };
            Ok(KeywordInput {
                id: text(o.get("id")),
                keyword: text(o.get("keyword")),
                whole_word: flag(o.get("whole_word")).map_err(serde::de::Error::custom)?,
                destroy: flag(o.get("_destroy"))
                    .map_err(serde::de::Error::custom)?
                    .unwrap_or(false),
            })
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FilterForm {
    title: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_list")]
    context: Option<Vec<String>>,
    filter_action: Option<String>,
    #[serde(default, deserialize_with = "expires_in")]
    expires_in: Option<Option<i64>>,
    #[serde(default, deserialize_with = "keywords_attributes")]
    keywords_attributes: Vec<KeywordInput>,
}

impl From<FilterForm> for FilterInput {
    fn from(f: FilterForm) -> Self {
        FilterInput {
            title: f.title,
            context: f.context,
            filter_action: f.filter_action,
            expires_in: f.expires_in,
            keywords: f.keywords_attributes,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct KeywordForm {
    keyword: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    whole_word: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StatusForm {
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    status_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FilterV1Form {
    phrase: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_list")]
    context: Option<Vec<String>>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    irreversible: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    whole_word: Option<bool>,
    #[serde(default, deserialize_with = "expires_in")]
    expires_in: Option<Option<i64>>,
}

impl From<FilterV1Form> for FilterV1Input {
    fn from(f: FilterV1Form) -> Self {
        FilterV1Input {
            phrase: f.phrase,
            context: f.context,
            irreversible: f.irreversible,
            whole_word: f.whole_word,
            expires_in: f.expires_in,
        }
    }
}

/// `GET /api/v2/filters`.
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<api::Filter>>, ApiError> {
    let user = auth.user("read:filters")?;
    Ok(Json(state.services.filters().list(user).await?))
}

/// `GET /api/v2/filters/{id}`.
pub(crate) async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Filter>, ApiError> {
    let user = auth.user("read:filters")?;
    Ok(Json(
        state.services.filters().get(user, path_id(&id)?).await?,
    ))
}

/// `POST /api/v2/filters`.
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<FilterForm>,
) -> Result<Json<api::Filter>, ApiError> {
    let user = auth.user("write:filters")?;
    Ok(Json(
        state.services.filters().create(user, &form.into()).await?,
    ))
}

/// `PUT /api/v2/filters/{id}`.
pub(crate) async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<FilterForm>,
) -> Result<Json<api::Filter>, ApiError> {
    let user = auth.user("write:filters")?;
    Ok(Json(
        state
            .services
            .filters()
            .update(user, path_id(&id)?, &form.into())
            .await?,
    ))
}

/// `DELETE /api/v2/filters/{id}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:filters")?;
    state.services.filters().delete(user, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v2/filters/{id}/keywords`.
pub(crate) async fn keywords(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<api::FilterKeyword>>, ApiError> {
    let user = auth.user("read:filters")?;
    Ok(Json(
        state
            .services
            .filters()
            .keywords(user, path_id(&id)?)
            .await?,
    ))
}

/// `POST /api/v2/filters/{id}/keywords`.
pub(crate) async fn add_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<KeywordForm>,
) -> Result<Json<api::FilterKeyword>, ApiError> {
    let user = auth.user("write:filters")?;
    Ok(Json(
        state
            .services
            .filters()
            .add_keyword(
                user,
                path_id(&id)?,
                form.keyword.as_deref().unwrap_or(""),
                form.whole_word,
            )
            .await?,
    ))
}

/// `GET /api/v2/filters/keywords/{id}`.
pub(crate) async fn keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::FilterKeyword>, ApiError> {
    let user = auth.user("read:filters")?;
    Ok(Json(
        state
            .services
            .filters()
            .keyword(user, path_id(&id)?)
            .await?,
    ))
}

/// `PUT /api/v2/filters/keywords/{id}`.
pub(crate) async fn update_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<KeywordForm>,
) -> Result<Json<api::FilterKeyword>, ApiError> {
    let user = auth.user("write:filters")?;
    Ok(Json(
        state
            .services
            .filters()
            .update_keyword(
                user,
                path_id(&id)?,
                form.keyword.as_deref(),
                form.whole_word,
            )
            .await?,
    ))
}

/// `DELETE /api/v2/filters/keywords/{id}`.
pub(crate) async fn delete_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:filters")?;
    state
        .services
        .filters()
        .delete_keyword(user, path_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}

/// `GET /api/v2/filters/{id}/statuses`.
pub(crate) async fn statuses(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<api::FilterStatus>>, ApiError> {
    let user = auth.user("read:filters")?;
    Ok(Json(
        state
            .services
            .filters()
            .statuses(user, path_id(&id)?)
            .await?,
    ))
}

/// `POST /api/v2/filters/{id}/statuses`.
pub(crate) async fn add_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<StatusForm>,
) -> Result<Json<api::FilterStatus>, ApiError> {
    let user = auth.user("write:filters")?;
    let status_id = form.status_id.as_deref().ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "Status can't be blank",
        )
    })?;
    Ok(Json(
        state
            .services
            .filters()
            .add_status(user, path_id(&id)?, path_id(status_id)?)
            .await?,
    ))
}

/// `GET /api/v2/filters/statuses/{id}`.
pub(crate) async fn status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::FilterStatus>, ApiError> {
    let user = auth.user("read:filters")?;
    Ok(Json(
        state.services.filters().status(user, path_id(&id)?).await?,
    ))
}

/// `DELETE /api/v2/filters/statuses/{id}`.
pub(crate) async fn delete_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:filters")?;
    state
        .services
        .filters()
        .delete_status(user, path_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/filters`.
pub(crate) async fn list_v1(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<api::FilterV1>>, ApiError> {
    let user = auth.user("read:filters")?;
    Ok(Json(state.services.filters().list_v1(user).await?))
}

/// `GET /api/v1/filters/{id}`.
pub(crate) async fn get_v1(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::FilterV1>, ApiError> {
    let user = auth.user("read:filters")?;
    Ok(Json(
        state.services.filters().get_v1(user, path_id(&id)?).await?,
    ))
}

/// `POST /api/v1/filters`.
pub(crate) async fn create_v1(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<FilterV1Form>,
) -> Result<Json<api::FilterV1>, ApiError> {
    let user = auth.user("write:filters")?;
    Ok(Json(
        state
            .services
            .filters()
            .create_v1(user, &form.into())
            .await?,
    ))
}

/// `PUT /api/v1/filters/{id}`.
pub(crate) async fn update_v1(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<FilterV1Form>,
) -> Result<Json<api::FilterV1>, ApiError> {
    let user = auth.user("write:filters")?;
    Ok(Json(
        state
            .services
            .filters()
            .update_v1(user, path_id(&id)?, &form.into())
            .await?,
    ))
}

/// `DELETE /api/v1/filters/{id}`.
pub(crate) async fn delete_v1(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = auth.user("write:filters")?;
    state
        .services
        .filters()
        .delete_v1(user, path_id(&id)?)
        .await?;
    Ok(Json(json!({})))
}
