//! Replies across servers. Local public and unlisted posts publish a `replies` collection (the
//! ids of the public and unlisted replies known here). When someone here opens a remote post's
//! thread (`/context`), its `replies` collection is read from its origin in the background and
//! the replies not here yet are fetched, so the thread fills in on the next look, as
//! Mastodon's does. At most once every 15 minutes per post and process.

use rookery_activitypub::vocab::Object;
use rookery_model::{Id, Status, Timestamp, Visibility};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::host_of;
use super::posts::POST_TYPES;
use crate::{Result, ServiceError, Services};

/// Replies listed in a collection, and read from one.
const MAX_REPLIES: usize = 60;
/// Collection pages read.
const MAX_PAGES: usize = 3;
/// A post's replies are read again at the earliest this long after.
const REFRESH_MS: i64 = 15 * 60 * 1000;

/// Reads a remote post's `replies` collection and fetches the replies not here (the `pull`
/// queue). One waits per post.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchReplies {
    pub status_id: Id,
}

impl rookery_jobs::JobSpec for FetchReplies {
    const KIND: &'static str = "fetch_replies";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Pull;
    fn policy() -> rookery_jobs::RetryPolicy {
        rookery_jobs::RetryPolicy {
            max_attempts: 2,
            base_delay_ms: 60_000,
            max_delay_ms: 600 * 1000,
            timeout: std::time::Duration::from_secs(180),
        }
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!("fetch_replies:{}", self.status_id))
    }
}

/// The id of a collection item (an id, or an object with one).
fn item_id(item: &Value) -> Option<&str> {
    match item {
        Value::String(id) => Some(id),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

impl Services {
    /// The `replies` collection of a local public or unlisted post, as ActivityPub.
    /// `page`: the first page alone (`?page=true`), as the embedded collection's `next` names it.
    pub async fn ap_replies(&self, username: &str, id: Id, page: bool) -> Result<Value> {
        let (local, status) = self.published_status(username, id).await?;
        let url = format!("{}/replies", self.status_uri(&local.account, &status));
        let mut items = Vec::new();
        for reply in self.store.replies(status.id).await? {
            if items.len() >= MAX_REPLIES {
                break;
            }
            if !matches!(reply.visibility, Visibility::Public | Visibility::Unlisted)
                || reply.reblog_of_id.is_some()
            {
                continue;
            }
            let Some(author) = self.store.account(reply.account_id).await? else {
                continue;
            };
            if author.suspended_at.is_some() {
                continue;
            }
            items.push(self.status_uri(&author, &reply));
        }
        let first = json!({
            "id": format!("{url}?page=true"),
            "type": "CollectionPage",
            "partOf": url,
            "items": items,
        });
        if page {
            let mut first = first;
            first["@context"] = json!(rookery_activitypub::AS_CONTEXT);
            return Ok(first);
        }
        Ok(json!({
            "@context": rookery_activitypub::AS_CONTEXT,
            "id": url,
            "type": "Collection",
            "totalItems": items.len(),
            "first": first,
        }))
    }

    /// Queues the reading of a remote post's replies, unless it was read less than 15
    /// minutes ago by this process. Failures are only logged: the thread shows what is here.
    pub(crate) async fn refresh_replies_later(&self, status: &Status) {
        if status.local || status.uri.is_none() {
            return;
        }
        let now = self.clock.now();
        {
            let Ok(mut seen) = self.federation.replies_read.lock() else {
                return;
            };
            if seen
                .get(&status.id)
                .is_some_and(|t| t.as_millis() + REFRESH_MS > now.as_millis())
            {
                return;
            }
            if seen.len() >= 10_000 {
                seen.retain(|_, t| t.as_millis() + REFRESH_MS > now.as_millis());
                if seen.len() >= 10_000 {
                    seen.clear();
                }
            }
            seen.insert(status.id, now);
        }
        let queued = async {
            let mut tx = self.store.begin().await?;
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                now,
                &FetchReplies {
                    status_id: status.id,
                },
            )
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
            Ok::<(), ServiceError>(tx.commit().await?)
        };
        if let Err(e) = queued.await {
            tracing::debug!(status = %status.id, error = %e, "replies not queued for reading");
        }
    }

    /// The `fetch_replies` job.
    pub(crate) async fn fetch_replies(&self, job: &FetchReplies) -> Result<()> {
        let Some(status) = self.store.status(job.status_id).await? else {
            return Ok(());
        };
        let Some(uri) = status.uri.clone().filter(|_| !status.local) else {
            return Ok(());
        };
        let object = self.fetch_object(&uri).await?;
        let mut page = match object.replies.clone() {
            Some(Value::String(url)) => self.fetch_json(&url).await?,
            Some(v @ Value::Object(_)) => v,
            _ => return Ok(()),
        };
        let mut wanted: Vec<String> = Vec::new();
        for _ in 0..MAX_PAGES {
            // A collection with its first page embedded (Mastodon's, ours): read on from that
            // page, whose `next` leads on.
            if page.get("items").is_none()
                && page.get("orderedItems").is_none()
                && let Some(first @ Value::Object(_)) = page.get("first")
            {
                page = first.clone();
            }
            let (items, first) = super::collections::collection_items(&page);
            wanted.extend(items.iter().filter_map(item_id).map(str::to_owned));
            // The next page: `first` when only the collection was given, else `next`.
            let next = first.or_else(|| match page.get("next") {
                Some(Value::String(u)) => Some(u.clone()),
                Some(Value::Object(m)) => m.get("id").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            });
            let Some(next) = next.filter(|u| host_of(u) == host_of(&uri)) else {
                break;
            };
            if wanted.len() >= MAX_REPLIES {
                break;
            }
            page = self.fetch_json(&next).await?;
        }
        wanted.truncate(MAX_REPLIES);
        for id in wanted {
            if self.known_status(&id).await?.is_some() {
                continue;
            }
            if let Err(e) = self.store_reply(&id, &uri).await {
                tracing::debug!(reply = %id, error = %e, "a reply was not fetched");
            }
        }
        Ok(())
    }

    /// Fetches a reply to `parent_uri` from its origin and stores it.
    async fn store_reply(&self, id: &str, parent_uri: &str) -> Result<()> {
        let object: Object = self.fetch_object(id).await?;
        if !POST_TYPES.contains(&object.kind.as_str())
            || object
                .in_reply_to
                .as_ref()
                .and_then(rookery_activitypub::vocab::Ref::id)
                != Some(parent_uri)
        {
            return Ok(()); // not a reply to this post: not ours to store
        }
        let Some(author_uri) = object.author().map(str::to_owned) else {
            return Ok(());
        };
        let author = self
            .resolve_actor(&author_uri, false)
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        if !author.is_local() {
            self.store_remote_status(&author, &object, true).await?;
        }
        Ok(())
    }
}

/// When a post's replies were last queued for reading, per process.
pub(crate) type RepliesRead = std::collections::HashMap<Id, Timestamp>;

/// The `replies` of a local post's `Note` (its id `status_uri`): the collection, with an empty
/// first page embedded whose `next` is the page of replies — as Mastodon embeds it (there the
/// first page holds the author's own replies), so peers that read only an embedded page
/// (GoToSocial) find the rest.
pub(crate) fn replies_collection(status_uri: &str) -> Value {
    let url = format!("{status_uri}/replies");
    json!({
        "id": url,
        "type": "Collection",
        "first": {
            "type": "CollectionPage",
            "next": format!("{url}?page=true"),
            "partOf": url,
            "items": [],
        },
    })
}
