//! Remote accounts: WebFinger, actor documents, keys, refreshes.

use rookery_activitypub::keys::PublicKey;
use rookery_activitypub::vocab::{Attachment, RemoteActor};
use rookery_model::{
    Account, ActorType, BlockSeverity, Domain, Id, ProfileField, Timestamp, Username,
};
use serde::Deserialize;

use super::{FederationCounters, TransportError, host_of, sanitize_html};
use crate::{Result, ServiceError, Services};

/// Why a remote account or object could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("not found")]
    NotFound,
    /// The server says it is gone for good (410).
    #[error("gone")]
    Gone,
    /// The domain is suspended here.
    #[error("the domain is blocked")]
    Blocked,
    /// The address is not allowed (private, loopback, …).
    #[error("{0}")]
    Refused(String),
    /// The document is not what it claims to be.
    #[error("invalid document: {0}")]
    Invalid(String),
    /// Network trouble or a server error: worth trying again.
    #[error("{0}")]
    Failed(String),
}

impl From<ServiceError> for ResolveError {
    fn from(e: ServiceError) -> Self {
        ResolveError::Failed(e.log_cause().unwrap_or("internal error").to_owned())
    }
}

/// Most aliases (`alsoKnownAs`) kept of a remote actor: more than local accounts may have,
/// so a move from an account listed late is not refused.
const MAX_REMOTE_ALIASES: usize = 100;

impl From<rookery_store::StoreError> for ResolveError {
    fn from(e: rookery_store::StoreError) -> Self {
        ResolveError::Failed(e.to_string())
    }
}

/// Fetches a remote actor again (the `pull` queue), when its stored copy went stale.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RefreshActor {
    pub uri: String,
}

impl rookery_jobs::JobSpec for RefreshActor {
    const KIND: &'static str = "refresh_actor";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Pull;
    fn policy() -> rookery_jobs::RetryPolicy {
        rookery_jobs::RetryPolicy {
            max_attempts: 3,
            base_delay_ms: 60_000,
            max_delay_ms: 3600 * 1000,
            timeout: std::time::Duration::from_secs(60),
        }
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!(
            "refresh_actor:{}",
            crate::crypto::sha256_hex(&self.uri)
        ))
    }
}

/// Longest remote display name and profile note kept.
const MAX_NAME: usize = 200;
const MAX_NOTE: usize = 20_000;
/// As Mastodon keeps them: image descriptions of 150 characters, 10 attribution domains.
const MAX_IMAGE_DESCRIPTION: usize = 150;
const MAX_ATTRIBUTION_DOMAINS: usize = 10;

/// A WebFinger answer: only the links matter.
#[derive(Debug, Deserialize)]
struct Jrd {
    #[serde(default)]
    links: Vec<JrdLink>,
}

#[derive(Debug, Deserialize)]
struct JrdLink {
    #[serde(default)]
    rel: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    href: Option<String>,
}

/// A remote username is kept as published, within reason.
fn remote_username(raw: &str) -> Option<Username> {
    let ok = !raw.is_empty()
        && raw.len() <= 100
        && !raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | '/' | '<' | '>'));
    ok.then(|| Username::from_trusted(raw.to_owned()))
}

fn first_image(list: &rookery_activitypub::vocab::Many<Attachment>) -> Option<String> {
    list.iter()
        .find_map(|a| a.url.clone())
        .filter(|u| host_of(u).is_some())
}

/// The description (`name`) of an actor's avatar or header, as Mastodon reads it.
fn image_description(list: &rookery_activitypub::vocab::Many<Attachment>) -> String {
    list.iter()
        .find_map(|a| a.name.as_deref())
        .map(|n| truncate(n, MAX_IMAGE_DESCRIPTION))
        .unwrap_or_default()
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

impl Services {
    /// Refuses hosts that are suspended here.
    pub(crate) async fn check_host(&self, url: &str) -> std::result::Result<String, ResolveError> {
        let host =
            host_of(url).ok_or_else(|| ResolveError::Invalid(format!("not a URL: {url}")))?;
        if host == self.settings.domain.as_str() {
            return Err(ResolveError::Invalid("a local URL".into()));
        }
        if self
            .domain_block_for(&host)
            .await?
            .is_some_and(|b| b.severity == BlockSeverity::Suspend)
        {
            return Err(ResolveError::Blocked);
        }
        Ok(host)
    }

    /// A signed `GET` of an ActivityPub document. Returns the URL it came from and the body.
    /// Redirects within the host are followed, each hop signed for its own URL; a 401 is
    /// answered once with the other signature scheme (see
    /// [`SignatureScheme`](super::signing::SignatureScheme)).
    pub(crate) async fn fetch_document(
        &self,
        url: &str,
    ) -> std::result::Result<(String, Vec<u8>), ResolveError> {
        const MAX_HOPS: usize = 3;
        self.check_host(url).await?;
        let signer = self.instance_signer().await?;
        let counters = &self.federation.counters;
        let transport = &self.federation.transport;
        let failed = |e: TransportError| {
            FederationCounters::bump(&counters.fetch_failures);
            match e {
                TransportError::Refused(m) => ResolveError::Refused(m),
                TransportError::TooLarge => ResolveError::Invalid("too large".into()),
                TransportError::Failed(m) => ResolveError::Failed(m),
                TransportError::Busy(h) => ResolveError::Failed(format!("{h} is busy")),
            }
        };
        let mut current = url.to_owned();
        let mut hops = 0;
        let resp = loop {
            let scheme = self.signature_scheme_for(&current);
            let headers = self.signed_headers_with(scheme, "GET", &current, None, &signer)?;
            let mut resp = transport
                .get_hop(&current, &headers)
                .await
                .map_err(failed)?;
            if resp.status == 401 {
                FederationCounters::bump(&counters.second_knocks);
                let other = scheme.other();
                let headers = self.signed_headers_with(other, "GET", &current, None, &signer)?;
                resp = transport
                    .get_hop(&current, &headers)
                    .await
                    .map_err(failed)?;
                if (200..400).contains(&resp.status) {
                    self.remember_signature_scheme(&current, other);
                }
            }
            let redirect = matches!(resp.status, 301 | 302 | 303 | 307 | 308);
            let Some(location) = resp.location.as_deref().filter(|_| redirect) else {
                break resp;
            };
            hops += 1;
            let next = url::Url::parse(&current)
                .and_then(|base| base.join(location))
                .map_err(|_| {
                    FederationCounters::bump(&counters.fetch_failures);
                    ResolveError::Invalid(format!("{current} redirected to {location:?}"))
                })?
                .to_string();
            if hops > MAX_HOPS || !redirect_stays(url, &current, &next) {
                FederationCounters::bump(&counters.fetch_failures);
                return Err(ResolveError::Invalid(format!(
                    "{url} redirected to another host or too often"
                )));
            }
            current = next;
        };
        match resp.status {
            200..=299 => {
                // Only what the origin serves as ActivityPub counts: not an uploaded file on the
                // same host, not a document somewhere a redirect led.
                let media_type = resp
                    .content_type
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if !(media_type.starts_with("application/activity+json")
                    || media_type.starts_with("application/ld+json"))
                {
                    FederationCounters::bump(&counters.fetch_failures);
                    return Err(ResolveError::Invalid(format!(
                        "{url} is served as {media_type:?}, not as ActivityPub"
                    )));
                }
                if host_of(&resp.url) != host_of(url) {
                    FederationCounters::bump(&counters.fetch_failures);
                    return Err(ResolveError::Invalid(format!(
                        "{url} redirected to another host"
                    )));
                }
                FederationCounters::bump(&counters.fetches);
                Ok((resp.url, resp.body))
            }
            404 => Err(ResolveError::NotFound),
            410 => Err(ResolveError::Gone),
            s => {
                FederationCounters::bump(&counters.fetch_failures);
                Err(ResolveError::Failed(format!("{url} answered {s}")))
            }
        }
    }

    /// The account of the actor with ActivityPub id `uri`: local accounts from their URL;
    /// remote ones from the database, fetched when unknown, stale, or `force`d (key rotation).
    /// A stale copy is kept when the refresh fails.
    pub(crate) async fn resolve_actor(
        &self,
        uri: &str,
        force: bool,
    ) -> std::result::Result<Account, ResolveError> {
        if let Some(name) = self.local_username_of(uri) {
            return match self.store.local_account_by_username(&name).await? {
                Some(l) => Ok(l.account),
                None => Err(ResolveError::NotFound),
            };
        }
        let known = self.store.account_by_uri(uri).await?;
        let now = self.clock.now();
        let fresh_until = |a: &Account| {
            a.fetched_at.map_or(0, Timestamp::as_millis)
                + self.settings.federation.actor_refresh_secs * 1000
        };
        if let Some(a) = &known
            && !force
            && fresh_until(a) > now.as_millis()
        {
            return Ok(a.clone());
        }
        match self.fetch_actor(uri, known.clone()).await {
            Ok(a) => Ok(a),
            Err(e @ (ResolveError::Gone | ResolveError::NotFound | ResolveError::Invalid(_))) => {
                Err(e)
            }
            Err(e) => match known {
                Some(a) if !force => {
                    tracing::debug!(uri, error = %e, "actor refresh failed; using the stored copy");
                    Ok(a)
                }
                _ => Err(e),
            },
        }
    }

    /// The account behind a signature's key: the stored copy when there is one (a stale copy is
    /// refreshed in the background, so the sender does not wait), else fetched now.
    pub(crate) async fn actor_for_signature(
        &self,
        uri: &str,
    ) -> std::result::Result<Account, ResolveError> {
        if self.local_username_of(uri).is_some() {
            return self.resolve_actor(uri, false).await;
        }
        let Some(known) = self.store.account_by_uri(uri).await? else {
            return self.resolve_actor(uri, false).await;
        };
        let stale = known.fetched_at.map_or(0, Timestamp::as_millis)
            + self.settings.federation.actor_refresh_secs * 1000
            < self.clock.now().as_millis();
        if stale {
            let mut tx = self.store.begin().await?;
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                self.clock.now(),
                &RefreshActor {
                    uri: uri.to_owned(),
                },
            )
            .await
            .map_err(|e| ResolveError::Failed(e.to_string()))?;
            tx.commit().await?;
        }
        Ok(known)
    }

    /// The `refresh_actor` job.
    pub(crate) async fn refresh_actor(&self, job: &RefreshActor) -> Result<()> {
        match self.resolve_actor(&job.uri, true).await {
            Ok(_) | Err(ResolveError::NotFound | ResolveError::Blocked) => Ok(()),
            Err(ResolveError::Gone) => {
                // The actor is gone for good: so is its account here.
                if let Some(a) = self.store.account_by_uri(&job.uri).await? {
                    self.release_account_media(a.id).await?;
                    let mut tx = self.store.begin().await?;
                    tx.delete_remote_account(a.id).await?;
                    tx.commit().await?;
                }
                Ok(())
            }
            Err(ResolveError::Invalid(m)) => Err(ServiceError::invalid("actor", m)),
            Err(e) => Err(ServiceError::Unavailable(e.to_string())),
        }
    }

    /// Fetches and stores an actor document. Its `id` must be the URL it was fetched from.
    async fn fetch_actor(
        &self,
        uri: &str,
        known: Option<Account>,
    ) -> std::result::Result<Account, ResolveError> {
        let (_, body) = self.fetch_document(uri).await?;
        let actor = RemoteActor::parse(&body).map_err(|e| ResolveError::Invalid(e.to_string()))?;
        if actor.id != uri {
            return Err(ResolveError::Invalid(format!(
                "the document at {uri} says it is {}",
                actor.id
            )));
        }
        self.store_actor(&actor, known).await
    }

    /// Saves what an actor document says (inserting or updating the account).
    pub(crate) async fn store_actor(
        &self,
        actor: &RemoteActor,
        known: Option<Account>,
    ) -> std::result::Result<Account, ResolveError> {
        let host = self.check_host(&actor.id).await?;
        let domain =
            Domain::parse(&host).map_err(|e| ResolveError::Invalid(format!("domain: {e}")))?;
        let username = actor
            .preferred_username
            .as_deref()
            .and_then(remote_username)
            .ok_or_else(|| ResolveError::Invalid("preferredUsername".into()))?;
        for url in [
            Some(actor.inbox.as_str()),
            actor
                .endpoints
                .as_ref()
                .and_then(|e| e.shared_inbox.as_deref()),
        ]
        .into_iter()
        .flatten()
        {
            if host_of(url).is_none() {
                return Err(ResolveError::Invalid(format!("inbox {url:?}")));
            }
        }
        // The `publicKey` first, then FEP-521a Multikeys (as PEM blocks, all tried when a
        // signature does not match the first).
        let mut key = actor
            .key(&format!("{}#main-key", actor.id))
            .map(|k| k.public_key_pem.clone())
            .unwrap_or_default();
        for multikey in actor.assertion_method.iter() {
            if let Ok(k) = PublicKey::from_multibase(&multikey.public_key_multibase) {
                if !key.is_empty() && !key.ends_with('\n') {
                    key.push('\n');
                }
                key.push_str(&k.to_pem());
            }
        }
        let now = self.clock.now();
        let fields = actor
            .attachment
            .iter()
            .filter(|a| a.kind == "PropertyValue")
            .take(16)
            .map(|a| ProfileField {
                name: truncate(a.name.as_deref().unwrap_or_default(), 255),
                value: sanitize_html(&truncate(a.value.as_deref().unwrap_or_default(), 2048)),
            })
            .collect();
        // When the account was made, as its server says (Mastodon's `created_at`); never later
        // than now.
        let published = actor
            .published
            .as_deref()
            .and_then(rookery_model::Timestamp::parse_rfc3339)
            .filter(|t| *t <= now);
        let also_known_as: Vec<String> = actor
            .also_known_as
            .iter()
            .filter(|u| u.len() <= 2048 && host_of(u).is_some())
            .take(MAX_REMOTE_ALIASES)
            .cloned()
            .collect();
        let moved = self.moved_as_published(actor).await?;
        let moves_kept_since = now.plus_millis(-super::moves::MOVE_COOLDOWN_MS);
        let (known_to, moved_at) = known.as_ref().map_or((None, None), |k| {
            (k.profile.moved_to_account_id, k.profile.moved_at)
        });
        let moved_to_account_id = match moved {
            // A move a `Move` made lately stays, whatever an older document says.
            Some(None) if moved_at.is_some_and(|at| at >= moves_kept_since) => known_to,
            Some(to) => to,
            None => known_to,
        };
        let mut account = Account {
            id: known.as_ref().map_or_else(|| self.ids.next_id(), |a| a.id),
            username,
            domain: Some(domain),
            display_name: truncate(actor.name.as_deref().unwrap_or_default(), MAX_NAME),
            note: sanitize_html(&truncate(
                actor.summary.as_deref().unwrap_or_default(),
                MAX_NOTE,
            )),
            uri: Some(actor.id.clone()),
            url: actor.url.clone().filter(|u| host_of(u).is_some()),
            inbox_url: Some(actor.inbox.clone()),
            shared_inbox_url: actor
                .endpoints
                .as_ref()
                .and_then(|e| e.shared_inbox.clone()),
            followers_url: actor.followers.clone(),
            avatar_remote_url: first_image(&actor.icon),
            header_remote_url: first_image(&actor.image),
            avatar_key: None,
            header_key: None,
            actor_type: ActorType::parse(&actor.kind).unwrap_or(ActorType::Person),
            public_key_pem: key,
            private_key_pem: None,
            locked: actor.manually_approves_followers.unwrap_or(false),
            discoverable: actor.discoverable.unwrap_or(false),
            profile: rookery_model::ProfileExtras {
                avatar_description: image_description(&actor.icon),
                header_description: image_description(&actor.image),
                hide_collections: false,
                indexable: actor.indexable.unwrap_or(false),
                attribution_domains: actor
                    .attribution_domains
                    .iter()
                    .take(MAX_ATTRIBUTION_DOMAINS)
                    .filter_map(|d| rookery_model::Domain::parse(d).ok())
                    .map(|d| d.as_str().to_owned())
                    .collect(),
                also_known_as,
                moved_to_account_id,
                moved_at,
            },
            fields,
            followers_count: 0,
            following_count: 0,
            statuses_count: 0,
            last_status_at: None,
            suspended_at: None,
            silenced_at: None,
            sensitized_at: None,
            fetched_at: Some(now),
            created_at: published.unwrap_or(now),
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        match &known {
            Some(k) => {
                account.followers_count = k.followers_count;
                account.following_count = k.following_count;
                account.statuses_count = k.statuses_count;
                account.last_status_at = k.last_status_at;
                account.suspended_at = k.suspended_at;
                account.created_at = published.unwrap_or(k.created_at);
                // A cached copy stays while the image is the same one.
                if k.avatar_remote_url == account.avatar_remote_url {
                    account.avatar_key = k.avatar_key.clone();
                }
                if k.header_remote_url == account.header_remote_url {
                    account.header_key = k.header_key.clone();
                }
                tx.update_remote_account(&account).await?;
                // A move is written on its own, so a `Move` applied meanwhile is not undone
                // by a document read before it.
                if let Some(to) = moved {
                    tx.account_moves()
                        .set_published_move(account.id, to, moves_kept_since)
                        .await?;
                }
            }
            None => match tx.insert_account(&account).await {
                Ok(()) => {}
                Err(rookery_store::StoreError::Conflict(_)) => {
                    // Inserted meanwhile by another request, or the handle moved to a new id.
                    drop(tx);
                    return match self.store.account_by_uri(&actor.id).await? {
                        Some(a) => Ok(a),
                        None => Err(ResolveError::Invalid(format!(
                            "{}@{} is taken by another actor",
                            account.username, host
                        ))),
                    };
                }
                Err(e) => return Err(e.into()),
            },
        }
        if let Some(url) = actor.featured_tags.as_deref() {
            self.queue_featured_tags_sync(tx.as_mut(), &account, url)
                .await
                .map_err(|e| ResolveError::Failed(e.to_string()))?;
        }
        if let Some(url) = actor.featured.as_deref() {
            self.queue_featured_sync(tx.as_mut(), &account, url)
                .await
                .map_err(|e| ResolveError::Failed(e.to_string()))?;
        }
        self.queue_counts_sync(tx.as_mut(), &account, actor)
            .await
            .map_err(|e| ResolveError::Failed(e.to_string()))?;
        tx.commit().await?;
        if let Err(e) = self.remember_emojis(&account, actor.tag.iter()).await {
            tracing::debug!(account = %account.id, error = %e, "custom emoji not recorded");
        }
        if let Err(e) = self.remote_account_images_seen(&account).await {
            tracing::debug!(account = %account.id, error = %e, "avatar/header copies not queued");
        }
        Ok(account)
    }

    /// `user@domain`: a known remote account, else found through WebFinger.
    pub async fn resolve_acct(
        &self,
        user: &str,
        domain: &str,
    ) -> std::result::Result<Account, ResolveError> {
        if domain.eq_ignore_ascii_case(self.settings.domain.as_str()) {
            return match self.store.local_account_by_username(user).await? {
                Some(l) => Ok(l.account),
                None => Err(ResolveError::NotFound),
            };
        }
        if let Some(a) = self.store.remote_account(user, domain).await? {
            let stale = a.fetched_at.map_or(0, Timestamp::as_millis)
                + self.settings.federation.actor_refresh_secs * 1000
                < self.clock.now().as_millis();
            if !stale {
                return Ok(a);
            }
            if let Some(uri) = &a.uri {
                return self.resolve_actor(uri, false).await;
            }
        }
        let uri = self.webfinger_actor(user, domain).await?;
        self.resolve_actor(&uri, false).await
    }

    /// Asks `domain` for the actor id of `user@domain`.
    async fn webfinger_actor(
        &self,
        user: &str,
        domain: &str,
    ) -> std::result::Result<String, ResolveError> {
        let valid = !user.is_empty()
            && user.len() <= 100
            && user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        let domain = Domain::parse(domain).map_err(|_| ResolveError::NotFound)?;
        if !valid {
            return Err(ResolveError::NotFound);
        }
        let mut schemes = vec!["https"];
        if self.settings.federation.allow_http {
            schemes.push("http");
        }
        let mut last = ResolveError::NotFound;
        for scheme in schemes {
            let url =
                format!("{scheme}://{domain}/.well-known/webfinger?resource=acct:{user}@{domain}");
            self.check_host(&url).await?;
            let headers = vec![(
                "accept".to_owned(),
                "application/jrd+json, application/json".to_owned(),
            )];
            match self.federation.transport.get(&url, &headers).await {
                Ok(r) if (200..300).contains(&r.status) => {
                    FederationCounters::bump(&self.federation.counters.fetches);
                    let jrd: Jrd = serde_json::from_slice(&r.body)
                        .map_err(|e| ResolveError::Invalid(format!("WebFinger: {e}")))?;
                    return jrd
                        .links
                        .iter()
                        .find(|l| {
                            l.rel == "self"
                                && l.kind.as_deref().is_some_and(|t| {
                                    t.starts_with("application/activity+json")
                                        || t.starts_with("application/ld+json")
                                })
                        })
                        .and_then(|l| l.href.clone())
                        .filter(|h| host_of(h).is_some())
                        .ok_or(ResolveError::NotFound);
                }
                Ok(r) if r.status == 404 || r.status == 410 => return Err(ResolveError::NotFound),
                Ok(r) => last = ResolveError::Failed(format!("WebFinger answered {}", r.status)),
                Err(TransportError::Refused(m)) => return Err(ResolveError::Refused(m)),
                Err(e) => last = ResolveError::Failed(e.to_string()),
            }
        }
        FederationCounters::bump(&self.federation.counters.fetch_failures);
        Err(last)
    }

    /// The username in a local actor URL (`https://our.domain/users/alice`).
    pub(crate) fn local_username_of(&self, uri: &str) -> Option<String> {
        let rest = uri
            .strip_prefix(self.urls.base())?
            .strip_prefix("/users/")?;
        let name = rest.split(['#', '?']).next()?;
        Username::parse(name).ok().map(|u| u.to_string())
    }

    /// The id of a local status from its ActivityPub id or page URL.
    pub(crate) fn local_status_id_of(&self, uri: &str) -> Option<Id> {
        let rest = uri.strip_prefix(self.urls.base())?;
        let tail = rest
            .strip_prefix("/users/")
            .and_then(|r| r.split_once("/statuses/"))
            .map(|(_, t)| t)
            .or_else(|| {
                rest.strip_prefix("/@")
                    .and_then(|r| r.split_once('/'))
                    .map(|(_, t)| t)
            })?;
        tail.split(['/', '#', '?']).next()?.parse().ok()
    }
}

/// Used by ingress to tell the actor's host.
pub(crate) fn same_host(a: &str, b: &str) -> bool {
    matches!((host_of(a), host_of(b)), (Some(x), Some(y)) if x == y)
}

/// Whether a signed fetch of `origin`, redirected from `current` to `next`, may follow: only
/// what the origin serves counts, so a redirect elsewhere is refused before it is followed
/// (and before anything is signed for it); nor from https down to http, where the signed
/// request would go out in clear text.
fn redirect_stays(origin: &str, current: &str, next: &str) -> bool {
    let downgrade = current.starts_with("https://") && !next.starts_with("https://");
    host_of(next) == host_of(origin) && !downgrade
}

#[cfg(test)]
mod tests {
    use super::redirect_stays;

    #[test]
    fn redirects_stay_on_the_host_and_never_drop_to_http() {
        let origin = "https://b.example/users/bob";
        assert!(redirect_stays(origin, origin, "https://b.example/@bob"));
        assert!(!redirect_stays(
            origin,
            origin,
            "http://b.example/users/bob"
        ));
        assert!(!redirect_stays(
            origin,
            origin,
            "https://c.example/users/bob"
        ));
        assert!(!redirect_stays(
            origin,
            origin,
            "https://b.example.evil/users/bob"
        ));
        // A peer on plain http (allowed in tests and private networks) may stay on http.
        let plain = "http://b.example/users/bob";
        assert!(redirect_stays(plain, plain, "http://b.example/@bob"));
        assert!(redirect_stays(plain, plain, "https://b.example/@bob"));
    }
}
