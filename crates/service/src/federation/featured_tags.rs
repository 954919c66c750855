//! Featured hashtags between servers, as Mastodon federates them: a remote actor's
//! `featuredTags` collection (a `Collection` of `Hashtag`s) is read when the actor is stored,
//! and kept current by the `Add` and `Remove` of a `Hashtag` its server sends when its user
//! features or stops featuring one; ours send the same when a local user does.

use rookery_activitypub::AS_CONTEXT;
use rookery_activitypub::vocab::{Activity, Target};
use rookery_model::{Account, Id};
use rookery_store::{FeatureOutcome, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::host_of;
use crate::{Result, ServiceError, Services};

/// Hashtags kept per remote account (Mastodon's limit for its own).
const LIMIT: u32 = crate::featured_tags::LIMIT;

/// Reads a remote actor's `featuredTags` collection into its featured hashtags (the `pull`
/// queue). One waits per account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncFeaturedTags {
    pub account_id: Id,
    pub url: String,
}

impl rookery_jobs::JobSpec for SyncFeaturedTags {
    const KIND: &'static str = "sync_featured_tags";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Pull;
    fn policy() -> rookery_jobs::RetryPolicy {
        super::collections::sync_policy(60)
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!("sync_featured_tags:{}", self.account_id))
    }
}

/// The hashtag names (without `#`) of a collection's `Hashtag` items, valid ones only, at most
/// [`LIMIT`].
fn hashtag_names(items: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for item in items {
        if item.get("type").and_then(Value::as_str) != Some("Hashtag") {
            continue;
        }
        let Some(name) = item
            .get("name")
            .and_then(Value::as_str)
            .and_then(valid_name)
        else {
            continue;
        };
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            names.push(name);
        }
        if names.len() >= LIMIT as usize {
            break;
        }
    }
    names
}

/// A `Hashtag`'s `name` (`#rust` or `rust`) as a hashtag name, if it is one.
fn valid_name(raw: &str) -> Option<String> {
    let name = raw.trim().trim_start_matches('#');
    crate::tags::tag_name(name).ok().filter(|n| n == name)
}

impl Services {
    /// Queues, in `tx`, the reading of a remote actor's featured hashtags.
    pub(super) async fn queue_featured_tags_sync(
        &self,
        tx: &mut dyn Transaction,
        account: &Account,
        url: &str,
    ) -> Result<()> {
        // Only a collection on the actor's own server speaks for it.
        if account.is_local() || host_of(url) != account.uri.as_deref().and_then(host_of) {
            return Ok(());
        }
        let job = SyncFeaturedTags {
            account_id: account.id,
            url: url.to_owned(),
        };
        rookery_jobs::enqueue(tx, &self.ids, self.clock.now(), &job)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// The `sync_featured_tags` job: the account's featured hashtags become those its
    /// collection lists.
    pub(crate) async fn sync_featured_tags(&self, job: &SyncFeaturedTags) -> Result<()> {
        let Some(account) = self.store.account(job.account_id).await? else {
            return Ok(());
        };
        if account.is_local() || account.suspended_at.is_some() {
            return Ok(());
        }
        let items = self.first_items(&job.url).await?;
        let wanted = hashtag_names(&items);
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let current = self
            .store
            .featured_tag_store()
            .featured_tags(account.id)
            .await?;
        for f in &current {
            if !wanted.iter().any(|w| w.eq_ignore_ascii_case(&f.name)) {
                tx.featured_tags().unfeature_tag(account.id, f.id).await?;
            }
        }
        for name in &wanted {
            let tag = tx.tags().ensure_tag(self.ids.next_id(), name, now).await?;
            tx.featured_tags()
                .feature_tag(self.ids.next_id(), account.id, &tag, name, LIMIT, now)
                .await?;
        }
        Ok(tx.commit().await?)
    }

    /// An `Add` or `Remove` of a `Hashtag` to a remote actor's featured hashtags (`target` on
    /// the actor's own server). Other collections are not handled (yet).
    pub(super) async fn on_featured_tag_change(
        &self,
        actor: &Account,
        a: &Activity,
        add: bool,
    ) -> Result<()> {
        if self.on_featured_post_change(actor, a, add).await? {
            return Ok(());
        }
        let Some(Target::Object(object)) = &a.object else {
            return Ok(());
        };
        let same_server = a.target.as_deref().and_then(host_of).is_some()
            && a.target.as_deref().and_then(host_of) == actor.uri.as_deref().and_then(host_of);
        if object.kind != "Hashtag" || !same_server || actor.is_local() {
            tracing::debug!(kind = %a.kind, id = %a.id, "collection change not handled");
            return Ok(());
        }
        let Some(name) = object.name.as_deref().and_then(valid_name) else {
            return Ok(());
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if add {
            let tag = tx.tags().ensure_tag(self.ids.next_id(), &name, now).await?;
            let outcome = tx
                .featured_tags()
                .feature_tag(self.ids.next_id(), actor.id, &tag, &name, LIMIT, now)
                .await?;
            if matches!(outcome, FeatureOutcome::LimitReached) {
                return Ok(()); // more than we keep: the first ten stay
            }
        } else if let Some(tag) = self.store.tag_store().tag_by_name(&name).await? {
            tx.featured_tags()
                .unfeature_tag_by_tag(actor.id, tag.id)
                .await?;
        }
        Ok(tx.commit().await?)
    }

    /// Queues, in `tx`, the `Add` (or `Remove`) of a hashtag a local user features (or stops
    /// featuring), to their followers' servers.
    pub(crate) async fn federate_featured_tag(
        &self,
        tx: &mut dyn Transaction,
        account: &Account,
        name: &str,
        href: &str,
        add: bool,
    ) -> Result<()> {
        let actor = self.urls.actor(account.username.as_str());
        let activity = json!({
            "@context": [AS_CONTEXT, {"Hashtag": "as:Hashtag"}],
            "id": format!("{actor}#featured_tags/{}", self.ids.next_id()),
            "type": if add { "Add" } else { "Remove" },
            "actor": actor,
            "to": [rookery_activitypub::PUBLIC],
            "cc": [self.urls.actor_path(account.username.as_str(), "followers")],
            // Mastodon names the featured (pinned) collection here, and acts only on that.
            "target": self.urls.actor_path(account.username.as_str(), "collections/featured"),
            "object": {"type": "Hashtag", "href": href, "name": format!("#{name}")},
        });
        self.enqueue_federate(tx, account, &activity, true, Vec::new())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::collections::collection_items;

    #[test]
    fn collections_give_their_hashtags() {
        let doc = json!({"type": "Collection", "items": [
            {"type": "Hashtag", "name": "#Rust", "href": "https://x.example/tags/rust"},
            {"type": "Hashtag", "name": "#rust"},
            {"type": "Note", "name": "#notatag"},
            {"type": "Hashtag", "name": "#not a tag"},
            {"type": "Hashtag", "name": "Fediverse"},
            {"type": "Hashtag"},
        ]});
        let (items, first) = collection_items(&doc);
        assert!(first.is_none());
        assert_eq!(hashtag_names(&items), vec!["Rust", "Fediverse"]);

        let paged = json!({"type": "Collection", "first": "https://x.example/c?page=1"});
        assert_eq!(
            collection_items(&paged).1.as_deref(),
            Some("https://x.example/c?page=1")
        );
        let embedded = json!({"first": {"orderedItems": [{"type": "Hashtag", "name": "#a"}]}});
        assert_eq!(hashtag_names(&collection_items(&embedded).0), vec!["a"]);

        let many: Vec<Value> = (0..50)
            .map(|i| json!({"type": "Hashtag", "name": format!("#t{i}")}))
            .collect();
        assert_eq!(hashtag_names(&many).len(), LIMIT as usize);
    }
}
