//! Signing in to the web pages: `/auth/sign_in` (password, then the second factor when it is
//! on), `/auth/sign_out`, and the session cookie the settings pages read. The cookie holds a
//! random token (HttpOnly, SameSite=Lax, Secure on HTTPS); the server keeps its hash.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use rookery_service::Services;
use rookery_service::crypto::{sign, verify};
use rookery_store::{LocalAccount, WebSession};

use super::auth::{message, with_cookie};
use super::{Site, render};
use crate::forms;
use crate::ratelimit::{Guard, TOO_MANY_FAILURES};
use crate::{ApiError, AppState};

pub(crate) const SESSION_COOKIE: &str = "rookery_session";
/// Why a correct password does not sign in yet.
const UNCONFIRMED: &str = "Confirm your e-mail address first: open the link we sent you, or \
                           ask for a new one below.";
/// How long the second step of signing in may take.
const TICKET_TTL_MS: i64 = 5 * 60 * 1000;

/// The client's address as the rate limiter sees it (behind trusted proxies, the forwarded
/// one), as text; empty when unknown.
pub(crate) struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = crate::ratelimit::client_address(peer, &parts.headers, state.limiter.trusted());
        Ok(ClientIp(ip.map(|ip| ip.to_string()).unwrap_or_default()))
    }
}

/// The signed-in user of a request, if its session cookie is live.
pub(crate) async fn current(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
) -> Result<Option<(WebSession, LocalAccount)>, ApiError> {
    let Some(token) = forms::cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state.services.sign_ins().session(&token, ip).await?)
}

fn session_cookie(services: &Services, token: &str, max_age: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        forms::secure_attribute(services)
    )
}

/// A redirect to the sign-in page.
pub(crate) fn to_sign_in() -> Response {
    Redirect::to("/auth/sign_in").into_response()
}

#[derive(Template)]
#[template(path = "auth/sign_in.html")]
struct SignInPage {
    site: Site,
    csrf: String,
    login: String,
    error: Option<String>,
    open_registrations: bool,
}

#[derive(Template)]
#[template(path = "auth/two_factor.html")]
pub(crate) struct TwoFactorPage {
    pub site: Site,
    pub csrf: String,
    pub ticket: String,
    pub error: Option<String>,
    /// Where the code goes (this page, or the OAuth sign-in's second step).
    pub action: &'static str,
}

async fn sign_in_page(
    state: &AppState,
    headers: &HeaderMap,
    login: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let csrf = forms::issue(&state.services, headers).await?;
    let mut page = render(&SignInPage {
        site: Site::of(&state.services),
        csrf: csrf.token.clone(),
        login: login.to_owned(),
        error: error.map(str::to_owned),
        open_registrations: state.services.settings.registrations
            != rookery_service::Registrations::Closed,
    })?;
    *page.status_mut() = status;
    Ok(with_cookie(page, &csrf))
}

/// `GET /auth/sign_in`.
pub(crate) async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    sign_in_page(&state, &headers, "", None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

/// Starts the session and sends the browser to the settings.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    local: &LocalAccount,
    ip: &str,
) -> Result<Response, ApiError> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = state
        .services
        .sign_ins()
        .start_session(local, agent, ip)
        .await?;
    let max_age = rookery_service::sign_in::SESSION_IDLE_MS / 1000;
    let mut response = Redirect::to("/settings").into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state.services, &token, max_age)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// The second step's ticket: who passed the first, for this browser, until when.
async fn ticket(
    services: &Services,
    local: &LocalAccount,
    nonce: &str,
) -> Result<String, ApiError> {
    let key = services.secret_key().await?;
    let expires = services.clock.now().as_millis() + TICKET_TTL_MS;
    Ok(sign(
        &key,
        &format!("2fa:{}:{nonce}:{expires}", local.account.id),
    ))
}

/// `POST /auth/sign_in`: the password.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<SignInForm>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    if !forms::check(services, &headers, &form.authenticity_token).await? {
        return sign_in_page(
            &state,
            &headers,
            &form.login,
            Some("The form expired: please sign in again."),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let guard = Guard::Password(&form.login);
    let now = services.clock.now();
    let login = &form.login;
    if !guard.allowed(&state.limiter, now) {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return sign_in_page(&state, &headers, login, Some(TOO_MANY_FAILURES), status).await;
    }
    let Some(local) = services.sign_in(&form.login, &form.password).await? else {
        guard.failed(&state.limiter, now);
        let error = Some("Invalid e-mail address or password.");
        return sign_in_page(&state, &headers, login, error, StatusCode::UNAUTHORIZED).await;
    };
    if local.user.confirmed_at.is_none() {
        let error = Some(UNCONFIRMED);
        return sign_in_page(&state, &headers, login, error, StatusCode::FORBIDDEN).await;
    }
    if !local.user.two_factor {
        return signed_in(&state, &headers, &local, &ip).await;
    }
    two_factor_page(&state, &headers, &local, None, StatusCode::OK).await
}

async fn two_factor_page(
    state: &AppState,
    headers: &HeaderMap,
    local: &LocalAccount,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let csrf = forms::issue(&state.services, headers).await?;
    let mut page = render(&TwoFactorPage {
        site: Site::of(&state.services),
        csrf: csrf.token.clone(),
        ticket: ticket(&state.services, local, &csrf.nonce).await?,
        error: error.map(str::to_owned),
        action: "/auth/sign_in/two_factor",
    })?;
    *page.status_mut() = status;
    Ok(with_cookie(page, &csrf))
}

#[derive(Debug, Deserialize)]
pub(crate) struct TwoFactorForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    code: String,
}

/// `POST /auth/sign_in/two_factor`: the second factor.
pub(crate) async fn two_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<TwoFactorForm>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let expired = || {
        message(
            &state,
            StatusCode::FORBIDDEN,
            "Sign in again",
            &["This sign-in took too long or came from another browser."],
            Some(("/auth/sign_in", "Sign in")),
        )
    };
    if !forms::check(services, &headers, &form.authenticity_token).await? {
        return expired();
    }
    let key = services.secret_key().await?;
    let nonce = forms::cookie_nonce(&headers).unwrap_or_default();
    let account_id = verify(&key, &form.ticket).and_then(|payload| {
        let mut parts = payload.split(':');
        let ok = parts.next() == Some("2fa");
        let id = parts.next()?.parse::<i64>().ok()?;
        let same_browser = parts.next() == Some(nonce.as_str());
        let live = parts
            .next()?
            .parse::<i64>()
            .ok()
            .is_some_and(|e| e > services.clock.now().as_millis());
        (ok && same_browser && live).then_some(id)
    });
    let Some(account_id) = account_id else {
        return expired();
    };
    let account = services
        .store
        .account(rookery_model::Id::from_i64(account_id))
        .await
        .map_err(rookery_service::ServiceError::from)?;
    let Some(account) = account else {
        return expired();
    };
    let local = services.local_account(account.username.as_str()).await?;
    let guard = Guard::SecondFactor(local.account.id);
    let now = services.clock.now();
    if !guard.allowed(&state.limiter, now) {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return two_factor_page(&state, &headers, &local, Some(TOO_MANY_FAILURES), status).await;
    }
    if !services
        .sign_ins()
        .check_second_factor(&local, &form.code)
        .await?
    {
        guard.failed(&state.limiter, now);
        return two_factor_page(
            &state,
            &headers,
            &local,
            Some("This code is not right, or was used already."),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    signed_in(&state, &headers, &local, &ip).await
}

/// `POST /auth/sign_out`. Not guarded by the form token: a forged sign-out only signs the
/// browser out (its cookie is cleared by the answer either way), and the session must not
/// outlive the cookie.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    let services = &state.services;
    if let Some((session, local)) = current(&state, &headers, &ip).await? {
        services.sign_ins().end_session(&local, session.id).await?;
    }
    let mut response = Redirect::to("/").into_response();
    clear_session(&mut response, services);
    Ok(response)
}

/// Makes the browser forget its session cookie.
pub(super) fn clear_session(response: &mut Response, services: &Services) {
    if let Ok(v) = HeaderValue::from_str(&session_cookie(services, "", 0)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}
