//! `/@{username}`: a local account's profile page (its ActivityPub actor for clients that ask
//! for JSON), and `/@{username}.rss`, its feed.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use rookery_api as api;
use rookery_model::Id;
use rookery_service::pages::ProfilePage;

use super::view::{Post, display_name, excerpt, full_acct, plain_text};
use super::{Site, noindex, render};
use crate::routes::wants_json;
use crate::{ApiError, AppState};

#[derive(Template)]
#[template(path = "profile.html")]
struct Profile {
    site: Site,
    /// As the API serves it: its `note` and `fields` are the server's HTML.
    account: api::Account,
    name: String,
    /// `user@domain`.
    handle: String,
    /// The bio as text, for link previews.
    description: String,
    /// The header image, unless the account has none.
    banner: Option<String>,
    hide_collections: bool,
    noindex: bool,
    rss: String,
    pinned: Vec<Post>,
    posts: Vec<Post>,
    /// Whether this is an older page (`max_id` given).
    paged: bool,
    /// The link to the next, older page.
    older: Option<String>,
}

impl Profile {
    fn of(page: ProfilePage, site: Site, missing_header: &str, paged: bool) -> Profile {
        let account = page.account;
        let handle = full_acct(&account.acct, &site.domain);
        let description = match excerpt(&plain_text(&account.note), 300) {
            bio if bio.is_empty() => format!("Public posts from @{handle}"),
            bio => bio,
        };
        let posts = |list: Vec<api::Status>| {
            list.into_iter()
                .map(|s| Post::of(s, &site.domain))
                .collect::<Vec<_>>()
        };
        Profile {
            name: display_name(&account),
            description,
            banner: (account.header_static != missing_header)
                .then(|| account.header_static.clone()),
            hide_collections: account.hide_collections.unwrap_or(false),
            noindex: account.noindex.unwrap_or(false),
            rss: format!("{}.rss", account.url),
            pinned: posts(page.pinned),
            posts: posts(page.statuses),
            paged,
            older: page.older.map(|id| format!("{}?max_id={id}", account.url)),
            handle,
            account,
            site,
        }
    }
}

/// `?max_id=` (anything unparsable is ignored).
fn max_id(query: Option<&str>) -> Option<Id> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "max_id")
        .and_then(|(_, v)| v.parse().ok())
}

/// `GET /@{username}`: the profile page, 20 posts at a time (`?max_id=`); ActivityPub clients
/// asking for JSON get the actor, as Mastodon does. `GET /@{username}.rss` is the account's
/// feed (the router cannot route a suffix after a parameter, so it arrives here).
pub(crate) async fn profile(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    view: crate::routes::ActorView,
) -> Result<Response, ApiError> {
    if let Some(name) = username.strip_suffix(".rss") {
        return super::feed::account(&state, name).await;
    }
    if wants_json(&headers) {
        let actor = state.services.local_actor(&username).await?;
        return Ok(crate::routes::actor_json(actor, view));
    }
    let max_id = max_id(query.as_deref());
    let page = state.services.pages().profile(&username, max_id).await?;
    let missing_header = state.services.urls.missing_header();
    let view = Profile::of(
        page,
        Site::of(&state.services),
        &missing_header,
        max_id.is_some(),
    );
    let mut response = render(&view)?;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    if view.noindex {
        noindex(&mut response);
    }
    Ok(response)
}
