//! `/settings/import`: a CSV file of follows, blocks, mutes, domain blocks, bookmarks or lists,
//! merged or replacing, done by a job; the page shows each import's progress and the lines
//! that failed, with why.

use askama::Template;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use rookery_service::ServiceError;
use rookery_service::imports::{ImportKind, ImportMode};

use super::Site;
use super::session::ClientIp;
use super::settings::{Signed, frame, page, posted, settings_page, signed};
use crate::{ApiError, AppState};

/// The largest file taken (20,000 lines of the widest export fit in well under it).
pub(crate) const IMPORT_BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Failed lines shown per import.
const FAILURES_SHOWN: u32 = 20;

struct Row {
    kind: &'static str,
    mode: &'static str,
    created: String,
    done: bool,
    total: i64,
    imported: i64,
    failed: i64,
    failures: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "settings/import.html")]
struct ImportPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    imports: Vec<Row>,
}

async fn import_page(
    state: &AppState,
    s: &Signed,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let imports = state.services.imports();
    let mut rows = Vec::new();
    for p in imports.recent(&s.local).await? {
        let failures = if p.failed > 0 {
            imports
                .failures(&s.local, p.import.id, FAILURES_SHOWN)
                .await?
                .into_iter()
                .map(|f| (f.line, f.reason))
                .collect()
        } else {
            Vec::new()
        };
        rows.push(Row {
            kind: ImportKind::parse(&p.import.kind).map_or("Unknown", ImportKind::label),
            mode: ImportMode::parse(&p.import.mode).map_or("", |m| match m {
                ImportMode::Merge => "merged",
                ImportMode::Overwrite => "replacing",
            }),
            created: p.import.created_at.to_rfc3339(),
            done: p.import.finished_at.is_some(),
            total: p.total,
            imported: p.imported,
            failed: p.failed,
            failures,
        });
    }
    let mut f = frame(state, s, "import");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(ImportPage, f, {
        kinds: ImportKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        imports: rows,
    });
    page(&body, s, status)
}

/// `GET /settings/import`.
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => import_page(&state, &s, None, None, StatusCode::OK).await,
        Err(to) => Ok(to),
    }
}

/// What the form sent.
#[derive(Default)]
struct Posted {
    token: String,
    kind: String,
    mode: String,
    file: Vec<u8>,
}

async fn read_form(request: Request, state: &AppState) -> Result<Posted, String> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| format!("The form could not be read: {}", e.body_text()))?;
    let mut posted = Posted::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| format!("The form could not be read: {}", e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("The form could not be read: {}", e.body_text()))?;
        let text = || {
            String::from_utf8_lossy(&bytes)
                .chars()
                .take(512)
                .collect::<String>()
        };
        match name.as_str() {
            "authenticity_token" => posted.token = text(),
            "type" => posted.kind = text(),
            "mode" => posted.mode = text(),
            "data" => posted.file = bytes.to_vec(),
            _ => {}
        }
    }
    Ok(posted)
}

/// `POST /settings/import` (multipart, with the file as `data`).
pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Result<Response, ApiError> {
    let form = read_form(request, &state).await;
    let token = form.as_ref().map_or("", |f| f.token.as_str());
    let s = match posted(&state, &headers, &ip, token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let bad = StatusCode::UNPROCESSABLE_ENTITY;
    let form = match form {
        Ok(f) => f,
        Err(message) => return import_page(&state, &s, None, Some(message), bad).await,
    };
    let (Some(kind), Some(mode)) = (ImportKind::parse(&form.kind), ImportMode::parse(&form.mode))
    else {
        let error = "Choose what the file holds and whether it adds or replaces.".to_owned();
        return import_page(&state, &s, None, Some(error), bad).await;
    };
    match state
        .services
        .imports()
        .start(&s.local, kind, mode, &form.file)
        .await
    {
        Ok(_) => {
            let notice = "Your file is being imported: this page shows how far it got.".into();
            import_page(&state, &s, Some(notice), None, StatusCode::OK).await
        }
        Err(ServiceError::Invalid { message, .. }) => {
            let error = format!("The file {message}.");
            import_page(&state, &s, None, Some(error), bad).await
        }
        Err(e) => Err(e.into()),
    }
}
