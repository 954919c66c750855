//! Severed relationships (Mastodon 4.3): follows between local and remote accounts removed by
//! a moderator's suspension of a remote account or a domain, or by a user's block of a
//! domain — recorded so each local account can be told what it lost and download it. The
//! storage side.
//!
//! Reached through [`crate::Store::severance_store`] and [`crate::Transaction::severances`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Follow, Result};

/// What severed the relationships (Mastodon's RelationshipSeveranceEvent `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeveranceKind {
    /// A moderator suspended a whole domain.
    DomainBlock,
    /// A user blocked a domain.
    UserDomainBlock,
    /// A moderator suspended a remote account.
    AccountSuspension,
}

impl SeveranceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SeveranceKind::DomainBlock => "domain_block",
            SeveranceKind::UserDomainBlock => "user_domain_block",
            SeveranceKind::AccountSuspension => "account_suspension",
        }
    }

    pub fn parse(text: &str) -> Option<SeveranceKind> {
        [
            SeveranceKind::DomainBlock,
            SeveranceKind::UserDomainBlock,
            SeveranceKind::AccountSuspension,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// One severance: what caused it, and what it was about (a domain, or an account's address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeveranceEvent {
    pub id: Id,
    pub kind: SeveranceKind,
    pub target_name: String,
    /// The remote side's data was deleted since.
    pub purged: bool,
    pub created_at: Timestamp,
}

/// A follow that was severed, as the local account it concerns sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeveredFollow {
    pub id: Id,
    pub event_id: Id,
    pub local_account_id: Id,
    /// `user@domain` of the other side (kept as text: the account may be purged since).
    pub remote_acct: String,
    /// The local account followed the remote one (`following`); else it was followed by it.
    pub active: bool,
    pub show_reblogs: bool,
    pub notify: bool,
}

/// What one severance cost one local account (Mastodon's AccountRelationshipSeveranceEvent);
/// its id is also its `severed_relationships` notification's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSeverance {
    pub id: Id,
    pub account_id: Id,
    pub event: SeveranceEvent,
    /// Followers lost.
    pub followers_count: i64,
    /// Follows lost.
    pub following_count: i64,
    pub created_at: Timestamp,
}

/// Severed relationships: reads.
#[async_trait]
pub trait SeveranceStore: Send + Sync {
    /// The account severance `id`.
    async fn account_severance(&self, id: Id) -> Result<Option<AccountSeverance>>;

    /// The account severances with these ids.
    async fn account_severances(&self, ids: &[Id]) -> Result<Vec<AccountSeverance>>;

    /// `account_id`'s severances, newest first, at most `limit`.
    async fn severances_of(&self, account_id: Id, limit: u32) -> Result<Vec<AccountSeverance>>;

    /// The follows `account_id` lost in `event_id` (`active`: those it made), newest first.
    async fn severed_follows(
        &self,
        event_id: Id,
        account_id: Id,
        active: bool,
    ) -> Result<Vec<SeveredFollow>>;
}

/// Severed relationships, in a transaction.
#[async_trait]
pub trait SeveranceTx: Send {
    /// Removes every follow (and follow request) between a local account and an account of
    /// `domain` or its subdomains, fixing the counts; returns the follows removed.
    async fn sever_domain(&mut self, domain: &str) -> Result<Vec<Follow>>;

    async fn insert_event(&mut self, event: &SeveranceEvent) -> Result<()>;

    async fn insert_severed(&mut self, follows: &[SeveredFollow]) -> Result<()>;

    async fn insert_account_severance(&mut self, s: &AccountSeverance) -> Result<()>;
}
