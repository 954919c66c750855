//! `GET /api/v2/search`: accounts by handle or name, and (with `resolve`) accounts and posts
//! by URL from their servers.

use rookery_activitypub::vocab::{ACTOR_TYPES, Object, RemoteActor};
use rookery_api as api;
use rookery_model::Account;

use crate::{Result, Services};

/// What `/api/v2/search` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SearchResults {
    pub accounts: Vec<api::Account>,
    pub statuses: Vec<api::Status>,
    pub hashtags: Vec<serde_json::Value>,
}

/// The options of `/api/v2/search`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchQuery<'a> {
    /// `accounts`, `statuses` or `hashtags`; all when `None`.
    pub kind: Option<&'a str>,
    /// Look URLs and handles up on their servers.
    pub resolve: bool,
    pub limit: u32,
    /// Matches skipped, for paging.
    pub offset: u32,
    /// Only accounts the viewer follows.
    pub following: bool,
}

impl Services {
    /// Searches for `q`.
    pub async fn search(
        &self,
        viewer: Option<&Account>,
        q: &str,
        query: SearchQuery<'_>,
    ) -> Result<SearchResults> {
        let SearchQuery {
            kind,
            resolve,
            limit,
            offset,
            following,
        } = query;
        let q = q.trim();
        let mut out = SearchResults::default();
        if q.is_empty() || q.len() > 2048 {
            return Ok(out);
        }
        let want = |k: &str| kind.is_none_or(|x| x == k);
        if q.starts_with("https://") || q.starts_with("http://") {
            if let Some(id) = self.local_status_id_of(q)
                && want("statuses")
                && let Ok(s) = self.get_status(viewer, id).await
            {
                out.statuses.push(s);
                return Ok(out);
            }
            if let Some(name) = self.local_username_of(q)
                && want("accounts")
                && let Ok(a) = self.lookup_account(&name, false).await
            {
                out.accounts.push(a);
                return Ok(out);
            }
            if resolve && viewer.is_some() {
                self.resolve_url(viewer, q, &mut out).await;
            }
            return Ok(out);
        }
        if want("accounts") {
            out.accounts = self
                .search_accounts(
                    q,
                    crate::AccountSearchQuery {
                        limit,
                        offset,
                        resolve: resolve && viewer.is_some() && offset == 0,
                        following_of: viewer.filter(|_| following).map(|v| v.id),
                    },
                )
                .await?;
        }
        Ok(out)
    }

    /// Fetches what a URL points at: an actor (stored as an account) or a post (stored as a
    /// status). Failures just find nothing.
    async fn resolve_url(&self, viewer: Option<&Account>, url: &str, out: &mut SearchResults) {
        if let Ok(Some(s)) = self.store.status_by_uri(url).await {
            // Only what the viewer may see (a followers-only post stored for someone else
            // is not found).
            if let Ok(entity) = self.get_status(viewer, s.id).await {
                out.statuses.push(entity);
            }
            return;
        }
        if let Ok(Some(a)) = self.store.account_by_uri(url).await {
            if let Ok(entity) = self.account_entity_with_emojis(&a).await {
                out.accounts.push(entity);
            }
            return;
        }
        // `fetched_from` is where redirects (within the host) led.
        let Ok((fetched_from, body)) = self.fetch_document(url).await else {
            return;
        };
        let kind = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_default();
        if ACTOR_TYPES.contains(&kind.as_str()) {
            if let Ok(actor) = RemoteActor::parse(&body)
                && (actor.id == url || actor.id == fetched_from)
                && let Ok(a) = self.resolve_actor(&actor.id, false).await
                && let Ok(entity) = self.account_entity_with_emojis(&a).await
            {
                out.accounts.push(entity);
            }
            return;
        }
        let Ok(object) = serde_json::from_slice::<Object>(&body) else {
            return;
        };
        let Some(id) = object.id.clone() else { return };
        // Trust only what the origin says: fetch by id when the URL was another page.
        let object = if id == url {
            object
        } else {
            match self.fetch_object(&id).await {
                Ok(o) => o,
                Err(_) => return,
            }
        };
        let Some(author_uri) = object.author().map(str::to_owned) else {
            return;
        };
        let Ok(author) = self.resolve_actor(&author_uri, false).await else {
            return;
        };
        if let Ok(Some(s)) = self.store_remote_status(&author, &object, true).await
            && let Ok(entity) = self.get_status(viewer, s.id).await
        {
            out.statuses.push(entity);
        }
    }
}
