//! `/admin/webhooks`: endpoints told of events — add one (its secret is shown once), turn it
//! off and on, give it a new secret, remove it. The same use cases as
//! `rookery admin webhooks …`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use rookery_model::{Id, Permission};
use rookery_service::ServiceError;
use rookery_service::webhooks::{EVENTS, WebhookInput};

use super::{Staff, TokenForm, admin_frame, admin_page, staff, staff_posted};
use crate::pages::Site;
use crate::pages::session::ClientIp;
use crate::pages::settings::settings_page;
use crate::{ApiError, AppState};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/webhooks", get(list).post(create))
        .route("/admin/webhooks/{id}/{action}", post(act))
}

struct HookRow {
    id: String,
    url: String,
    events: String,
    enabled: bool,
    template: bool,
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    hooks: Vec<HookRow>,
    events: Vec<&'static str>,
    /// A secret to show once (after adding or rotating).
    secret: Option<String>,
}

async fn webhooks_page(
    state: &AppState,
    staff: &Staff,
    notice: Option<String>,
    error: Option<String>,
    secret: Option<String>,
) -> Result<Response, ApiError> {
    let hooks = state
        .services
        .webhooks()
        .list(staff.moderator)
        .await?
        .into_iter()
        .map(|h| HookRow {
            id: h.id.to_string(),
            url: h.url,
            events: h.events.join(", "),
            enabled: h.enabled,
            template: h.template.is_some(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut f = admin_frame(state, staff, "webhooks");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(WebhooksPage, f, {
        hooks: hooks,
        events: EVENTS.to_vec(),
        secret: secret,
    });
    admin_page(&body, staff, status)
}

/// `GET /admin/webhooks`.
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match staff(&state, &headers, &ip, Permission::ManageWebhooks).await? {
        Ok(s) => webhooks_page(&state, &s, None, None, None).await,
        Err(to) => Ok(to),
    }
}

/// The message a refused input is shown with.
fn refusal(e: ServiceError) -> Result<String, ApiError> {
    match e {
        e @ ServiceError::Invalid { .. } => Ok(e.to_string()),
        other => Err(other.into()),
    }
}

/// `POST /admin/webhooks` (`url`, `events` repeated, `template`).
async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let mut token = String::new();
    let mut input = WebhookInput::default();
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "authenticity_token" => token = v.into_owned(),
            "url" => input.url = v.into_owned(),
            "events" => input.events.push(v.into_owned()),
            "template" => input.template = Some(v.into_owned()),
            _ => {}
        }
    }
    let staff =
        match staff_posted(&state, &headers, &ip, &token, Permission::ManageWebhooks).await? {
            Ok(s) => s,
            Err(answer) => return Ok(answer),
        };
    match state
        .services
        .webhooks()
        .create(staff.moderator, input)
        .await
    {
        Ok(h) => {
            let notice = format!("Webhook added: events go to {}.", h.url);
            webhooks_page(&state, &staff, Some(notice), None, Some(h.secret)).await
        }
        Err(e) => webhooks_page(&state, &staff, None, Some(refusal(e)?), None).await,
    }
}

/// `POST /admin/webhooks/{id}/{enable|disable|rotate|delete}`.
async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path((id, action)): Path<(String, String)>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        Permission::ManageWebhooks,
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = id
        .parse::<i64>()
        .map(Id::from_i64)
        .map_err(|_| ServiceError::NotFound("webhook"))?;
    let hooks = state.services.webhooks();
    let by = staff.moderator;
    let (notice, secret) = match action.as_str() {
        "enable" => {
            hooks.set_enabled(by, id, true).await?;
            ("The webhook is on.".to_owned(), None)
        }
        "disable" => {
            hooks.set_enabled(by, id, false).await?;
            ("The webhook is off.".to_owned(), None)
        }
        "rotate" => {
            let h = hooks.rotate_secret(by, id).await?;
            (
                "The webhook has a new secret; the old one no longer signs.".to_owned(),
                Some(h.secret),
            )
        }
        "delete" => {
            hooks.delete(by, id).await?;
            ("The webhook is removed.".to_owned(), None)
        }
        _ => return Err(ServiceError::NotFound("action").into()),
    };
    webhooks_page(&state, &staff, Some(notice), None, secret).await
}
