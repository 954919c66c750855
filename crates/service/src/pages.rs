//! What the public web pages and feeds show: an account's profile, a post with its thread, the
//! RSS feeds of an account and of a hashtag, and the about page. Everything here is what an
//! anonymous visitor may see: public and unlisted posts of live accounts, nothing else.

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::Id;
use rookery_store::{LocalAccount, TimelinePage};

use crate::{AccountStatusesQuery, NodeInfo, Result, ServiceError, Services};

/// Posts a profile page or a feed lists (Mastodon's `PAGE_SIZE`).
pub const PAGE_POSTS: u32 = 20;

/// The profile page of a local account.
#[derive(Debug, Clone)]
pub struct ProfilePage {
    /// The account (its `uri` is its ActivityPub id).
    pub account: api::Account,
    /// Its pinned posts (on the first page only).
    pub pinned: Vec<api::Status>,
    /// Its public and unlisted posts, newest first, without replies to others and boosts.
    pub statuses: Vec<api::Status>,
    /// The `max_id` of the next, older page, when this one is full.
    pub older: Option<String>,
}

/// The page of a local post.
#[derive(Debug, Clone)]
pub struct PostPage {
    pub status: api::Status,
    /// The posts it replies to that a visitor may see, oldest first.
    pub ancestors: Vec<api::Status>,
    /// The replies a visitor may see, oldest first.
    pub replies: Vec<api::Status>,
}

/// A stored file as a feed encloses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub content_type: String,
    /// In bytes (0 when unknown, e.g. a remote file not copied here).
    pub size: i64,
}

/// The posts of an RSS feed, newest first.
#[derive(Debug, Clone)]
pub struct Feed {
    pub statuses: Vec<api::Status>,
    /// The files of the posts' attachments, by attachment id.
    pub files: HashMap<String, MediaFile>,
}

/// What the about page shows.
#[derive(Debug, Clone)]
pub struct AboutPage {
    pub info: NodeInfo,
    pub rules: Vec<api::Rule>,
    pub contact_email: String,
    pub contact_account: Option<api::Account>,
    /// The extended description as HTML (escaped by the server; empty when none is set).
    pub extended_description: String,
    /// The privacy policy as HTML (escaped by the server), when one is set.
    pub privacy_policy: Option<String>,
    /// The terms of service: the day they took effect and their HTML (escaped by the server).
    pub terms_of_service: Option<(String, String)>,
}

/// The public pages' use cases.
#[derive(Clone, Copy)]
pub struct Pages<'a> {
    s: &'a Services,
}

impl Services {
    /// The public web pages and feeds.
    pub fn pages(&self) -> Pages<'_> {
        Pages { s: self }
    }
}

/// An account's own posts, as its profile and feed list them (Mastodon leaves out replies to
/// others and boosts).
fn own_posts() -> AccountStatusesQuery {
    AccountStatusesQuery {
        exclude_replies: true,
        exclude_reblogs: true,
        ..AccountStatusesQuery::default()
    }
}

fn newest(max_id: Option<Id>) -> TimelinePage {
    TimelinePage {
        max_id,
        since_id: None,
        min_id: None,
        limit: PAGE_POSTS,
    }
}

impl Pages<'_> {
    /// A live local account by a name that can be one.
    async fn account(&self, username: &str) -> Result<LocalAccount> {
        rookery_model::Username::parse(username).map_err(|_| ServiceError::NotFound("account"))?;
        self.s.live_local(username).await
    }

    /// `GET /@:username[?max_id=]`: the profile and a page of posts.
    pub async fn profile(&self, username: &str, max_id: Option<Id>) -> Result<ProfilePage> {
        let local = self.account(username).await?;
        let id = local.account.id;
        let pinned = match max_id {
            None => self.s.pinned_statuses(None, id).await?,
            Some(_) => Vec::new(),
        };
        let page = self
            .s
            .account_statuses(None, id, own_posts(), newest(max_id))
            .await?;
        let full = page.statuses.len() >= PAGE_POSTS as usize;
        let older = page
            .bounds
            .filter(|_| full)
            .map(|(_, oldest)| oldest.to_string());
        Ok(ProfilePage {
            // With emoji and, for a moved account, where it went.
            account: self.s.account_entity_with_emojis(&local.account).await?,
            pinned,
            statuses: page.statuses,
            older,
        })
    }

    /// `GET /@:username/:id`: a public or unlisted post of the account (not a boost), with the
    /// rest of its thread a visitor may see.
    pub async fn post(&self, username: &str, id: Id) -> Result<PostPage> {
        let (_, status) = self.s.published_status(username, id).await?;
        let status = self
            .s
            .status_entities(None, std::slice::from_ref(&status))
            .await?
            .pop()
            .ok_or(ServiceError::NotFound("status"))?;
        let (ancestors, replies) = self.s.context(None, id).await?;
        Ok(PostPage {
            status,
            ancestors,
            replies,
        })
    }

    /// `GET /@:username.rss`: the account's newest public and unlisted posts (as Mastodon's
    /// feed: no replies to others, no boosts).
    pub async fn account_feed(&self, username: &str) -> Result<(api::Account, Feed)> {
        let local = self.account(username).await?;
        let page = self
            .s
            .account_statuses(None, local.account.id, own_posts(), newest(None))
            .await?;
        let feed = self.feed(page.statuses).await?;
        Ok((self.s.account_entity(&local.account), feed))
    }

    /// `GET /tags/:name.rss`: the newest public posts with the hashtag.
    pub async fn tag_feed(&self, name: &str) -> Result<Feed> {
        let page = self.s.featured_tags().tag_page(name).await?;
        self.feed(page.statuses).await
    }

    /// The posts with their attachments' types and sizes.
    async fn feed(&self, statuses: Vec<api::Status>) -> Result<Feed> {
        let ids: Vec<Id> = statuses.iter().filter_map(|s| s.id.parse().ok()).collect();
        let files = if ids.is_empty() {
            HashMap::new()
        } else {
            self.s
                .store
                .status_media(&ids)
                .await?
                .into_iter()
                .map(|m| {
                    let size = if m.file_key.is_some() { m.file_size } else { 0 };
                    let content_type = m.content_type.unwrap_or_else(|| {
                        m.file_key
                            .as_deref()
                            .map_or("application/octet-stream", crate::media::mime_of_key)
                            .to_owned()
                    });
                    (m.id.to_string(), MediaFile { content_type, size })
                })
                .collect()
        };
        Ok(Feed { statuses, files })
    }

    /// `GET /` and `/about`: the numbers, rules, contact and texts of the server.
    pub async fn about(&self) -> Result<AboutPage> {
        Ok(AboutPage {
            info: self.s.nodeinfo().await?,
            rules: self.s.rules().shown().await?,
            contact_email: self.s.settings.contact_email.clone(),
            contact_account: self.s.contact_account().await?,
            extended_description: self.s.extended_description_html(),
            privacy_policy: self.s.privacy_policy_html(),
            terms_of_service: self.s.terms_of_service_html(),
        })
    }
}
