//! Moderation actions on accounts: the storage side. The flags an action sets (silenced,
//! sensitized, disabled, approved), the warnings (strikes) it leaves, and the admin list of
//! accounts with Mastodon's filters.
//!
//! Reached through [`crate::Store::account_moderation_store`] and
//! [`crate::Transaction::account_moderation`].

use async_trait::async_trait;
use rookery_model::{Account, Id, Role, Timestamp};

use crate::{LocalAccount, Result, TimelinePage};

/// Where an account lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountOrigin {
    Local,
    Remote,
}

/// What state an account is in, as the admin list filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    /// Not suspended.
    Active,
    /// A local sign-up waiting for approval.
    Pending,
    /// A local user whose login is disabled.
    Disabled,
    Silenced,
    Suspended,
}

/// Mastodon's admin account filters (every field narrows the list; `None`/empty: no filter).
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub origin: Option<AccountOrigin>,
    pub state: Option<AccountState>,
    /// Only local users with a staff role.
    pub staff: bool,
    /// Only local users with one of these roles.
    pub roles: Vec<Role>,
    /// Only users who signed up through an invite of this account (sign-ups do not record
    /// their invite yet: no account matches).
    pub invited_by: Option<Id>,
    /// Usernames starting with this (case-insensitive).
    pub username: Option<String>,
    /// Display names containing this (case-insensitive).
    pub display_name: Option<String>,
    /// Accounts of this domain (case-insensitive).
    pub by_domain: Option<String>,
    /// Addresses containing this (case-insensitive).
    pub email: Option<String>,
    /// Local users who signed in from this address.
    pub ip: Option<String>,
}

/// A warning (Mastodon's strike): what a moderator did to an account and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountWarning {
    pub id: Id,
    /// The moderator; `None` for the command line (or a moderator since deleted).
    pub account_id: Option<Id>,
    pub target_account_id: Id,
    /// `none`, `disable`, `mark_statuses_as_sensitive`, `delete_statuses`, `sensitive`,
    /// `silence`, `suspend`.
    pub action: String,
    pub text: String,
    pub report_id: Option<Id>,
    pub status_ids: Vec<Id>,
    pub overruled_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// Account moderation: reads.
#[async_trait]
pub trait AccountModerationStore: Send + Sync {
    /// Accounts matching `filter`, newest first, paged by id.
    async fn filtered_accounts(
        &self,
        filter: &AccountFilter,
        page: TimelinePage,
    ) -> Result<Vec<Account>>;

    /// Of `account_ids`, those silenced or suspended whose posts `viewer` does not see in
    /// public timelines (`viewer` sees silenced accounts it follows, and its own).
    async fn hidden_from_public(&self, account_ids: &[Id], viewer: Option<Id>) -> Result<Vec<Id>>;

    /// Local staff (moderators, admins, the owner) whose login works: who hears of sign-ups.
    async fn staff(&self) -> Result<Vec<LocalAccount>>;

    /// The warning with this id.
    async fn warning(&self, id: Id) -> Result<Option<AccountWarning>>;

    /// The warnings of `target_account_id`, newest first.
    async fn warnings_of(&self, target_account_id: Id, limit: u32) -> Result<Vec<AccountWarning>>;
}

/// Account moderation, in a transaction.
#[async_trait]
pub trait AccountModerationTx: Send {
    /// Whether `account_id` is silenced and `recipient` does not follow it (its
    /// notifications to `recipient` are then filtered).
    async fn silenced_stranger(&mut self, account_id: Id, recipient: Id) -> Result<bool>;

    /// Sets or clears `accounts.silenced_at`; false when there is no such account.
    async fn set_silenced(
        &mut self,
        account_id: Id,
        at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool>;

    /// Sets or clears `accounts.sensitized_at`; false when there is no such account.
    async fn set_sensitized(
        &mut self,
        account_id: Id,
        at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool>;

    /// Sets `users.disabled` of the local user of `account_id`; false when there is none.
    async fn set_disabled(
        &mut self,
        account_id: Id,
        disabled: bool,
        now: Timestamp,
    ) -> Result<bool>;

    /// Marks the local user of `account_id` approved; false when there is none.
    async fn approve(&mut self, account_id: Id, now: Timestamp) -> Result<bool>;

    /// Deletes a local account whose sign-up waits for approval (and its user); false when
    /// it is not one.
    async fn delete_pending(&mut self, account_id: Id) -> Result<bool>;

    /// Removes every follow (and follow request) from and to `account_id`, fixing the counts;
    /// returns the follows removed.
    async fn sever_follows(&mut self, account_id: Id) -> Result<Vec<crate::Follow>>;

    async fn insert_warning(&mut self, warning: &AccountWarning) -> Result<()>;
}
