//! Forwarding a report to the reported account's server: a `Flag` activity from the instance
//! actor (as Mastodon sends it, so the reporter stays anonymous there), naming the account and
//! the reported posts, with the reporter's comment. Sent by a job queued with the report; also
//! to the servers of the accounts the reported posts answer, when the reporter asked
//! (`forward_to_domains`), one job per server.

use rookery_activitypub::AS_CONTEXT;
use rookery_jobs::{JobError, JobSpec, Queue, Registry, RetryPolicy};
use rookery_model::Id;
use rookery_store::Transaction;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Result, ServiceError, Services};

/// Sends report `report_id` on to its target's server, or to `inbox`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForwardReport {
    pub report_id: Id,
    /// Another server's shared inbox (`forward_to_domains`); `None`: the target's server.
    #[serde(default)]
    pub inbox: Option<String>,
}

impl JobSpec for ForwardReport {
    const KIND: &'static str = "forward_report";
    const QUEUE: Queue = Queue::Push;

    /// About a day of retries, as other deliveries.
    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 14,
            base_delay_ms: 30_000,
            max_delay_ms: 4 * 3600 * 1000,
            timeout: std::time::Duration::from_secs(60),
        }
    }

    fn unique_key(&self) -> Option<String> {
        Some(match &self.inbox {
            None => format!("forward_report:{}", self.report_id),
            Some(inbox) => format!("forward_report:{}:{inbox}", self.report_id),
        })
    }
}

/// Queues the forwarding of `report_id` in `tx`: to the target's server (`inbox` `None`) or
/// to `inbox`.
pub(crate) async fn enqueue(
    s: &Services,
    tx: &mut dyn Transaction,
    report_id: Id,
    inbox: Option<String>,
) -> Result<()> {
    let job = ForwardReport { report_id, inbox };
    rookery_jobs::enqueue(tx, &s.ids, s.clock.now(), &job)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(())
}

/// The shared inboxes (else inboxes) of the servers, among `domains` (as the reporter named
/// them), of the accounts `statuses` answer — not the target's own server —, one per server.
pub(crate) async fn replied_to_inboxes(
    s: &Services,
    target: &rookery_model::Account,
    statuses: &[rookery_model::Status],
    domains: &[String],
) -> Result<Vec<String>> {
    let wanted: Vec<String> = domains
        .iter()
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    let own = target
        .domain
        .as_ref()
        .map(|d| d.as_str().to_ascii_lowercase());
    let mut seen = Vec::new();
    let mut inboxes = Vec::new();
    for st in statuses {
        let Some(parent) = st.in_reply_to_account_id else {
            continue;
        };
        let Some(a) = s.store.account(parent).await? else {
            continue;
        };
        let Some(domain) = a.domain.as_ref().map(|d| d.as_str().to_ascii_lowercase()) else {
            continue;
        };
        if Some(&domain) == own.as_ref() || !wanted.contains(&domain) || seen.contains(&domain) {
            continue;
        }
        if let Some(inbox) = a.shared_inbox_url.clone().or_else(|| a.inbox_url.clone()) {
            seen.push(domain);
            inboxes.push(inbox);
        }
    }
    Ok(inboxes)
}

/// Registers the report jobs.
pub fn register_jobs(registry: &mut Registry, services: &Services) {
    let s = services.clone();
    registry.register(move |job: ForwardReport, _ctx| {
        let s = s.clone();
        async move { forward(&s, &job).await }
    });
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

/// The `Flag` activity for a report.
pub(crate) fn flag_activity(
    s: &Services,
    report_id: Id,
    target_uri: &str,
    status_uris: &[String],
    comment: &str,
) -> Value {
    let mut object = vec![Value::String(target_uri.to_owned())];
    object.extend(status_uris.iter().cloned().map(Value::String));
    json!({
        "@context": AS_CONTEXT,
        "id": format!("{}/reports/{report_id}/flag", s.urls.base()),
        "type": "Flag",
        "actor": s.urls.instance_actor(),
        "content": comment,
        "object": object,
    })
}

async fn forward(s: &Services, job: &ForwardReport) -> std::result::Result<(), JobError> {
    let Some(report) = s
        .store
        .report_store()
        .report(job.report_id)
        .await
        .map_err(retry)?
    else {
        return Ok(()); // deleted meanwhile
    };
    let Some(target) = s
        .store
        .account(report.target_account_id)
        .await
        .map_err(retry)?
    else {
        return Ok(());
    };
    let (Some(target_uri), Some(inbox)) = (
        target.uri.clone(),
        job.inbox.clone().or_else(|| {
            target
                .shared_inbox_url
                .clone()
                .or_else(|| target.inbox_url.clone())
        }),
    ) else {
        return Ok(()); // a local account, or one we cannot reach
    };
    // Nothing goes to a suspended server.
    if let Some(host) = crate::federation::host_of(&inbox)
        && s.domain_block_for(&host)
            .await
            .map_err(retry)?
            .is_some_and(|b| b.severity == rookery_model::BlockSeverity::Suspend)
    {
        return Ok(());
    }
    let statuses = s.store.statuses(&report.status_ids).await.map_err(retry)?;
    let status_uris: Vec<String> = statuses.iter().filter_map(|st| st.uri.clone()).collect();
    let activity = flag_activity(s, report.id, &target_uri, &status_uris, &report.comment);
    let signer = s.instance_signer().await.map_err(retry)?;
    let body = activity.to_string().into_bytes();
    let headers = s
        .signed_headers("POST", &inbox, Some(&body), &signer)
        .map_err(|e| JobError::Fatal(e.to_string()))?;
    match s.federation.transport.post(&inbox, &headers, body).await {
        Ok(r) if (200..300).contains(&r.status) => Ok(()),
        Ok(r) if (400..500).contains(&r.status) && !matches!(r.status, 408 | 429) => {
            tracing::info!(inbox, status = r.status, "report forwarding refused");
            Ok(())
        }
        Ok(r) => Err(JobError::Retry(format!("{inbox} answered {}", r.status))),
        Err(e) => Err(JobError::Retry(format!("{inbox}: {e}"))),
    }
}
