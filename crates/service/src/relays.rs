//! Relays (Mastodon's admin feature): the instance subscribes to a relay by sending its inbox
//! a `Follow` of the public collection from the instance actor; once the relay accepts, local
//! public posts are delivered to it too, and the posts it announces from other servers are
//! stored and shown in the federated timeline (they are not boosts).

use rookery_store::{Relay, RelayState};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::federation::host_of;
use crate::{Result, ServiceError, Services};

/// Relay administration ([`Services::relays`]).
pub struct Relays<'a> {
    s: &'a Services,
}

impl Services {
    /// Relay administration.
    pub fn relays(&self) -> Relays<'_> {
        Relays { s: self }
    }
}

/// Sends a relay the instance actor's `Follow` (or its `Undo`) (the `push` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RelaySubscription {
    pub inbox: String,
    pub follow_activity_id: String,
    pub undo: bool,
}

impl rookery_jobs::JobSpec for RelaySubscription {
    const KIND: &'static str = "relay_subscription";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Push;
    fn policy() -> rookery_jobs::RetryPolicy {
        rookery_jobs::RetryPolicy {
            max_attempts: 10,
            base_delay_ms: 30_000,
            max_delay_ms: 3600 * 1000,
            timeout: std::time::Duration::from_secs(60),
        }
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!(
            "relay_subscription:{}:{}",
            crate::crypto::sha256_hex(&self.follow_activity_id),
            self.undo
        ))
    }
}

impl Relays<'_> {
    /// Every relay, oldest first.
    pub async fn list(&self) -> Result<Vec<Relay>> {
        Ok(self.s.store.relay_store().relays().await?)
    }

    /// Subscribes to the relay whose inbox is `inbox_url` (an http(s) URL on another server).
    pub async fn add(&self, inbox_url: &str) -> Result<Relay> {
        let inbox = url::Url::parse(inbox_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
            .ok_or_else(|| ServiceError::invalid("inbox_url", "is not an http(s) URL"))?;
        let host = host_of(inbox.as_str())
            .ok_or_else(|| ServiceError::invalid("inbox_url", "is not an http(s) URL"))?;
        if host.eq_ignore_ascii_case(self.s.settings.domain.as_str()) {
            return Err(ServiceError::invalid("inbox_url", "is this server's own"));
        }
        let now = self.s.clock.now();
        let id = self.s.ids.next_id();
        let relay = Relay {
            id,
            inbox_url: inbox.to_string(),
            follow_activity_id: format!("{}#relays/{id}", self.s.urls.instance_actor()),
            state: RelayState::Pending,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.s.store.begin().await?;
        if !tx.relays().insert_relay(&relay).await? {
            return Err(ServiceError::invalid(
                "inbox_url",
                "is subscribed to already",
            ));
        }
        self.s
            .enqueue_relay_subscription(tx.as_mut(), &relay, false)
            .await?;
        tx.commit().await?;
        Ok(relay)
    }

    /// Unsubscribes from a relay (given by inbox URL): it is sent an `Undo` of the `Follow`.
    /// `false` if there was no such relay.
    pub async fn remove(&self, inbox_url: &str) -> Result<bool> {
        let wanted = inbox_url.trim();
        let Some(relay) = self
            .list()
            .await?
            .into_iter()
            .find(|r| r.inbox_url == wanted || r.inbox_url.trim_end_matches('/') == wanted)
        else {
            return Ok(false);
        };
        let mut tx = self.s.store.begin().await?;
        tx.relays().delete_relay(relay.id).await?;
        self.s
            .enqueue_relay_subscription(tx.as_mut(), &relay, true)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}

impl Services {
    async fn enqueue_relay_subscription(
        &self,
        tx: &mut dyn rookery_store::Transaction,
        relay: &Relay,
        undo: bool,
    ) -> Result<()> {
        let job = RelaySubscription {
            inbox: relay.inbox_url.clone(),
            follow_activity_id: relay.follow_activity_id.clone(),
            undo,
        };
        rookery_jobs::enqueue(tx, &self.ids, self.clock.now(), &job)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// The inboxes of the relays that accepted this instance (public posts go there too).
    pub(crate) async fn relay_inboxes(&self) -> Result<Vec<String>> {
        Ok(self
            .store
            .relay_store()
            .relays()
            .await?
            .into_iter()
            .filter(|r| r.state == RelayState::Accepted)
            .map(|r| r.inbox_url)
            .collect())
    }

    /// A relay's answer to the instance actor's `Follow` (`follow_id`), sent by `sender`;
    /// `false` if the id names no relay. Only an actor on the relay's own server answers for it.
    pub(crate) async fn relay_answered(
        &self,
        sender: &rookery_model::Account,
        follow_id: &str,
        accepted: bool,
    ) -> Result<bool> {
        let Some(relay) = self.store.relay_store().relay_by_follow(follow_id).await? else {
            return Ok(false);
        };
        if sender.uri.as_deref().and_then(host_of) != host_of(&relay.inbox_url) {
            tracing::info!(relay = %relay.inbox_url, sender = %sender.id, "a relay answer from elsewhere ignored");
            return Ok(true);
        }
        let state = if accepted {
            RelayState::Accepted
        } else {
            RelayState::Rejected
        };
        let mut tx = self.store.begin().await?;
        tx.relays()
            .set_relay_state(relay.id, state, self.clock.now())
            .await?;
        tx.commit().await?;
        tracing::info!(relay = %relay.inbox_url, state = state.as_str(), "relay answered");
        Ok(true)
    }

    /// Whether `actor` is a relay that accepted this instance: on the relay's server, with
    /// the relay's inbox as its inbox or shared inbox (an actor elsewhere naming a relay's
    /// inbox as its own is not one).
    pub(crate) async fn is_relay(&self, actor: &rookery_model::Account) -> Result<bool> {
        let host = actor.uri.as_deref().and_then(host_of);
        let inboxes = [
            actor.inbox_url.as_deref(),
            actor.shared_inbox_url.as_deref(),
        ];
        Ok(self.relay_inboxes().await?.iter().any(|r| {
            host.is_some()
                && host_of(r) == host
                && inboxes.iter().flatten().any(|i| *i == r.as_str())
        }))
    }

    /// The `relay_subscription` job: the `Follow` (or `Undo`) signed by the instance actor.
    pub(crate) async fn send_relay_subscription(
        &self,
        job: &RelaySubscription,
    ) -> std::result::Result<(), rookery_jobs::JobError> {
        use rookery_jobs::JobError;
        let retry = |e: String| JobError::Retry(e);
        let actor = self.urls.instance_actor();
        let follow = json!({
            "@context": rookery_activitypub::AS_CONTEXT,
            "id": job.follow_activity_id,
            "type": "Follow",
            "actor": actor,
            "object": rookery_activitypub::PUBLIC,
        });
        let activity = if job.undo {
            json!({
                "@context": rookery_activitypub::AS_CONTEXT,
                "id": format!("{}/undo", job.follow_activity_id),
                "type": "Undo",
                "actor": actor,
                "object": follow,
            })
        } else {
            follow
        };
        let signer = self
            .instance_signer()
            .await
            .map_err(|e| retry(e.to_string()))?;
        let body = activity.to_string().into_bytes();
        let headers = self
            .signed_headers("POST", &job.inbox, Some(&body), &signer)
            .map_err(|e| JobError::Fatal(e.to_string()))?;
        match self
            .federation
            .transport
            .post(&job.inbox, &headers, body)
            .await
        {
            Ok(r) if (200..300).contains(&r.status) => Ok(()),
            Ok(r) if (400..500).contains(&r.status) && !matches!(r.status, 408 | 429) => {
                tracing::warn!(
                    inbox = job.inbox,
                    status = r.status,
                    "relay refused the subscription"
                );
                Ok(())
            }
            Ok(r) => Err(retry(format!("{} answered {}", job.inbox, r.status))),
            Err(e) => Err(retry(format!("{}: {e}", job.inbox))),
        }
    }
}
