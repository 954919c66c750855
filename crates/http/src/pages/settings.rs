//! The account settings pages, behind a web session (`/auth/sign_in`): the account at a
//! glance, changing the password, two-factor authentication (with its QR code and recovery
//! codes), and the browsers signed in. Every form carries a CSRF token; nothing is cached.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use rookery_service::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, ServiceError};
use rookery_store::{LocalAccount, WebSession};

use super::auth::with_cookie;
use super::session::{ClientIp, current, to_sign_in};
use super::{Site, render};
use crate::forms::{self, Csrf};
use crate::ratelimit::Guard;
use crate::{ApiError, AppState};

/// What every settings page shows around its section.
pub(super) struct Frame {
    pub(super) site: Site,
    pub(super) me: String,
    pub(super) csrf: String,
    pub(super) section: &'static str,
    pub(super) notice: Option<String>,
    pub(super) error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings/overview.html")]
struct Overview {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    email: String,
    two_factor: bool,
}

#[derive(Template)]
#[template(path = "settings/password.html")]
struct Password {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    min: usize,
    max: usize,
}

#[derive(Template)]
#[template(path = "settings/two_factor.html")]
struct TwoFactor {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    enabled: bool,
    codes_left: i64,
    /// The key and its QR code (SVG drawn here), while setting up.
    setup: Option<(String, String)>,
    /// Shown once, right after turning it on.
    recovery_codes: Vec<String>,
}

#[derive(Template)]
#[template(path = "settings/delete.html")]
struct DeleteAccount {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
}

struct SessionRow {
    id: String,
    browser: String,
    ip: String,
    last_seen: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "settings/sessions.html")]
struct Sessions {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    sessions: Vec<SessionRow>,
}

/// The request's session, or the sign-in page to go to.
pub(super) struct Signed {
    pub(super) session: WebSession,
    pub(super) local: LocalAccount,
    pub(super) csrf: Csrf,
}

pub(super) async fn signed(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
) -> Result<Result<Signed, Response>, ApiError> {
    let Some((session, local)) = current(state, headers, ip).await? else {
        return Ok(Err(to_sign_in()));
    };
    let csrf = forms::issue(&state.services, headers).await?;
    Ok(Ok(Signed {
        session,
        local,
        csrf,
    }))
}

pub(super) fn frame(state: &AppState, s: &Signed, section: &'static str) -> Frame {
    Frame {
        site: Site::of(&state.services),
        me: s.local.account.username.to_string(),
        csrf: s.csrf.token.clone(),
        section,
        notice: None,
        error: None,
    }
}

pub(super) fn page(
    page: &impl Template,
    s: &Signed,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let mut response = render(page)?;
    *response.status_mut() = status;
    Ok(with_cookie(response, &s.csrf))
}

macro_rules! settings_page {
    ($ty:ident, $frame:expr, { $($field:ident: $value:expr),* $(,)? }) => {{
        let f = $frame;
        $ty {
            site: f.site,
            me: f.me,
            csrf: f.csrf,
            section: f.section,
            notice: f.notice,
            error: f.error,
            $($field: $value,)*
        }
    }};
}
pub(super) use settings_page;

/// Checks a posted form's token; `Err` holds the answer to a forged or stale one.
pub(super) async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
    token: &str,
) -> Result<Result<Signed, Response>, ApiError> {
    let s = match signed(state, headers, ip).await? {
        Ok(s) => s,
        Err(to) => return Ok(Err(to)),
    };
    if !forms::check(&state.services, headers, token).await? {
        let mut f = frame(state, &s, "overview");
        f.error = Some("The form expired: please send it again.".into());
        let email = s.local.user.email.as_str().to_owned();
        let two_factor = s.local.user.two_factor;
        let body = settings_page!(Overview, f, { email: email, two_factor: two_factor });
        return Ok(Err(page(&body, &s, StatusCode::FORBIDDEN)?));
    }
    Ok(Ok(s))
}

/// `GET /settings`.
pub(crate) async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    let s = match signed(&state, &headers, &ip).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    let body = settings_page!(Overview, frame(&state, &s, "overview"), {
        email: s.local.user.email.as_str().to_owned(),
        two_factor: s.local.user.two_factor,
    });
    page(&body, &s, StatusCode::OK)
}

fn password_page(
    state: &AppState,
    s: &Signed,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let mut f = frame(state, s, "password");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(Password, f, { min: MIN_PASSWORD_LEN, max: MAX_PASSWORD_LEN });
    page(&body, s, status)
}

/// `GET /settings/password`.
pub(crate) async fn password(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => password_page(&state, &s, None, None, StatusCode::OK),
        Err(to) => Ok(to),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

/// `POST /settings/password`.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<PasswordForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let bad = StatusCode::UNPROCESSABLE_ENTITY;
    if form.password != form.password_confirmation {
        return password_page(
            &state,
            &s,
            None,
            Some("The two new passwords differ.".into()),
            bad,
        );
    }
    let result = state
        .services
        .sign_ins()
        .change_password(
            &s.local,
            &form.current_password,
            &form.password,
            s.session.id,
        )
        .await;
    match result {
        Ok(()) => password_page(
            &state,
            &s,
            Some("Your password is changed.".into()),
            None,
            StatusCode::OK,
        ),
        Err(ServiceError::Invalid { field, message }) => {
            let error = format!("The {field} {message}.");
            password_page(&state, &s, None, Some(error), bad)
        }
        Err(e) => Err(e.into()),
    }
}

/// An inline SVG QR code of `text` (drawn here from the set-up URL; nothing in it comes from
/// markup a user wrote).
fn qr_svg(text: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| ApiError::from(ServiceError::Internal(format!("QR code: {e}"))))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    // Inline in HTML, without the XML declaration.
    Ok(svg
        .find("<svg")
        .map_or(svg.clone(), |start| svg[start..].to_owned()))
}

async fn two_factor_page(
    state: &AppState,
    s: &Signed,
    recovery_codes: Vec<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let sign_ins = state.services.sign_ins();
    // Read again: the page may follow a change made by this request.
    let local = state
        .services
        .local_account(s.local.account.username.as_str())
        .await?;
    let enabled = local.user.two_factor;
    let setup = if enabled {
        None
    } else {
        match sign_ins.pending_two_factor(&local).await? {
            Some(setup) => Some((setup.secret, qr_svg(&setup.url)?)),
            None => None,
        }
    };
    let codes_left = if enabled {
        sign_ins.recovery_codes_left(&local).await?
    } else {
        0
    };
    let mut f = frame(state, s, "two_factor");
    f.error = error;
    let body = settings_page!(TwoFactor, f, {
        enabled: enabled,
        codes_left: codes_left,
        setup: setup,
        recovery_codes: recovery_codes,
    });
    page(&body, s, status)
}

/// `GET /settings/two_factor`.
pub(crate) async fn two_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => two_factor_page(&state, &s, Vec::new(), None, StatusCode::OK).await,
        Err(to) => Ok(to),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    current_password: String,
}

/// `POST /settings/two_factor/setup`: a new key to scan.
pub(crate) async fn two_factor_setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<CodeForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let error = match state.services.sign_ins().begin_two_factor(&s.local).await {
        Ok(_) => None,
        Err(ServiceError::Unprocessable(e)) => Some(e),
        Err(e) => return Err(e.into()),
    };
    two_factor_page(&state, &s, Vec::new(), error, StatusCode::OK).await
}

/// `POST /settings/two_factor/enable`: the first code, proving the app has the key.
pub(crate) async fn two_factor_enable(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<CodeForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let bad = StatusCode::UNPROCESSABLE_ENTITY;
    match state
        .services
        .sign_ins()
        .enable_two_factor(&s.local, &form.code)
        .await
    {
        Ok(codes) => two_factor_page(&state, &s, codes, None, StatusCode::OK).await,
        Err(ServiceError::Invalid { field, message }) => {
            let error = Some(format!("The {field} {message}."));
            two_factor_page(&state, &s, Vec::new(), error, bad).await
        }
        Err(ServiceError::Unprocessable(e)) => {
            two_factor_page(&state, &s, Vec::new(), Some(e), bad).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/two_factor/disable`: the password and a code.
pub(crate) async fn two_factor_disable(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<CodeForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let services = &state.services;
    let guard = Guard::SecondFactor(s.local.account.id);
    let now = services.clock.now();
    let password_ok = guard.allowed(&state.limiter, now)
        && services
            .check_password(&s.local, &form.current_password)
            .await;
    let code_ok = password_ok
        && services
            .sign_ins()
            .check_second_factor(&s.local, &form.code)
            .await?;
    if !code_ok {
        guard.failed(&state.limiter, now);
        let error = Some("The password or the code is not right.".to_owned());
        return two_factor_page(
            &state,
            &s,
            Vec::new(),
            error,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    services.sign_ins().disable_two_factor(&s.local).await?;
    two_factor_page(&state, &s, Vec::new(), None, StatusCode::OK).await
}

/// A short name for a browser's User-Agent.
fn browser(agent: &str) -> String {
    let known = [
        ("Firefox/", "Firefox"),
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    let name = known
        .iter()
        .find(|(marker, _)| agent.contains(marker))
        .map_or("Unknown browser", |(_, name)| name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, os)| format!(" on {os}"))
    .unwrap_or_default();
    format!("{name}{os}")
}

/// `GET /settings/sessions`.
pub(crate) async fn sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    let s = match signed(&state, &headers, &ip).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    sessions_page(&state, &s, None).await
}

async fn sessions_page(
    state: &AppState,
    s: &Signed,
    notice: Option<String>,
) -> Result<Response, ApiError> {
    let rows = state
        .services
        .sign_ins()
        .sessions(&s.local)
        .await?
        .into_iter()
        .map(|w| SessionRow {
            id: w.id.to_string(),
            browser: browser(&w.user_agent),
            ip: w.ip,
            last_seen: w.last_seen_at.to_rfc3339(),
            current: w.id == s.session.id,
        })
        .collect();
    let mut f = frame(state, s, "sessions");
    f.notice = notice;
    let body = settings_page!(Sessions, f, { sessions: rows });
    page(&body, s, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    authenticity_token: String,
}

/// `POST /settings/sessions/{id}/revoke`.
pub(crate) async fn revoke_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let notice = match id.parse::<i64>() {
        Ok(id) => {
            let ended = state
                .services
                .sign_ins()
                .end_session(&s.local, rookery_model::Id::from_i64(id))
                .await?;
            ended.then(|| "That browser is signed out.".to_owned())
        }
        Err(_) => None,
    };
    sessions_page(&state, &s, notice).await
}

fn delete_page(
    state: &AppState,
    s: &Signed,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let mut f = frame(state, s, "delete");
    f.error = error;
    let body = settings_page!(DeleteAccount, f, {});
    page(&body, s, status)
}

/// `GET /settings/delete`.
pub(crate) async fn delete_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => delete_page(&state, &s, None, StatusCode::OK),
        Err(to) => Ok(to),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    password: String,
}

/// `POST /settings/delete`: with the password, the account closes now and a job removes it.
pub(crate) async fn confirm_delete_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<DeleteForm>,
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
        return delete_page(&state, &s, Some(error), StatusCode::TOO_MANY_REQUESTS);
    }
    match services
        .account_deletions()
        .request(&s.local, &form.password)
        .await
    {
        Ok(()) => {}
        Err(ServiceError::Invalid { .. }) => {
            guard.failed(&state.limiter, now);
            let error = "The password is not right.".to_owned();
            return delete_page(&state, &s, Some(error), StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(e) => return Err(e.into()),
    }
    let mut response = super::auth::message(
        &state,
        StatusCode::OK,
        "Your account is being deleted",
        &[
            "You are signed out everywhere. Everything your account held is being removed from \
             this server, and the servers it knows are being told.",
            "The username stays reserved.",
        ],
        Some(("/", "Back to the home page")),
    )?;
    super::session::clear_session(&mut response, services);
    Ok(response)
}
