//! Preview cards: the first link of a post (not a mention or hashtag) is fetched on the
//! `pull` queue through the federation client (which refuses private addresses), its page's
//! OpenGraph facts become a card shared by every post linking the same URL, the page's image
//! is copied here like other remote media, and followers' streams get a `status.update`.

mod charset;
mod entities;
mod opengraph;

use std::collections::HashMap;

use rookery_api as api;
use rookery_jobs::{JobError, JobSpec, Queue};
use rookery_model::{Id, MediaAttachment, MediaKind, MediaPurpose, MediaState, Status};
use rookery_store::PreviewCard;
use serde::{Deserialize, Serialize};

use crate::federation::{TransportError, host_of};
use crate::{Result, ServiceError, Services};

pub use opengraph::{PageMeta, parse};

/// Largest page read for a card.
const MAX_PAGE_BYTES: u64 = 1024 * 1024;
/// Longest link given a card (Mastodon's limit; longer ones are not worth a card).
const MAX_URL_CHARS: usize = 2048;
/// A card is fetched again when older than this (two weeks, as Mastodon).
const REFRESH_MS: i64 = 14 * 86_400_000;

/// Fetches the card of a status's first link (the `pull` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchCard {
    pub status_id: Id,
}

impl JobSpec for FetchCard {
    const KIND: &'static str = "fetch_card";
    const QUEUE: Queue = Queue::Pull;
    fn unique_key(&self) -> Option<String> {
        Some(format!("fetch_card:{}", self.status_id))
    }
}

/// The first link of rendered status HTML that is neither a mention nor a hashtag, nor a
/// link to this instance (`own`: its domain), which gets no card.
pub(crate) fn first_link(content: &str, own: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("<a ") {
        let start = from + p;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &content[start..end];
        let tag_lower = &lower[start..end];
        from = end;
        let attr = |name: &str| -> Option<String> {
            let at = tag_lower.find(&format!(" {name}=\""))? + name.len() + 3;
            let close = tag[at..].find('"')? + at;
            Some(tag[at..close].replace("&amp;", "&"))
        };
        let class = attr("class").unwrap_or_default();
        let rel = attr("rel").unwrap_or_default();
        // Remote links lose their `rel` to the sanitiser: a hashtag or mention is also known
        // by its text.
        let text_start = content[end..].trim_start_matches('>').trim_start();
        let text_start = text_start
            .strip_prefix("<span>")
            .unwrap_or(text_start)
            .trim_start();
        if class.contains("mention")
            || class.contains("hashtag")
            || rel.split(' ').any(|r| r == "tag")
            || text_start.starts_with(['#', '@'])
        {
            continue;
        }
        if let Some(href) = attr("href").filter(|h| {
            host_of(h).is_some_and(|host| !host.eq_ignore_ascii_case(own))
                && h.len() <= MAX_URL_CHARS
        }) {
            return Some(href);
        }
    }
    None
}

/// `relative` resolved against the page at `base` (absolute, scheme-relative, root-relative or
/// path-relative); `None` unless the result is an http(s) URL.
fn resolve(base: &str, relative: &str) -> Option<String> {
    let relative = relative.trim();
    if host_of(relative).is_some() {
        return Some(relative.to_owned());
    }
    let scheme_end = base.find("://")? + 3;
    let scheme = &base[..scheme_end - 3];
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |p| scheme_end + p);
    let origin = &base[..path_start];
    let url = if let Some(rest) = relative.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if relative.starts_with('/') {
        format!("{origin}{relative}")
    } else if relative.is_empty() || relative.split('/').next().is_some_and(|s| s.contains(':')) {
        return None; // empty, or another scheme (`data:`, `javascript:`)
    } else {
        let path = &base[path_start..];
        let path = path.split(['?', '#']).next().unwrap_or("");
        let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
        format!("{origin}{dir}{relative}")
    };
    host_of(&url).map(|_| url)
}

/// The card of `meta` read from `page_url` (after redirects) for the link `url`; `None` when
/// the page has no title (Mastodon shows no card then).
fn card_of(
    id: Id,
    url: &str,
    page_url: &str,
    meta: PageMeta,
    now: rookery_model::Timestamp,
) -> Option<PreviewCard> {
    let title = meta.title?;
    let host = host_of(page_url)?;
    let scheme = if page_url.starts_with("http://") {
        "http"
    } else {
        "https"
    };
    // `video` and `photo` cards are embeds (`html`) in Mastodon; without oEmbed every card is
    // a link, which apps show with its image.
    let kind = "link";
    // An author given as a URL (article:author) is a link, not a name.
    let (author_name, author_url) = match meta.author {
        Some(a) if host_of(&a).is_some() => (String::new(), a),
        Some(a) => (a, String::new()),
        None => (String::new(), String::new()),
    };
    Some(PreviewCard {
        id,
        url: url.to_owned(),
        title,
        description: meta.description.unwrap_or_default(),
        kind: kind.to_owned(),
        author_name,
        author_url,
        provider_name: meta.site_name.unwrap_or_default(),
        provider_url: format!("{scheme}://{host}"),
        image_remote_url: meta.image.and_then(|i| resolve(page_url, &i)),
        media_id: None,
        language: meta.language,
        fetched_at: now,
    })
}

impl Services {
    /// Queues, in `tx`, the card of a status whose content links somewhere (or, after an
    /// edit, `edited`, whose card may have to go).
    pub(crate) async fn queue_card(
        &self,
        tx: &mut dyn rookery_store::Transaction,
        status: &Status,
        edited: bool,
    ) -> Result<()> {
        if status.reblog_of_id.is_some()
            || (!edited && first_link(&status.content, &self.settings.domain.to_string()).is_none())
        {
            return Ok(());
        }
        rookery_jobs::enqueue(
            tx,
            &self.ids,
            self.clock.now(),
            &FetchCard {
                status_id: status.id,
            },
        )
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// The `fetch_card` job. Pages that cannot make a card (refused, gone, not HTML, no title)
    /// leave the status without one; only a server error or a timeout is tried again.
    pub(crate) async fn fetch_card(&self, job: &FetchCard) -> std::result::Result<(), JobError> {
        let retry = |e: ServiceError| JobError::Retry(e.to_string());
        let Some(status) = self
            .store
            .status(job.status_id)
            .await
            .map_err(|e| retry(e.into()))?
        else {
            return Ok(());
        };
        let Some(url) = first_link(&status.content, &self.settings.domain.to_string()) else {
            return self.drop_card(status.id).await; // an edit took the link away
        };
        let now = self.clock.now();
        let known = self
            .store
            .preview_card_store()
            .card_by_url(&url)
            .await
            .map_err(|e| retry(e.into()))?;
        let mut card = match known {
            Some(c) if c.fetched_at.as_millis() > now.as_millis() - REFRESH_MS => c,
            known => match (self.fetch_page_card(&url).await?, known) {
                (Some(card), _) => card,
                // The page cannot be read again now: the card it gave before stays.
                (None, Some(old)) => old,
                (None, None) => return self.drop_card(status.id).await,
            },
        };
        // An image evicted from the cache (or gone with its first poster) is copied again.
        if let Some(id) = card.media_id
            && !self
                .store
                .media(id)
                .await
                .map_err(|e| retry(e.into()))?
                .is_some_and(|m| m.state == MediaState::Ready)
        {
            card.media_id = None;
        }
        if card.media_id.is_none()
            && let Some(image) = card.image_remote_url.clone()
            && self.media.is_some()
        {
            card.media_id = self.copy_card_image(status.account_id, &image).await?;
        }
        let mut tx = self.store.begin().await.map_err(|e| retry(e.into()))?;
        let card_id = tx
            .preview_cards()
            .upsert_card(&card)
            .await
            .map_err(|e| retry(e.into()))?;
        tx.preview_cards()
            .attach_card(status.id, card_id)
            .await
            .map_err(|e| retry(e.into()))?;
        tx.commit().await.map_err(|e| retry(e.into()))?;
        self.card_arrived(&status).await;
        Ok(())
    }

    /// Takes a card off a status that no longer has one.
    async fn drop_card(&self, status_id: Id) -> std::result::Result<(), JobError> {
        let retry = |e: rookery_store::StoreError| JobError::Retry(e.to_string());
        let mut tx = self.store.begin().await.map_err(retry)?;
        tx.preview_cards()
            .detach_card(status_id)
            .await
            .map_err(retry)?;
        tx.commit().await.map_err(retry)
    }

    /// Fetches `url` and reads a card from it.
    async fn fetch_page_card(
        &self,
        url: &str,
    ) -> std::result::Result<Option<PreviewCard>, JobError> {
        if let Some(host) = host_of(url)
            && self.rejects_media_from(&host).await
        {
            return Ok(None);
        }
        let page = match self
            .federation
            .transport
            .get_media(url, MAX_PAGE_BYTES)
            .await
        {
            Ok(r) if (200..300).contains(&r.status) => r,
            Ok(r) if r.status >= 500 || r.status == 429 => {
                return Err(JobError::Retry(format!("{url}: HTTP {}", r.status)));
            }
            Ok(_) | Err(TransportError::Refused(_) | TransportError::TooLarge) => return Ok(None),
            Err(e) => {
                tracing::info!(url, error = %e, "no preview card");
                return Ok(None);
            }
        };
        let html = page
            .content_type
            .as_deref()
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|t| t == "text/html" || t == "application/xhtml+xml");
        if !html {
            return Ok(None);
        }
        let text = charset::page_text(&page.body, page.content_type.as_deref());
        let meta = parse(&text);
        Ok(card_of(
            self.ids.next_id(),
            url,
            &page.url,
            meta,
            self.clock.now(),
        ))
    }

    /// Copies a card's image here (processed like other remote images, with a blurhash);
    /// the media row's id, or `None` when it cannot be had.
    async fn copy_card_image(
        &self,
        owner: Id,
        url: &str,
    ) -> std::result::Result<Option<Id>, JobError> {
        let retry = |e: ServiceError| JobError::Retry(e.to_string());
        let existing = self
            .store
            .remote_media_by_url(owner, MediaPurpose::Card, url)
            .await
            .map_err(|e| retry(e.into()))?;
        if let Some(m) = &existing
            && matches!(m.state, MediaState::Ready | MediaState::Processing)
        {
            return Ok(Some(m.id));
        }
        let exists = existing.is_some();
        let media = existing.unwrap_or_else(|| {
            MediaAttachment::remote(
                self.ids.next_id(),
                owner,
                MediaPurpose::Card,
                MediaKind::Image,
                url.to_owned(),
                self.clock.now(),
            )
        });
        let id = media.id;
        self.copy_remote(media, exists).await?;
        // A file that could not be had leaves a row remembering why; the card shows no image.
        let stored = self.store.media(id).await.map_err(|e| retry(e.into()))?;
        Ok(stored
            .filter(|m| matches!(m.state, MediaState::Ready | MediaState::Processing))
            .map(|m| m.id))
    }

    /// Tells the streams a status now has its card.
    async fn card_arrived(&self, status: &Status) {
        let mentioned: Vec<Id> = match self.store.mentions(&[status.id]).await {
            Ok(m) => m.into_iter().map(|(_, a)| a).collect(),
            Err(_) => Vec::new(),
        };
        let published = async {
            let feed = self.feed_recipients(status, &mentioned).await?;
            self.publish_status(status, rookery_events::names::STATUS_UPDATE, &feed)
                .await
        }
        .await;
        if let Err(e) = published {
            tracing::warn!(status = %status.id, error = %e, "streaming status.update for a card not published");
        }
    }

    /// The PreviewCard entities of these statuses, by status id.
    pub(crate) async fn card_entities(
        &self,
        status_ids: &[Id],
    ) -> Result<HashMap<Id, api::PreviewCard>> {
        let cards = self
            .store
            .preview_card_store()
            .cards_of_statuses(status_ids)
            .await?;
        let (status_ids, cards): (Vec<Id>, Vec<PreviewCard>) = cards.into_iter().unzip();
        let entities = self.preview_card_entities(cards).await?;
        Ok(status_ids.into_iter().zip(entities).collect())
    }

    /// The PreviewCard entities of `cards`, in order.
    pub(crate) async fn preview_card_entities(
        &self,
        cards: Vec<PreviewCard>,
    ) -> Result<Vec<api::PreviewCard>> {
        if cards.is_empty() {
            return Ok(Vec::new());
        }
        let mut media_ids: Vec<Id> = cards.iter().filter_map(|c| c.media_id).collect();
        media_ids.sort();
        media_ids.dedup();
        let media = self.store.media_by_ids(&media_ids).await?;
        Ok(cards
            .into_iter()
            .map(|c| {
                let image = c
                    .media_id
                    .and_then(|id| media.iter().find(|m| m.id == id))
                    .filter(|m| m.state == MediaState::Ready);
                api::PreviewCard {
                    url: c.url,
                    title: c.title,
                    description: c.description,
                    kind: c.kind,
                    authors: if c.author_name.is_empty() && c.author_url.is_empty() {
                        Vec::new()
                    } else {
                        vec![api::PreviewCardAuthor {
                            name: c.author_name.clone(),
                            url: c.author_url.clone(),
                            account: None,
                        }]
                    },
                    author_name: c.author_name,
                    author_url: c.author_url,
                    provider_name: c.provider_name,
                    provider_url: c.provider_url,
                    html: String::new(),
                    width: image.and_then(|m| m.meta.width).unwrap_or(0),
                    height: image.and_then(|m| m.meta.height).unwrap_or(0),
                    image: image
                        .and_then(|m| m.file_key.as_deref())
                        .map(|k| self.media_url(k)),
                    image_description: String::new(),
                    embed_url: String::new(),
                    blurhash: image.and_then(|m| m.blurhash.clone()),
                    language: c.language,
                    published_at: None,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_plain_link_is_taken() {
        let html = r#"<p><span class="h-card"><a href="https://a.example/@bob" class="u-url mention">@bob</a></span>
            <a href="https://a.example/tags/x" class="mention hashtag" rel="tag">#x</a>
            <a href="javascript:alert(1)">js</a>
            <a href="https://news.example/a?b=1&amp;c=2" target="_blank" rel="nofollow noopener noreferrer">news</a>
            <a href="https://second.example/">no</a></p>"#;
        assert_eq!(
            first_link(html, "rookery.test").as_deref(),
            Some("https://news.example/a?b=1&c=2")
        );
        assert_eq!(first_link("<p>no links</p>", "rookery.test"), None);
        // This instance's own pages get no card: the next link does.
        let own =
            r#"<a href="https://Rookery.test/@a/1">me</a> <a href="https://x.example/">x</a>"#;
        assert_eq!(
            first_link(own, "rookery.test").as_deref(),
            Some("https://x.example/")
        );
        assert_eq!(first_link("<a href=\"unterminated", "rookery.test"), None);
        // A remote hashtag or mention whose `rel` and classes the sanitiser replaced or
        // dropped is still known by its text.
        let remote = r#"<a href="https://p.example/tag/x" rel="nofollow noopener" target="_blank">#<span>x</span></a> <a href="https://p.example/users/y" rel="nofollow noopener" target="_blank"><span>@y</span></a> <a href="https://z.example/" rel="nofollow noopener" target="_blank">z</a>"#;
        assert_eq!(
            first_link(remote, "rookery.test").as_deref(),
            Some("https://z.example/")
        );
    }

    #[test]
    fn images_resolve_against_the_page() {
        let base = "https://site.example/dir/page.html?q=1";
        assert_eq!(
            resolve(base, "/i.png").as_deref(),
            Some("https://site.example/i.png")
        );
        assert_eq!(
            resolve(base, "i.png").as_deref(),
            Some("https://site.example/dir/i.png")
        );
        assert_eq!(
            resolve(base, "//cdn.example/i.png").as_deref(),
            Some("https://cdn.example/i.png")
        );
        assert_eq!(
            resolve(base, "https://x.example/i.png").as_deref(),
            Some("https://x.example/i.png")
        );
        assert_eq!(resolve(base, "data:image/png;base64,xx"), None);
        assert_eq!(resolve(base, "javascript:alert(1)"), None);
        assert_eq!(resolve(base, ""), None);
    }
}
