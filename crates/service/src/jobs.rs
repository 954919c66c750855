//! The jobs Rookery runs and the periodic schedule; and the operator's view of the queues
//! (`rookery admin jobs …`, later the admin API).

use std::collections::BTreeMap;
use std::time::Duration;

use rookery_jobs::{JobError, JobSpec, Periodic, Queue, Registry};
use rookery_model::{Id, Timestamp};
use rookery_store::{Job, JobFilter, JobState, QueueStats};
use serde::{Deserialize, Serialize};

use crate::{Result, ServiceError, Services};

/// Deletes OAuth tokens and codes that expired or were revoked more than a day ago.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PruneExpiredTokens {}

impl JobSpec for PruneExpiredTokens {
    const KIND: &'static str = "prune_expired_tokens";
    const QUEUE: Queue = Queue::Scheduler;
}

/// Deletes timed mutes that ended, so relationships and mute lists stop showing them (reads
/// already ignore them from the moment they end).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PruneExpiredMutes {}

impl JobSpec for PruneExpiredMutes {
    const KIND: &'static str = "prune_expired_mutes";
    const QUEUE: Queue = Queue::Scheduler;
}

/// Deletes dead jobs after [`DEAD_JOB_RETENTION_MS`], so operators see them for a week and their
/// unique keys (a delivery, an actor refresh) are free again after that.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PruneDeadJobs {}

impl JobSpec for PruneDeadJobs {
    const KIND: &'static str = "prune_dead_jobs";
    const QUEUE: Queue = Queue::Scheduler;
}

/// How long dead jobs are kept for inspection (`rookery admin jobs list --state dead`).
pub const DEAD_JOB_RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;

/// Keep expired tokens this long (so "token expired" can still be told apart from "unknown").
const TOKEN_GRACE_MS: i64 = 24 * 3600 * 1000;

fn retry(e: ServiceError) -> JobError {
    match e {
        ServiceError::NotFound(_)
        | ServiceError::Invalid { .. }
        | ServiceError::Fields(_)
        | ServiceError::Unprocessable(_) => JobError::Fatal(e.to_string()),
        other => JobError::Retry(other.log_cause().unwrap_or("failed").to_owned()),
    }
}

/// Registers every job handler Rookery has.
pub fn register_jobs(registry: &mut Registry, services: &Services) {
    let s = services.clone();
    registry.register(move |job: crate::statuses::Fanout, _ctx| {
        let s = s.clone();
        async move { s.fanout(job.status_id).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::mail::SendMail, _ctx| {
        let s = s.clone();
        async move { s.mail().deliver(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::account_links::SendConfirmation, _ctx| {
        let s = s.clone();
        async move { s.account_links().run_confirmation(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::account_deletion::DeleteAccount, _ctx| {
        let s = s.clone();
        async move { s.account_deletions().run(&job).await }
    });
    let s = services.clone();
    registry.register(
        move |job: crate::moderation::suspensions::PurgeSuspended, _ctx| {
            let s = s.clone();
            async move { s.purge_suspended(&job).await }
        },
    );
    let s = services.clone();
    registry.register(move |job: crate::imports::RunImport, ctx| {
        let s = s.clone();
        async move { s.imports().run(&job, &ctx).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::account_links::SendEmailChange, _ctx| {
        let s = s.clone();
        async move { s.account_links().run_email_change(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::account_links::SendPasswordReset, _ctx| {
        let s = s.clone();
        async move { s.account_links().run_password_reset(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::edits::EditNotices, _ctx| {
        let s = s.clone();
        async move { s.edit_notices(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::polls::PollExpired, _ctx| {
        let s = s.clone();
        async move { s.poll_expired(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::PollUpdate, ctx| {
        let s = s.clone();
        async move { s.poll_update(&job, ctx.id).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::cards::FetchCard, _ctx| {
        let s = s.clone();
        async move { s.fetch_card(&job).await }
    });
    let s = services.clone();
    registry.register(
        move |job: crate::announcements::AnnouncementChanged, _ctx| {
            let s = s.clone();
            async move { s.announcements().changed(&job).await.map_err(retry) }
        },
    );
    let s = services.clone();
    registry.register(move |job: crate::scheduled::PublishScheduledStatus, _ctx| {
        let s = s.clone();
        async move { s.scheduled_statuses().publish(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::interactions::Notify, _ctx| {
        let s = s.clone();
        async move { s.notify(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::social::FollowEffects, _ctx| {
        let s = s.clone();
        async move { s.follow_effects(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::streams::StatusRemoved, _ctx| {
        let s = s.clone();
        async move { s.status_removed(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::Ingress, _ctx| {
        let s = s.clone();
        async move {
            match s.process_ingress(&job).await {
                // An activity that can never be applied is dropped, not kept as a dead job
                // (a peer could otherwise fill the jobs table with them).
                Err(e @ (ServiceError::NotFound(_) | ServiceError::Invalid { .. })) => {
                    tracing::info!(activity = %job.activity_id, error = %e, "activity dropped");
                    Ok(())
                }
                other => other.map_err(retry),
            }
        }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::Federate, _ctx| {
        let s = s.clone();
        async move { s.process_federate(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::FetchParent, _ctx| {
        let s = s.clone();
        async move { s.fetch_parent(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::relays::RelaySubscription, _ctx| {
        let s = s.clone();
        async move { s.send_relay_subscription(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::account_moves::MoveFollowers, _ctx| {
        let s = s.clone();
        async move { s.move_followers(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::VerifyQuote, _ctx| {
        let s = s.clone();
        async move { s.verify_quote(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::FetchReplies, _ctx| {
        let s = s.clone();
        async move { s.fetch_replies(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::SyncFeatured, _ctx| {
        let s = s.clone();
        async move { s.sync_featured(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::SyncCounts, _ctx| {
        let s = s.clone();
        async move { s.sync_counts(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::SyncFeaturedTags, _ctx| {
        let s = s.clone();
        async move { s.sync_featured_tags(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::RefreshActor, _ctx| {
        let s = s.clone();
        async move { s.refresh_actor(&job).await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::federation::Deliver, _ctx| {
        let s = s.clone();
        async move { s.process_deliver(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::media::ProcessMedia, _ctx| {
        let s = s.clone();
        async move { s.process_media(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::media::FetchRemoteMedia, _ctx| {
        let s = s.clone();
        async move { s.fetch_remote_media(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::media::CacheAccountImage, _ctx| {
        let s = s.clone();
        async move { s.cache_account_image(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::media::CacheEmoji, _ctx| {
        let s = s.clone();
        async move { s.cache_emoji(&job).await }
    });
    let s = services.clone();
    registry.register(
        move |job: crate::moderation::domain_blocks::PurgeDomainMedia, _ctx| {
            let s = s.clone();
            async move { s.purge_domain_media(&job).await.map(drop).map_err(retry) }
        },
    );
    let s = services.clone();
    registry.register(move |_job: crate::media::PruneMediaCache, _ctx| {
        let s = s.clone();
        async move { s.prune_media_job().await }
    });
    let s = services.clone();
    registry.register(move |_job: crate::media::ExpireUnattachedMedia, _ctx| {
        let s = s.clone();
        async move { s.expire_unattached_job().await }
    });
    let s = services.clone();
    registry.register(move |_job: crate::trends::RefreshTrends, _ctx| {
        let s = s.clone();
        async move { s.trends().refresh().await.map_err(retry) }
    });
    let s = services.clone();
    registry.register(move |job: crate::export::BuildArchive, ctx| {
        let s = s.clone();
        async move { s.exports().build(&job, &ctx).await }
    });
    let s = services.clone();
    registry.register(move |_job: crate::export::PruneArchives, _ctx| {
        let s = s.clone();
        async move {
            let n = s.exports().prune().await.map_err(retry)?;
            if n > 0 {
                tracing::info!(deleted = n, "deleted account archives older than a week");
            }
            Ok(())
        }
    });
    let s = services.clone();
    registry.register(move |job: crate::webhooks::EmitWebhook, _ctx| {
        let s = s.clone();
        async move { s.webhooks().run_emit(&job).await }
    });
    let s = services.clone();
    registry.register(move |job: crate::webhooks::DeliverWebhook, _ctx| {
        let s = s.clone();
        async move { s.webhooks().run_deliver(&job).await }
    });
    let s = services.clone();
    registry.register(move |_job: crate::webhooks::ReportDeadJobs, _ctx| {
        let s = s.clone();
        async move { s.webhooks().report_dead_jobs().await.map(|_| ()) }
    });
    let s = services.clone();
    registry.register(move |_job: PruneDeadJobs, _ctx| {
        let s = s.clone();
        async move {
            let before = s.clock.now().plus_millis(-DEAD_JOB_RETENTION_MS);
            let n = s
                .store
                .prune_dead_jobs(before)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            if n > 0 {
                tracing::info!(deleted = n, "pruned dead jobs older than a week");
            }
            Ok(())
        }
    });
    let s = services.clone();
    registry.register(move |_job: PruneExpiredMutes, _ctx| {
        let s = s.clone();
        async move {
            let retry = |e: rookery_store::StoreError| JobError::Retry(e.to_string());
            let mut tx = s.store.begin().await.map_err(retry)?;
            let n = tx.prune_expired_mutes(s.clock.now()).await.map_err(retry)?;
            tx.commit().await.map_err(retry)?;
            if n > 0 {
                tracing::info!(deleted = n, "timed mutes ended");
            }
            Ok(())
        }
    });
    let s = services.clone();
    registry.register(move |_job: PruneExpiredTokens, _ctx| {
        let s = s.clone();
        async move {
            let before = s.clock.now().plus_millis(-TOKEN_GRACE_MS);
            let mut tx = s
                .store
                .begin()
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            let retry = |e: rookery_store::StoreError| JobError::Retry(e.to_string());
            let n = tx.prune_expired_tokens(before).await.map_err(retry)?;
            let links = tx
                .user_tokens()
                .prune_user_tokens(before)
                .await
                .map_err(retry)?;
            // Sessions unused for their whole lifetime are dead too.
            let idle = s.clock.now().plus_millis(-crate::sign_in::SESSION_IDLE_MS);
            let sessions = tx
                .sign_in()
                .prune_sessions(before, idle)
                .await
                .map_err(retry)?;
            tx.commit().await.map_err(retry)?;
            tracing::info!(
                deleted = n,
                links,
                sessions,
                "pruned expired OAuth tokens, mailed links and web sessions"
            );
            Ok(())
        }
    });
    crate::moderation::reports::register_jobs(registry, services);
}

/// The periodic schedule.
pub fn periodic_jobs() -> Vec<Periodic> {
    vec![
        Periodic::new("prune_expired_tokens", Duration::from_secs(3600), || {
            PruneExpiredTokens {}
        }),
        Periodic::new("prune_expired_mutes", Duration::from_secs(60), || {
            PruneExpiredMutes {}
        }),
        Periodic::new("prune_dead_jobs", Duration::from_secs(3600), || {
            PruneDeadJobs {}
        }),
        Periodic::new("prune_media_cache", Duration::from_secs(3600), || {
            crate::media::PruneMediaCache {}
        }),
        Periodic::new("expire_unattached_media", Duration::from_secs(3600), || {
            crate::media::ExpireUnattachedMedia {}
        }),
        Periodic::new("refresh_trends", Duration::from_secs(300), || {
            crate::trends::RefreshTrends {}
        }),
        Periodic::new("prune_archives", Duration::from_secs(3600), || {
            crate::export::PruneArchives {}
        }),
        Periodic::new("report_dead_jobs", Duration::from_secs(60), || {
            crate::webhooks::ReportDeadJobs {}
        }),
    ]
}

/// A job as operators see it (CLI, JSON).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JobView {
    pub id: String,
    pub queue: String,
    pub kind: String,
    pub state: &'static str,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: String,
    pub locked_until: Option<String>,
    pub locked_by: Option<String>,
    pub unique_key: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The payload as JSON (or the raw text when it does not parse).
    pub payload: serde_json::Value,
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        JobView {
            id: j.id.to_string(),
            queue: j.queue,
            kind: j.kind,
            state: j.state.as_str(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at.to_rfc3339(),
            locked_until: j.locked_until.map(Timestamp::to_rfc3339),
            locked_by: j.locked_by,
            unique_key: j.unique_key,
            last_error: j.last_error,
            created_at: j.created_at.to_rfc3339(),
            updated_at: j.updated_at.to_rfc3339(),
            payload: serde_json::from_str(&j.payload)
                .unwrap_or(serde_json::Value::String(j.payload)),
        }
    }
}

/// A queue's counts as operators see them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueView {
    pub queue: String,
    pub due: i64,
    pub scheduled: i64,
    pub running: i64,
    pub dead: i64,
    /// Seconds the oldest due job has waited.
    pub lag_seconds: f64,
}

fn queue_view(s: QueueStats, now: Timestamp) -> QueueView {
    QueueView {
        lag_seconds: s.oldest_due_at.map_or(0.0, |t| {
            ((now.as_millis() - t.as_millis()).max(0) as f64) / 1000.0
        }),
        queue: s.queue,
        due: s.due,
        scheduled: s.scheduled,
        running: s.running,
        dead: s.dead,
    }
}

impl Services {
    /// Jobs, newest first; `state`/`queue` filter by name.
    pub async fn list_jobs(
        &self,
        queue: Option<&str>,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<JobView>> {
        let queue = match queue {
            Some(q) => Some(
                Queue::parse(q)
                    .ok_or_else(|| ServiceError::invalid("queue", format!("{q:?} is not a queue")))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let state = match state {
            Some(s) => Some(JobState::parse(s).ok_or_else(|| {
                ServiceError::invalid("state", format!("{s:?} is not one of ready, running, dead"))
            })?),
            None => None,
        };
        let jobs = self
            .store
            .list_jobs(&JobFilter {
                queue,
                state,
                max_id: None,
                limit: limit.clamp(1, 1000),
            })
            .await?;
        Ok(jobs.into_iter().map(JobView::from).collect())
    }

    /// One job.
    pub async fn job(&self, id: Id) -> Result<JobView> {
        self.store
            .job(id)
            .await?
            .map(JobView::from)
            .ok_or(ServiceError::NotFound("job"))
    }

    /// Makes a dead job run again.
    pub async fn retry_job(&self, id: Id) -> Result<()> {
        if self.store.revive_job(id, self.clock.now()).await? {
            Ok(())
        } else {
            match self.store.job(id).await? {
                None => Err(ServiceError::NotFound("job")),
                Some(j) => Err(ServiceError::Conflict(format!(
                    "job {id} is {}, only dead jobs can be retried",
                    j.state.as_str()
                ))),
            }
        }
    }

    /// Deletes a job that is not running.
    pub async fn discard_job(&self, id: Id) -> Result<()> {
        if self.store.discard_job(id).await? {
            Ok(())
        } else {
            match self.store.job(id).await? {
                None => Err(ServiceError::NotFound("job")),
                Some(_) => Err(ServiceError::Conflict(format!(
                    "job {id} is running; discard it once it has settled"
                ))),
            }
        }
    }

    /// Counts for every queue (queues without jobs included, at zero).
    pub async fn queue_stats(&self) -> Result<Vec<QueueView>> {
        let now = self.clock.now();
        let mut by_name: BTreeMap<String, QueueStats> = self
            .store
            .queue_stats(now)
            .await?
            .into_iter()
            .map(|s| (s.queue.clone(), s))
            .collect();
        let mut out = Vec::new();
        for q in Queue::ALL {
            let s = by_name.remove(q.as_str()).unwrap_or(QueueStats {
                queue: q.as_str().to_owned(),
                ..QueueStats::default()
            });
            out.push(queue_view(s, now));
        }
        out.extend(by_name.into_values().map(|s| queue_view(s, now)));
        Ok(out)
    }

    /// Sets (or with `None` clears) a node's concurrency for a queue; running workers on that
    /// node pick it up within seconds.
    pub async fn set_queue_concurrency(
        &self,
        queue: &str,
        concurrency: Option<u32>,
        node: &str,
    ) -> Result<()> {
        let q = Queue::parse(queue)
            .ok_or_else(|| ServiceError::invalid("queue", format!("{queue:?} is not a queue")))?;
        if node.trim().is_empty() {
            return Err(ServiceError::invalid("node", "must not be empty"));
        }
        if concurrency.is_some_and(|n| n > 10_000) {
            return Err(ServiceError::invalid(
                "concurrency",
                "must be at most 10000",
            ));
        }
        self.store
            .set_concurrency(node, q.as_str(), concurrency, self.clock.now())
            .await?;
        Ok(())
    }

    /// A node's concurrency overrides.
    pub async fn queue_overrides(&self, node: &str) -> Result<Vec<(String, u32)>> {
        Ok(self.store.concurrency_overrides(node).await?)
    }
}
