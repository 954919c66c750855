//! Sending: the activities our users' actions produce, fanned out to inboxes (`federate`) and
//! delivered one signed POST per inbox (`deliver`), with retries, per-host availability and
//! metrics.

use std::collections::BTreeSet;

use rookery_activitypub::{AS_CONTEXT, PUBLIC};
use rookery_jobs::JobError;
use rookery_model::{Account, BlockSeverity, Id, Status, Visibility};
use rookery_store::Transaction;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{FederationCounters, TransportError, host_of};
use crate::{Result, ServiceError, Services};

/// Fans an activity out: to the sender's followers' servers and/or the given inboxes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Federate {
    pub sender: Id,
    pub activity_id: String,
    /// The activity (JSON).
    pub activity: String,
    /// Also every server where the sender has followers.
    pub followers: bool,
    pub inboxes: Vec<String>,
    /// Also every server this instance knows an account of (an actor's deletion).
    #[serde(default)]
    pub every_known_server: bool,
}

impl rookery_jobs::JobSpec for Federate {
    const KIND: &'static str = "federate";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Push;
    fn unique_key(&self) -> Option<String> {
        Some(format!(
            "federate:{}",
            crate::crypto::sha256_hex(&self.activity_id)
        ))
    }
}

/// One signed POST of an activity to one inbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deliver {
    pub sender: Id,
    pub inbox: String,
    pub activity_id: String,
    pub activity: String,
}

impl rookery_jobs::JobSpec for Deliver {
    const KIND: &'static str = "deliver";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Push;
    /// 14 attempts, 30 s doubling to 4 h: about a day of retries.
    fn policy() -> rookery_jobs::RetryPolicy {
        rookery_jobs::RetryPolicy {
            max_attempts: 14,
            base_delay_ms: 30_000,
            max_delay_ms: 4 * 3600 * 1000,
            timeout: std::time::Duration::from_secs(60),
        }
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!(
            "deliver:{}",
            crate::crypto::sha256_hex(&format!("{} {}", self.activity_id, self.inbox))
        ))
    }
}

/// An activity ready to be queued: built from reads done beforehand, so queueing it inside a
/// transaction needs no other connection.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub sender: Account,
    pub activity: Value,
    /// Also to every server where the sender has followers.
    pub followers: bool,
    pub inboxes: Vec<String>,
}

impl Outgoing {
    /// Queues it in `tx`.
    pub(crate) async fn enqueue(self, s: &Services, tx: &mut dyn Transaction) -> Result<()> {
        s.enqueue_federate(
            tx,
            &self.sender,
            &self.activity,
            self.followers,
            self.inboxes,
        )
        .await
    }
}

fn enqueue_err(e: rookery_jobs::EnqueueError) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

/// The inboxes of other hosts, ordered so that consecutive ones are on different hosts where
/// possible (workers take jobs in order; runs of one host would just hit its per-host limit and
/// be deferred).
fn interleave_hosts(inboxes: BTreeSet<String>, ours: &str) -> Vec<String> {
    let mut by_host: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for inbox in inboxes {
        if let Some(h) = host_of(&inbox).filter(|h| h != ours) {
            by_host.entry(h).or_default().push(inbox);
        }
    }
    let mut queues: Vec<std::vec::IntoIter<String>> =
        by_host.into_values().map(Vec::into_iter).collect();
    let mut out = Vec::new();
    loop {
        let before = out.len();
        for q in &mut queues {
            out.extend(q.next());
        }
        if out.len() == before {
            return out;
        }
    }
}

/// Where to send to reach `account`: its server's shared inbox when it has one.
fn inbox_of(account: &Account) -> Option<String> {
    account
        .shared_inbox_url
        .clone()
        .or_else(|| account.inbox_url.clone())
}

impl Services {
    pub(crate) fn actor_url(&self, account: &Account) -> String {
        match (&account.uri, account.is_local()) {
            (_, true) => self.urls.actor(account.username.as_str()),
            (Some(u), false) => u.clone(),
            (None, false) => String::new(),
        }
    }

    /// Queues `activity` from local `sender` inside `tx`.
    pub(crate) async fn enqueue_federate(
        &self,
        tx: &mut dyn Transaction,
        sender: &Account,
        activity: &Value,
        followers: bool,
        inboxes: Vec<String>,
    ) -> Result<()> {
        if !sender.is_local() {
            return Ok(());
        }
        let activity_id = activity
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| ServiceError::Internal("an activity without id".into()))?
            .to_owned();
        let job = Federate {
            sender: sender.id,
            activity_id,
            activity: activity.to_string(),
            followers,
            inboxes,
            every_known_server: false,
        };
        rookery_jobs::enqueue(tx, &self.ids, self.clock.now(), &job)
            .await
            .map_err(enqueue_err)?;
        Ok(())
    }

    /// The `federate` job: one `deliver` job per distinct inbox.
    pub(crate) async fn process_federate(&self, job: &Federate) -> Result<()> {
        let mut inboxes: BTreeSet<String> = job.inboxes.iter().cloned().collect();
        if job.followers {
            inboxes.extend(self.store.follower_inboxes(job.sender).await?);
        }
        if job.every_known_server {
            inboxes.extend(self.store.account_deletion_store().known_inboxes().await?);
        }
        let ours = self.settings.domain.as_str();
        let now = self.clock.now();
        // A thousand deliveries a transaction: an actor's deletion goes to every server known,
        // and one long transaction would hold SQLite's writer. Run again, the deliveries
        // already queued are not queued twice (their unique keys).
        for chunk in interleave_hosts(inboxes, ours).chunks(1000) {
            let mut tx = self.store.begin().await?;
            for inbox in chunk {
                let deliver = Deliver {
                    sender: job.sender,
                    inbox: inbox.clone(),
                    activity_id: job.activity_id.clone(),
                    activity: job.activity.clone(),
                };
                rookery_jobs::enqueue(tx.as_mut(), &self.ids, now, &deliver)
                    .await
                    .map_err(enqueue_err)?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// The `deliver` job.
    pub(crate) async fn process_deliver(&self, job: &Deliver) -> std::result::Result<(), JobError> {
        let counters = self.federation.counters.clone();
        let Some(host) = host_of(&job.inbox) else {
            return Err(JobError::Fatal(format!("not an inbox URL: {}", job.inbox)));
        };
        let now = self.clock.now();
        if self
            .domain_block_for(&host)
            .await
            .map_err(retry)?
            .is_some_and(|b| b.severity == BlockSeverity::Suspend)
        {
            return Ok(());
        }
        if self
            .store
            .delivery_host(&host)
            .await
            .map_err(retry)?
            .is_some_and(|h| h.unavailable_at(now))
        {
            FederationCounters::bump(&counters.delivery_skipped);
            return Ok(());
        }
        let Some(sender) = self.store.account(job.sender).await.map_err(retry)? else {
            return Ok(()); // the account is gone
        };
        let signer = self.signer_for(&sender).map_err(retry)?;
        let body = job.activity.as_bytes().to_vec();
        let scheme = self.signature_scheme_for(&job.inbox);
        let sign = |scheme| {
            self.signed_headers_with(scheme, "POST", &job.inbox, Some(&body), &signer)
                .map_err(|e| JobError::Fatal(e.to_string()))
        };
        let transport = &self.federation.transport;
        let mut outcome = transport
            .post(&job.inbox, &sign(scheme)?, body.clone())
            .await;
        if matches!(&outcome, Ok(r) if r.status == 401) {
            // Double knock: the other signature scheme, once.
            FederationCounters::bump(&counters.second_knocks);
            let other = scheme.other();
            outcome = transport.post(&job.inbox, &sign(other)?, body).await;
            if matches!(&outcome, Ok(r) if (200..300).contains(&r.status)) {
                self.remember_signature_scheme(&job.inbox, other);
            }
        }
        let failure = match outcome {
            Ok(r) if (200..300).contains(&r.status) => {
                FederationCounters::bump(&counters.delivered);
                self.host_reached(&host).await.map_err(retry)?;
                return Ok(());
            }
            Ok(r) if (400..500).contains(&r.status) && !matches!(r.status, 408 | 429) => {
                // The server is up and said no: retrying would not change its mind.
                FederationCounters::bump(&counters.delivery_refused);
                self.host_reached(&host).await.map_err(retry)?;
                tracing::info!(inbox = %job.inbox, status = r.status, "delivery refused");
                return Ok(());
            }
            Ok(r) => format!("{} answered {}", job.inbox, r.status),
            Err(TransportError::Refused(m)) => {
                FederationCounters::bump(&counters.delivery_refused);
                return Err(JobError::Fatal(m));
            }
            Err(TransportError::Busy(h)) => {
                // Another few deliveries to this host are in flight: let other hosts' jobs use
                // this slot and come back in 0.25–0.75 s, without using up an attempt.
                let mut spread = [0u8; 1];
                self.random.fill(&mut spread);
                return Err(JobError::Defer {
                    reason: format!("{h} busy"),
                    after: std::time::Duration::from_millis(250 + u64::from(spread[0]) * 2),
                });
            }
            Err(e) => format!("{}: {e}", job.inbox),
        };
        FederationCounters::bump(&counters.delivery_failed);
        if let Ok(mut healthy) = self.federation.healthy_hosts.lock() {
            healthy.remove(&host);
        }
        let fed = &self.settings.federation;
        let mut tx = self.store.begin().await.map_err(retry)?;
        let record = tx
            .delivery_failed(
                &host,
                now,
                fed.unavailable_after_secs * 1000,
                fed.unavailable_for_secs * 1000,
            )
            .await
            .map_err(retry)?;
        tx.commit().await.map_err(retry)?;
        if record.is_some_and(|h| h.unavailable_at(now)) {
            tracing::warn!(host, "deliveries keep failing; host marked unavailable");
        }
        Err(JobError::Retry(failure))
    }

    /// Records that `host` answered (at most once a minute per process while it stays
    /// healthy).
    async fn host_reached(&self, host: &str) -> Result<()> {
        let now = self.clock.now();
        let recent = self.federation.healthy_hosts.lock().is_ok_and(|h| {
            h.get(host)
                .is_some_and(|t| t.as_millis() + 60_000 > now.as_millis())
        });
        if recent {
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        tx.delivery_succeeded(host, now).await?;
        tx.commit().await?;
        if let Ok(mut h) = self.federation.healthy_hosts.lock() {
            if h.len() > 10_000 {
                h.clear();
            }
            h.insert(host.to_owned(), now);
        }
        Ok(())
    }

    // ---- the activities -------------------------------------------------------------------

    /// `Follow` from local `follower` to remote `target`, with id `uri`.
    pub(crate) fn follow_activity(&self, follower: &Account, target: &Account, uri: &str) -> Value {
        json!({
            "@context": AS_CONTEXT,
            "id": uri,
            "type": "Follow",
            "actor": self.actor_url(follower),
            "object": self.actor_url(target),
        })
    }

    /// `Undo` of `inner` by local `actor`.
    pub(crate) fn undo_activity(&self, actor: &Account, inner: Value) -> Value {
        let inner_id = inner.get("id").and_then(Value::as_str).unwrap_or_default();
        json!({
            "@context": AS_CONTEXT,
            "id": format!("{inner_id}/undo/{}", self.ids.next_id()),
            "type": "Undo",
            "actor": self.actor_url(actor),
            "object": inner,
        })
    }

    /// Queues an `Accept` (or `Reject`) of `follower`'s `Follow` (id `follow_uri`) of `target`.
    pub(crate) async fn enqueue_answer(
        &self,
        tx: &mut dyn Transaction,
        target: &Account,
        follower: &Account,
        follow_uri: &str,
        accept: bool,
    ) -> Result<()> {
        if follower.is_local() {
            return Ok(());
        }
        let kind = if accept { "Accept" } else { "Reject" };
        let activity = json!({
            "@context": AS_CONTEXT,
            "id": format!("{}#{}/{}", self.actor_url(target), kind.to_ascii_lowercase(), self.ids.next_id()),
            "type": kind,
            "actor": self.actor_url(target),
            "object": {
                "id": follow_uri,
                "type": "Follow",
                "actor": self.actor_url(follower),
                "object": self.actor_url(target),
            },
        });
        let inbox = follower.inbox_url.clone().into_iter().collect();
        self.enqueue_federate(tx, target, &activity, false, inbox)
            .await
    }

    /// `Like` of a status by local `actor`. Each gets a fresh id (peers undo a like by its
    /// actor and object, and an id used again could be taken for a repeat).
    pub(crate) async fn like_activity(&self, actor: &Account, status: &Status) -> Result<Value> {
        let author = self
            .store
            .account(status.account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let object = self.status_uri(&author, status);
        Ok(json!({
            "@context": AS_CONTEXT,
            "id": format!("{}#likes/{}", self.actor_url(actor), self.ids.next_id()),
            "type": "Like",
            "actor": self.actor_url(actor),
            "object": object,
        }))
    }

    /// `Block` of `target` by local `actor`.
    pub(crate) fn block_activity(&self, actor: &Account, target: &Account) -> Value {
        json!({
            "@context": AS_CONTEXT,
            "id": format!("{}#blocks/{}", self.actor_url(actor), self.ids.next_id()),
            "type": "Block",
            "actor": self.actor_url(actor),
            "object": self.actor_url(target),
        })
    }

    /// The ActivityPub id of any status.
    pub(crate) fn status_uri(&self, author: &Account, status: &Status) -> String {
        if status.local {
            self.urls.status(author.username.as_str(), status.id)
        } else {
            status.uri.clone().unwrap_or_default()
        }
    }

    /// Inboxes of remote accounts (shared where known), by id.
    pub(crate) async fn inboxes_of(&self, ids: &[Id]) -> Result<Vec<String>> {
        Ok(self
            .store
            .accounts(ids)
            .await?
            .iter()
            .filter(|a| !a.is_local())
            .filter_map(inbox_of)
            .collect())
    }

    /// Who a local status goes to besides followers: mentioned remote accounts, the remote
    /// author of the post it replies to or boosts.
    pub(super) async fn extra_inboxes(&self, status: &Status) -> Result<Vec<String>> {
        let mut ids: Vec<Id> = self
            .store
            .mentions(&[status.id])
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        ids.extend(status.in_reply_to_account_id);
        // The quoted author's server hears of a public quote.
        if matches!(status.visibility, Visibility::Public | Visibility::Unlisted) {
            ids.extend(
                self.store
                    .quote_store()
                    .quotes_by(&[status.id])
                    .await?
                    .iter()
                    .filter_map(|q| q.quoted_account_id),
            );
        }
        if let Some(original) = status.reblog_of_id
            && let Some(o) = self.store.status(original).await?
        {
            ids.push(o.account_id);
        }
        let mut inboxes = self.inboxes_of(&ids).await?;
        // Local public posts go to the relays this instance subscribes to, as Mastodon's do.
        if status.local && status.visibility == Visibility::Public && status.reblog_of_id.is_none()
        {
            inboxes.extend(self.relay_inboxes().await?);
        }
        Ok(inboxes)
    }

    /// The `Create` or `Announce` of a newly stored local status or reblog, for every server
    /// that should have it. Reads only: call it before opening the transaction that queues it
    /// (a transaction waiting for a second connection can starve a PostgreSQL pool).
    pub(crate) async fn new_status_outgoing(&self, status: &Status) -> Result<Option<Outgoing>> {
        if !status.local {
            return Ok(None);
        }
        let Some(author) = self.store.account(status.account_id).await? else {
            return Ok(None);
        };
        let Some(activity) = self.activity_of(&author, status).await? else {
            return Ok(None);
        };
        let mut activity = serde_json::to_value(activity)
            .map_err(|e| ServiceError::Internal(format!("rendering an activity: {e}")))?;
        activity["@context"] = rookery_activitypub::outgoing::note_context();
        Ok(Some(Outgoing {
            inboxes: self.extra_inboxes(status).await?,
            followers: status.visibility != Visibility::Direct,
            sender: author,
            activity,
        }))
    }

    /// After a local status is edited: `Update` with the new note.
    pub(crate) async fn federate_edit(&self, status: &Status) -> Result<()> {
        let suffix = status.edited_at.map_or(0, |t| t.as_millis()).to_string();
        self.federate_note_update(status, &suffix).await
    }

    /// `Update` of a local status's note, with the id `…#updates/{suffix}` (an edit's time, or
    /// something fresh when its quote or quote policy changed).
    pub(crate) async fn federate_note_update(&self, status: &Status, suffix: &str) -> Result<()> {
        if !status.local || status.reblog_of_id.is_some() {
            return Ok(());
        }
        let Some(author) = self.store.account(status.account_id).await? else {
            return Ok(());
        };
        let note = self.note(&author, status).await?;
        let activity = json!({
            "@context": rookery_activitypub::outgoing::note_context(),
            "id": format!("{}#updates/{suffix}", note.id),
            "type": "Update",
            "actor": self.actor_url(&author),
            "published": status.edited_at.unwrap_or(status.updated_at).to_rfc3339(),
            "to": note.to,
            "cc": note.cc,
            "object": note,
        });
        let inboxes = self.extra_inboxes(status).await?;
        let mut tx = self.store.begin().await?;
        self.enqueue_federate(
            tx.as_mut(),
            &author,
            &activity,
            status.visibility != Visibility::Direct,
            inboxes,
        )
        .await?;
        Ok(tx.commit().await?)
    }

    /// The `Delete` (or, for a reblog, `Undo` of the `Announce`) of a local status about to be
    /// deleted. Reads only (mentions, the original): call it before the status is gone and
    /// before opening the transaction that queues it.
    pub(crate) async fn removal_outgoing(
        &self,
        author: &Account,
        status: &Status,
    ) -> Result<Option<Outgoing>> {
        if !status.local {
            return Ok(None);
        }
        let inboxes = self.extra_inboxes(status).await?;
        let activity = if status.reblog_of_id.is_some() {
            match self.activity_of(author, status).await? {
                Some(announce) => {
                    let inner = serde_json::to_value(announce)
                        .map_err(|e| ServiceError::Internal(e.to_string()))?;
                    self.undo_activity(author, inner)
                }
                None => return Ok(None),
            }
        } else {
            let uri = self.status_uri(author, status);
            json!({
                "@context": AS_CONTEXT,
                "id": format!("{uri}#delete"),
                "type": "Delete",
                "actor": self.actor_url(author),
                "to": [PUBLIC],
                "object": { "id": uri, "type": "Tombstone" },
            })
        };
        Ok(Some(Outgoing {
            sender: author.clone(),
            activity,
            followers: status.visibility != Visibility::Direct,
            inboxes,
        }))
    }

    /// After a local profile changes: `Update` of the actor to every follower's server.
    pub(crate) async fn federate_profile(&self, account: &Account) -> Result<()> {
        let actor = self.local_actor_document(account).await?;
        let actor =
            serde_json::to_value(actor).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let activity = json!({
            "@context": AS_CONTEXT,
            "id": format!("{}#updates/{}", self.actor_url(account), account.updated_at.as_millis()),
            "type": "Update",
            "actor": self.actor_url(account),
            "to": [PUBLIC],
            "object": actor,
        });
        let mut tx = self.store.begin().await?;
        self.enqueue_federate(tx.as_mut(), account, &activity, true, Vec::new())
            .await?;
        Ok(tx.commit().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::interleave_hosts;

    #[test]
    fn inboxes_alternate_between_hosts() {
        let inboxes = [
            "https://a.example/u/1/inbox",
            "https://a.example/u/2/inbox",
            "https://a.example/u/3/inbox",
            "https://b.example/inbox",
            "https://c.example:8443/u/1/inbox",
            "https://c.example:8443/u/2/inbox",
            "https://ours.example/users/x/inbox",
            "not a url",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        assert_eq!(
            interleave_hosts(inboxes, "ours.example"),
            vec![
                "https://a.example/u/1/inbox",
                "https://b.example/inbox",
                "https://c.example:8443/u/1/inbox",
                "https://a.example/u/2/inbox",
                "https://c.example:8443/u/2/inbox",
                "https://a.example/u/3/inbox",
            ]
        );
    }
}
