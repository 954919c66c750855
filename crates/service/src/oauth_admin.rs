//! Applications and tokens made by the operator (`rookery admin apps create`, `rookery admin
//! tokens create`): for bots and integrations that need a token without a browser, and for
//! test suites that expect fixed credentials.

use rookery_model::Scopes;

use crate::crypto::{random_token, sha256_hex};
use crate::oauth::{CreatedApp, IssuedToken, NewApp, OAuthError};
use crate::{Result, ServiceError, Services};

/// A credential the operator chose: 16 to 256 printable ASCII characters without spaces.
fn check_credential(field: &'static str, value: &str) -> Result<()> {
    if !(16..=256).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ServiceError::invalid(
            field,
            "must be 16 to 256 printable characters without spaces",
        ));
    }
    Ok(())
}

impl Services {
    /// Registers an application with the given client id and secret (both, or neither).
    pub async fn admin_create_app(
        &self,
        new: NewApp,
        client_id: Option<String>,
        client_secret: Option<String>,
    ) -> Result<CreatedApp> {
        let credentials = match (client_id, client_secret) {
            (None, None) => None,
            (Some(id), Some(secret)) => {
                check_credential("client_id", &id)?;
                check_credential("client_secret", &secret)?;
                if self
                    .store
                    .oauth_store()
                    .oauth_app_by_client_id(&id)
                    .await?
                    .is_some()
                {
                    return Err(ServiceError::invalid("client_id", "is already taken"));
                }
                Some((id, secret))
            }
            _ => {
                return Err(ServiceError::invalid(
                    "client_secret",
                    "give both a client id and a client secret, or neither",
                ));
            }
        };
        self.create_app_with(new, credentials).await
    }

    /// A token for a local account through an application, with `scopes` (the app's when
    /// `None`, and never more than the app's), and the given token text when there is one.
    pub async fn admin_create_token(
        &self,
        username: &str,
        client_id: &str,
        scopes: Option<&str>,
        token: Option<String>,
    ) -> Result<IssuedToken> {
        let local = self
            .store
            .local_account_by_username(username)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let app = self
            .store
            .oauth_store()
            .oauth_app_by_client_id(client_id)
            .await?
            .ok_or(ServiceError::NotFound("application"))?;
        let scopes = match scopes {
            None => app.scopes.clone(),
            Some(s) => {
                Scopes::parse(s).map_err(|e| ServiceError::invalid("scopes", e.to_string()))?
            }
        };
        if !scopes.is_subset_of(&app.scopes) {
            return Err(ServiceError::invalid(
                "scopes",
                "must be among the application's scopes",
            ));
        }
        let access = match token {
            Some(t) => {
                check_credential("token", &t)?;
                if self
                    .store
                    .oauth_store()
                    .access_token_by_hash(&sha256_hex(&t))
                    .await?
                    .is_some()
                {
                    return Err(ServiceError::invalid("token", "is already taken"));
                }
                t
            }
            None => random_token(self.random.as_ref()),
        };
        self.issue_with(&app, local.account.id, scopes, access)
            .await
            .map_err(|e| match e {
                OAuthError::Server(m) => ServiceError::Internal(m),
                other => ServiceError::invalid("token", other.to_string()),
            })
    }
}
