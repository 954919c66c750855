//! `/settings/applications`: the apps the user has authorized (name, website, scopes, when),
//! each with a button that revokes all of that app's tokens for this user, as Mastodon's
//! "Authorized apps" page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::Site;
use super::session::ClientIp;
use super::settings::{Signed, frame, page, posted, settings_page, signed};
use crate::{ApiError, AppState};

/// The applications routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/applications", get(list))
        .route("/settings/applications/{id}/revoke", post(revoke))
}

struct AppRow {
    id: String,
    name: String,
    /// Only `http(s)` addresses become links.
    website: Option<String>,
    scopes: String,
    authorized: String,
}

#[derive(Template)]
#[template(path = "settings/applications.html")]
struct ApplicationsPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    apps: Vec<AppRow>,
}

async fn applications_page(
    state: &AppState,
    s: &Signed,
    notice: Option<String>,
) -> Result<Response, ApiError> {
    let apps = state
        .services
        .authorized_apps(&s.local)
        .await?
        .into_iter()
        .map(|a| AppRow {
            id: a.app.id.to_string(),
            name: a.app.name,
            website: a
                .app
                .website
                .filter(|w| w.starts_with("https://") || w.starts_with("http://")),
            scopes: a.scopes.join(" "),
            authorized: a.last_authorized_at.to_rfc3339(),
        })
        .collect();
    let mut f = frame(state, s, "applications");
    f.notice = notice;
    let body = settings_page!(ApplicationsPage, f, { apps: apps });
    page(&body, s, StatusCode::OK)
}

/// `GET /settings/applications`.
pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => applications_page(&state, &s, None).await,
        Err(to) => Ok(to),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    authenticity_token: String,
}

/// `POST /settings/applications/{id}/revoke`: every token of the app for this user.
pub(crate) async fn revoke(
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
    let revoked = match id.parse::<i64>() {
        Ok(id) => {
            state
                .services
                .revoke_authorized_app(&s.local, rookery_model::Id::from_i64(id))
                .await?
        }
        Err(_) => false,
    };
    let notice = revoked.then(|| "The app's access is revoked.".to_owned());
    applications_page(&state, &s, notice).await
}
