//! A remote account's follower, following and post counts, as its own server publishes them
//! (the `totalItems` of its `followers`, `following` and `outbox` collections), read after the
//! actor is stored, as Mastodon reads them. Without this, a remote account showed only what
//! this server had seen of it (its local followers, the posts that reached here).

use rookery_model::{Account, Id};
use rookery_store::{RemoteCounts, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::host_of;
use crate::{Result, ServiceError, Services};

/// Reads a remote account's collection counts (the `pull` queue). One waits per account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncCounts {
    pub account_id: Id,
    pub followers: Option<String>,
    pub following: Option<String>,
    pub outbox: Option<String>,
}

impl rookery_jobs::JobSpec for SyncCounts {
    const KIND: &'static str = "sync_counts";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Pull;
    fn policy() -> rookery_jobs::RetryPolicy {
        super::collections::sync_policy(60)
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!("sync_counts:{}", self.account_id))
    }
}

/// Largest count believed (a hostile server could claim anything; this is more than any
/// server has).
const MAX_COUNT: i64 = 1_000_000_000;

/// A collection document's `totalItems`, if it states a believable one.
fn total_items(doc: &Value) -> Option<i64> {
    doc.get("totalItems")
        .and_then(Value::as_i64)
        .filter(|n| (0..=MAX_COUNT).contains(n))
}

impl Services {
    /// Queues, in `tx`, the reading of a remote account's counts from the collections its
    /// actor names on its own server.
    pub(super) async fn queue_counts_sync(
        &self,
        tx: &mut dyn Transaction,
        account: &Account,
        actor: &rookery_activitypub::vocab::RemoteActor,
    ) -> Result<()> {
        let home = account.uri.as_deref().and_then(host_of);
        if account.is_local() || home.is_none() {
            return Ok(());
        }
        let own = |url: &Option<String>| url.clone().filter(|u| host_of(u) == home);
        let job = SyncCounts {
            account_id: account.id,
            followers: own(&actor.followers),
            following: own(&actor.following),
            outbox: own(&actor.outbox),
        };
        if job.followers.is_none() && job.following.is_none() && job.outbox.is_none() {
            return Ok(());
        }
        rookery_jobs::enqueue(tx, &self.ids, self.clock.now(), &job)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// The `sync_counts` job. A collection that cannot be read, or hides its size (as
    /// Mastodon's do when the user hides their network), keeps the count recorded.
    pub(crate) async fn sync_counts(&self, job: &SyncCounts) -> Result<()> {
        let Some(account) = self.store.account(job.account_id).await? else {
            return Ok(());
        };
        if account.is_local() || account.suspended_at.is_some() {
            return Ok(());
        }
        let count = |url: Option<String>| async move {
            let url = url?;
            match self.fetch_json(&url).await {
                Ok(doc) => total_items(&doc),
                Err(e) => {
                    tracing::debug!(%url, error = %e, "collection not read for its count");
                    None
                }
            }
        };
        let counts = RemoteCounts {
            followers: count(job.followers.clone()).await,
            following: count(job.following.clone()).await,
            statuses: count(job.outbox.clone()).await,
        };
        if counts == RemoteCounts::default() {
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        tx.remote_counts()
            .set_remote_counts(account.id, counts)
            .await?;
        Ok(tx.commit().await?)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn only_believable_totals_count() {
        let total = |v| super::total_items(&v);
        assert_eq!(total(json!({"totalItems": 42})), Some(42));
        assert_eq!(total(json!({"totalItems": 0})), Some(0));
        assert_eq!(total(json!({"totalItems": -1})), None);
        assert_eq!(total(json!({"totalItems": 1e300})), None);
        assert_eq!(total(json!({"totalItems": "12"})), None);
        assert_eq!(total(json!({"totalItems": 2_000_000_000_i64})), None);
        assert_eq!(total(json!({"type": "OrderedCollection"})), None);
    }
}
