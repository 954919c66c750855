//! CSRF protection for the server-rendered forms outside OAuth (`/auth/…`, `/settings/…`): a signed token in a
//! hidden field bound to a random nonce in an HttpOnly, SameSite cookie (double submit), valid
//! for half an hour. No server-side session is needed.

use axum::http::{HeaderMap, header};

use rookery_service::Services;
use rookery_service::crypto::{random_token, sign, verify};

use crate::ApiError;

/// How long a form may stay open.
const FORM_TTL_MS: i64 = 30 * 60 * 1000;
const COOKIE: &str = "rookery_form";

/// A form's CSRF token, and the (re)set cookie that backs it.
pub(crate) struct Csrf {
    pub token: String,
    pub set_cookie: Option<String>,
    /// The browser's nonce (from its cookie, or the one being set).
    pub nonce: String,
}

/// The value of the cookie `name` in a request.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// `; Secure` on an HTTPS instance (cookies then never travel in clear).
pub(crate) fn secure_attribute(services: &Services) -> &'static str {
    if services.settings.https {
        "; Secure"
    } else {
        ""
    }
}

/// This browser's nonce, from its form cookie.
pub(crate) fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE).filter(|v| !v.is_empty() && v.len() <= 64)
}

/// A token for a form shown in answer to a request with `headers`.
pub(crate) async fn issue(services: &Services, headers: &HeaderMap) -> Result<Csrf, ApiError> {
    let nonce = cookie_nonce(headers).unwrap_or_else(|| random_token(services.random.as_ref()));
    // Sent with every form, so the cookie lives as long as the newest token it backs.
    let set_cookie = Some(format!(
        "{COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Lax; Max-Age=1800{}",
        secure_attribute(services)
    ));
    Ok(Csrf {
        token: token_for(services, &nonce).await?,
        set_cookie,
        nonce,
    })
}

/// A form token for the browser with `nonce`, valid for half an hour.
pub(crate) async fn token_for(services: &Services, nonce: &str) -> Result<String, ApiError> {
    let key = services.secret_key().await?;
    let expires = services.clock.now().as_millis() + FORM_TTL_MS;
    Ok(sign(&key, &format!("form:{nonce}:{expires}")))
}

/// Whether `token` was made for the browser with `nonce` and is still valid.
pub(crate) async fn token_matches(
    services: &Services,
    nonce: &str,
    token: &str,
) -> Result<bool, ApiError> {
    let key = services.secret_key().await?;
    let Some(payload) = verify(&key, token) else {
        return Ok(false);
    };
    let mut parts = payload.split(':');
    Ok(parts.next() == Some("form")
        && parts.next() == Some(nonce)
        && parts
            .next()
            .and_then(|e| e.parse::<i64>().ok())
            .is_some_and(|e| e > services.clock.now().as_millis()))
}

/// Whether `token` was issued to the browser that sent `headers` and is still valid.
pub(crate) async fn check(
    services: &Services,
    headers: &HeaderMap,
    token: &str,
) -> Result<bool, ApiError> {
    match cookie_nonce(headers) {
        Some(nonce) => token_matches(services, &nonce, token).await,
        None => Ok(false),
    }
}

/// A signed stamp of when a form was shown, for [`seconds_since`].
pub(crate) async fn stamp(services: &Services) -> Result<String, ApiError> {
    let key = services.secret_key().await?;
    Ok(sign(
        &key,
        &format!("shown:{}", services.clock.now().as_millis()),
    ))
}

/// Seconds since the form carrying `stamp` was shown, or `None` if the stamp was not made
/// here. (People take a few seconds to fill in a form; simple bots do not.)
pub(crate) async fn seconds_since(
    services: &Services,
    stamp: &str,
) -> Result<Option<i64>, ApiError> {
    let key = services.secret_key().await?;
    let shown = verify(&key, stamp)
        .and_then(|p| p.strip_prefix("shown:"))
        .and_then(|t| t.parse::<i64>().ok());
    Ok(shown.map(|t| (services.clock.now().as_millis() - t) / 1000))
}
