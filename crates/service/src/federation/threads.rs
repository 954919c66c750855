//! Threads people can read: a remote reply whose parent is not here yet brings the parent
//! (and, one job each, its ancestors up to [`MAX_ANCESTORS`]) from its origin through the
//! `pull` queue, then links the reply to it — as Mastodon's thread resolution does. Nothing of
//! this holds up the inbox: the reply is stored at once and linked when its parent arrives.

use rookery_jobs::JobError;
use rookery_model::{Id, Status};
use serde::{Deserialize, Serialize};

use super::posts::POST_TYPES;
use crate::{Result, ServiceError, Services};

/// How many ancestors above a received reply are fetched, at most.
pub const MAX_ANCESTORS: u32 = 16;

/// Fetches `parent_uri` (when it is not here) and makes `reply` a reply to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchParent {
    pub reply: Id,
    pub parent_uri: String,
    /// How far above the first reply received this parent is (1: its parent).
    pub depth: u32,
}

impl rookery_jobs::JobSpec for FetchParent {
    const KIND: &'static str = "fetch_parent";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Pull;
    fn policy() -> rookery_jobs::RetryPolicy {
        rookery_jobs::RetryPolicy {
            max_attempts: 4,
            base_delay_ms: 30_000,
            max_delay_ms: 3600 * 1000,
            timeout: std::time::Duration::from_secs(60),
        }
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!("fetch_parent:{}", self.reply))
    }
}

impl Services {
    /// The `fetch_parent` job.
    pub(crate) async fn fetch_parent(
        &self,
        job: &FetchParent,
    ) -> std::result::Result<(), JobError> {
        match self.link_to_parent(job).await {
            Ok(()) => Ok(()),
            // The parent is gone, private or not a post: the reply stays a reply to nothing
            // known here, as before.
            Err(ServiceError::NotFound(_) | ServiceError::Invalid { .. }) => Ok(()),
            Err(ServiceError::Forbidden) => Ok(()),
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    }

    async fn link_to_parent(&self, job: &FetchParent) -> Result<()> {
        let Some(reply) = self.store.status(job.reply).await? else {
            return Ok(()); // deleted meanwhile
        };
        if reply.in_reply_to_id.is_some() {
            return Ok(());
        }
        let parent = match self.known_status(&job.parent_uri).await? {
            Some(p) => p,
            None => match self.fetch_remote_parent(job).await? {
                Some(p) => p,
                None => return Ok(()),
            },
        };
        // A hostile server can make two posts answer each other: never close a loop.
        if self.is_above(reply.id, &parent).await? {
            tracing::info!(reply = %reply.id, parent = %parent.id, "reply loop refused");
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        tx.threads()
            .link_reply(
                reply.id,
                parent.id,
                parent.account_id,
                parent.conversation_id.unwrap_or(parent.id),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `status` is `post` or one of its ancestors (looked at up to a bound; past it,
    /// the answer is yes, so nothing is linked).
    async fn is_above(&self, status: Id, post: &Status) -> Result<bool> {
        let mut next = Some(post.id);
        for _ in 0..(MAX_ANCESTORS * 4) {
            let Some(id) = next else {
                return Ok(false);
            };
            if id == status {
                return Ok(true);
            }
            next = self.store.status(id).await?.and_then(|s| s.in_reply_to_id);
        }
        Ok(true)
    }

    async fn fetch_remote_parent(&self, job: &FetchParent) -> Result<Option<Status>> {
        let object = self.fetch_object(&job.parent_uri).await?;
        if !POST_TYPES.contains(&object.kind.as_str()) {
            return Ok(None);
        }
        let Some(author_uri) = object.author().map(str::to_owned) else {
            return Ok(None);
        };
        let author = self
            .resolve_actor(&author_uri, false)
            .await
            .map_err(super::posts::resolve_err)?;
        if author.suspended_at.is_some() {
            return Ok(None);
        }
        self.store_remote_status_at(
            &author,
            &object,
            true,
            super::posts::Reach {
                ancestors: job.depth,
                quotes: 0,
            },
        )
        .await
    }
}
