//! OAuth 2: applications, grants (authorization code with optional PKCE, password, client
//! credentials, refresh token), revocation, and resolving bearer tokens.

use rookery_model::{AccessToken, AuthorizationCode, Id, OAuthApp, Scopes, Timestamp};
use rookery_store::LocalAccount;

use crate::crypto::{constant_time_eq, pkce_s256_matches, random_token, sha256_hex};
use crate::{Result, ServiceError, Services};

/// The redirect URI for apps that show the code to the user instead of receiving it.
pub const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";

/// How long an authorization code may be exchanged.
const CODE_TTL_MS: i64 = 10 * 60 * 1000;

/// An OAuth error, as RFC 6749 names them; rendered as `{"error", "error_description"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    #[error("invalid_client")]
    InvalidClient,
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(String),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    #[error("server_error")]
    Server(String),
}

impl OAuthError {
    /// The RFC 6749 error code.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::Server(_) => "server_error",
        }
    }

    /// The human-readable description (client-safe).
    pub fn description(&self) -> String {
        match self {
            OAuthError::InvalidRequest(d)
            | OAuthError::InvalidGrant(d)
            | OAuthError::UnauthorizedClient(d)
            | OAuthError::InvalidScope(d) => d.clone(),
            OAuthError::InvalidClient => "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.".into(),
            OAuthError::UnsupportedGrantType => "The authorization grant type is not supported by the authorization server.".into(),
            OAuthError::Server(_) => "The authorization server encountered an unexpected condition.".into(),
        }
    }
}

impl From<rookery_store::StoreError> for OAuthError {
    fn from(e: rookery_store::StoreError) -> Self {
        OAuthError::Server(e.to_string())
    }
}

impl From<ServiceError> for OAuthError {
    fn from(e: ServiceError) -> Self {
        OAuthError::Server(e.to_string())
    }
}

/// What registering an application takes.
#[derive(Debug, Clone, Default)]
pub struct NewApp {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Option<String>,
    pub website: Option<String>,
}

/// A registered application and its secret (shown once).
#[derive(Debug, Clone)]
pub struct CreatedApp {
    pub app: OAuthApp,
    pub client_secret: String,
}

/// An issued token, with its secrets (shown once).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: AccessToken,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

/// A request's verified bearer token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub token: AccessToken,
    pub app: OAuthApp,
    /// The user the token acts for (`None` for client-credentials tokens).
    pub user: Option<LocalAccount>,
}

fn valid_redirect(uri: &str) -> bool {
    if uri == OOB_REDIRECT {
        return true;
    }
    // An absolute URI with a scheme (custom schemes are how mobile apps get the code back).
    match uri.split_once(':') {
        Some((scheme, rest)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && !rest.is_empty()
                && !uri.chars().any(|c| c.is_whitespace() || c.is_control())
                && uri.len() <= 2000
        }
        None => false,
    }
}

impl Services {
    /// `POST /api/v1/apps`.
    pub async fn create_app(&self, new: NewApp) -> Result<CreatedApp> {
        self.create_app_with(new, None).await
    }

    /// Registers an application; `credentials` (client id and secret) are the operator's
    /// (`rookery admin apps create`), else random.
    pub(crate) async fn create_app_with(
        &self,
        new: NewApp,
        credentials: Option<(String, String)>,
    ) -> Result<CreatedApp> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(ServiceError::invalid("client_name", "can't be blank"));
        }
        if name.chars().count() > 60 {
            return Err(ServiceError::invalid(
                "client_name",
                "is too long (maximum is 60 characters)",
            ));
        }
        let uris: Vec<String> = new
            .redirect_uris
            .iter()
            .flat_map(|u| u.split_whitespace())
            .map(str::to_owned)
            .collect();
        if uris.is_empty() {
            return Err(ServiceError::invalid("redirect_uri", "can't be blank"));
        }
        if let Some(bad) = uris.iter().find(|u| !valid_redirect(u)) {
            return Err(ServiceError::invalid(
                "redirect_uri",
                format!("must be an absolute URI ({bad:?} is not)"),
            ));
        }
        let scopes = Scopes::parse(new.scopes.as_deref().unwrap_or(""))
            .map_err(|e| ServiceError::invalid("scopes", e.to_string()))?;
        let website = new
            .website
            .map(|w| w.trim().to_owned())
            .filter(|w| !w.is_empty());
        if let Some(w) = &website
            && (w.len() > 2000 || !(w.starts_with("https://") || w.starts_with("http://")))
        {
            return Err(ServiceError::invalid("website", "must be an http(s) URL"));
        }
        let (client_id, client_secret) = credentials.unwrap_or_else(|| {
            (
                random_token(self.random.as_ref()),
                random_token(self.random.as_ref()),
            )
        });
        let app = OAuthApp {
            id: self.ids.next_id(),
            name: name.to_owned(),
            website,
            redirect_uris: uris,
            scopes,
            client_id,
            client_secret_hash: sha256_hex(&client_secret),
            owner_account_id: None,
            created_at: self.clock.now(),
        };
        let mut tx = self.store.begin().await?;
        tx.oauth().insert_oauth_app(&app).await?;
        tx.commit().await?;
        Ok(CreatedApp { app, client_secret })
    }

    /// The application with this client id and secret.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> std::result::Result<OAuthApp, OAuthError> {
        let app = self
            .store
            .oauth_store()
            .oauth_app_by_client_id(client_id)
            .await?
            .ok_or(OAuthError::InvalidClient)?;
        if !constant_time_eq(
            sha256_hex(client_secret).as_bytes(),
            app.client_secret_hash.as_bytes(),
        ) {
            return Err(OAuthError::InvalidClient);
        }
        Ok(app)
    }

    /// An application by client id (for the authorization page).
    pub async fn app_by_client_id(
        &self,
        client_id: &str,
    ) -> std::result::Result<OAuthApp, OAuthError> {
        self.store
            .oauth_store()
            .oauth_app_by_client_id(client_id)
            .await?
            .ok_or(OAuthError::InvalidClient)
    }

    /// The scopes a grant asks for: within the app's, or the app's when none are asked.
    pub fn requested_scopes(
        app: &OAuthApp,
        requested: Option<&str>,
    ) -> std::result::Result<Scopes, OAuthError> {
        match requested.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(app.scopes.clone()),
            Some(text) => {
                let scopes =
                    Scopes::parse(text).map_err(|e| OAuthError::InvalidScope(e.to_string()))?;
                if scopes.is_subset_of(&app.scopes) {
                    Ok(scopes)
                } else {
                    Err(OAuthError::InvalidScope(
                        "The requested scope is invalid, unknown, or malformed.".into(),
                    ))
                }
            }
        }
    }

    async fn issue(
        &self,
        app: &OAuthApp,
        account_id: Option<Id>,
        scopes: Scopes,
        refresh: bool,
        replacing: Option<Id>,
    ) -> std::result::Result<IssuedToken, OAuthError> {
        let access = random_token(self.random.as_ref());
        self.issue_token(app, account_id, scopes, access, refresh, replacing)
            .await
    }

    /// A token for a user chosen by the operator (`rookery admin tokens create`), without a
    /// refresh token.
    pub(crate) async fn issue_with(
        &self,
        app: &OAuthApp,
        account_id: Id,
        scopes: Scopes,
        access: String,
    ) -> std::result::Result<IssuedToken, OAuthError> {
        self.issue_token(app, Some(account_id), scopes, access, false, None)
            .await
    }

    async fn issue_token(
        &self,
        app: &OAuthApp,
        account_id: Option<Id>,
        scopes: Scopes,
        access: String,
        refresh: bool,
        replacing: Option<Id>,
    ) -> std::result::Result<IssuedToken, OAuthError> {
        let refresh_token = refresh.then(|| random_token(self.random.as_ref()));
        let now = self.clock.now();
        let token = AccessToken {
            id: self.ids.next_id(),
            app_id: app.id,
            account_id,
            token_hash: sha256_hex(&access),
            refresh_token_hash: refresh_token.as_deref().map(sha256_hex),
            scopes,
            expires_at: None,
            revoked_at: None,
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        if let Some(old) = replacing
            && !tx.oauth().revoke_access_token(old, now).await?
        {
            return Err(OAuthError::InvalidGrant(
                "The refresh token was already used.".into(),
            ));
        }
        tx.oauth().insert_access_token(&token).await?;
        tx.commit().await?;
        Ok(IssuedToken {
            token,
            access_token: access,
            refresh_token,
        })
    }

    /// `grant_type=password`: the user's e-mail (or username) and password.
    pub async fn grant_password(
        &self,
        app: &OAuthApp,
        login: &str,
        password: &str,
        scope: Option<&str>,
    ) -> std::result::Result<IssuedToken, OAuthError> {
        let scopes = Self::requested_scopes(app, scope)?;
        let user = self
            .sign_in(login, password)
            .await?
            .ok_or_else(|| OAuthError::InvalidGrant("Invalid email or password.".into()))?;
        if user.user.two_factor {
            // As Mastodon: an account with a second factor signs in through the sign-in page,
            // which asks for it; the password alone is not a grant.
            return Err(OAuthError::InvalidGrant(
                "The provided authorization grant is invalid, expired, revoked, does not match \
                 the redirection URI used in the authorization request, or was issued to \
                 another client."
                    .into(),
            ));
        }
        self.issue(app, Some(user.account.id), scopes, true, None)
            .await
    }

    /// Checks a sign-in: the account must exist, have this password, and be allowed in
    /// (approved, not disabled, not suspended). An unconfirmed address is the caller's to
    /// refuse: as in Mastodon, the password grant issues a token whose calls answer 403 until
    /// the address is confirmed (so the app can ask for the mail again), while the sign-in
    /// pages say to confirm first.
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<Option<LocalAccount>> {
        let login = login.trim();
        if login.is_empty() || password.is_empty() || login.len() > 320 || password.len() > 1024 {
            return Ok(None);
        }
        let found = if login.contains('@') {
            self.store.local_account_by_email(login).await?
        } else {
            self.store.local_account_by_username(login).await?
        };
        let Some(local) = found else {
            self.passwords
                .verify_nothing(password, self.random.as_ref())
                .await;
            return Ok(None);
        };
        if !self.check_password(&local, password).await {
            return Ok(None);
        }
        if local.user.disabled || !local.user.approved || local.account.suspended_at.is_some() {
            return Ok(None);
        }
        Ok(Some(local))
    }

    /// A user token for a freshly registered account (the app's scopes).
    pub(crate) async fn issue_for_account(
        &self,
        app: &OAuthApp,
        account_id: Id,
    ) -> std::result::Result<IssuedToken, OAuthError> {
        self.issue(app, Some(account_id), app.scopes.clone(), true, None)
            .await
    }

    /// `grant_type=client_credentials`: a token for the app itself.
    pub async fn grant_client_credentials(
        &self,
        app: &OAuthApp,
        scope: Option<&str>,
    ) -> std::result::Result<IssuedToken, OAuthError> {
        let scopes = Self::requested_scopes(app, scope)?;
        self.issue(app, None, scopes, false, None).await
    }

    /// Creates an authorization code after the user approved `app` (returned in plain).
    pub async fn authorize(
        &self,
        app: &OAuthApp,
        account_id: Id,
        redirect_uri: &str,
        scopes: Scopes,
        code_challenge: Option<String>,
    ) -> Result<String> {
        let code = random_token(self.random.as_ref());
        let now = self.clock.now();
        let row = AuthorizationCode {
            id: self.ids.next_id(),
            app_id: app.id,
            account_id,
            code_hash: sha256_hex(&code),
            redirect_uri: redirect_uri.to_owned(),
            scopes,
            code_challenge,
            expires_at: now.plus_millis(CODE_TTL_MS),
            used_at: None,
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.oauth().insert_authorization_code(&row).await?;
        tx.commit().await?;
        Ok(code)
    }

    /// `grant_type=authorization_code`.
    pub async fn grant_authorization_code(
        &self,
        app: &OAuthApp,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
    ) -> std::result::Result<IssuedToken, OAuthError> {
        let invalid = || {
            OAuthError::InvalidGrant(
                "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.".into(),
            )
        };
        let now: Timestamp = self.clock.now();
        let mut tx = self.store.begin().await?;
        let grant = tx
            .oauth()
            .use_authorization_code(&sha256_hex(code), now)
            .await?
            .ok_or_else(invalid)?;
        if grant.app_id != app.id {
            return Err(invalid());
        }
        if let Some(uri) = redirect_uri
            && uri != grant.redirect_uri
        {
            return Err(invalid());
        }
        if let Some(challenge) = &grant.code_challenge {
            let ok = code_verifier.is_some_and(|v| pkce_s256_matches(v, challenge));
            if !ok {
                return Err(invalid());
            }
        }
        tx.commit().await?;
        self.issue(app, Some(grant.account_id), grant.scopes, true, None)
            .await
    }

    /// `grant_type=refresh_token`: a new token; the old one is revoked.
    pub async fn grant_refresh(
        &self,
        app: &OAuthApp,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> std::result::Result<IssuedToken, OAuthError> {
        let old = self
            .store
            .oauth_store()
            .access_token_by_refresh_hash(&sha256_hex(refresh_token))
            .await?
            .filter(|t| t.app_id == app.id && t.revoked_at.is_none())
            .ok_or_else(|| OAuthError::InvalidGrant("The refresh token is invalid.".into()))?;
        let scopes = match scope.map(str::trim).filter(|s| !s.is_empty()) {
            None => old.scopes.clone(),
            Some(text) => {
                let s = Scopes::parse(text).map_err(|e| OAuthError::InvalidScope(e.to_string()))?;
                if !s.is_subset_of(&old.scopes) {
                    return Err(OAuthError::InvalidScope(
                        "A refreshed token cannot have more scopes than the original.".into(),
                    ));
                }
                s
            }
        };
        self.issue(app, old.account_id, scopes, true, Some(old.id))
            .await
    }

    /// `POST /oauth/revoke`: revokes the token if it belongs to `app`. Unknown tokens are not
    /// an error (RFC 7009).
    pub async fn revoke(&self, app: &OAuthApp, token: &str) -> Result<()> {
        let hash = sha256_hex(token);
        let found = match self.store.oauth_store().access_token_by_hash(&hash).await? {
            Some(t) => Some(t),
            None => {
                self.store
                    .oauth_store()
                    .access_token_by_refresh_hash(&hash)
                    .await?
            }
        };
        if let Some(t) = found.filter(|t| t.app_id == app.id) {
            let mut tx = self.store.begin().await?;
            tx.oauth()
                .revoke_access_token(t.id, self.clock.now())
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The token, app and user behind a bearer token; `None` if unknown, revoked or expired,
    /// or if its user can no longer sign in.
    pub async fn authenticate(&self, bearer: &str) -> Result<Option<Authenticated>> {
        if bearer.is_empty() || bearer.len() > 512 {
            return Ok(None);
        }
        let Some((token, app, user)) = self
            .store
            .oauth_store()
            .token_with_owner(&sha256_hex(bearer))
            .await?
        else {
            return Ok(None);
        };
        if !token.is_active(self.clock.now()) {
            return Ok(None);
        }
        if token.account_id.is_some() {
            match &user {
                Some(local) if !local.user.disabled && local.account.suspended_at.is_none() => {}
                _ => return Ok(None),
            }
        }
        Ok(Some(Authenticated { token, app, user }))
    }

    /// The instance's secret key for signing forms, made once and kept in the database.
    pub async fn secret_key(&self) -> Result<Vec<u8>> {
        if let Ok(cache) = self.secret.lock()
            && let Some(key) = cache.as_ref()
        {
            return Ok(key.clone());
        }
        let key = match self.store.setting("secret_key").await? {
            Some(k) => k,
            None => {
                let fresh =
                    random_token(self.random.as_ref()) + &random_token(self.random.as_ref());
                let mut tx = self.store.begin().await?;
                let k = tx
                    .put_setting_once("secret_key", &fresh, self.clock.now())
                    .await?;
                tx.commit().await?;
                k
            }
        };
        let key = key.into_bytes();
        if let Ok(mut cache) = self.secret.lock() {
            *cache = Some(key.clone());
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::valid_redirect;

    #[test]
    fn redirect_uris() {
        for ok in [
            "urn:ietf:wg:oauth:2.0:oob",
            "https://app.example/cb",
            "com.tusky://oauth",
            "elk://x",
        ] {
            assert!(valid_redirect(ok), "{ok}");
        }
        for bad in [
            "",
            "/relative",
            "no scheme",
            "1http://x",
            "https://a b",
            "javascript",
        ] {
            assert!(!valid_redirect(bad), "{bad}");
        }
    }
}
