//! The account pages reached from mail or when signed out: e-mail confirmation
//! (`/auth/confirmation`), asking for it again, and password reset (`/auth/password/…`).
//! Forms carry a CSRF token bound to a cookie; answers never tell whether an address has an
//! account.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use rookery_service::ServiceError;
use rookery_service::account_links::AfterReset;
use rookery_service::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};

use super::{Site, render};
use crate::forms::{self, Csrf};
use crate::{ApiError, AppState};

#[derive(Template)]
#[template(path = "auth/message.html")]
struct Message {
    site: Site,
    heading: String,
    paragraphs: Vec<String>,
    link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "auth/password_new.html")]
struct PasswordNew {
    site: Site,
    csrf: String,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/password_edit.html")]
struct PasswordEdit {
    site: Site,
    csrf: String,
    token: String,
    error: Option<String>,
    min: usize,
    max: usize,
}

#[derive(Template)]
#[template(path = "auth/confirmation_new.html")]
struct ConfirmationNew {
    site: Site,
    csrf: String,
}

pub(super) fn message(
    state: &AppState,
    status: StatusCode,
    heading: &str,
    paragraphs: &[&str],
    link: Option<(&str, &str)>,
) -> Result<Response, ApiError> {
    let mut response = render(&Message {
        site: Site::of(&state.services),
        heading: heading.to_owned(),
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
        link: link.map(|(h, t)| (h.to_owned(), t.to_owned())),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// A form page with its CSRF cookie set when the browser had none.
pub(super) fn with_cookie(mut response: Response, csrf: &Csrf) -> Response {
    if let Some(cookie) = csrf
        .set_cookie
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    // Pages with one-time tokens in their URL or form are not cached or passed on.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn expired_form(state: &AppState) -> Result<Response, ApiError> {
    message(
        state,
        StatusCode::FORBIDDEN,
        "This form has expired",
        &["Go back, reload the page and send the form again."],
        None,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConfirmationQuery {
    #[serde(default)]
    confirmation_token: String,
}

/// `GET /auth/confirmation?confirmation_token=…`: the link of the confirmation mail.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Query(q): Query<ConfirmationQuery>,
) -> Result<Response, ApiError> {
    match state
        .services
        .account_links()
        .confirm(&q.confirmation_token)
        .await
    {
        Ok(username) => message(
            &state,
            StatusCode::OK,
            "Your address is confirmed",
            &[&format!(
                "Welcome, @{username}! You can now sign in from any Mastodon app."
            )],
            None,
        ),
        Err(ServiceError::NotFound(_)) => message(
            &state,
            StatusCode::NOT_FOUND,
            "This link does not work",
            &["It was already used, or it expired. Ask for a new one below."],
            Some((
                "/auth/confirmation/new",
                "Send the confirmation e-mail again",
            )),
        ),
        Err(ServiceError::Invalid { .. }) => message(
            &state,
            StatusCode::CONFLICT,
            "This address is taken",
            &["Another account uses this address now: choose another one in your settings."],
            Some(("/settings/email", "Change your e-mail address")),
        ),
        Err(e) => Err(e.into()),
    }
}

/// `GET /auth/confirmation/new`: asks for the confirmation mail again.
pub(crate) async fn confirmation_new(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let csrf = forms::issue(&state.services, &headers).await?;
    let page = render(&ConfirmationNew {
        site: Site::of(&state.services),
        csrf: csrf.token.clone(),
    })?;
    Ok(with_cookie(page, &csrf))
}

#[derive(Debug, Deserialize)]
pub(crate) struct EmailForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    email: String,
}

/// `POST /auth/confirmation`.
pub(crate) async fn confirmation_resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<EmailForm>,
) -> Result<Response, ApiError> {
    if !forms::check(&state.services, &headers, &form.authenticity_token).await? {
        return expired_form(&state);
    }
    state
        .services
        .account_links()
        .resend_confirmation_to(&form.email)
        .await?;
    message(
        &state,
        StatusCode::OK,
        "Check your inbox",
        &["If an account with this address waits for confirmation, a new link is on its way."],
        None,
    )
}

/// `GET /auth/password/new`: asks for a reset link.
pub(crate) async fn password_new(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let csrf = forms::issue(&state.services, &headers).await?;
    let page = render(&PasswordNew {
        site: Site::of(&state.services),
        csrf: csrf.token.clone(),
        email: String::new(),
        error: None,
    })?;
    Ok(with_cookie(page, &csrf))
}

/// `POST /auth/password`: mails a reset link if the address has an account.
pub(crate) async fn password_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<EmailForm>,
) -> Result<Response, ApiError> {
    if !forms::check(&state.services, &headers, &form.authenticity_token).await? {
        return expired_form(&state);
    }
    let links = state.services.account_links();
    links.request_password_reset(&form.email).await?;
    let mut paragraphs = vec![
        "If an account has this address, a link to choose a new password is on its way. It works for one hour.",
    ];
    if !state.services.mail().enabled() {
        paragraphs.push("This server sends no e-mail: ask its administrator for a reset link.");
    }
    message(
        &state,
        StatusCode::OK,
        "Check your inbox",
        &paragraphs,
        None,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResetQuery {
    #[serde(default)]
    reset_password_token: String,
}

/// `GET /auth/password/edit?reset_password_token=…`: the link of the reset mail.
pub(crate) async fn password_edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ResetQuery>,
) -> Result<Response, ApiError> {
    edit_form(
        &state,
        &headers,
        q.reset_password_token,
        None,
        StatusCode::OK,
    )
    .await
}

async fn edit_form(
    state: &AppState,
    headers: &HeaderMap,
    token: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let csrf = forms::issue(&state.services, headers).await?;
    let mut page = render(&PasswordEdit {
        site: Site::of(&state.services),
        csrf: csrf.token.clone(),
        token,
        error,
        min: MIN_PASSWORD_LEN,
        max: MAX_PASSWORD_LEN,
    })?;
    *page.status_mut() = status;
    Ok(with_cookie(page, &csrf))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResetForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    reset_password_token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
    #[serde(default)]
    keep_apps: Option<String>,
}

/// `POST /auth/password/edit`: sets the new password.
pub(crate) async fn password_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ResetForm>,
) -> Result<Response, ApiError> {
    if !forms::check(&state.services, &headers, &form.authenticity_token).await? {
        return expired_form(&state);
    }
    let token = form.reset_password_token;
    if form.password != form.password_confirmation {
        let error = Some("The two passwords differ.".to_owned());
        return edit_form(
            &state,
            &headers,
            token,
            error,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let after = if form.keep_apps.is_some() {
        AfterReset::KeepApps
    } else {
        AfterReset::SignOutEverywhere
    };
    let links = state.services.account_links();
    match links.reset_password(&token, &form.password, after).await {
        Ok(_) => message(
            &state,
            StatusCode::OK,
            "Your password is changed",
            &["Sign in from your app with the new password."],
            None,
        ),
        Err(ServiceError::NotFound(_)) => message(
            &state,
            StatusCode::NOT_FOUND,
            "This link does not work",
            &["It was already used, or it expired. Ask for a new one."],
            Some(("/auth/password/new", "Ask for a new link")),
        ),
        Err(ServiceError::Invalid { field, message }) => {
            let error = Some(format!("The {field} {message}."));
            edit_form(
                &state,
                &headers,
                token,
                error,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
