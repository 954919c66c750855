//! `/admin/rules`: the server's rules — shown on the about and sign-up pages and to apps,
//! cited by reports — listed, added, edited and deleted through the same use cases as
//! `rookery admin rules`. A deleted rule disappears from the list but reports keep showing it.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use rookery_model::{Id, Permission};
use rookery_service::ServiceError;
use rookery_service::moderation::rules::RuleChange;
use rookery_store::Rule;
use serde::Deserialize;

use super::{Staff, TokenForm, admin_frame, admin_page, staff, staff_posted};
use crate::pages::Site;
use crate::pages::session::ClientIp;
use crate::pages::settings::settings_page;
use crate::{ApiError, AppState};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/rules", get(show).post(add))
        .route("/admin/rules/{id}", post(edit))
        .route("/admin/rules/{id}/delete", post(remove))
}

#[derive(Template)]
#[template(path = "admin/rules.html")]
struct RulesPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    rules: Vec<Rule>,
}

async fn rules_page(
    state: &AppState,
    staff: &Staff,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let rules = state.services.rules().list(staff.moderator).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut f = admin_frame(state, staff, "rules");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(RulesPage, f, { rules: rules });
    admin_page(&body, staff, status)
}

/// Shows the outcome of a change: its notice, or the page with why the input was refused.
async fn outcome<T>(
    state: &AppState,
    staff: &Staff,
    done: Result<T, ServiceError>,
    notice: &str,
) -> Result<Response, ApiError> {
    match done {
        Ok(_) => rules_page(state, staff, Some(notice.to_owned()), None).await,
        Err(e @ ServiceError::Invalid { .. }) => {
            rules_page(state, staff, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/rules`.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match staff(&state, &headers, &ip, Permission::ManageRules).await? {
        Ok(s) => rules_page(&state, &s, None, None).await,
        Err(to) => Ok(to),
    }
}

#[derive(Debug, Deserialize)]
struct RuleForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    hint: String,
    /// Empty: after the others (when adding), unchanged (when editing).
    #[serde(default)]
    priority: String,
}

/// The priority typed, if any; `Err` with the page's message when it is not a number.
fn priority(text: &str) -> Result<Option<i64>, String> {
    match text.trim() {
        "" => Ok(None),
        p => p
            .parse::<i64>()
            .map(Some)
            .map_err(|_| "the priority must be a whole number".to_owned()),
    }
}

/// `POST /admin/rules`: adds a rule.
async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<RuleForm>,
) -> Result<Response, ApiError> {
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        Permission::ManageRules,
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let priority = match priority(&form.priority) {
        Ok(p) => p,
        Err(why) => return rules_page(&state, &staff, None, Some(why)).await,
    };
    let done = state
        .services
        .rules()
        .create(staff.moderator, &form.text, &form.hint, priority)
        .await;
    outcome(&state, &staff, done, "The rule is added.").await
}

fn rule_id(raw: &str) -> Result<Id, ApiError> {
    raw.parse::<Id>()
        .map_err(|_| ServiceError::NotFound("rule").into())
}

/// `POST /admin/rules/{id}`: changes a rule's text, hint and priority.
async fn edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<RuleForm>,
) -> Result<Response, ApiError> {
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        Permission::ManageRules,
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = rule_id(&id)?;
    let priority = match priority(&form.priority) {
        Ok(p) => p,
        Err(why) => return rules_page(&state, &staff, None, Some(why)).await,
    };
    let change = RuleChange {
        text: Some(form.text),
        hint: Some(form.hint),
        priority,
    };
    let done = state
        .services
        .rules()
        .update(staff.moderator, id, change)
        .await;
    outcome(&state, &staff, done, "The rule is saved.").await
}

/// `POST /admin/rules/{id}/delete`: deletes a rule (reports citing it still show it).
async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        Permission::ManageRules,
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = rule_id(&id)?;
    state.services.rules().delete(staff.moderator, id).await?;
    rules_page(&state, &staff, Some("The rule is deleted.".into()), None).await
}
