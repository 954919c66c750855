//! `/@{username}/{id}`: the page of a local post with its thread (the `Note` for clients that
//! ask for ActivityPub JSON).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use rookery_api as api;
use rookery_service::pages::PostPage;

use super::view::{Image, Post, excerpt};
use super::{Site, noindex, render};
use crate::routes::{activity_json, wants_json};
use crate::{ApiError, AppState};

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    site: Site,
    post: Post,
    /// Its ActivityPub id.
    uri: String,
    /// The start of its text (or its content warning), for the title.
    title_excerpt: String,
    /// For link previews.
    description: String,
    /// The first image, for link previews.
    image: Option<Image>,
    noindex: bool,
    ancestors: Vec<Post>,
    replies: Vec<Post>,
}

impl StatusPage {
    fn of(page: PostPage, site: Site) -> StatusPage {
        let posts = |list: Vec<api::Status>| {
            list.into_iter()
                .map(|s| Post::of(s, &site.domain))
                .collect::<Vec<_>>()
        };
        let noindex = page.status.account.noindex.unwrap_or(false);
        let uri = page.status.uri.clone();
        let post = Post::of(page.status, &site.domain);
        let description = post.summary();
        StatusPage {
            uri,
            title_excerpt: excerpt(&description, 60),
            description,
            image: post.images.first().cloned(),
            noindex,
            ancestors: posts(page.ancestors),
            replies: posts(page.replies),
            post,
            site,
        }
    }
}

/// `GET /@{username}/{id}`: a public or unlisted post, the posts it replies to and its public
/// replies (404 for anything else); ActivityPub clients get the `Note`.
pub(crate) async fn status(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    headers: HeaderMap,
    _signed: crate::routes::SignedIfActivityPub,
) -> Result<Response, ApiError> {
    let id = crate::routes::path_id(&id)?;
    if wants_json(&headers) {
        let note = state.services.ap_note(&username, id).await?;
        return Ok(activity_json(note));
    }
    let page = state.services.pages().post(&username, id).await?;
    let view = StatusPage::of(page, Site::of(&state.services));
    let mut response = render(&view)?;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    // An author who is not discoverable is kept out of search engines' indexes.
    if view.noindex {
        noindex(&mut response);
    }
    Ok(response)
}
