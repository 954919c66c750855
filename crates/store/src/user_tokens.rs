//! One-time links mailed to users (e-mail confirmation, password reset) and what redeeming
//! them changes: the storage side. Only a hash of each token is stored.
//!
//! Reached through [`crate::Transaction::user_tokens`].

use async_trait::async_trait;
use rookery_model::{Email, Id, Timestamp};

use crate::Result;

/// What a mailed link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Confirms the user's e-mail address.
    Confirmation,
    /// Lets the user choose a new password.
    PasswordReset,
    /// Confirms the new address the user asked to change to.
    EmailChange,
}

impl TokenPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Confirmation => "confirmation",
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::EmailChange => "email_change",
        }
    }
}

/// A one-time link's stored half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    pub id: Id,
    pub user_id: Id,
    pub purpose: TokenPurpose,
    /// Hex SHA-256 of the token in the link.
    pub token_hash: String,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
}

/// One-time links and account security, in a transaction.
#[async_trait]
pub trait UserTokenTx: Send {
    /// Stores a new link.
    async fn insert_user_token(&mut self, token: &UserToken) -> Result<()>;

    /// Spends the unexpired, unused link of `purpose` with this hash: the user it belongs to,
    /// or `None` (unknown, expired, or already used).
    async fn redeem_user_token(
        &mut self,
        purpose: TokenPurpose,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Id>>;

    /// Voids the user's unused links of `purpose` (a newer one replaces them, or what they
    /// were for is done).
    async fn void_user_tokens(
        &mut self,
        user_id: Id,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<u64>;

    /// A user's account id, username and e-mail address.
    async fn user_contact(&mut self, user_id: Id) -> Result<Option<(Id, String, Email)>>;

    /// Marks the user's address confirmed. `false` if it already was.
    async fn confirm_user(&mut self, user_id: Id, now: Timestamp) -> Result<bool>;

    /// The address the user asked to change to, waiting for confirmation.
    async fn unconfirmed_email(&mut self, user_id: Id) -> Result<Option<String>>;

    /// Sets (or clears) the address waiting for confirmation.
    async fn set_unconfirmed_email(&mut self, user_id: Id, email: Option<&str>) -> Result<()>;

    /// Makes the address waiting for confirmation the user's address (confirmed), voiding the
    /// reset and confirmation links mailed to the old one. Returns it, or `None` when none
    /// waits. A taken address is a `Conflict`.
    async fn apply_unconfirmed_email(
        &mut self,
        user_id: Id,
        now: Timestamp,
    ) -> Result<Option<String>>;

    /// Deletes links that expired or were used before `before`. Returns how many.
    async fn prune_user_tokens(&mut self, before: Timestamp) -> Result<u64>;

    /// Revokes every access token of the account (all apps signed out). Returns how many.
    async fn revoke_account_tokens(&mut self, account_id: Id, now: Timestamp) -> Result<u64>;
}
