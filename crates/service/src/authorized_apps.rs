//! The applications a user has authorized (Mastodon's "Authorized apps" settings page): each
//! app with a working token for the account, and revoking all of an app's tokens at once.

use rookery_model::{Id, OAuthApp, Timestamp};
use rookery_store::LocalAccount;

use crate::{Result, Services};

/// An application with working tokens for the user.
#[derive(Debug, Clone)]
pub struct AuthorizedApp {
    pub app: OAuthApp,
    /// Every scope its working tokens grant, in order.
    pub scopes: Vec<String>,
    /// When its newest working token was issued.
    pub last_authorized_at: Timestamp,
}

impl Services {
    /// The apps holding a working token for `user`, the most recently authorized first.
    pub async fn authorized_apps(&self, user: &LocalAccount) -> Result<Vec<AuthorizedApp>> {
        let tokens = self
            .store
            .oauth_store()
            .active_account_tokens(user.account.id, self.clock.now())
            .await?;
        let mut apps: Vec<AuthorizedApp> = Vec::new();
        // Newest token first, so an app's first row carries its latest authorization.
        for (token, app) in tokens {
            let scopes: Vec<String> = token.scopes.iter().map(str::to_owned).collect();
            match apps.iter_mut().find(|a| a.app.id == app.id) {
                Some(known) => {
                    for s in scopes {
                        if !known.scopes.contains(&s) {
                            known.scopes.push(s);
                        }
                    }
                    known.scopes.sort();
                }
                None => apps.push(AuthorizedApp {
                    app,
                    scopes,
                    last_authorized_at: token.created_at,
                }),
            }
        }
        Ok(apps)
    }

    /// Revokes every token `app_id` holds for `user`; `false` if it held none.
    pub async fn revoke_authorized_app(&self, user: &LocalAccount, app_id: Id) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        let revoked = tx
            .oauth()
            .revoke_app_tokens(user.account.id, app_id, self.clock.now())
            .await?;
        tx.commit().await?;
        Ok(revoked > 0)
    }
}
