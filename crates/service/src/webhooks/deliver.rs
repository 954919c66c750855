//! Sending events: rendering the object once, one delivery per webhook, signed bodies, retries;
//! and the periodic look for jobs that went dead (`job.dead`).

use aws_lc_rs::hmac;
use rookery_jobs::{JobError, JobSpec, Queue, RetryPolicy};
use rookery_model::{Id, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{EmitWebhook, WebhookObject, Webhooks};
use crate::ServiceError;
use crate::federation::TransportError;

/// The header carrying the body's signature: `sha256=` and the hex HMAC-SHA256 of the body
/// under the webhook's secret, as Mastodon sends it.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature";

/// Sends one event's body to one webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliverWebhook {
    pub webhook_id: Id,
    pub event: String,
    /// The event as JSON (`event`, `created_at`, `object`); a template is applied when sent.
    pub payload: Value,
}

impl JobSpec for DeliverWebhook {
    const KIND: &'static str = "deliver_webhook";
    const QUEUE: Queue = Queue::Default;

    /// 12 attempts, 5 s doubling up to an hour (about two and a half hours in all): a receiver that is
    /// down for a deploy gets its events when it is back.
    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 12,
            base_delay_ms: 5_000,
            max_delay_ms: 3600 * 1000,
            timeout: std::time::Duration::from_secs(60),
        }
    }
}

/// Looks for jobs that went dead since the last look and sends `job.dead` for each.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportDeadJobs {}

impl JobSpec for ReportDeadJobs {
    const KIND: &'static str = "report_dead_jobs";
    const QUEUE: Queue = Queue::Scheduler;
}

/// Where the last look for dead jobs stopped (the newest `updated_at` seen).
const DEAD_JOBS_SEEN: &str = "webhooks.dead_jobs_seen_at";
/// At most this many `job.dead` events per look (a mass failure is one alert, not a flood).
const DEAD_JOBS_PER_LOOK: u32 = 100;

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

/// The signature header's value for `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

impl Webhooks<'_> {
    /// Runs an [`EmitWebhook`] job.
    pub(crate) async fn run_emit(&self, job: &EmitWebhook) -> Result<(), JobError> {
        let Some(object) = self.render(job.object).await.map_err(retry)? else {
            // Gone before it could be told: nothing to send.
            return Ok(());
        };
        let payload = json!({
            "event": job.event,
            "created_at": rookery_model::Timestamp::from_millis(job.created_at_ms).to_rfc3339(),
            "object": object,
        });
        // Read afresh: a webhook added on another node since this one cached the list gets it.
        self.forget();
        let hooks = self.enabled().await.map_err(retry)?;
        let wanted: Vec<_> = hooks
            .iter()
            .filter(|h| h.events.contains(&job.event))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await.map_err(retry)?;
        for hook in wanted {
            let delivery = DeliverWebhook {
                webhook_id: hook.id,
                event: job.event.clone(),
                payload: payload.clone(),
            };
            rookery_jobs::enqueue(tx.as_mut(), &self.s.ids, now, &delivery)
                .await
                .map_err(retry)?;
        }
        tx.commit().await.map_err(retry)?;
        Ok(())
    }

    /// The object of an event as the webhook receives it; `None` when it is gone.
    async fn render(&self, object: WebhookObject) -> crate::Result<Option<Value>> {
        let s = self.s;
        let value = match object {
            WebhookObject::Account(id) => match s.store.account(id).await? {
                Some(a) => serde_json::to_value(s.admin_account_entity(&a).await?),
                None => return Ok(None),
            },
            WebhookObject::Status(id) => match s.store.status(id).await? {
                Some(st) => match s.status_entities(None, &[st]).await?.pop() {
                    Some(entity) => serde_json::to_value(entity),
                    None => return Ok(None),
                },
                None => return Ok(None),
            },
            WebhookObject::Report(id) => match s.store.report_store().report(id).await? {
                Some(r) => serde_json::to_value(s.admin_report_entity(&r).await?),
                None => return Ok(None),
            },
            WebhookObject::Job(id) => match s.store.job(id).await? {
                // Not the payload: it may hold what only its owner should see (a mailed link).
                Some(j) => Ok(json!({
                    "id": j.id.to_string(),
                    "queue": j.queue,
                    "kind": j.kind,
                    "state": j.state.as_str(),
                    "attempts": j.attempts,
                    "max_attempts": j.max_attempts,
                    "last_error": j.last_error,
                    "created_at": j.created_at.to_rfc3339(),
                    "updated_at": j.updated_at.to_rfc3339(),
                })),
                None => return Ok(None),
            },
        };
        value
            .map(Some)
            .map_err(|e| ServiceError::Internal(format!("webhook object: {e}")))
    }

    /// Runs a [`DeliverWebhook`] job: a 2xx answer is delivered, anything else is retried.
    pub(crate) async fn run_deliver(&self, job: &DeliverWebhook) -> Result<(), JobError> {
        let hook = match self.s.store.webhook_store().webhook(job.webhook_id).await {
            Ok(Some(h)) if h.enabled && h.events.contains(&job.event) => h,
            // Deleted, turned off or no longer wanting it since: not sent.
            Ok(_) => return Ok(()),
            Err(e) => return Err(retry(e)),
        };
        let body = match &hook.template {
            Some(t) => super::template::render(t, &job.payload).into_bytes(),
            None => serde_json::to_vec(&job.payload).map_err(retry)?,
        };
        let headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            (SIGNATURE_HEADER.to_owned(), sign(&hook.secret, &body)),
        ];
        let transport = self.s.federation.transport.clone();
        // The error names the webhook and its host only: the URL's path is often its
        // credential (Slack, Discord, Mattermost), and errors are shown to operators.
        let host = super::endpoint(&hook.url);
        let id = hook.id;
        match transport.post(&hook.url, &headers, body).await {
            Ok(r) if (200..300).contains(&r.status) => Ok(()),
            Ok(r) => Err(JobError::Retry(format!(
                "webhook {id} ({host}) answered {}",
                r.status
            ))),
            Err(TransportError::Refused(_)) => Err(JobError::Retry(format!(
                "webhook {id} ({host}): the address is private and not allowed"
            ))),
            // It answered, with more than we read: it received the event.
            Err(TransportError::TooLarge) => Ok(()),
            Err(TransportError::Busy(_)) => Err(JobError::Retry(format!(
                "webhook {id} ({host}): too many requests in flight"
            ))),
            Err(TransportError::Failed(_)) => Err(JobError::Retry(format!(
                "webhook {id} ({host}): no answer (connection, TLS or timeout)"
            ))),
        }
    }

    /// Runs a [`ReportDeadJobs`] job: `job.dead` for each job that went dead since the last
    /// look (the first look only starts counting).
    pub async fn report_dead_jobs(&self) -> Result<u32, JobError> {
        let now = self.s.clock.now();
        let seen = self
            .s
            .store
            .setting(DEAD_JOBS_SEEN)
            .await
            .map_err(retry)?
            .and_then(|v| v.parse::<i64>().ok());
        let Some(seen) = seen else {
            let mut tx = self.s.store.begin().await.map_err(retry)?;
            tx.put_setting(DEAD_JOBS_SEEN, &now.as_millis().to_string(), now)
                .await
                .map_err(retry)?;
            tx.commit().await.map_err(retry)?;
            return Ok(0);
        };
        let dead = self
            .s
            .store
            .webhook_store()
            .dead_jobs_since(Timestamp::from_millis(seen), DEAD_JOBS_PER_LOOK)
            .await
            .map_err(retry)?;
        // Where this look stopped: the next one goes on from there (a burst of more than
        // [`DEAD_JOBS_PER_LOOK`] is told over several minutes, not dropped).
        let newest = dead.last().map_or(seen, |(_, _, at)| at.as_millis());
        // Webhook jobs are not told of by webhook: a receiver that is down would be told of
        // its own failures, and each of those would fail too.
        let fresh: Vec<Id> = dead
            .iter()
            .filter(|(_, kind, _)| kind != EmitWebhook::KIND && kind != DeliverWebhook::KIND)
            .map(|(id, _, _)| *id)
            .collect();
        self.forget();
        let mut tx = self.s.store.begin().await.map_err(retry)?;
        for id in &fresh {
            self.emit(tx.as_mut(), "job.dead", WebhookObject::Job(*id))
                .await
                .map_err(retry)?;
        }
        tx.put_setting(DEAD_JOBS_SEEN, &newest.to_string(), now)
            .await
            .map_err(retry)?;
        tx.commit().await.map_err(retry)?;
        Ok(u32::try_from(fresh.len()).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn each_secret_signs_differently() {
        assert_ne!(sign("a", b"x"), sign("b", b"x"));
        assert_ne!(sign("a", b"x"), sign("a", b"y"));
    }
}
