//! Severed relationships as their owner sees them (Mastodon 4.3): `GET /severed_relationships`
//! lists the times a moderator's suspension or a domain block ended follows of the signed-in
//! user, each with CSV downloads of the accounts lost
//! (`/severed_relationships/{id}/following.csv`, `…/followers.csv`). Someone else's is not
//! found.

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use rookery_model::Id;

use super::Site;
use super::export::attachment;
use super::session::ClientIp;
use super::settings::{frame, page as render_page, settings_page, signed};
use crate::{ApiError, AppState};

/// The severed relationships routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/severed_relationships", get(list))
        .route("/severed_relationships/{id}/following.csv", get(following))
        .route("/severed_relationships/{id}/followers.csv", get(followers))
}

struct Row {
    id: String,
    kind: &'static str,
    target_name: String,
    followers_count: i64,
    following_count: i64,
    purged: bool,
    at: String,
}

#[derive(Template)]
#[template(path = "settings/severed_relationships.html")]
struct SeveredPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    rows: Vec<Row>,
}

/// What caused a severance, in words.
fn described(kind: rookery_store::SeveranceKind) -> &'static str {
    match kind {
        rookery_store::SeveranceKind::DomainBlock => "A moderator suspended the server",
        rookery_store::SeveranceKind::UserDomainBlock => "You blocked the server",
        rookery_store::SeveranceKind::AccountSuspension => "A moderator suspended the account",
    }
}

/// `GET /severed_relationships`.
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    let s = match signed(&state, &headers, &ip).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    let rows = state
        .services
        .severances()
        .of(&s.local)
        .await?
        .into_iter()
        .map(|e| Row {
            id: e.id.to_string(),
            kind: described(e.event.kind),
            target_name: e.event.target_name,
            followers_count: e.followers_count,
            following_count: e.following_count,
            purged: e.event.purged,
            at: e.created_at.to_rfc3339(),
        })
        .collect();
    let body = settings_page!(SeveredPage, frame(&state, &s, "severed_relationships"), {
        rows: rows,
    });
    render_page(&body, &s, StatusCode::OK)
}

async fn download(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
    id: &str,
    following: bool,
) -> Result<Response, ApiError> {
    let s = match signed(state, headers, ip).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    let id = id
        .parse::<i64>()
        .map(Id::from_i64)
        .map_err(|_| ApiError::not_found())?;
    let file = state
        .services
        .severances()
        .csv(&s.local, id, following)
        .await?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        &file.filename,
        Body::from(file.text),
    ))
}

/// `GET /severed_relationships/{id}/following.csv` — the accounts the user followed.
async fn following(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    download(&state, &headers, &ip, &id, true).await
}

/// `GET /severed_relationships/{id}/followers.csv` — the accounts that followed the user.
async fn followers(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    download(&state, &headers, &ip, &id, false).await
}
