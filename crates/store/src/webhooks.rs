//! Webhooks: the storage side.
//!
//! Reached through [`crate::Store::webhook_store`] and [`crate::Transaction::webhooks`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// An endpoint told of events, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Id,
    pub url: String,
    /// The key that signs each body (`X-Hub-Signature: sha256=…`).
    pub secret: String,
    /// The events it is sent, by name.
    pub events: Vec<String>,
    /// A body to send instead of the event's JSON (`{{object.username}}` placeholders).
    pub template: Option<String>,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Webhooks: reads.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Every webhook, oldest first.
    async fn webhooks(&self) -> Result<Vec<Webhook>>;

    async fn webhook(&self, id: Id) -> Result<Option<Webhook>>;

    /// Jobs that went dead after `after` (by when they died, oldest first): `(id, kind, when)`.
    async fn dead_jobs_since(
        &self,
        after: Timestamp,
        limit: u32,
    ) -> Result<Vec<(Id, String, Timestamp)>>;
}

/// Webhooks, in a transaction.
#[async_trait]
pub trait WebhookTx: Send {
    async fn insert_webhook(&mut self, webhook: &Webhook) -> Result<()>;

    /// Writes every field but `id` and `created_at`; false when there is no such webhook.
    async fn update_webhook(&mut self, webhook: &Webhook) -> Result<bool>;

    /// False when there is no such webhook.
    async fn delete_webhook(&mut self, id: Id) -> Result<bool>;
}
