//! Which notifications a user also wants by e-mail: the storage side.
//!
//! Reached through [`crate::Store::notification_email_store`] and
//! [`crate::Transaction::notification_emails`].

use async_trait::async_trait;
use rookery_model::{Email, Id};

use crate::Result;

/// Where and what to mail a local account's notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationMailbox {
    pub user_id: Id,
    pub email: Email,
    /// The kinds wanted by e-mail, comma-separated (`mention,follow`).
    pub kinds: String,
}

/// Notification e-mail settings: reads.
#[async_trait]
pub trait NotificationEmailStore: Send + Sync {
    /// The mailbox of local account `account_id` (`None` for another account, or a user
    /// whose address is not confirmed, who is disabled, or is not approved yet).
    async fn notification_mailbox(&self, account_id: Id) -> Result<Option<NotificationMailbox>>;
}

/// Notification e-mail settings, in a transaction.
#[async_trait]
pub trait NotificationEmailTx: Send {
    /// Sets the kinds the user wants by e-mail (comma-separated).
    async fn set_email_notifications(&mut self, user_id: Id, kinds: &str) -> Result<()>;
}
