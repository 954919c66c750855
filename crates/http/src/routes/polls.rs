//! Polls: `GET /api/v1/polls/{id}`, `POST /api/v1/polls/{id}/votes`, and reading `poll[…]`
//! of a new status.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use rookery_api as api;
use rookery_service::polls::PollInput;

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::{ApiError, AppState};

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("Validation failed: {}", message.into()),
    )
}

/// A loose boolean (`true`, `"1"`, `"false"`, …) of a poll.
fn flag(v: &Value, field: &str) -> Result<bool, ApiError> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => Ok(n.as_i64() != Some(0)),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "on" | "yes" => Ok(true),
            "0" | "false" | "off" | "no" | "" => Ok(false),
            _ => Err(invalid(format!("Poll {field} {s:?} is not a boolean"))),
        },
        other => Err(invalid(format!("Poll {field} {other} is not a boolean"))),
    }
}

/// `poll` of a new status, from a form (`poll[options][]`, strings) or JSON. `None` when absent
/// or null.
pub(crate) fn poll_input(v: Option<&Value>) -> Result<Option<PollInput>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Value::Object(o) = v else {
        return Err(invalid("Poll must be an object"));
    };
    let options = match o.get("options") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(invalid("Poll options must be strings")),
            })
            .collect::<Result<_, _>>()?,
        // `poll[options][0]=a` arrives as an object keyed by position.
        Some(Value::Object(m)) => m
            .values()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| invalid("Poll options must be strings"))?,
        Some(Value::String(s)) => vec![s.clone()],
        Some(_) => return Err(invalid("Poll options must be a list")),
    };
    let expires_in = match o.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .ok_or_else(|| invalid("Poll expires_in is out of range"))?,
        ),
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| invalid(format!("Poll expires_in {s:?} is not a number")))?,
        ),
        Some(other) => return Err(invalid(format!("Poll expires_in {other} is not a number"))),
    };
    Ok(Some(PollInput {
        options,
        expires_in,
        multiple: flag(o.get("multiple").unwrap_or(&Value::Null), "multiple")?,
        hide_totals: flag(o.get("hide_totals").unwrap_or(&Value::Null), "hide_totals")?,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct VoteForm {
    #[serde(default, deserialize_with = "loose::string_list")]
    choices: Vec<String>,
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

/// `GET /api/v1/polls/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<api::Poll>, ApiError> {
    Ok(Json(
        state
            .services
            .get_poll(viewer(&auth)?, path_id(&id)?)
            .await?,
    ))
}

/// `POST /api/v1/polls/{id}/votes` — `choices[]`, option indexes.
pub(crate) async fn vote(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<VoteForm>,
) -> Result<Json<api::Poll>, ApiError> {
    let user = auth.user("write:statuses")?;
    let choices = form
        .choices
        .iter()
        .map(|c| {
            c.trim()
                .parse::<i64>()
                .map_err(|_| invalid(format!("Choices {c:?} is not an option index")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(
        state.services.vote(user, path_id(&id)?, &choices).await?,
    ))
}
