//! The browser side of OAuth: `GET /oauth/authorize` shows a sign-in form, its `POST` checks the
//! password and shows the consent page, and `POST /oauth/authorize/decision` issues the code.
//! Server-rendered, no JavaScript. State travels in signed form fields (no server sessions);
//! CSRF is a signed token bound to a cookie nonce (double submit).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use rookery_model::{Id, OAuthApp, Scopes};
use rookery_service::crypto::{random_token, sign, verify};
use rookery_service::{OOB_REDIRECT, Services};

use crate::extract::Body;
use crate::forms;
use crate::pages::oauth;
use crate::ratelimit::{Guard, TOO_MANY_FAILURES};
use crate::{ApiError, AppState};

/// Forms and tickets are valid this long.
const FORM_TTL_MS: i64 = 30 * 60 * 1000;
const CSRF_COOKIE: &str = "rookery_csrf";

/// What the app asked for; carried through the forms.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct Request {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
}

/// Validated request.
struct Checked {
    app: OAuthApp,
    redirect_uri: String,
    scopes: Scopes,
    challenge: Option<String>,
}

async fn check(services: &Services, r: &Request) -> Result<Checked, Response> {
    if r.response_type != "code" {
        return Err(oauth::error(
            services,
            StatusCode::BAD_REQUEST,
            "The authorization server does not support this response type.",
        ));
    }
    let app = services.app_by_client_id(&r.client_id).await.map_err(|_| {
        oauth::error(
            services,
            StatusCode::BAD_REQUEST,
            "Client authentication failed: unknown client.",
        )
    })?;
    let redirect_uri = if r.redirect_uri.is_empty() && app.redirect_uris.len() == 1 {
        app.redirect_uris[0].clone()
    } else {
        r.redirect_uri.clone()
    };
    if !app.redirect_uris.contains(&redirect_uri) {
        return Err(oauth::error(
            services,
            StatusCode::BAD_REQUEST,
            "The redirect uri included is not valid.",
        ));
    }
    let scopes = Services::requested_scopes(&app, Some(&r.scope)).map_err(|_| {
        oauth::error(
            services,
            StatusCode::BAD_REQUEST,
            "The requested scope is invalid, unknown, or malformed.",
        )
    })?;
    let challenge = match (r.code_challenge.as_str(), r.code_challenge_method.as_str()) {
        ("", _) => None,
        (c, "S256") if c.len() >= 43 && c.len() <= 128 => Some(c.to_owned()),
        _ => {
            return Err(oauth::error(
                services,
                StatusCode::BAD_REQUEST,
                "Only S256 PKCE challenges of 43 to 128 characters are supported.",
            ));
        }
    };
    Ok(Checked {
        app,
        redirect_uri,
        scopes,
        challenge,
    })
}

/// The app's request as form fields.
fn request_fields(r: &Request) -> Vec<(&'static str, &str)> {
    vec![
        ("response_type", &r.response_type),
        ("client_id", &r.client_id),
        ("redirect_uri", &r.redirect_uri),
        ("scope", &r.scope),
        ("state", &r.state),
        ("code_challenge", &r.code_challenge),
        ("code_challenge_method", &r.code_challenge_method),
    ]
}

fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    forms::cookie(headers, CSRF_COOKIE).filter(|v| !v.is_empty() && v.len() <= 64)
}

async fn csrf_token(services: &Services, nonce: &str) -> Result<String, ApiError> {
    forms::token_for(services, nonce).await
}

async fn csrf_ok(services: &Services, headers: &HeaderMap, token: &str) -> Result<bool, ApiError> {
    match cookie_nonce(headers) {
        Some(nonce) => forms::token_matches(services, &nonce, token).await,
        None => Ok(false),
    }
}

fn set_cookie(services: &Services, nonce: &str) -> String {
    format!(
        "{CSRF_COOKIE}={nonce}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age=1800{}",
        forms::secure_attribute(services)
    )
}

async fn sign_in_form(
    state: &AppState,
    r: &Request,
    app: &OAuthApp,
    nonce: &str,
    error: Option<&str>,
) -> Result<String, ApiError> {
    let csrf = csrf_token(&state.services, nonce).await?;
    oauth::sign_in(&state.services, &app.name, request_fields(r), &csrf, error)
}

/// `GET /oauth/authorize` — the sign-in form.
pub(crate) async fn form(
    State(state): State<AppState>,
    Query(r): Query<Request>,
) -> Result<Response, ApiError> {
    let checked = match check(&state.services, &r).await {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let nonce = random_token(state.services.random.as_ref());
    let html = sign_in_form(&state, &r, &checked.app, &nonce, None).await?;
    Ok((
        [
            (header::SET_COOKIE, set_cookie(&state.services, &nonce)),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Html(html),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignIn {
    #[serde(flatten)]
    request: Request,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// What the consent form carries, signed.
#[derive(Debug, Serialize, Deserialize)]
struct Ticket {
    account_id: String,
    client_id: String,
    redirect_uri: String,
    scopes: String,
    challenge: Option<String>,
    state: String,
    expires: i64,
    /// The password was right; the second factor is still to come (the consent form refuses
    /// such a ticket).
    #[serde(default)]
    needs_code: bool,
    /// The browser that signed in (its form cookie's nonce): the ticket works there only.
    #[serde(default)]
    nonce: String,
}

impl Ticket {
    /// The ticket in `signed`, if it is this server's, unexpired, and was made for the
    /// browser that sent `headers`.
    fn read(services: &Services, key: &[u8], signed: &str, headers: &HeaderMap) -> Option<Ticket> {
        let nonce = cookie_nonce(headers)?;
        verify(key, signed)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|t: &Ticket| t.expires > services.clock.now().as_millis() && t.nonce == nonce)
    }

    fn signed(&self, key: &[u8]) -> Result<String, ApiError> {
        let json = serde_json::to_vec(self)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(sign(key, &URL_SAFE_NO_PAD.encode(json)))
    }
}

/// The consent page for a ticket whose sign-in is complete.
async fn consent_page(
    services: &Services,
    nonce: &str,
    ticket: &Ticket,
    username: &str,
    app_name: &str,
) -> Result<Response, ApiError> {
    let key = services.secret_key().await?;
    let signed = ticket.signed(&key)?;
    let csrf = csrf_token(services, nonce).await?;
    let scopes = Scopes::parse(&ticket.scopes).map_err(|_| ApiError::bad_request("bad ticket"))?;
    let html = oauth::consent(
        services,
        username,
        app_name,
        scopes.iter().collect(),
        &signed,
        &csrf,
    )?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// `POST /oauth/authorize` — checks the password, then shows the consent page.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(form): Body<SignIn>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    if !csrf_ok(services, &headers, &form.csrf).await? {
        return Ok(oauth::error(
            services,
            StatusCode::FORBIDDEN,
            "The form expired or did not come from this site. Go back to the app and start again.",
        ));
    }
    let checked = match check(services, &form.request).await {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let nonce = cookie_nonce(&headers).unwrap_or_default();
    let guard = Guard::Password(&form.login);
    let now = services.clock.now();
    let refusal = if !guard.allowed(&state.limiter, now) {
        Err((StatusCode::TOO_MANY_REQUESTS, TOO_MANY_FAILURES))
    } else {
        match services.sign_in(&form.login, &form.password).await? {
            None => {
                guard.failed(&state.limiter, now);
                Err((
                    StatusCode::UNAUTHORIZED,
                    "Invalid e-mail address or password.",
                ))
            }
            Some(user) if user.user.confirmed_at.is_none() => Err((
                StatusCode::FORBIDDEN,
                "Confirm your e-mail address first: open the link we sent you, or ask for a \
                 new one at /auth/confirmation/new.",
            )),
            Some(user) => Ok(user),
        }
    };
    let user = match refusal {
        Ok(user) => user,
        Err((status, error)) => {
            let html =
                sign_in_form(&state, &form.request, &checked.app, &nonce, Some(error)).await?;
            return Ok((status, Html(html)).into_response());
        }
    };
    let mut ticket = Ticket {
        account_id: user.account.id.to_string(),
        client_id: checked.app.client_id.clone(),
        redirect_uri: checked.redirect_uri.clone(),
        scopes: checked.scopes.to_string(),
        challenge: checked.challenge.clone(),
        state: form.request.state.clone(),
        expires: services.clock.now().as_millis() + FORM_TTL_MS,
        needs_code: user.user.two_factor,
        nonce: nonce.clone(),
    };
    if ticket.needs_code {
        // Five minutes for the code, as on the web sign-in.
        ticket.expires = services.clock.now().as_millis() + 5 * 60 * 1000;
        let key = services.secret_key().await?;
        let csrf = csrf_token(services, &nonce).await?;
        let html = oauth::two_factor(
            services,
            &checked.app.name,
            &ticket.signed(&key)?,
            &csrf,
            None,
        )?;
        return Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response());
    }
    consent_page(
        services,
        &nonce,
        &ticket,
        user.account.username.as_str(),
        &checked.app.name,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct SecondFactor {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// `POST /oauth/authorize/two_factor` — the second factor of an account that has one, then
/// the consent page.
pub(crate) async fn two_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(form): Body<SecondFactor>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let expired = || {
        oauth::error(
            services,
            StatusCode::FORBIDDEN,
            "The form expired or did not come from this site. Go back to the app and start again.",
        )
    };
    if !csrf_ok(services, &headers, &form.csrf).await? {
        return Ok(expired());
    }
    let key = services.secret_key().await?;
    let Some(mut ticket) =
        Ticket::read(services, &key, &form.ticket, &headers).filter(|t| t.needs_code)
    else {
        return Ok(expired());
    };
    let account_id: Id = ticket
        .account_id
        .parse()
        .map_err(|_| ApiError::bad_request("bad ticket"))?;
    let account = services
        .store
        .account(account_id)
        .await
        .map_err(rookery_service::ServiceError::from)?
        .ok_or_else(|| ApiError::bad_request("bad ticket"))?;
    let local = services.local_account(account.username.as_str()).await?;
    let app = services
        .app_by_client_id(&ticket.client_id)
        .await
        .map_err(|_| ApiError::bad_request("unknown client"))?;
    let nonce = cookie_nonce(&headers).unwrap_or_default();
    let guard = Guard::SecondFactor(local.account.id);
    let now = services.clock.now();
    let refusal = if !guard.allowed(&state.limiter, now) {
        Some((StatusCode::TOO_MANY_REQUESTS, TOO_MANY_FAILURES))
    } else if !services
        .sign_ins()
        .check_second_factor(&local, &form.code)
        .await?
    {
        guard.failed(&state.limiter, now);
        Some((
            StatusCode::UNAUTHORIZED,
            "This code is not right, or was used already.",
        ))
    } else {
        None
    };
    if let Some((status, error)) = refusal {
        let csrf = csrf_token(services, &nonce).await?;
        let html = oauth::two_factor(services, &app.name, &form.ticket, &csrf, Some(error))?;
        return Ok((status, Html(html)).into_response());
    }
    ticket.needs_code = false;
    ticket.expires = services.clock.now().as_millis() + FORM_TTL_MS;
    consent_page(
        services,
        &nonce,
        &ticket,
        account.username.as_str(),
        &app.name,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct Decision {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::from(uri);
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(sep);
        out.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .append_pair(k, v)
                .finish(),
        );
        sep = '&';
    }
    out
}

/// `POST /oauth/authorize/decision` — approve (a code, by redirect or shown for `oob`) or deny.
pub(crate) async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(form): Body<Decision>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    if !csrf_ok(services, &headers, &form.csrf).await? {
        return Ok(oauth::error(
            services,
            StatusCode::FORBIDDEN,
            "The form expired or did not come from this site. Go back to the app and start again.",
        ));
    }
    let key = services.secret_key().await?;
    // A ticket still waiting for its second factor cannot approve anything.
    let ticket = Ticket::read(services, &key, &form.ticket, &headers).filter(|t| !t.needs_code);
    let Some(t) = ticket else {
        return Ok(oauth::error(
            services,
            StatusCode::BAD_REQUEST,
            "The authorization request expired. Go back to the app and start again.",
        ));
    };
    if form.decision != "approve" {
        if t.redirect_uri == OOB_REDIRECT {
            return Ok(oauth::error(services, StatusCode::OK, "You denied access."));
        }
        let to = with_params(
            &t.redirect_uri,
            &[("error", "access_denied"), ("state", &t.state)],
        );
        return Ok(Redirect::to(&to).into_response());
    }
    let app = services
        .app_by_client_id(&t.client_id)
        .await
        .map_err(|_| ApiError::bad_request("unknown client"))?;
    let account_id: Id = t
        .account_id
        .parse()
        .map_err(|_| ApiError::bad_request("bad ticket"))?;
    let scopes = Scopes::parse(&t.scopes).map_err(|_| ApiError::bad_request("bad ticket"))?;
    let code = services
        .authorize(
            &app,
            account_id,
            &t.redirect_uri,
            scopes,
            t.challenge.clone(),
        )
        .await?;
    if t.redirect_uri == OOB_REDIRECT {
        let html = oauth::code(services, &code)?;
        return Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response());
    }
    let to = with_params(&t.redirect_uri, &[("code", &code), ("state", &t.state)]);
    Ok(Redirect::to(&to).into_response())
}
