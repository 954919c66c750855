//! `/admin/domain_blocks`, `/admin/email_blocks`, `/admin/ip_blocks`: server-wide policy on
//! pages — blocks of servers and the servers allowed, blocked e-mail domains and addresses,
//! blocked networks — each added and removed through the same use cases as the admin API.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use rookery_model::{Id, Permission};
use rookery_service::moderation::ip_blocks::IpBlockInput;
use rookery_service::{NewDomainBlock, ServiceError};
use serde::Deserialize;

use super::{Staff, TokenForm, admin_frame, admin_page, staff, staff_posted};
use crate::pages::Site;
use crate::pages::session::ClientIp;
use crate::pages::settings::settings_page;
use crate::{ApiError, AppState};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/domain_blocks", get(domains).post(add_domain))
        .route("/admin/email_blocks", get(emails).post(add_email))
        .route("/admin/ip_blocks", get(networks).post(add_network))
        .route("/admin/{area}/{id}/delete", post(remove))
}

/// One row of a list of blocks: what, how, the note, when.
struct Row {
    id: String,
    /// Which list it is in (`domain_blocks`, `domain_allows`, `email_domains`, …).
    area: &'static str,
    what: String,
    how: String,
    note: String,
    at: String,
}

#[derive(Template)]
#[template(path = "admin/blocks.html")]
struct BlocksPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    /// Lists shown, each with its heading.
    lists: Vec<(&'static str, Vec<Row>)>,
}

/// The page of `section`, with a notice or the reason an input was refused.
async fn blocks_page(
    state: &AppState,
    staff: &Staff,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let s = &state.services;
    let by = staff.moderator;
    let lists = match section {
        "domain_blocks" => {
            let blocks = s.admin_domain_blocks().list(by).await?;
            let allows = s.domain_allows().list(by).await?;
            vec![
                (
                    "Blocked servers",
                    blocks
                        .into_iter()
                        .map(|b| {
                            let mut how = vec![b.severity.as_str()];
                            if b.reject_media {
                                how.push("reject media");
                            }
                            if b.reject_reports {
                                how.push("reject reports");
                            }
                            if b.obfuscate {
                                how.push("obfuscated");
                            }
                            Row {
                                id: b.id.to_string(),
                                area: "domain_blocks",
                                what: b.domain.to_string(),
                                how: how.join(", "),
                                note: [b.public_comment, b.private_comment]
                                    .into_iter()
                                    .filter(|c| !c.is_empty())
                                    .collect::<Vec<_>>()
                                    .join(" / "),
                                at: b.created_at.to_rfc3339(),
                            }
                        })
                        .collect(),
                ),
                (
                    "Allowed servers (allow-list federation)",
                    allows
                        .into_iter()
                        .map(|a| Row {
                            id: a.id.to_string(),
                            area: "domain_allows",
                            what: a.domain,
                            how: "allowed".into(),
                            note: String::new(),
                            at: a.created_at.to_rfc3339(),
                        })
                        .collect(),
                ),
            ]
        }
        "email_blocks" => {
            let blocks = s.email_blocks();
            vec![
                (
                    "Blocked e-mail domains",
                    blocks
                        .domains(by)
                        .await?
                        .into_iter()
                        .map(|b| Row {
                            id: b.id.to_string(),
                            area: "email_domains",
                            what: b.domain,
                            how: "sign-ups refused (subdomains too)".into(),
                            note: String::new(),
                            at: b.created_at.to_rfc3339(),
                        })
                        .collect(),
                ),
                (
                    "Blocked addresses (by the hash of their canonical form)",
                    blocks
                        .canonical(by)
                        .await?
                        .into_iter()
                        .map(|b| Row {
                            id: b.id.to_string(),
                            area: "canonical_emails",
                            what: b.canonical_email_hash,
                            how: "sign-ups and address changes refused".into(),
                            note: String::new(),
                            at: b.created_at.to_rfc3339(),
                        })
                        .collect(),
                ),
            ]
        }
        _ => vec![(
            "Blocked networks",
            s.ip_blocks()
                .list(by)
                .await?
                .into_iter()
                .map(|b| Row {
                    id: b.id.to_string(),
                    area: "ip_blocks",
                    what: b.ip,
                    how: match b.expires_at {
                        Some(t) => format!("{} until {}", b.severity.as_str(), t.to_rfc3339()),
                        None => b.severity.as_str().to_owned(),
                    },
                    note: b.comment,
                    at: b.created_at.to_rfc3339(),
                })
                .collect(),
        )],
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut f = admin_frame(state, staff, section);
    f.notice = notice;
    f.error = error;
    let body = settings_page!(BlocksPage, f, { lists: lists });
    admin_page(&body, staff, status)
}

/// The permission each page needs (Mastodon: federation for servers, blocks for the rest).
fn permission(section: &str) -> Permission {
    match section {
        "domain_blocks" | "domain_allows" => Permission::ManageFederation,
        _ => Permission::ManageBlocks,
    }
}

async fn show(
    state: AppState,
    headers: HeaderMap,
    ip: String,
    section: &'static str,
) -> Result<Response, ApiError> {
    match staff(&state, &headers, &ip, permission(section)).await? {
        Ok(s) => blocks_page(&state, &s, section, None, None).await,
        Err(to) => Ok(to),
    }
}

/// `GET /admin/domain_blocks`.
async fn domains(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    show(state, headers, ip, "domain_blocks").await
}

/// `GET /admin/email_blocks`.
async fn emails(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    show(state, headers, ip, "email_blocks").await
}

/// `GET /admin/ip_blocks`.
async fn networks(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    show(state, headers, ip, "ip_blocks").await
}

/// Shows the outcome of a change: its notice, or the page with why the input was refused.
async fn outcome<T>(
    state: &AppState,
    staff: &Staff,
    section: &'static str,
    done: Result<T, ServiceError>,
    notice: &str,
) -> Result<Response, ApiError> {
    match done {
        Ok(_) => blocks_page(state, staff, section, Some(notice.to_owned()), None).await,
        Err(
            e @ (ServiceError::Invalid { .. }
            | ServiceError::Unprocessable(_)
            | ServiceError::Conflict(_)),
        ) => blocks_page(state, staff, section, None, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct DomainForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    domain: String,
    /// `suspend`, `silence`, `noop` or `allow`.
    #[serde(default)]
    severity: String,
    reject_media: Option<String>,
    reject_reports: Option<String>,
    obfuscate: Option<String>,
    #[serde(default)]
    public_comment: String,
    #[serde(default)]
    private_comment: String,
}

/// `POST /admin/domain_blocks`: blocks a server, or allows it (`severity=allow`).
async fn add_domain(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<DomainForm>,
) -> Result<Response, ApiError> {
    let section = "domain_blocks";
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        permission(section),
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let s = &state.services;
    if form.severity == "allow" {
        let done = s
            .domain_allows()
            .create(staff.moderator, &form.domain)
            .await;
        return outcome(&state, &staff, section, done, "The server is allowed.").await;
    }
    let new = NewDomainBlock {
        domain: form.domain,
        severity: form.severity,
        reject_media: form.reject_media.is_some(),
        reject_reports: form.reject_reports.is_some(),
        private_comment: form.private_comment,
        public_comment: form.public_comment,
        obfuscate: form.obfuscate.is_some(),
    };
    let done = s.admin_domain_blocks().create(staff.moderator, new).await;
    outcome(&state, &staff, section, done, "The server is blocked.").await
}

#[derive(Debug, Deserialize)]
struct EmailForm {
    #[serde(default)]
    authenticity_token: String,
    /// `domain` or `address`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
}

/// `POST /admin/email_blocks`: blocks an e-mail domain or an address.
async fn add_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<EmailForm>,
) -> Result<Response, ApiError> {
    let section = "email_blocks";
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        permission(section),
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let blocks = state.services.email_blocks();
    if form.kind == "address" {
        let done = blocks
            .block_canonical(staff.moderator, Some(&form.value), None)
            .await;
        outcome(&state, &staff, section, done, "The address is blocked.").await
    } else {
        let done = blocks.block_domain(staff.moderator, &form.value).await;
        outcome(
            &state,
            &staff,
            section,
            done,
            "The e-mail domain is blocked.",
        )
        .await
    }
}

#[derive(Debug, Deserialize)]
struct NetworkForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    comment: String,
    /// Days; empty: for good.
    #[serde(default)]
    days: String,
}

/// `POST /admin/ip_blocks`: blocks a network.
async fn add_network(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<NetworkForm>,
) -> Result<Response, ApiError> {
    let section = "ip_blocks";
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        permission(section),
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let expires_in = match form.days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(days) if (1..=3650).contains(&days) => Some(Some(days * 86_400)),
            _ => {
                let why = "days must be a number from 1 to 3650".to_owned();
                return blocks_page(&state, &staff, section, None, Some(why)).await;
            }
        },
    };
    let input = IpBlockInput {
        ip: Some(form.ip),
        severity: Some(form.severity),
        comment: Some(form.comment),
        expires_in,
    };
    let done = state
        .services
        .ip_blocks()
        .create(staff.moderator, input)
        .await;
    outcome(&state, &staff, section, done, "The network is blocked.").await
}

/// `POST /admin/{area}/{id}/delete`: removes a block (or an allowed server).
async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path((area, id)): Path<(String, String)>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let section = match area.as_str() {
        "domain_blocks" | "domain_allows" => "domain_blocks",
        "email_domains" | "canonical_emails" => "email_blocks",
        "ip_blocks" => "ip_blocks",
        _ => return Err(ServiceError::NotFound("list").into()),
    };
    let staff = match staff_posted(
        &state,
        &headers,
        &ip,
        &form.authenticity_token,
        permission(&area),
    )
    .await?
    {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let id = id
        .parse::<i64>()
        .map(Id::from_i64)
        .map_err(|_| ServiceError::NotFound("block"))?;
    let s = &state.services;
    let by = staff.moderator;
    match area.as_str() {
        "domain_blocks" => s.admin_domain_blocks().delete(by, id).await.map(|_| ())?,
        "domain_allows" => s.domain_allows().delete(by, id).await.map(|_| ())?,
        "email_domains" => s.email_blocks().unblock_domain(by, id).await.map(|_| ())?,
        "canonical_emails" => s
            .email_blocks()
            .unblock_canonical(by, id)
            .await
            .map(|_| ())?,
        _ => s.ip_blocks().delete(by, id).await.map(|_| ())?,
    }
    blocks_page(&state, &staff, section, Some("Removed.".into()), None).await
}
