//! Remote accounts' pinned posts, as Mastodon federates them: an actor's `featured` collection
//! (its pinned posts, as objects or ids) is read when the actor is stored, and kept current by
//! the `Add` and `Remove` of a post its server sends when its user pins or unpins one. Pinned
//! posts are fetched from their origin when they are not here yet.

use rookery_activitypub::vocab::{Activity, Object, Target};
use rookery_model::{Account, Id, Status};
use rookery_store::Transaction;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::host_of;
use super::posts::POST_TYPES;
use crate::{Result, ServiceError, Services};

/// Pinned posts read per remote account (Mastodon lets its users pin five).
const LIMIT: usize = 10;

/// Reads a remote actor's `featured` collection into its pinned posts (the `pull` queue). One
/// waits per account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncFeatured {
    pub account_id: Id,
    pub url: String,
}

impl rookery_jobs::JobSpec for SyncFeatured {
    const KIND: &'static str = "sync_featured";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Pull;
    fn policy() -> rookery_jobs::RetryPolicy {
        super::collections::sync_policy(120)
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!("sync_featured:{}", self.account_id))
    }
}

impl Services {
    /// Queues, in `tx`, the reading of a remote actor's pinned posts.
    pub(super) async fn queue_featured_sync(
        &self,
        tx: &mut dyn Transaction,
        account: &Account,
        url: &str,
    ) -> Result<()> {
        // Only a collection on the actor's own server speaks for it.
        if account.is_local() || host_of(url) != account.uri.as_deref().and_then(host_of) {
            return Ok(());
        }
        let job = SyncFeatured {
            account_id: account.id,
            url: url.to_owned(),
        };
        rookery_jobs::enqueue(tx, &self.ids, self.clock.now(), &job)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// A post of `author` named by `item` (an object or its id), from here or its origin;
    /// `None` if it is not theirs or cannot be had.
    async fn post_of(&self, author: &Account, item: &Value) -> Result<Option<Status>> {
        let id = match item {
            Value::String(id) => id.clone(),
            Value::Object(map) => match map.get("id").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        if host_of(&id) != author.uri.as_deref().and_then(host_of) {
            return Ok(None);
        }
        if let Some(s) = self.store.status_by_uri(&id).await? {
            return Ok(Some(s).filter(|s| s.account_id == author.id));
        }
        // Fetched from its origin: an embedded copy is not trusted.
        let object: Object = match self.fetch_object(&id).await {
            Ok(o) => o,
            Err(e) => {
                tracing::debug!(%id, error = %e, "a pinned post could not be fetched");
                return Ok(None);
            }
        };
        if !POST_TYPES.contains(&object.kind.as_str()) || object.author() != author.uri.as_deref() {
            return Ok(None);
        }
        self.store_remote_status(author, &object, true).await
    }

    /// The `sync_featured` job: the account's pinned posts become those its collection lists.
    pub(crate) async fn sync_featured(&self, job: &SyncFeatured) -> Result<()> {
        let Some(account) = self.store.account(job.account_id).await? else {
            return Ok(());
        };
        if account.is_local() || account.suspended_at.is_some() {
            return Ok(());
        }
        let items = self.first_items(&job.url).await?;
        let mut wanted: Vec<Status> = Vec::new();
        for item in items.iter().take(LIMIT) {
            if let Some(s) = self.post_of(&account, item).await?
                && !wanted.iter().any(|w| w.id == s.id)
            {
                wanted.push(s);
            }
        }
        let now = self.clock.now();
        let current = self.store.pinned_statuses(account.id).await?;
        let mut tx = self.store.begin().await?;
        for s in &current {
            if !wanted.iter().any(|w| w.id == s.id) {
                tx.set_pinned(s.id, None).await?;
            }
        }
        // The first listed is the newest pin: pinned last.
        for (i, s) in wanted.iter().enumerate() {
            if s.pinned_at.is_none() {
                tx.set_pinned(s.id, Some(now.plus_millis(-(i as i64))))
                    .await?;
            }
        }
        Ok(tx.commit().await?)
    }

    /// Queues, in `tx`, the `Add` (or `Remove`) of a post a local user pins (or unpins), to
    /// their followers' servers.
    pub(crate) async fn federate_pin(
        &self,
        tx: &mut dyn Transaction,
        account: &Account,
        status: &Status,
        add: bool,
    ) -> Result<()> {
        let actor = self.urls.actor(account.username.as_str());
        let activity = serde_json::json!({
            "@context": rookery_activitypub::AS_CONTEXT,
            "id": format!("{actor}#pins/{}", self.ids.next_id()),
            "type": if add { "Add" } else { "Remove" },
            "actor": actor,
            "to": [rookery_activitypub::PUBLIC],
            "cc": [self.urls.actor_path(account.username.as_str(), "followers")],
            "target": self.urls.actor_path(account.username.as_str(), "collections/featured"),
            "object": self.status_uri(account, status),
        });
        self.enqueue_federate(tx, account, &activity, true, Vec::new())
            .await
    }

    /// An `Add` or `Remove` of one of the actor's posts to its `featured` collection (a pin or
    /// an unpin); `false` if the activity is about something else.
    pub(super) async fn on_featured_post_change(
        &self,
        actor: &Account,
        a: &Activity,
        add: bool,
    ) -> Result<bool> {
        let item = match &a.object {
            Some(Target::Id(id)) => Value::String(id.clone()),
            Some(Target::Object(o)) if POST_TYPES.contains(&o.kind.as_str()) => {
                Value::String(o.id.clone().unwrap_or_default())
            }
            _ => return Ok(false),
        };
        let same_server = a.target.as_deref().and_then(host_of).is_some()
            && a.target.as_deref().and_then(host_of) == actor.uri.as_deref().and_then(host_of);
        if !same_server || actor.is_local() {
            return Ok(true);
        }
        let status = if add {
            self.post_of(actor, &item).await?
        } else {
            match item.as_str() {
                Some(id) => self
                    .store
                    .status_by_uri(id)
                    .await?
                    .filter(|s| s.account_id == actor.id),
                None => None,
            }
        };
        let Some(status) = status else {
            return Ok(true);
        };
        let mut tx = self.store.begin().await?;
        if add && status.pinned_at.is_none() {
            tx.set_pinned(status.id, Some(self.clock.now())).await?;
        } else if !add && status.pinned_at.is_some() {
            tx.set_pinned(status.id, None).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
