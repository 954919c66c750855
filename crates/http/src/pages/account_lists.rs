//! The account lists of the settings: follow requests waiting for approval
//! (`/settings/follow_requests`, accept or reject), and the accounts blocked
//! (`/settings/blocks`) and muted (`/settings/mutes`), each with the button that ends it.
//! Each list is paged at 40, newest first, with an "older" link, as Mastodon.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use rookery_model::Id;
use rookery_service::{Restriction, ServiceError};
use rookery_store::TimelinePage;

use super::Site;
use super::session::ClientIp;
use super::settings::{Signed, frame, page, posted, settings_page, signed};
use crate::{ApiError, AppState};

/// Accounts per page.
const PAGE: u32 = 40;

/// The account lists' routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/follow_requests", get(follow_requests))
        .route(
            "/settings/follow_requests/{id}/{answer}",
            post(answer_request),
        )
        .route("/settings/blocks", get(blocks))
        .route("/settings/blocks/{id}/unblock", post(unblock))
        .route("/settings/mutes", get(mutes))
        .route("/settings/mutes/{id}/unmute", post(unmute))
}

/// Which list a page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum List {
    FollowRequests,
    Blocks,
    Mutes,
}

impl List {
    fn section(self) -> &'static str {
        match self {
            List::FollowRequests => "follow_requests",
            List::Blocks => "blocks",
            List::Mutes => "mutes",
        }
    }

    fn title(self) -> &'static str {
        match self {
            List::FollowRequests => "Follow requests",
            List::Blocks => "Blocked accounts",
            List::Mutes => "Muted accounts",
        }
    }

    fn empty(self) -> &'static str {
        match self {
            List::FollowRequests => "No one is waiting for your approval.",
            List::Blocks => "You have not blocked anyone.",
            List::Mutes => "You have not muted anyone.",
        }
    }

    /// The buttons of each row: `(the path's last segment, label)`.
    fn actions(self) -> &'static [(&'static str, &'static str)] {
        match self {
            List::FollowRequests => &[("authorize", "Accept"), ("reject", "Reject")],
            List::Blocks => &[("unblock", "Unblock")],
            List::Mutes => &[("unmute", "Unmute")],
        }
    }
}

struct Row {
    id: String,
    acct: String,
    display_name: String,
    /// Only `http(s)` addresses become links.
    url: Option<String>,
    avatar: String,
}

#[derive(Template)]
#[template(path = "settings/account_list.html")]
struct ListPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    title: &'static str,
    empty: &'static str,
    actions: &'static [(&'static str, &'static str)],
    rows: Vec<Row>,
    /// The `max_id` of the next, older page, if there may be one.
    older: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    max_id: Option<String>,
}

async fn list_page(
    state: &AppState,
    s: &Signed,
    list: List,
    max_id: Option<Id>,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let services = &state.services;
    let paging = TimelinePage {
        max_id,
        since_id: None,
        min_id: None,
        limit: PAGE,
    };
    let found = match list {
        List::FollowRequests => services.follow_requests(&s.local, paging).await?,
        List::Blocks => {
            services
                .restricted(&s.local, Restriction::Block, paging)
                .await?
        }
        List::Mutes => {
            services
                .restricted(&s.local, Restriction::Mute, paging)
                .await?
        }
    };
    let older = if found.len() >= PAGE as usize {
        found.last().map(|(key, _)| key.clone())
    } else {
        None
    };
    let rows = found
        .into_iter()
        .map(|(_, a)| Row {
            id: a.id,
            acct: a.acct,
            display_name: a.display_name,
            url: Some(a.url).filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            avatar: a.avatar_static,
        })
        .collect();
    let mut f = frame(state, s, list.section());
    f.notice = notice;
    f.error = error;
    let body = settings_page!(ListPage, f, {
        title: list.title(),
        empty: list.empty(),
        actions: list.actions(),
        rows: rows,
        older: older,
    });
    page(&body, s, status)
}

async fn show(
    state: AppState,
    headers: HeaderMap,
    ip: String,
    list: List,
    query: PageQuery,
) -> Result<Response, ApiError> {
    let s = match signed(&state, &headers, &ip).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    // A malformed cursor shows the first page.
    let max_id = query
        .max_id
        .and_then(|m| m.trim().parse::<i64>().ok())
        .map(Id::from_i64);
    list_page(&state, &s, list, max_id, None, None, StatusCode::OK).await
}

/// `GET /settings/follow_requests`.
pub(crate) async fn follow_requests(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    show(state, headers, ip, List::FollowRequests, query).await
}

/// `GET /settings/blocks`.
pub(crate) async fn blocks(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    show(state, headers, ip, List::Blocks, query).await
}

/// `GET /settings/mutes`.
pub(crate) async fn mutes(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    show(state, headers, ip, List::Mutes, query).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    authenticity_token: String,
}

/// What a button asks of one account of a list.
#[derive(Clone, Copy)]
enum Change {
    Answer { approve: bool },
    End(Restriction),
}

async fn change(
    state: AppState,
    headers: HeaderMap,
    ip: String,
    list: List,
    id: &str,
    change: Change,
    token: &str,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let Ok(target) = id.parse::<i64>().map(Id::from_i64) else {
        let error = Some("There is no such account.".to_owned());
        return list_page(&state, &s, list, None, None, error, StatusCode::NOT_FOUND).await;
    };
    let services = &state.services;
    let done = match change {
        Change::Answer { approve } => services
            .answer_follow_request(&s.local, target, approve)
            .await
            .map(|_| if approve { "Accepted." } else { "Rejected." }),
        Change::End(kind) => {
            services
                .unrestrict(&s.local, target, kind)
                .await
                .map(|_| match kind {
                    Restriction::Block => "Unblocked.",
                    _ => "Unmuted.",
                })
        }
    };
    match done {
        Ok(notice) => {
            let notice = Some(notice.to_owned());
            list_page(&state, &s, list, None, notice, None, StatusCode::OK).await
        }
        Err(ServiceError::NotFound(what)) => {
            let error = Some(format!("That {what} is not there any more."));
            list_page(&state, &s, list, None, None, error, StatusCode::NOT_FOUND).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/follow_requests/{id}/authorize` and `/reject` (`id`: the requester).
pub(crate) async fn answer_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path((id, answer)): Path<(String, String)>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let approve = match answer.as_str() {
        "authorize" => true,
        "reject" => false,
        _ => return Err(ApiError::not_found()),
    };
    let list = List::FollowRequests;
    let token = &form.authenticity_token;
    change(
        state,
        headers,
        ip,
        list,
        &id,
        Change::Answer { approve },
        token,
    )
    .await
}

/// `POST /settings/blocks/{id}/unblock` (`id`: the blocked account).
pub(crate) async fn unblock(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let end = Change::End(Restriction::Block);
    let token = &form.authenticity_token;
    change(state, headers, ip, List::Blocks, &id, end, token).await
}

/// `POST /settings/mutes/{id}/unmute` (`id`: the muted account).
pub(crate) async fn unmute(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, ApiError> {
    let end = Change::End(Restriction::Mute);
    let token = &form.authenticity_token;
    change(state, headers, ip, List::Mutes, &id, end, token).await
}
