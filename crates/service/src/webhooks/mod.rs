//! Webhooks (Mastodon's admin webhooks): HTTP endpoints told of events on the instance —
//! accounts created, approved and updated, reports created and updated, statuses created and
//! updated, and Rookery's own `job.dead` — with a body signed by HMAC-SHA256
//! (`X-Hub-Signature: sha256=…`) and delivered by jobs with retries.
//!
//! An event is written as an [`EmitWebhook`] job in the transaction that makes it happen (only
//! when some enabled webhook wants it); that job renders the object once, after the commit, and
//! enqueues one [`DeliverWebhook`] per endpoint, so a receiver that is down delays only itself.

mod deliver;
mod template;

use std::sync::Arc;

use rookery_jobs::{JobSpec, Queue};
use rookery_model::{Id, Permission, Timestamp};
use rookery_store::{Transaction, Webhook};
use serde::{Deserialize, Serialize};

pub use deliver::{DeliverWebhook, ReportDeadJobs, SIGNATURE_HEADER};
pub use template::render as render_template;

use crate::moderation::{Moderator, audit};
use crate::{Result, ServiceError, Services};

/// The events a webhook may be sent, as Mastodon names them (`job.dead` is Rookery's own).
pub const EVENTS: [&str; 8] = [
    "account.approved",
    "account.created",
    "account.updated",
    "report.created",
    "report.updated",
    "status.created",
    "status.updated",
    "job.dead",
];

/// How long a node trusts its list of webhooks before reading it again (others' changes).
const CACHE_MS: i64 = 10_000;
const MAX_URL_LEN: usize = 2048;
const MAX_TEMPLATE_LEN: usize = 16 * 1024;

/// A webhook's URL as it may be shown (logs, errors, the audit log): scheme, host and port,
/// without the path and query that often hold the receiver's credential.
pub fn endpoint(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
            (Some(h), None) => format!("{}://{h}", u.scheme()),
            _ => "(no host)".into(),
        },
        Err(_) => "(not a URL)".into(),
    }
}

/// What an event is about: rendered when the event is sent, not when it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id")]
pub enum WebhookObject {
    Account(Id),
    Report(Id),
    Status(Id),
    Job(Id),
}

/// Renders an event's object and hands it to each webhook that wants it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmitWebhook {
    pub event: String,
    pub object: WebhookObject,
    /// When it happened (milliseconds since the epoch).
    pub created_at_ms: i64,
}

impl JobSpec for EmitWebhook {
    const KIND: &'static str = "emit_webhook";
    const QUEUE: Queue = Queue::Default;
}

/// A webhook as it is made or changed.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: String,
    pub events: Vec<String>,
    pub template: Option<String>,
}

/// The list of webhooks as this node last read it.
#[derive(Default)]
pub(crate) struct WebhookCache(std::sync::Mutex<Option<(Timestamp, Arc<Vec<Webhook>>)>>);

/// Webhooks.
pub struct Webhooks<'a> {
    s: &'a Services,
}

impl Services {
    /// Webhooks told of events.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks { s: self }
    }
}

fn check(input: &WebhookInput) -> Result<()> {
    let url = input.url.trim();
    if url.len() > MAX_URL_LEN {
        return Err(ServiceError::invalid("url", "is too long"));
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => return Err(ServiceError::invalid("url", "must be an http or https URL")),
    }
    if input.events.is_empty() {
        return Err(ServiceError::invalid("events", "can't be blank"));
    }
    if let Some(e) = input.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        return Err(ServiceError::invalid(
            "events",
            format!("{e:?} is not one of: {}", EVENTS.join(", ")),
        ));
    }
    if input
        .template
        .as_ref()
        .is_some_and(|t| t.len() > MAX_TEMPLATE_LEN)
    {
        return Err(ServiceError::invalid("template", "is too long"));
    }
    Ok(())
}

impl Webhooks<'_> {
    /// Every webhook.
    pub async fn list(&self, by: Moderator) -> Result<Vec<Webhook>> {
        by.require(Permission::ManageWebhooks)?;
        Ok(self.s.store.webhook_store().webhooks().await?)
    }

    pub async fn get(&self, by: Moderator, id: Id) -> Result<Webhook> {
        by.require(Permission::ManageWebhooks)?;
        self.s
            .store
            .webhook_store()
            .webhook(id)
            .await?
            .ok_or(ServiceError::NotFound("webhook"))
    }

    /// Makes a webhook with a new secret.
    pub async fn create(&self, by: Moderator, input: WebhookInput) -> Result<Webhook> {
        by.require(Permission::ManageWebhooks)?;
        check(&input)?;
        let now = self.s.clock.now();
        let mut events = input.events;
        events.sort();
        events.dedup();
        let hook = Webhook {
            id: self.s.ids.next_id(),
            url: input.url.trim().to_owned(),
            secret: self.new_secret(),
            events,
            template: input.template.filter(|t| !t.trim().is_empty()),
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.s.store.begin().await?;
        tx.webhooks().insert_webhook(&hook).await?;
        self.log(tx.as_mut(), by, "create", &hook).await?;
        tx.commit().await?;
        self.forget();
        Ok(hook)
    }

    /// Changes a webhook's URL, events and template.
    pub async fn update(&self, by: Moderator, id: Id, input: WebhookInput) -> Result<Webhook> {
        self.change(by, id, "update", |h| {
            check(&input)?;
            h.url = input.url.trim().to_owned();
            h.events = input.events.clone();
            h.events.sort();
            h.events.dedup();
            h.template = input.template.clone().filter(|t| !t.trim().is_empty());
            Ok(())
        })
        .await
    }

    /// Turns a webhook on or off.
    pub async fn set_enabled(&self, by: Moderator, id: Id, enabled: bool) -> Result<Webhook> {
        let action = if enabled { "enable" } else { "disable" };
        self.change(by, id, action, |h| {
            h.enabled = enabled;
            Ok(())
        })
        .await
    }

    /// Gives a webhook a new secret (the old one stops signing at once).
    pub async fn rotate_secret(&self, by: Moderator, id: Id) -> Result<Webhook> {
        let secret = self.new_secret();
        self.change(by, id, "rotate_secret", |h| {
            h.secret = secret.clone();
            Ok(())
        })
        .await
    }

    pub async fn delete(&self, by: Moderator, id: Id) -> Result<()> {
        let hook = self.get(by, id).await?;
        let mut tx = self.s.store.begin().await?;
        if !tx.webhooks().delete_webhook(id).await? {
            return Err(ServiceError::NotFound("webhook"));
        }
        self.log(tx.as_mut(), by, "destroy", &hook).await?;
        tx.commit().await?;
        self.forget();
        Ok(())
    }

    async fn change(
        &self,
        by: Moderator,
        id: Id,
        action: &str,
        apply: impl FnOnce(&mut Webhook) -> Result<()>,
    ) -> Result<Webhook> {
        let mut hook = self.get(by, id).await?;
        apply(&mut hook)?;
        hook.updated_at = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        if !tx.webhooks().update_webhook(&hook).await? {
            return Err(ServiceError::NotFound("webhook"));
        }
        self.log(tx.as_mut(), by, action, &hook).await?;
        tx.commit().await?;
        self.forget();
        Ok(hook)
    }

    async fn log(
        &self,
        tx: &mut dyn Transaction,
        by: Moderator,
        action: &str,
        hook: &Webhook,
    ) -> Result<()> {
        audit::record(
            self.s,
            tx,
            by,
            audit::Entry {
                action,
                target_type: "Webhook",
                target_id: Some(hook.id),
                target_name: &endpoint(&hook.url),
                reason: "",
            },
        )
        .await
    }

    fn new_secret(&self) -> String {
        let mut bytes = [0u8; 32];
        self.s.random.fill(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Drops this node's cached list (after a change made here).
    pub(crate) fn forget(&self) {
        if let Ok(mut c) = self.s.webhook_cache.0.lock() {
            *c = None;
        }
    }

    /// The enabled webhooks, read again at most every [`CACHE_MS`].
    pub(crate) async fn enabled(&self) -> Result<Arc<Vec<Webhook>>> {
        let now = self.s.clock.now();
        if let Ok(c) = self.s.webhook_cache.0.lock()
            && let Some((at, hooks)) = c.as_ref()
            && now.as_millis() - at.as_millis() < CACHE_MS
        {
            return Ok(hooks.clone());
        }
        let hooks: Vec<Webhook> = self
            .s
            .store
            .webhook_store()
            .webhooks()
            .await?
            .into_iter()
            .filter(|h| h.enabled)
            .collect();
        let hooks = Arc::new(hooks);
        if let Ok(mut c) = self.s.webhook_cache.0.lock() {
            *c = Some((now, hooks.clone()));
        }
        Ok(hooks)
    }

    /// Writes `event` about `object` into `tx` if some enabled webhook wants it.
    pub(crate) async fn emit(
        &self,
        tx: &mut dyn Transaction,
        event: &'static str,
        object: WebhookObject,
    ) -> Result<()> {
        let hooks = self.enabled().await?;
        if !hooks.iter().any(|h| h.events.iter().any(|e| e == event)) {
            return Ok(());
        }
        let now = self.s.clock.now();
        let job = EmitWebhook {
            event: event.to_owned(),
            object,
            created_at_ms: now.as_millis(),
        };
        rookery_jobs::enqueue(tx, &self.s.ids, now, &job)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }
}
