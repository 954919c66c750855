//! Notification policy and requests: what a user accepts, filters or drops from people they
//! have no relationship with, and the filtered notifications waiting, per sender, for an
//! answer. The storage side.
//!
//! Reached through [`crate::Store::notification_requests`] and
//! [`crate::Transaction::notification_requests`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Result, TimelinePage};

/// What a policy does with a matching notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PolicyAction {
    Accept,
    Filter,
    Drop,
}

impl PolicyAction {
    /// The API and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyAction::Accept => "accept",
            PolicyAction::Filter => "filter",
            PolicyAction::Drop => "drop",
        }
    }

    /// Reads a name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            PolicyAction::Accept,
            PolicyAction::Filter,
            PolicyAction::Drop,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

/// A user's notification policy (Mastodon's defaults when never set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationPolicy {
    /// Senders the user does not follow.
    pub for_not_following: PolicyAction,
    /// Senders not following the user, or for less than three days.
    pub for_not_followers: PolicyAction,
    /// Accounts created less than 30 days ago.
    pub for_new_accounts: PolicyAction,
    /// Direct mentions the user did not start, from people they do not follow.
    pub for_private_mentions: PolicyAction,
    /// Accounts limited by a moderator.
    pub for_limited_accounts: PolicyAction,
}

impl Default for NotificationPolicy {
    fn default() -> Self {
        NotificationPolicy {
            for_not_following: PolicyAction::Accept,
            for_not_followers: PolicyAction::Accept,
            for_new_accounts: PolicyAction::Accept,
            for_private_mentions: PolicyAction::Filter,
            for_limited_accounts: PolicyAction::Filter,
        }
    }
}

/// What a recipient's policy needs to know about a sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderFacts {
    /// The recipient accepted a request from this sender: nothing is filtered.
    pub permitted: bool,
    /// The recipient follows the sender.
    pub followed: bool,
    /// When the sender started following the recipient, if they do.
    pub follower_since: Option<Timestamp>,
    /// When the sender's account was created (`None`: unknown account).
    pub sender_created_at: Option<Timestamp>,
}

/// Filtered notifications from one sender, waiting for an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRequest {
    pub id: Id,
    pub account_id: Id,
    pub from_account_id: Id,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Filtered notifications from the sender.
    pub notifications_count: i64,
    /// The newest status among them.
    pub last_status_id: Option<Id>,
}

/// Reads of notification policies and requests.
#[async_trait]
pub trait NotificationRequestStore: Send + Sync {
    /// The account's policy (the defaults if never set).
    async fn notification_policy(&self, account_id: Id) -> Result<NotificationPolicy>;

    /// The account's requests, newest first.
    async fn notification_requests(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<NotificationRequest>>;

    /// One request of the account.
    async fn notification_request(
        &self,
        account_id: Id,
        id: Id,
    ) -> Result<Option<NotificationRequest>>;

    /// Requests (up to `cap`) and filtered notifications (up to `cap` × 100) pending.
    async fn pending_counts(&self, account_id: Id, cap: i64) -> Result<(i64, i64)>;
}

/// Writes of notification policies and requests, inside a [`crate::Transaction`].
#[async_trait]
pub trait NotificationRequestTx: Send {
    /// The account's policy (the defaults if never set), read in this transaction.
    async fn policy_in_tx(&mut self, account_id: Id) -> Result<NotificationPolicy>;

    /// Replaces the account's policy.
    async fn set_notification_policy(
        &mut self,
        account_id: Id,
        policy: &NotificationPolicy,
        now: Timestamp,
    ) -> Result<()>;

    /// What the policy of `account_id` needs to know about `from_account_id`.
    async fn sender_facts(&mut self, account_id: Id, from_account_id: Id) -> Result<SenderFacts>;

    /// Whether `status_id` is a direct status that does not answer (up its thread) a direct
    /// status of `recipient` mentioning `sender`: a private conversation the recipient did not
    /// start.
    async fn unsolicited_private_mention(
        &mut self,
        status_id: Id,
        recipient: Id,
        sender: Id,
    ) -> Result<bool>;

    /// Opens (or touches) the request for filtered notifications from `from_account_id`.
    async fn note_request(
        &mut self,
        id: Id,
        account_id: Id,
        from_account_id: Id,
        now: Timestamp,
    ) -> Result<()>;

    /// Accepts requests: their senders' filtered notifications join the list and later ones
    /// are never filtered. Returns the senders.
    async fn accept_requests(
        &mut self,
        account_id: Id,
        ids: &[Id],
        now: Timestamp,
    ) -> Result<Vec<Id>>;

    /// Dismisses requests and deletes their filtered notifications. Returns how many requests.
    async fn dismiss_requests(&mut self, account_id: Id, ids: &[Id]) -> Result<u64>;
}
