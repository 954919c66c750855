//! The data export settings page, behind a web session: `GET /settings/export` lists the CSV
//! files (with their row counts) and the archives; the CSV files stream from
//! `GET /settings/export/{file}.csv`; `POST /settings/export/archive` asks for an archive
//! (CSRF-checked) and `GET /settings/export/archives/{id}` downloads one. Nothing here is
//! cached, and archives are only ever sent through this signed-in route.

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use rookery_service::ServiceError;
use rookery_service::export::{ArchiveView, CsvKind, CsvReader};
use rookery_store::{ArchiveState, LocalAccount};

use super::auth::with_cookie;
use super::session::{ClientIp, current, to_sign_in};
use super::{Site, render};
use crate::forms::{self, Csrf};
use crate::{ApiError, AppState};

/// The export routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/export", get(page))
        .route("/settings/export/archive", post(request_archive))
        .route("/settings/export/archives/{id}", get(download_archive))
        .route("/settings/export/{file}", get(csv))
}

struct CsvRow {
    file: &'static str,
    label: &'static str,
    count: i64,
}

struct ArchiveRow {
    id: String,
    ready: bool,
    failed: bool,
    size: String,
    created: String,
}

#[derive(Template)]
#[template(path = "settings/export.html")]
struct ExportPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    files: Vec<CsvRow>,
    archives: Vec<ArchiveRow>,
}

/// The signed-in user, or the answer sending the browser to sign in.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
) -> Result<Result<LocalAccount, Response>, ApiError> {
    Ok(match current(state, headers, ip).await? {
        Some((_, local)) => Ok(local),
        None => Err(to_sign_in()),
    })
}

/// Bytes as people read them.
fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.1} GB", b / (1024.0 * 1024.0 * 1024.0))
    }
}

fn archive_row(a: &ArchiveView) -> ArchiveRow {
    ArchiveRow {
        id: a.id.to_string(),
        ready: a.state == ArchiveState::Ready,
        failed: a.state == ArchiveState::Failed,
        size: human_size(a.size),
        created: a.created_at.to_rfc3339(),
    }
}

async fn export_page(
    state: &AppState,
    headers: &HeaderMap,
    local: &LocalAccount,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let exports = state.services.exports();
    let counts = exports.counts(local).await?;
    let files = CsvKind::ALL
        .into_iter()
        .map(|k| CsvRow {
            file: k.file_name(),
            label: k.label(),
            count: k.count(&counts),
        })
        .collect();
    let archives = exports
        .archives(local)
        .await?
        .iter()
        .map(archive_row)
        .collect();
    let csrf: Csrf = forms::issue(&state.services, headers).await?;
    let body = ExportPage {
        site: Site::of(&state.services),
        me: local.account.username.to_string(),
        csrf: csrf.token.clone(),
        section: "export",
        notice,
        error,
        files,
        archives,
    };
    let mut response = render(&body)?;
    *response.status_mut() = status;
    Ok(with_cookie(response, &csrf))
}

/// `GET /settings/export`.
pub(crate) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed_in(&state, &headers, &ip).await? {
        Ok(local) => export_page(&state, &headers, &local, None, None, StatusCode::OK).await,
        Err(to) => Ok(to),
    }
}

pub(super) fn attachment(content_type: &'static str, file_name: &str, body: Body) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /settings/export/{file}`: one of the CSV files, streamed a batch of rows at a time.
pub(crate) async fn csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let local = match signed_in(&state, &headers, &ip).await? {
        Ok(local) => local,
        Err(to) => return Ok(to),
    };
    let Some(kind) = CsvKind::from_file_name(&file) else {
        return Err(ApiError::not_found());
    };
    let mut reader = state.services.exports().csv(&local, kind);
    // The first batch is read before answering, so a failing database gives an error page
    // rather than a cut-off file.
    let first = reader.next_chunk().await?.unwrap_or_default();
    let rest = futures_util::stream::unfold(Some(reader), next_part);
    let body = futures_util::stream::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(Bytes::from(first)) }),
        rest,
    );
    Ok(attachment(
        "text/csv; charset=utf-8",
        kind.file_name(),
        Body::from_stream(body),
    ))
}

async fn next_part(
    reader: Option<CsvReader>,
) -> Option<(Result<Bytes, std::io::Error>, Option<CsvReader>)> {
    let mut reader = reader?;
    match reader.next_chunk().await {
        Ok(Some(text)) => Some((Ok(Bytes::from(text)), Some(reader))),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = ?e, "a CSV export failed part way");
            Some((Err(std::io::Error::other("export failed")), None))
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    authenticity_token: String,
}

/// `POST /settings/export/archive`.
pub(crate) async fn request_archive(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let local = match signed_in(&state, &headers, &ip).await? {
        Ok(local) => local,
        Err(to) => return Ok(to),
    };
    if !forms::check(&state.services, &headers, &form.authenticity_token).await? {
        let error = Some("The form expired: please send it again.".to_owned());
        return export_page(&state, &headers, &local, None, error, StatusCode::FORBIDDEN).await;
    }
    match state.services.exports().request_archive(&local).await {
        Ok(_) => {
            let notice = Some(
                "Your archive is being prepared: come back to this page to download it.".to_owned(),
            );
            export_page(&state, &headers, &local, notice, None, StatusCode::OK).await
        }
        Err(ServiceError::Unprocessable(text)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            export_page(&state, &headers, &local, None, Some(text), status).await
        }
        Err(ServiceError::Unavailable(cause)) => {
            tracing::warn!(%cause, "an archive could not be asked for");
            let error = Some("Archives cannot be made right now: try again later.".to_owned());
            let status = StatusCode::SERVICE_UNAVAILABLE;
            export_page(&state, &headers, &local, None, error, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /settings/export/archives/{id}`: a built archive of the signed-in user.
pub(crate) async fn download_archive(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let local = match signed_in(&state, &headers, &ip).await? {
        Ok(local) => local,
        Err(to) => return Ok(to),
    };
    let Ok(id) = id.parse::<i64>() else {
        return Err(ApiError::not_found());
    };
    let file = state
        .services
        .exports()
        .archive_file(&local, rookery_model::Id::from_i64(id))
        .await?;
    let opened = tokio::fs::File::open(&file.path).await;
    // Open files stay readable once unlinked: a scratch copy goes now.
    drop(file.scratch);
    let opened = opened.map_err(|e| {
        ApiError::from(rookery_service::ServiceError::Unavailable(format!(
            "opening an archive: {e}"
        )))
    })?;
    let len = opened.metadata().await.map(|m| m.len()).ok();
    let chunks = futures_util::stream::unfold(opened, |mut f| async move {
        use tokio::io::AsyncReadExt as _;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let mut response = attachment(
        "application/zip",
        &file.file_name,
        Body::from_stream(chunks),
    );
    if let Some(len) = len.and_then(|l| HeaderValue::from_str(&l.to_string()).ok()) {
        response.headers_mut().insert(header::CONTENT_LENGTH, len);
    }
    Ok(response)
}
