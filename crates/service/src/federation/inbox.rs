//! Receiving: an inbox POST is checked (size, signature, digest, date, domain, authorship) and
//! queued for the `ingress` queue; nothing else happens while the sender waits.

use rookery_activitypub::keys::PublicKey;
use rookery_activitypub::signatures::{self, Incoming};
use rookery_activitypub::vocab::{Activity, NON_ACTIVITY_TYPES, ParseError};
use rookery_model::{Account, BlockSeverity};

use super::actors::ResolveError;
use super::ingress::Ingress;
use super::signing::RequestParts;
use super::{ActivityOutcome, FederationCounters, host_of};
use crate::Services;

/// A request to an inbox (or a signed GET), as the HTTP layer hands it over.
#[derive(Debug, Clone)]
pub struct InboundRequest {
    pub parts: RequestParts,
    pub body: Vec<u8>,
}

/// Why an inbox refused a request (each maps to an HTTP status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboxError {
    /// 401: missing or bad signature, digest or date.
    #[error("{0}")]
    Unauthorized(String),
    /// 400: not an activity we can read.
    #[error("{0}")]
    Invalid(String),
    /// 404: no such inbox.
    #[error("no such inbox")]
    NoInbox,
    /// 413: the body is over the limit.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// 503: the signer's key could not be fetched right now (its server is down, slow or
    /// erroring); the sender should try again later.
    #[error("the signer's key could not be fetched: {0}")]
    KeyUnavailable(String),
    /// 503: we could not check (our own database is unreachable).
    #[error("{0}")]
    Unavailable(String),
}

impl InboxError {
    /// The `outcome` label of `rookery_federation_total{what="inbox"}`.
    pub fn outcome(&self) -> &'static str {
        match self {
            InboxError::Unauthorized(_) => "unauthorized",
            InboxError::Invalid(_) => "invalid",
            InboxError::NoInbox => "no_inbox",
            InboxError::TooLarge(_) => "too_large",
            InboxError::KeyUnavailable(_) => "key_unavailable",
            InboxError::Unavailable(_) => "unavailable",
        }
    }

    /// Whether the sender should retry (503 rather than a 4xx).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            InboxError::KeyUnavailable(_) | InboxError::Unavailable(_)
        )
    }
}

/// What became of an accepted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Queued for processing.
    Queued,
    /// Valid, but dropped (a blocked domain, a repeat, a deleted actor we never knew).
    Dropped,
}

fn unauthorized(e: impl std::fmt::Display) -> InboxError {
    InboxError::Unauthorized(e.to_string())
}

/// The actor id a `keyId` belongs to (`…/users/x#main-key`, `…/users/x/main-key`).
fn actor_of_key(key_id: &str) -> String {
    let base = key_id.split('#').next().unwrap_or(key_id);
    base.strip_suffix("/main-key")
        .or_else(|| base.strip_suffix("/publickey"))
        .unwrap_or(base)
        .to_owned()
}

impl Services {
    /// Checks the signature on a request and returns the signing account. `has_body` requires a
    /// `Digest` to be covered (and the caller to have checked it).
    pub async fn verify_signature(
        &self,
        parts: &RequestParts,
        has_body: bool,
    ) -> Result<Account, InboxError> {
        let sig = Incoming::from_request(parts).map_err(unauthorized)?;
        sig.ensure_covers(has_body).map_err(unauthorized)?;
        // A request signed for another server must not be replayable here.
        let host = parts.header("host").unwrap_or_default();
        if !self.is_our_host(host) {
            return Err(InboxError::Unauthorized(format!(
                "the request was signed for {host:?}, not {}",
                self.settings.domain
            )));
        }
        sig.check_time(
            parts,
            self.clock.now().as_millis() / 1000,
            self.settings.federation.max_clock_skew_secs,
        )
        .map_err(unauthorized)?;
        let actor_uri = actor_of_key(sig.key_id());
        if host_of(&actor_uri).is_none() {
            return Err(InboxError::Unauthorized(format!(
                "keyId {:?} is not a URL",
                sig.key_id()
            )));
        }
        let account = match self.actor_for_signature(&actor_uri).await {
            Ok(a) => a,
            Err(ResolveError::Failed(m)) => return Err(InboxError::KeyUnavailable(m)),
            Err(e) => return Err(InboxError::Unauthorized(format!("signer {actor_uri}: {e}"))),
        };
        if account.is_local() {
            return Err(InboxError::Unauthorized("signed with a local key".into()));
        }
        let scheme = if self.settings.https { "https" } else { "http" };
        // The actor's keys: its `publicKey`, then any FEP-521a Multikeys.
        let check = |account: &Account| {
            let mut first_error = None;
            for key in PublicKey::all_from_pem(&account.public_key_pem) {
                match sig.verify(parts, scheme, &key) {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            Err(first_error.unwrap_or(signatures::SignatureError::Key))
        };
        if check(&account).is_ok() {
            self.count_verified(&sig);
            return Ok(account);
        }
        // Maybe the key changed: fetch the actor once more before refusing — but not again
        // for a while, whatever arrives in its name.
        if !self.may_refetch_key(&actor_uri) {
            FederationCounters::bump(&self.federation.counters.key_refetches_skipped);
            return Err(InboxError::Unauthorized(format!(
                "the signature does not match the key of {actor_uri}, fetched again moments ago"
            )));
        }
        FederationCounters::bump(&self.federation.counters.key_refetches);
        let refreshed = match self.resolve_actor(&actor_uri, true).await {
            Ok(a) => a,
            Err(ResolveError::Failed(m)) => return Err(InboxError::KeyUnavailable(m)),
            Err(e) => return Err(InboxError::Unauthorized(format!("signer {actor_uri}: {e}"))),
        };
        check(&refreshed).map_err(unauthorized)?;
        self.count_verified(&sig);
        Ok(refreshed)
    }

    fn count_verified(&self, sig: &Incoming) {
        let counters = &self.federation.counters;
        FederationCounters::bump(match sig {
            Incoming::Cavage(_) => &counters.verified_cavage,
            Incoming::Message(_) => &counters.verified_rfc9421,
        });
    }

    /// Whether `actor`'s key may be fetched again now (and, if so, notes that it is).
    fn may_refetch_key(&self, actor: &str) -> bool {
        let now = self.clock.now();
        let Ok(mut recent) = self.federation.key_refetches.lock() else {
            return true;
        };
        let interval = super::KEY_REFETCH_INTERVAL_MS;
        if recent.len() >= 10_000 {
            recent.retain(|_, t| t.as_millis() + interval > now.as_millis());
            if recent.len() >= 10_000 {
                recent.clear(); // a flood of distinct actors: start again rather than grow
            }
        }
        match recent.get(actor) {
            Some(t) if t.as_millis() + interval > now.as_millis() => false,
            _ => {
                recent.insert(actor.to_owned(), now);
                true
            }
        }
    }

    /// Whether a `Host` header names this instance (any case; the default port may be given).
    fn is_our_host(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let ours = self.settings.domain.as_str();
        let default_port = if self.settings.https { ":443" } else { ":80" };
        host == ours || host.strip_suffix(default_port) == Some(ours)
    }

    /// `POST /inbox` and `POST /users/:name/inbox`. `username` names a personal inbox.
    pub async fn receive(
        &self,
        username: Option<&str>,
        req: InboundRequest,
    ) -> Result<Accepted, InboxError> {
        let counters = self.federation.counters.clone();
        let out = self.receive_inner(username, req).await;
        match &out {
            Ok(Accepted::Queued) => counters.inbox("accepted"),
            Ok(Accepted::Dropped) => counters.inbox("dropped"),
            Err(e) => counters.inbox(e.outcome()),
        }
        out
    }

    async fn receive_inner(
        &self,
        username: Option<&str>,
        req: InboundRequest,
    ) -> Result<Accepted, InboxError> {
        let limit = self.settings.federation.inbox_max_bytes;
        if req.body.len() > limit {
            return Err(InboxError::TooLarge(limit));
        }
        if let Some(name) = username {
            match self.store.local_account_by_username(name).await {
                Ok(Some(l)) if l.account.suspended_at.is_none() => {}
                Ok(_) => return Err(InboxError::NoInbox),
                Err(e) => return Err(InboxError::Unavailable(e.to_string())),
            }
        }
        // Cheap checks first: the signature header and the digest, before any JSON or fetch.
        let sig = Incoming::from_request(&req.parts).map_err(unauthorized)?;
        sig.ensure_covers(true).map_err(unauthorized)?;
        sig.verify_body(&req.parts, &req.body)
            .map_err(unauthorized)?;
        let activity = match Activity::parse(&req.body) {
            Ok(a) => a,
            Err(ParseError::Type(kind)) if !NON_ACTIVITY_TYPES.contains(&kind.as_str()) => {
                // An activity type we do not know (a newer FEP, another server's extension):
                // from a valid signer it is accepted, counted by type and dropped, as
                // Mastodon does.
                self.verify_signature(&req.parts, true).await?;
                self.federation
                    .counters
                    .activity(&kind, ActivityOutcome::Unknown);
                tracing::debug!(kind = %kind, "activity type not known; dropped");
                return Ok(Accepted::Dropped);
            }
            Err(e) => return Err(InboxError::Invalid(e.to_string())),
        };
        let key_actor = actor_of_key(sig.key_id());
        if let Some(host) = host_of(&key_actor) {
            match self.domain_block_for(&host).await {
                Ok(Some(b)) if b.severity == BlockSeverity::Suspend => {
                    return Ok(Accepted::Dropped);
                }
                Ok(_) => {}
                Err(e) => return Err(InboxError::Unavailable(e.to_string())),
            }
        }
        // An actor deleting itself cannot be checked once it is gone, and we never knew it.
        let self_delete = activity.kind == "Delete"
            && activity.object.as_ref().and_then(|o| o.id()) == Some(activity.actor.as_str());
        let signer = match self.verify_signature(&req.parts, true).await {
            Ok(a) => a,
            Err(InboxError::Unauthorized(_)) if self_delete => {
                match self.store.account_by_uri(&activity.actor).await {
                    Ok(None) => return Ok(Accepted::Dropped),
                    Ok(Some(_)) => {
                        return Err(InboxError::Unauthorized(
                            "the signature could not be checked".into(),
                        ));
                    }
                    Err(e) => return Err(InboxError::Unavailable(e.to_string())),
                }
            }
            Err(e) => return Err(e),
        };
        let signer_uri = signer.uri.clone().unwrap_or_default();
        activity
            .check_authorship(&signer_uri)
            .map_err(|e| InboxError::Unauthorized(e.to_string()))?;
        // An activity's id lives on its actor's server: nobody can take the id of someone
        // else's (future) Delete, Create or Announce.
        if !super::actors::same_host(&activity.id, &signer_uri) {
            return Err(InboxError::Invalid(
                "the activity's id is not on its actor's server".into(),
            ));
        }
        let body = String::from_utf8(req.body)
            .map_err(|_| InboxError::Invalid("the body is not UTF-8".into()))?;
        let job = Ingress {
            signer: signer.id,
            activity: body,
            activity_id: activity.id.clone(),
        };
        // The sender reached us: if we had given up on its server, try it again. (Hosts known
        // to be fine are not looked up again for a minute.) Read before the transaction.
        let now = self.clock.now();
        let mut recovered = None;
        if let Some(host) = host_of(&signer_uri) {
            let known_fine = self.federation.healthy_hosts.lock().is_ok_and(|h| {
                h.get(&host)
                    .is_some_and(|t| t.as_millis() + 60_000 > now.as_millis())
            });
            if !known_fine {
                match self.store.delivery_host(&host).await {
                    Ok(Some(h)) if h.failures > 0 => recovered = Some(host.clone()),
                    Ok(_) => {}
                    Err(e) => return Err(InboxError::Unavailable(e.to_string())),
                }
                if let Ok(mut h) = self.federation.healthy_hosts.lock() {
                    h.insert(host, now);
                }
            }
        }
        let mut tx = self
            .store
            .begin()
            .await
            .map_err(|e| InboxError::Unavailable(e.to_string()))?;
        let queued = rookery_jobs::enqueue(tx.as_mut(), &self.ids, now, &job)
            .await
            .map_err(|e| InboxError::Unavailable(e.to_string()))?;
        if let Some(host) = recovered {
            tx.delivery_succeeded(&host, now)
                .await
                .map_err(|e| InboxError::Unavailable(e.to_string()))?;
        }
        tx.commit()
            .await
            .map_err(|e| InboxError::Unavailable(e.to_string()))?;
        Ok(if queued {
            Accepted::Queued
        } else {
            Accepted::Dropped
        })
    }
}

#[cfg(test)]
mod tests {
    use super::actor_of_key;

    #[test]
    fn key_ids_name_their_actor() {
        assert_eq!(
            actor_of_key("https://m.example/users/a#main-key"),
            "https://m.example/users/a"
        );
        assert_eq!(
            actor_of_key("https://g.example/users/a/main-key"),
            "https://g.example/users/a"
        );
        assert_eq!(
            actor_of_key("https://p.example/users/a"),
            "https://p.example/users/a"
        );
    }
}
