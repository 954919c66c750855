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

use super::escape_html;
use crate::extract::Body;
use crate::{ApiError, AppState};

/// Forms and tickets are valid this long.
const FORM_TTL_MS: i64 = 30 * 60 * 1000;
const CSRF_COOKIE: &str = "rookery_csrf";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{t}</title><style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto;\
         padding:0 1rem}}label,input,button{{display:block;width:100%;margin:.4rem 0}}\
         input,button{{padding:.5rem;font-size:1rem}}.error{{color:#b00}}</style></head>\
         <body><main><h1>{t}</h1>{body}</main></body></html>\n",
        t = escape_html(title)
    )
}

fn error_page(status: StatusCode, message: &str) -> Response {
    (
        status,
        Html(page(
            "Authorization failed",
            &format!("<p class=\"error\">{}</p>", escape_html(message)),
        )),
    )
        .into_response()
}

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
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            "The authorization server does not support this response type.",
        ));
    }
    let app = services.app_by_client_id(&r.client_id).await.map_err(|_| {
        error_page(
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
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            "The redirect uri included is not valid.",
        ));
    }
    let scopes = Services::requested_scopes(&app, Some(&r.scope)).map_err(|_| {
        error_page(
            StatusCode::BAD_REQUEST,
            "The requested scope is invalid, unknown, or malformed.",
        )
    })?;
    let challenge = match (r.code_challenge.as_str(), r.code_challenge_method.as_str()) {
        ("", _) => None,
        (c, "S256") if c.len() >= 43 && c.len() <= 128 => Some(c.to_owned()),
        _ => {
            return Err(error_page(
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

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape_html(name),
        escape_html(value)
    )
}

fn request_fields(r: &Request) -> String {
    [
        ("response_type", &r.response_type),
        ("client_id", &r.client_id),
        ("redirect_uri", &r.redirect_uri),
        ("scope", &r.scope),
        ("state", &r.state),
        ("code_challenge", &r.code_challenge),
        ("code_challenge_method", &r.code_challenge_method),
    ]
    .iter()
    .map(|(k, v)| hidden(k, v))
    .collect()
}

fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == CSRF_COOKIE)
        .map(|(_, v)| v.to_owned())
}

async fn csrf_token(services: &Services, nonce: &str) -> Result<String, ApiError> {
    let key = services.secret_key().await?;
    let expires = services.clock.now().as_millis() + FORM_TTL_MS;
    Ok(sign(&key, &format!("csrf:{nonce}:{expires}")))
}

async fn csrf_ok(services: &Services, headers: &HeaderMap, token: &str) -> Result<bool, ApiError> {
    let Some(nonce) = cookie_nonce(headers) else {
        return Ok(false);
    };
    let key = services.secret_key().await?;
    let Some(payload) = verify(&key, token) else {
        return Ok(false);
    };
    let mut parts = payload.split(':');
    let ok = parts.next() == Some("csrf")
        && parts.next() == Some(nonce.as_str())
        && parts
            .next()
            .and_then(|e| e.parse::<i64>().ok())
            .is_some_and(|e| e > services.clock.now().as_millis());
    Ok(ok)
}

fn set_cookie(services: &Services, nonce: &str) -> String {
    let secure = if services.settings.https {
        "; Secure"
    } else {
        ""
    };
    format!("{CSRF_COOKIE}={nonce}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age=1800{secure}")
}

async fn sign_in_form(
    state: &AppState,
    r: &Request,
    app: &OAuthApp,
    nonce: &str,
    error: Option<&str>,
) -> Result<String, ApiError> {
    let csrf = csrf_token(&state.services, nonce).await?;
    let error = error.map_or(String::new(), |e| {
        format!("<p class=\"error\">{}</p>", escape_html(e))
    });
    Ok(page(
        &format!("Sign in to {}", state.services.settings.title),
        &format!(
            "<p><strong>{app}</strong> wants to use your account.</p>{error}\
             <form method=\"post\" action=\"/oauth/authorize\">{fields}{csrf}\
             <label for=\"login\">E-mail address or username</label>\
             <input id=\"login\" name=\"login\" autocomplete=\"username\" required>\
             <label for=\"password\">Password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\">Sign in</button></form>",
            app = escape_html(&app.name),
            fields = request_fields(r),
            csrf = hidden("csrf", &csrf),
        ),
    ))
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
}

/// `POST /oauth/authorize` — checks the password, then shows the consent page.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(form): Body<SignIn>,
) -> Result<Response, ApiError> {
    let services = &state.services;
    if !csrf_ok(services, &headers, &form.csrf).await? {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "The form expired or did not come from this site. Go back to the app and start again.",
        ));
    }
    let checked = match check(services, &form.request).await {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let nonce = cookie_nonce(&headers).unwrap_or_default();
    let Some(user) = services.sign_in(&form.login, &form.password).await? else {
        let html = sign_in_form(
            &state,
            &form.request,
            &checked.app,
            &nonce,
            Some("Invalid e-mail address or password."),
        )
        .await?;
        return Ok((StatusCode::UNAUTHORIZED, Html(html)).into_response());
    };
    let ticket = Ticket {
        account_id: user.account.id.to_string(),
        client_id: checked.app.client_id.clone(),
        redirect_uri: checked.redirect_uri.clone(),
        scopes: checked.scopes.to_string(),
        challenge: checked.challenge.clone(),
        state: form.request.state.clone(),
        expires: services.clock.now().as_millis() + FORM_TTL_MS,
    };
    let json = serde_json::to_vec(&ticket)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let key = services.secret_key().await?;
    let signed = sign(&key, &URL_SAFE_NO_PAD.encode(json));
    let csrf = csrf_token(services, &nonce).await?;
    let scopes: String = checked
        .scopes
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", escape_html(s)))
        .collect();
    let html = page(
        "Authorize access",
        &format!(
            "<p>Signed in as <strong>@{user}</strong>.</p><p><strong>{app}</strong> asks for:</p>\
             <ul>{scopes}</ul><form method=\"post\" action=\"/oauth/authorize/decision\">{t}{c}\
             <button type=\"submit\" name=\"decision\" value=\"approve\">Authorize</button>\
             <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
            user = escape_html(user.account.username.as_str()),
            app = escape_html(&checked.app.name),
            t = hidden("ticket", &signed),
            c = hidden("csrf", &csrf),
        ),
    );
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
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
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "The form expired or did not come from this site. Go back to the app and start again.",
        ));
    }
    let key = services.secret_key().await?;
    let ticket: Option<Ticket> = verify(&key, &form.ticket)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|t: &Ticket| t.expires > services.clock.now().as_millis());
    let Some(t) = ticket else {
        return Ok(error_page(
            StatusCode::BAD_REQUEST,
            "The authorization request expired. Go back to the app and start again.",
        ));
    };
    if form.decision != "approve" {
        if t.redirect_uri == OOB_REDIRECT {
            return Ok(error_page(StatusCode::OK, "You denied access."));
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
        let html = page(
            "Authorization code",
            &format!(
                "<p>Copy this code and paste it into the application:</p>\
                 <p><input readonly id=\"code\" value=\"{}\"></p>",
                escape_html(&code)
            ),
        );
        return Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response());
    }
    let to = with_params(&t.redirect_uri, &[("code", &code), ("state", &t.state)]);
    Ok(Redirect::to(&to).into_response())
}
