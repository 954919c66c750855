//! The HTML pages of a hashtag: `/tags/{name}` (the `url` of Tag entities and of hashtag links
//! in posts; `/tags/{name}.rss` is its feed) and `/@{username}/tagged/{name}` (the `url` of
//! FeaturedTag entities).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use rookery_service::featured_tags::TagPage;

use super::view::Post;
use super::{Site, render};
use crate::{ApiError, AppState};

#[derive(Template)]
#[template(path = "tag.html")]
struct Tagged {
    site: Site,
    name: String,
    /// `(acct, profile URL)` on an account's page.
    account: Option<(String, String)>,
    /// The hashtag's feed (on the page of the hashtag).
    rss: Option<String>,
    posts: Vec<Post>,
}

fn page(state: &AppState, tag: TagPage, rss: Option<String>) -> Result<Response, ApiError> {
    let site = Site::of(&state.services);
    render(&Tagged {
        name: tag.name,
        account: tag.account,
        rss,
        posts: tag
            .statuses
            .into_iter()
            .map(|s| Post::of(s, &site.domain))
            .collect(),
        site,
    })
}

/// `GET /tags/{name}`: the newest public posts with the hashtag. `GET /tags/{name}.rss` is
/// its feed (the router cannot route a suffix after a parameter, so it arrives here).
pub(crate) async fn tag(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    if let Some(name) = name.strip_suffix(".rss") {
        return super::feed::tag(&state, name).await;
    }
    let tag = state.services.featured_tags().tag_page(&name).await?;
    let rss = format!(
        "{}/tags/{}.rss",
        state.services.urls.base(),
        url::form_urlencoded::byte_serialize(tag.name.as_bytes()).collect::<String>()
    );
    page(&state, tag, Some(rss))
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
    page(&state, tag, None)
}
