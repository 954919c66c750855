//! Signing in to the web pages (sessions) and the second factor (TOTP secrets, recovery
//! codes): the storage side. Only hashes of session tokens and recovery codes are stored.
//!
//! Reached through [`crate::Store::sign_in_store`] and [`crate::Transaction::sign_in`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{LocalAccount, Result};

/// A browser signed in to the web pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub id: Id,
    pub user_id: Id,
    /// Hex SHA-256 of the cookie's token.
    pub token_hash: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
}

/// A user's second factor, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TwoFactor {
    /// The TOTP secret (base32), set while it is being enabled and once enabled.
    pub secret: Option<String>,
    pub enabled_at: Option<Timestamp>,
    /// The last TOTP time step a code was accepted for.
    pub last_step: Option<i64>,
}

/// Sessions and second factors: reads.
#[async_trait]
pub trait SignInStore: Send + Sync {
    /// The live (not revoked) session with this token hash, and its account.
    async fn session_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(WebSession, LocalAccount)>>;

    /// The local account of a user.
    async fn local_account_by_user(&self, user_id: Id) -> Result<Option<LocalAccount>>;

    /// A user's live sessions, most recently seen first.
    async fn sessions_of(&self, user_id: Id) -> Result<Vec<WebSession>>;

    /// A user's second factor.
    async fn two_factor(&self, user_id: Id) -> Result<TwoFactor>;

    /// How many unused recovery codes the user has.
    async fn recovery_codes_left(&self, user_id: Id) -> Result<i64>;
}

/// Sessions and second factors, in a transaction.
#[async_trait]
pub trait SignInTx: Send {
    async fn insert_session(&mut self, session: &WebSession) -> Result<()>;

    /// Notes that the session was used now (and from where).
    async fn touch_session(&mut self, id: Id, ip: &str, now: Timestamp) -> Result<()>;

    /// Revokes one of the user's sessions. `false` if it was not theirs or already revoked.
    async fn revoke_session(&mut self, user_id: Id, id: Id, now: Timestamp) -> Result<bool>;

    /// Revokes all of the user's sessions but `keep`. Returns how many.
    async fn revoke_sessions(
        &mut self,
        user_id: Id,
        keep: Option<Id>,
        now: Timestamp,
    ) -> Result<u64>;

    /// Stores a TOTP secret not yet enabled (replacing one being set up; refused — `false` —
    /// when two-factor authentication is already on).
    async fn set_pending_otp_secret(&mut self, user_id: Id, secret: &str) -> Result<bool>;

    /// Turns two-factor authentication on with the pending `secret` (the one the code was
    /// checked against), with the step of that code and the hashes of fresh recovery codes.
    /// `false` if it was on already, or another set-up replaced the secret meanwhile.
    async fn enable_two_factor(
        &mut self,
        user_id: Id,
        secret: &str,
        step: i64,
        recovery_hashes: &[(Id, String)],
        now: Timestamp,
    ) -> Result<bool>;

    /// Turns two-factor authentication off and forgets the secret and recovery codes.
    async fn disable_two_factor(&mut self, user_id: Id, now: Timestamp) -> Result<bool>;

    /// Records that a code for `step` was accepted, only if no code for this or a later step
    /// was: `false` means the code was used already.
    async fn use_otp_step(&mut self, user_id: Id, step: i64) -> Result<bool>;

    /// Spends an unused recovery code with this hash. `false` if there is none.
    async fn use_recovery_code(
        &mut self,
        user_id: Id,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<bool>;

    /// Deletes sessions revoked before `revoked_before` or unused since before
    /// `unused_before`. Returns how many.
    async fn prune_sessions(
        &mut self,
        revoked_before: Timestamp,
        unused_before: Timestamp,
    ) -> Result<u64>;
}
