//! OAuth applications, authorization codes and access tokens. Secrets are never stored:
//! only their SHA-256 digests (hex), made by the service layer.

use crate::id::Id;
use crate::scopes::Scopes;
use crate::time::Timestamp;

/// A registered client application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthApp {
    pub id: Id,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: Scopes,
    pub client_id: String,
    pub client_secret_hash: String,
    pub owner_account_id: Option<Id>,
    pub created_at: Timestamp,
}

/// A single-use code from the authorization step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub id: Id,
    pub app_id: Id,
    pub account_id: Id,
    pub code_hash: String,
    pub redirect_uri: String,
    pub scopes: Scopes,
    /// PKCE: the S256 challenge, if the client sent one.
    pub code_challenge: Option<String>,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// An access token (with its refresh token, if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub id: Id,
    pub app_id: Id,
    /// `None` for client-credentials tokens (an app acting as itself).
    pub account_id: Option<Id>,
    pub token_hash: String,
    pub refresh_token_hash: Option<String>,
    pub scopes: Scopes,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl AccessToken {
    /// Usable at `now`: not revoked, not expired.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}
