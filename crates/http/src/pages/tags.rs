//! The HTML pages of a hashtag: `/tags/{name}` (the `url` of Tag entities and of hashtag links
//! in posts) and `/@{username}/tagged/{name}` (the `url` of FeaturedTag entities).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use rookery_api as api;
use rookery_service::featured_tags::TagPage;

use super::{Site, render};
use crate::{ApiError, AppState};

/// A post as the page lists it.
struct Post {
    acct: String,
    author_url: String,
    url: String,
    created_at: String,
    spoiler: String,
    /// Sanitised HTML (local posts are rendered from text, remote ones cleaned when received),
    /// as the apps show it; the page's policy forbids scripts besides.
    content: String,
}

impl Post {
    fn of(s: api::Status) -> Post {
        Post {
            acct: s.account.acct,
            author_url: s.account.url,
            url: s.url.unwrap_or(s.uri),
            created_at: s.created_at,
            spoiler: s.spoiler_text,
            content: s.content,
        }
    }
}

#[derive(Template)]
#[template(path = "tag.html")]
struct Tagged {
    site: Site,
    name: String,
    /// `(acct, profile URL)` on an account's page.
    account: Option<(String, String)>,
    posts: Vec<Post>,
}

fn page(state: &AppState, tag: TagPage) -> Result<Response, ApiError> {
    render(&Tagged {
        site: Site::of(state),
        name: tag.name,
        account: tag.account,
        posts: tag.statuses.into_iter().map(Post::of).collect(),
    })
}

/// `GET /tags/{name}`: the newest public posts with the hashtag.
pub(crate) async fn tag(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let tag = state.services.featured_tags().tag_page(&name).await?;
    page(&state, tag)
}

/// `GET /@{username}/tagged/{name}`: an account's newest public posts with the hashtag.
pub(crate) async fn account_tag(
    State(state): State<AppState>,
    Path((username, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let tag = state
        .services
        .featured_tags()
        .account_tag_page(&username, &name)
        .await?;
    page(&state, tag)
}
