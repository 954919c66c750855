//! `/settings/email`: changing the account's e-mail address (with the password). With mail
//! on, the new address must be confirmed through the link mailed to it and the old one is
//! told; without mail the change is made at once.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use rookery_service::ServiceError;
use rookery_service::account_links::EmailChange;

use super::Site;
use super::session::ClientIp;
use super::settings::{Signed, frame, page, posted, settings_page, signed};
use crate::ratelimit::Guard;
use crate::{ApiError, AppState};

#[derive(Template)]
#[template(path = "settings/email.html")]
struct EmailPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    email: String,
    pending: Option<String>,
    mail: bool,
}

async fn email_page(
    state: &AppState,
    s: &Signed,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let services = &state.services;
    // Read again: the page may follow a change made by this request.
    let local = services
        .local_account(s.local.account.username.as_str())
        .await?;
    let pending = services.account_links().pending_email(&local).await?;
    let mut f = frame(state, s, "email");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(EmailPage, f, {
        email: local.user.email.as_str().to_owned(),
        pending: pending,
        mail: services.mail().enabled(),
    });
    page(&body, s, status)
}

/// `GET /settings/email`.
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => email_page(&state, &s, None, None, StatusCode::OK).await,
        Err(to) => Ok(to),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct EmailForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

/// `POST /settings/email`.
pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<EmailForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let services = &state.services;
    // Wrong passwords count against the account as at sign-in.
    let guard = Guard::Password(s.local.account.username.as_str());
    let now = services.clock.now();
    if !guard.allowed(&state.limiter, now) {
        let error = "Too many wrong passwords: try again in an hour.".to_owned();
        return email_page(&state, &s, None, Some(error), StatusCode::TOO_MANY_REQUESTS).await;
    }
    let result = services
        .account_links()
        .request_email_change(&s.local, &form.email, &form.current_password)
        .await;
    match result {
        Ok(EmailChange::Mailed) => {
            let notice = format!(
                "We sent a link to {}: open it to make it your address.",
                form.email.trim()
            );
            email_page(&state, &s, Some(notice), None, StatusCode::OK).await
        }
        Ok(EmailChange::Done) => {
            let notice = "Your e-mail address is changed.".to_owned();
            email_page(&state, &s, Some(notice), None, StatusCode::OK).await
        }
        Err(ServiceError::Invalid { field, message }) => {
            if field == "current password" {
                guard.failed(&state.limiter, now);
            }
            let error = format!("The {field} {message}.");
            email_page(
                &state,
                &s,
                None,
                Some(error),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
