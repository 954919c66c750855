//! OAuth 2: application registration, the token endpoint, revocation, server metadata.
//! The browser sign-in and consent pages are in `authorize.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use rookery_model::OAuthApp;
use rookery_service::{IssuedToken, NewApp, OAuthError, Services};

use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::{ApiError, AppState};

/// An OAuth error response: `{"error", "error_description"}`.
pub(crate) struct OAuthFailure(pub OAuthError);

impl From<OAuthError> for OAuthFailure {
    fn from(e: OAuthError) -> Self {
        OAuthFailure(e)
    }
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            OAuthError::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthError::Server(cause) => {
                tracing::error!(error = %cause, "OAuth request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"error": self.0.code(), "error_description": self.0.description()})),
        )
            .into_response()
    }
}

fn app_json(app: &OAuthApp) -> serde_json::Value {
    let scopes: Vec<&str> = app.scopes.iter().collect();
    json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": scopes,
        "redirect_uri": app.redirect_uris.join("\n"),
        "redirect_uris": app.redirect_uris,
        "vapid_key": "",
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateApp {
    #[serde(default)]
    client_name: String,
    #[serde(default, deserialize_with = "loose::string_list")]
    redirect_uris: Vec<String>,
    scopes: Option<String>,
    website: Option<String>,
}

/// `POST /api/v1/apps` — register a client application.
pub(crate) async fn create_app(
    State(state): State<AppState>,
    Body(form): Body<CreateApp>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let created = state
        .services
        .create_app(NewApp {
            name: form.client_name,
            redirect_uris: form.redirect_uris,
            scopes: form.scopes,
            website: form.website,
        })
        .await?;
    let mut body = app_json(&created.app);
    body["client_id"] = json!(created.app.client_id);
    body["client_secret"] = json!(created.client_secret);
    body["client_secret_expires_at"] = json!(0);
    Ok(Json(body))
}

/// `GET /api/v1/apps/verify_credentials` — the application behind the token.
pub(crate) async fn verify_app(auth: Auth) -> Result<Json<serde_json::Value>, ApiError> {
    let a = auth
        .0
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "The access token is invalid"))?;
    Ok(Json(app_json(&a.app)))
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    token: Option<String>,
}

/// Client credentials from HTTP Basic, or the body.
fn client_credentials(headers: &HeaderMap, body: &TokenRequest) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim())
        && let Ok(text) = String::from_utf8(decoded)
        && let Some((id, secret)) = text.split_once(':')
    {
        return Some((id.to_owned(), secret.to_owned()));
    }
    Some((body.client_id.clone()?, body.client_secret.clone()?))
}

async fn client(
    services: &Services,
    headers: &HeaderMap,
    body: &TokenRequest,
) -> Result<OAuthApp, OAuthFailure> {
    let (id, secret) = client_credentials(headers, body).ok_or(OAuthError::InvalidClient)?;
    Ok(services.authenticate_client(&id, &secret).await?)
}

fn token_json(t: &IssuedToken) -> serde_json::Value {
    let mut body = json!({
        "access_token": t.access_token,
        "token_type": "Bearer",
        "scope": t.token.scopes.to_string(),
        "created_at": t.token.created_at.as_secs(),
    });
    if let Some(r) = &t.refresh_token {
        body["refresh_token"] = json!(r);
    }
    body
}

fn missing(field: &str) -> OAuthFailure {
    OAuthFailure(OAuthError::InvalidRequest(format!(
        "The request is missing a required parameter: {field}."
    )))
}

/// `POST /oauth/token` — every grant Rookery supports.
pub(crate) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(req): Body<TokenRequest>,
) -> Result<Response, OAuthFailure> {
    let services = &state.services;
    let grant = req
        .grant_type
        .clone()
        .ok_or_else(|| missing("grant_type"))?;
    let issued = match grant.as_str() {
        "authorization_code" => {
            let app = client(services, &headers, &req).await?;
            let code = req.code.as_deref().ok_or_else(|| missing("code"))?;
            services
                .grant_authorization_code(
                    &app,
                    code,
                    req.redirect_uri.as_deref(),
                    req.code_verifier.as_deref(),
                )
                .await?
        }
        "password" => {
            if !services.settings.password_grant {
                return Err(OAuthFailure(OAuthError::UnsupportedGrantType));
            }
            let app = client(services, &headers, &req).await?;
            let user = req.username.as_deref().ok_or_else(|| missing("username"))?;
            let pass = req.password.as_deref().ok_or_else(|| missing("password"))?;
            let guard = crate::ratelimit::Guard::Password(user);
            let now = services.clock.now();
            if !guard.allowed(&state.limiter, now) {
                return Err(OAuthFailure(OAuthError::InvalidGrant(
                    crate::ratelimit::TOO_MANY_FAILURES.into(),
                )));
            }
            match services
                .grant_password(&app, user, pass, req.scope.as_deref())
                .await
            {
                Err(e @ OAuthError::InvalidGrant(_)) => {
                    guard.failed(&state.limiter, now);
                    return Err(OAuthFailure(e));
                }
                other => other?,
            }
        }
        "client_credentials" => {
            let app = client(services, &headers, &req).await?;
            services
                .grant_client_credentials(&app, req.scope.as_deref())
                .await?
        }
        "refresh_token" => {
            let app = client(services, &headers, &req).await?;
            let refresh = req
                .refresh_token
                .as_deref()
                .ok_or_else(|| missing("refresh_token"))?;
            services
                .grant_refresh(&app, refresh, req.scope.as_deref())
                .await?
        }
        _ => return Err(OAuthFailure(OAuthError::UnsupportedGrantType)),
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(token_json(&issued)),
    )
        .into_response())
}

/// `POST /oauth/revoke` — revoke a token (200 `{}` even for unknown tokens, per RFC 7009).
pub(crate) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(req): Body<TokenRequest>,
) -> Result<Json<serde_json::Value>, OAuthFailure> {
    let app = client(&state.services, &headers, &req).await?;
    let token = req.token.as_deref().ok_or_else(|| missing("token"))?;
    state
        .services
        .revoke(&app, token)
        .await
        .map_err(|e| OAuthFailure(e.into()))?;
    Ok(Json(json!({})))
}

/// `GET /.well-known/oauth-authorization-server` — RFC 8414 metadata.
pub(crate) async fn metadata(State(state): State<AppState>) -> Json<serde_json::Value> {
    let base = state.services.urls.base();
    Json(json!({
        "issuer": format!("{base}/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": rookery_model::KNOWN_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}
