//! `/settings/notifications`: which notifications are also sent by e-mail (none until chosen).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use rookery_service::notification_emails::MAILABLE;
use rookery_store::NotificationKind;

use super::Site;
use super::session::ClientIp;
use super::settings::{Signed, frame, page, posted, settings_page, signed};
use crate::{ApiError, AppState};

#[derive(Template)]
#[template(path = "settings/notifications.html")]
struct NotificationsPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    mail: bool,
    kinds: Vec<(&'static str, &'static str, bool)>,
}

async fn notifications_page(
    state: &AppState,
    s: &Signed,
    notice: Option<String>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let wanted = services.notification_emails().wanted(&s.local).await?;
    let mut f = frame(state, s, "notifications");
    f.notice = notice;
    let body = settings_page!(NotificationsPage, f, {
        mail: services.mail().enabled(),
        kinds: MAILABLE
            .iter()
            .map(|(k, label)| (k.as_str(), *label, wanted.contains(k)))
            .collect(),
    });
    page(&body, s, StatusCode::OK)
}

/// `GET /settings/notifications`.
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => notifications_page(&state, &s, None).await,
        Err(to) => Ok(to),
    }
}

/// `POST /settings/notifications` (`kinds` repeated, one per box ticked).
pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // A repeated field: read the pairs as they come.
    let mut token = String::new();
    let mut kinds = Vec::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "authenticity_token" => token = v.into_owned(),
            "kinds" => kinds.extend(NotificationKind::parse(&v)),
            _ => {}
        }
    }
    let s = match posted(&state, &headers, &ip, &token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    state
        .services
        .notification_emails()
        .set(&s.local, &kinds)
        .await?;
    notifications_page(&state, &s, Some("Saved.".into())).await
}
