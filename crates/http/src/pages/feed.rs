//! RSS 2.0 feeds, as Mastodon serves them: `/@{username}.rss` (an account's newest public and
//! unlisted posts) and `/tags/{name}.rss` (the newest public posts with a hashtag). Each item
//! carries the post's HTML as its description, escaped as XML, and its attachments as an
//! enclosure and Media RSS entries.

use std::collections::HashMap;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use rookery_api as api;
use rookery_model::Timestamp;
use rookery_service::pages::{Feed, MediaFile};

use super::html;
use super::view::{display_name, escape_html, full_acct};
use crate::{ApiError, AppState};

/// An attached file.
struct File {
    url: String,
    content_type: String,
    size: i64,
    /// Media RSS's kind: `image`, `video`, `audio` or `document`.
    medium: &'static str,
    description: String,
}

struct Item {
    url: String,
    pub_date: String,
    /// HTML, escaped as XML by the template.
    description: String,
    sensitive: bool,
    files: Vec<File>,
    tags: Vec<String>,
}

#[derive(Template)]
#[template(path = "feed.xml")]
struct Rss {
    title: String,
    description: String,
    link: String,
    self_url: String,
    image: Option<String>,
    last_build_date: Option<String>,
    version: &'static str,
    items: Vec<Item>,
}

/// Text as XML 1.0 may hold it: without the control characters it forbids even as
/// references (the template escapes the rest).
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        })
        .collect()
}

fn rfc2822(rfc3339: &str) -> String {
    Timestamp::parse_rfc3339(rfc3339).map_or_else(String::new, Timestamp::to_rfc2822)
}

fn item(s: api::Status, files: &HashMap<String, MediaFile>) -> Item {
    // The content warning comes first, as in Mastodon's feeds.
    let mut description = String::new();
    if !s.spoiler_text.is_empty() {
        description.push_str(&format!(
            "<p><strong>Content warning:</strong> {}</p><hr>",
            escape_html(&s.spoiler_text)
        ));
    }
    // Sanitised HTML from the server, escaped as XML by the template.
    description.push_str(&s.content);
    let files = s
        .media_attachments
        .iter()
        .filter_map(|m| {
            let url = m.url.clone()?;
            let known = files.get(&m.id);
            Some(File {
                content_type: known.map_or_else(
                    || "application/octet-stream".to_owned(),
                    |f| xml_text(&f.content_type),
                ),
                size: known.map_or(0, |f| f.size.max(0)),
                medium: match m.kind.as_str() {
                    "image" | "gifv" => "image",
                    "video" => "video",
                    "audio" => "audio",
                    _ => "document",
                },
                description: xml_text(m.description.as_deref().unwrap_or_default()),
                url: xml_text(&url),
            })
        })
        .collect();
    Item {
        url: xml_text(s.url.as_deref().unwrap_or(&s.uri)),
        pub_date: rfc2822(&s.created_at),
        description: xml_text(&description),
        sensitive: s.sensitive,
        files,
        tags: s.tags.iter().map(|t| xml_text(&t.name)).collect(),
    }
}

fn respond(mut rss: Rss, feed: Feed) -> Result<Response, ApiError> {
    rss.last_build_date = feed.statuses.first().map(|s| rfc2822(&s.created_at));
    let files = feed.files;
    rss.items = feed.statuses.into_iter().map(|s| item(s, &files)).collect();
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/rss+xml; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        html(&rss)?,
    )
        .into_response())
}

/// `GET /@{username}.rss`.
pub(crate) async fn account(state: &AppState, username: &str) -> Result<Response, ApiError> {
    let (account, feed) = state.services.pages().account_feed(username).await?;
    let handle = full_acct(&account.acct, state.services.settings.domain.as_str());
    let rss = Rss {
        title: xml_text(&display_name(&account)),
        description: xml_text(&format!("Public posts from @{handle}")),
        link: xml_text(&account.url),
        self_url: xml_text(&format!("{}.rss", account.url)),
        image: Some(xml_text(&account.avatar_static)),
        last_build_date: None,
        version: rookery_service::VERSION,
        items: Vec::new(),
    };
    respond(rss, feed)
}

/// `GET /tags/{name}.rss`.
pub(crate) async fn tag(state: &AppState, name: &str) -> Result<Response, ApiError> {
    let feed = state.services.pages().tag_feed(name).await?;
    let name = name.trim_start_matches('#');
    let link = format!(
        "{}/tags/{}",
        state.services.urls.base(),
        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    );
    let rss = Rss {
        title: xml_text(&format!("#{name}")),
        description: xml_text(&format!("Public posts tagged #{name}")),
        self_url: xml_text(&format!("{link}.rss")),
        link: xml_text(&link),
        image: None,
        last_build_date: None,
        version: rookery_service::VERSION,
        items: Vec::new(),
    };
    respond(rss, feed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(xml_text("a\u{1}b\tc\u{FFFE}d\u{1F426}"), "ab\tcd\u{1F426}");
    }
}
