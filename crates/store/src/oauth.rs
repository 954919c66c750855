//! OAuth applications, authorization codes and access tokens: the storage side. Only digests
//! of codes and token secrets are stored.
//!
//! Reached through [`crate::Store::oauth_store`] and [`crate::Transaction::oauth`].

use async_trait::async_trait;
use rookery_model::{AccessToken, AuthorizationCode, Id, OAuthApp, Timestamp};

use crate::{LocalAccount, Result};

/// OAuth: reads.
#[async_trait]
pub trait OAuthStore: Send + Sync {
    /// An OAuth application by its public client id.
    async fn oauth_app_by_client_id(&self, client_id: &str) -> Result<Option<OAuthApp>>;

    /// An OAuth application by id.
    async fn oauth_app(&self, id: Id) -> Result<Option<OAuthApp>>;

    /// An access token with its application and (for user tokens) its local account, by the
    /// digest of its secret: the one query an authenticated request makes.
    async fn token_with_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(AccessToken, OAuthApp, Option<LocalAccount>)>>;

    /// An access token by the digest of its secret.
    async fn access_token_by_hash(&self, token_hash: &str) -> Result<Option<AccessToken>>;

    /// An access token by the digest of its refresh token.
    async fn access_token_by_refresh_hash(&self, refresh_hash: &str)
    -> Result<Option<AccessToken>>;

    /// The account's tokens that still work at `now`, each with its application, newest
    /// first: the apps the user has authorized.
    async fn active_account_tokens(
        &self,
        account_id: Id,
        now: Timestamp,
    ) -> Result<Vec<(AccessToken, OAuthApp)>>;
}

/// OAuth, in a transaction.
#[async_trait]
pub trait OAuthTx: Send {
    /// Registers an OAuth application.
    async fn insert_oauth_app(&mut self, app: &OAuthApp) -> Result<()>;

    /// Stores an authorization code.
    async fn insert_authorization_code(&mut self, code: &AuthorizationCode) -> Result<()>;

    /// Marks the code with this digest used and returns it, if it was unused and unexpired at
    /// `now` (codes work once).
    async fn use_authorization_code(
        &mut self,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AuthorizationCode>>;

    /// Stores an access token.
    async fn insert_access_token(&mut self, token: &AccessToken) -> Result<()>;

    /// Revokes a token. `false` if it was already revoked or does not exist.
    async fn revoke_access_token(&mut self, id: Id, now: Timestamp) -> Result<bool>;

    /// Revokes every token the application holds for the account; how many were live.
    async fn revoke_app_tokens(
        &mut self,
        account_id: Id,
        app_id: Id,
        now: Timestamp,
    ) -> Result<u64>;
}
