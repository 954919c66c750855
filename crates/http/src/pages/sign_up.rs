//! Signing up in a browser (`/auth/sign_up`): the same checks as `POST /api/v1/accounts`,
//! behind a CSRF token, a honeypot field and a minimum time between showing the form and
//! sending it (no third-party service needed to keep simple bots out).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use rookery_service::registration::Registration;
use rookery_service::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, Registrations, ServiceError};

use super::auth::{message, with_cookie};
use super::session::ClientIp;
use super::{Site, render};
use crate::forms;
use crate::{ApiError, AppState};

/// A form sent sooner than this after it was shown is taken for a bot's.
const MIN_SECONDS_TO_FILL: i64 = 3;

#[derive(Template)]
#[template(path = "auth/sign_up.html")]
struct SignUpPage {
    site: Site,
    csrf: String,
    shown: String,
    approval: bool,
    /// Signing up through an invite link (its code goes back with the form).
    invite_code: String,
    username: String,
    email: String,
    reason: String,
    errors: Vec<String>,
    rules: Vec<(String, String)>,
    has_policies: bool,
    min: usize,
    max: usize,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignUpForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    shown: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    agreement: Option<String>,
    /// The honeypot: hidden from people, filled in by bots.
    #[serde(default)]
    website: String,
    #[serde(default)]
    invite_code: String,
}

fn closed(state: &AppState) -> Result<Response, ApiError> {
    message(
        state,
        StatusCode::FORBIDDEN,
        "Sign-ups are closed",
        &["This server does not take new accounts at the moment."],
        None,
    )
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    form: &SignUpForm,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let settings = &services.settings;
    let csrf = forms::issue(services, headers).await?;
    let mut response = render(&SignUpPage {
        site: Site::of(&state.services),
        csrf: csrf.token.clone(),
        shown: forms::stamp(services).await?,
        approval: settings.registrations == Registrations::Approval && form.invite_code.is_empty(),
        invite_code: form.invite_code.clone(),
        username: form.username.clone(),
        email: form.email.clone(),
        reason: form.reason.clone(),
        errors,
        rules: services
            .rules()
            .shown()
            .await?
            .into_iter()
            .map(|r| (r.text, r.hint))
            .collect(),
        has_policies: !settings.terms_of_service.trim().is_empty()
            || !settings.privacy_policy.trim().is_empty(),
        min: MIN_PASSWORD_LEN,
        max: MAX_PASSWORD_LEN,
    })?;
    *response.status_mut() = status;
    Ok(with_cookie(response, &csrf))
}

/// `GET /auth/sign_up`.
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if state.services.settings.registrations == Registrations::Closed {
        return closed(&state);
    }
    page(
        &state,
        &headers,
        &SignUpForm::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// `GET /invite/{code}`: the sign-up form, through an invite (open even when sign-ups are
/// closed).
pub(crate) async fn invited(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    match state.services.invites().usable(&code).await {
        Ok(invite) => {
            let form = SignUpForm {
                invite_code: invite.code,
                ..SignUpForm::default()
            };
            page(&state, &headers, &form, Vec::new(), StatusCode::OK).await
        }
        Err(ServiceError::Fields(_)) => message(
            &state,
            StatusCode::NOT_FOUND,
            "This invite no longer works",
            &["It was used up, has expired or was withdrawn: ask for a new one."],
            None,
        ),
        Err(e) => Err(e.into()),
    }
}

/// `POST /auth/sign_up`.
pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<SignUpForm>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    if services.settings.registrations == Registrations::Closed && form.invite_code.is_empty() {
        return closed(&state);
    }
    if !forms::check(services, &headers, &form.authenticity_token).await? {
        return message(
            &state,
            StatusCode::FORBIDDEN,
            "This form has expired",
            &["Go back, reload the page and send the form again."],
            None,
        );
    }
    let too_fast = forms::seconds_since(services, &form.shown)
        .await?
        .is_none_or(|s| s < MIN_SECONDS_TO_FILL);
    if !form.website.is_empty() || too_fast {
        let again = vec!["Please take a moment to fill in the form, then send it again.".into()];
        return page(
            &state,
            &headers,
            &form,
            again,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if form.password != form.password_confirmation {
        let errors = vec!["The two passwords differ.".into()];
        return page(
            &state,
            &headers,
            &form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let registration = Registration {
        username: form.username.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        agreement: form.agreement.is_some(),
        locale: None,
        reason: Some(form.reason.clone()).filter(|r| !r.trim().is_empty()),
        invite_code: Some(form.invite_code.clone()).filter(|c| !c.is_empty()),
        ip: ip.parse().ok(),
    };
    let local = match services.sign_up(registration).await {
        Ok(local) => local,
        Err(ServiceError::Fields(fields)) => {
            let errors = fields
                .iter()
                .map(|f| format!("{} {}", label(f.field), f.description))
                .collect();
            return page(
                &state,
                &headers,
                &form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(ServiceError::Invalid { field, message }) => {
            let errors = vec![format!("{} {message}", label(field))];
            return page(
                &state,
                &headers,
                &form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        // Sign-ups closed, or an IP block of the client's network.
        Err(ServiceError::Forbidden) => {
            return message(
                &state,
                StatusCode::FORBIDDEN,
                "You cannot sign up from here",
                &["Sign-ups from your network are not accepted on this server."],
                None,
            );
        }
        Err(e) => return Err(e.into()),
    };
    let waiting = !local.user.approved;
    let unconfirmed = local.user.confirmed_at.is_none();
    let handle = format!("@{}@{}", local.account.username, services.settings.domain);
    let mut paragraphs = vec![format!("Your account is {handle}.")];
    if unconfirmed {
        paragraphs.push(format!(
            "We sent a link to {} : open it to confirm your address.",
            local.user.email.as_str()
        ));
    }
    if waiting {
        paragraphs.push(
            "The moderators review your sign-up; you can sign in once they approve it.".into(),
        );
    } else {
        paragraphs.push(
            "Sign in from any Mastodon app (Tusky, Ivory, Elk, Phanpy, the official apps) by \
             entering this server's address."
                .into(),
        );
    }
    let heading = if unconfirmed {
        "Check your inbox"
    } else {
        "Welcome!"
    };
    let texts: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    message(&state, StatusCode::OK, heading, &texts, None)
}

/// How a field is named on the page.
fn label(field: &str) -> &'static str {
    match field {
        "username" => "Username",
        "email" => "E-mail address",
        "password" => "Password",
        "agreement" => "The rules",
        "reason" => "The reason",
        "invite_code" => "The invite link",
        _ => "A field",
    }
}
