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

/// A form's CSRF token, and the cookie to set when the browser had none.
pub(crate) struct Csrf {
    pub token: String,
    pub set_cookie: Option<String>,
    /// The browser's nonce (from its cookie, or the one being set).
    pub nonce: String,
}

pub(crate) fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE && !v.is_empty() && v.len() <= 64)
        .map(|(_, v)| v.to_owned())
}

/// A token for a form shown in answer to a request with `headers`.
pub(crate) async fn issue(services: &Services, headers: &HeaderMap) -> Result<Csrf, ApiError> {
    let (nonce, set_cookie) = match cookie_nonce(headers) {
        Some(nonce) => (nonce, None),
        None => {
            let nonce = random_token(services.random.as_ref());
            let secure = if services.settings.https {
                "; Secure"
            } else {
                ""
            };
            let cookie =
                format!("{COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Lax; Max-Age=1800{secure}");
            (nonce, Some(cookie))
        }
    };
    let key = services.secret_key().await?;
    let expires = services.clock.now().as_millis() + FORM_TTL_MS;
    Ok(Csrf {
        token: sign(&key, &format!("form:{nonce}:{expires}")),
        set_cookie,
        nonce,
    })
}

/// Whether `token` was issued to the browser that sent `headers` and is still valid.
pub(crate) async fn check(
    services: &Services,
    headers: &HeaderMap,
    token: &str,
) -> Result<bool, ApiError> {
    let Some(nonce) = cookie_nonce(headers) else {
        return Ok(false);
    };
    let key = services.secret_key().await?;
    let Some(payload) = verify(&key, token) else {
        return Ok(false);
    };
    let mut parts = payload.split(':');
    Ok(parts.next() == Some("form")
        && parts.next() == Some(nonce.as_str())
        && parts
            .next()
            .and_then(|e| e.parse::<i64>().ok())
            .is_some_and(|e| e > services.clock.now().as_millis()))
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
