//! Signing in beyond OAuth tokens: web sessions for the account pages, and the second factor
//! (TOTP, RFC 6238, with ten single-use recovery codes) that the OAuth sign-in page and the web
//! sign-in ask for once it is on. A TOTP code is accepted for the current 30-second step and
//! the ones either side of it, and only once; session tokens and recovery codes are stored
//! hashed.

use rookery_model::Timestamp;
use rookery_store::{LocalAccount, WebSession};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::crypto::{random_token, sha256_hex};
use crate::mail::Message;
use crate::{Result, ServiceError, Services};

/// A session is noted as used at most this often.
const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;
/// Sessions unused this long no longer sign anyone in.
pub const SESSION_IDLE_MS: i64 = 30 * 24 * 3600 * 1000;
const STEP_SECONDS: u64 = 30;
const RECOVERY_CODES: usize = 10;

/// Web sessions and the second factor.
pub struct SignIn<'a> {
    s: &'a Services,
}

impl Services {
    /// Web sessions and the second factor.
    pub fn sign_ins(&self) -> SignIn<'_> {
        SignIn { s: self }
    }
}

/// What the user needs to add this account to an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorSetup {
    /// Base32, for typing in.
    pub secret: String,
    /// `otpauth://totp/…`, for the QR code.
    pub url: String,
}

/// The TOTP of a secret; `issuer` (the instance's title) names it in authenticator apps.
fn totp(secret_b32: &str, issuer: Option<&str>, account: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|e| ServiceError::Internal(format!("a stored TOTP secret is not base32: {e}")))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        // A colon would be taken for the separator of issuer and account.
        .with_issuer(issuer.map(|i| i.replace(':', " ")))
        .with_account_name(account.replace(':', " "))
        .build()
        .map_err(|e| ServiceError::Internal(format!("TOTP: {e}")))
}

/// The `otpauth://` URL apps scan.
fn otpauth_url(secret_b32: &str, issuer: &str, account: &str) -> Result<String> {
    totp(secret_b32, Some(issuer), account)?
        .to_url()
        .map_err(|e| ServiceError::Internal(format!("TOTP URL: {e}")))
}

/// Digits only, without spaces or dashes people type in.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

impl SignIn<'_> {
    fn unix_seconds(&self) -> u64 {
        u64::try_from(self.s.clock.now().as_millis() / 1000).unwrap_or(0)
    }

    /// Starts a web session for `local` (whose password, and second factor if on, were
    /// checked). Returns the cookie's token.
    pub async fn start_session(
        &self,
        local: &LocalAccount,
        user_agent: &str,
        ip: &str,
    ) -> Result<String> {
        let now = self.s.clock.now();
        let token = random_token(self.s.random.as_ref());
        let session = WebSession {
            id: self.s.ids.next_id(),
            user_id: local.user.id,
            token_hash: sha256_hex(&token),
            user_agent: user_agent.chars().take(300).collect(),
            ip: ip.chars().take(64).collect(),
            created_at: now,
            last_seen_at: now,
        };
        let mut tx = self.s.store.begin().await?;
        tx.sign_in().insert_session(&session).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The session a cookie's token belongs to, if it is live and its account may still sign
    /// in; noted as used now.
    pub async fn session(
        &self,
        token: &str,
        ip: &str,
    ) -> Result<Option<(WebSession, LocalAccount)>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let store = self.s.store.sign_in_store();
        let Some((session, local)) = store.session_by_token(&sha256_hex(token)).await? else {
            return Ok(None);
        };
        let now = self.s.clock.now();
        let idle = now.as_millis() - session.last_seen_at.as_millis();
        let barred = local.user.disabled
            || local.user.confirmed_at.is_none()
            || local.account.suspended_at.is_some();
        if idle > SESSION_IDLE_MS || barred {
            return Ok(None);
        }
        if idle > TOUCH_EVERY_MS {
            let mut tx = self.s.store.begin().await?;
            tx.sign_in().touch_session(session.id, ip, now).await?;
            tx.commit().await?;
        }
        Ok(Some((session, local)))
    }

    /// The user's live sessions, most recently used first.
    pub async fn sessions(&self, local: &LocalAccount) -> Result<Vec<WebSession>> {
        let cutoff = self.s.clock.now().as_millis() - SESSION_IDLE_MS;
        Ok(self
            .s
            .store
            .sign_in_store()
            .sessions_of(local.user.id)
            .await?
            .into_iter()
            .filter(|s| s.last_seen_at.as_millis() > cutoff)
            .collect())
    }

    /// Ends one of the user's sessions (signing out, or revoking another browser).
    pub async fn end_session(&self, local: &LocalAccount, id: rookery_model::Id) -> Result<bool> {
        let mut tx = self.s.store.begin().await?;
        let ended = tx
            .sign_in()
            .revoke_session(local.user.id, id, self.s.clock.now())
            .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Starts setting up two-factor authentication: a new secret, not yet required.
    pub async fn begin_two_factor(&self, local: &LocalAccount) -> Result<TwoFactorSetup> {
        if local.user.two_factor {
            return Err(ServiceError::Unprocessable(
                "Two-factor authentication is already on.".into(),
            ));
        }
        let mut bytes = [0u8; 20];
        self.s.random.fill(&mut bytes);
        let secret = Secret::from(bytes).to_base32();
        let mut tx = self.s.store.begin().await?;
        if !tx
            .sign_in()
            .set_pending_otp_secret(local.user.id, &secret)
            .await?
        {
            return Err(ServiceError::Unprocessable(
                "Two-factor authentication is already on.".into(),
            ));
        }
        tx.commit().await?;
        let account = format!("{}@{}", local.account.username, self.s.settings.domain);
        let url = otpauth_url(&secret, &self.s.settings.title, &account)?;
        Ok(TwoFactorSetup { secret, url })
    }

    /// The setup under way (after [`Self::begin_two_factor`]), to show it again.
    pub async fn pending_two_factor(&self, local: &LocalAccount) -> Result<Option<TwoFactorSetup>> {
        let stored = self
            .s
            .store
            .sign_in_store()
            .two_factor(local.user.id)
            .await?;
        match (stored.secret, stored.enabled_at) {
            (Some(secret), None) => {
                let account = format!("{}@{}", local.account.username, self.s.settings.domain);
                let url = otpauth_url(&secret, &self.s.settings.title, &account)?;
                Ok(Some(TwoFactorSetup { secret, url }))
            }
            _ => Ok(None),
        }
    }

    /// The TOTP step `code` is valid for under `secret`, if any.
    fn matching_step(&self, secret: &str, code: &str) -> Result<Option<i64>> {
        let code = normalize(code);
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        let t = totp(secret, None, "account")?;
        let now = self.unix_seconds();
        for offset in [0i64, -1, 1] {
            let at = now.saturating_add_signed(offset * STEP_SECONDS as i64);
            if crate::crypto::constant_time_eq(
                t.generate(at).to_string().as_bytes(),
                code.as_bytes(),
            ) {
                return Ok(Some(i64::try_from(at / STEP_SECONDS).unwrap_or(i64::MAX)));
            }
        }
        Ok(None)
    }

    /// Turns two-factor authentication on once `code` proves the app has the secret. Returns
    /// the recovery codes, shown once.
    pub async fn enable_two_factor(&self, local: &LocalAccount, code: &str) -> Result<Vec<String>> {
        let stored = self
            .s
            .store
            .sign_in_store()
            .two_factor(local.user.id)
            .await?;
        let (Some(secret), None) = (stored.secret, stored.enabled_at) else {
            return Err(ServiceError::Unprocessable(
                "Start the set-up again: there is no secret waiting to be confirmed.".into(),
            ));
        };
        let Some(step) = self.matching_step(&secret, code)? else {
            return Err(ServiceError::invalid(
                "code",
                "is not the code the app shows now",
            ));
        };
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                let mut b = [0u8; 5];
                self.s.random.fill(&mut b);
                b.iter().map(|x| format!("{x:02x}")).collect()
            })
            .collect();
        let hashes: Vec<(rookery_model::Id, String)> = codes
            .iter()
            .map(|c| (self.s.ids.next_id(), sha256_hex(c)))
            .collect();
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        if !tx
            .sign_in()
            .enable_two_factor(local.user.id, &secret, step, &hashes, now)
            .await?
        {
            return Err(ServiceError::Unprocessable(
                "Two-factor authentication is already on, or was set up again in another \
                 window: start the set-up again."
                    .into(),
            ));
        }
        let message = Message::TwoFactorChanged {
            username: local.account.username.to_string(),
            enabled: true,
        };
        self.s
            .mail()
            .queue(tx.as_mut(), &local.user.email, &message)
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Turns two-factor authentication off (after the caller checked the password and a
    /// code).
    pub async fn disable_two_factor(&self, local: &LocalAccount) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        if tx
            .sign_in()
            .disable_two_factor(local.user.id, self.s.clock.now())
            .await?
        {
            let message = Message::TwoFactorChanged {
                username: local.account.username.to_string(),
                enabled: false,
            };
            self.s
                .mail()
                .queue(tx.as_mut(), &local.user.email, &message)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Checks a second factor: a TOTP code not used before, or an unused recovery code (which
    /// is spent).
    pub async fn check_second_factor(&self, local: &LocalAccount, code: &str) -> Result<bool> {
        let stored = self
            .s
            .store
            .sign_in_store()
            .two_factor(local.user.id)
            .await?;
        let (Some(secret), Some(_)) = (stored.secret, stored.enabled_at) else {
            return Ok(false);
        };
        let now: Timestamp = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        let ok = match self.matching_step(&secret, code)? {
            Some(step) => tx.sign_in().use_otp_step(local.user.id, step).await?,
            None => {
                let normalized = normalize(code);
                normalized.len() == 10
                    && tx
                        .sign_in()
                        .use_recovery_code(local.user.id, &sha256_hex(&normalized), now)
                        .await?
            }
        };
        tx.commit().await?;
        Ok(ok)
    }

    /// Changes the password from the settings page: the current one must be given. Other
    /// browsers are signed out (not `keep`, the session making the change); apps stay signed
    /// in; the user is told by mail.
    pub async fn change_password(
        &self,
        local: &LocalAccount,
        current: &str,
        new: &str,
        keep: rookery_model::Id,
    ) -> Result<()> {
        if !self.s.check_password(local, current).await {
            return Err(ServiceError::invalid("current password", "is not right"));
        }
        crate::password::validate(new)?;
        let hash = self.s.passwords.hash(new, self.s.random.as_ref()).await?;
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        tx.set_password_hash(local.user.id, &hash, now).await?;
        tx.sign_in()
            .revoke_sessions(local.user.id, Some(keep), now)
            .await?;
        // A reset link asked for before the change no longer works.
        tx.user_tokens()
            .void_user_tokens(
                local.user.id,
                rookery_store::TokenPurpose::PasswordReset,
                now,
            )
            .await?;
        let message = Message::PasswordChanged {
            username: local.account.username.to_string(),
            apps_signed_out: false,
        };
        self.s
            .mail()
            .queue(tx.as_mut(), &local.user.email, &message)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many recovery codes are left.
    pub async fn recovery_codes_left(&self, local: &LocalAccount) -> Result<i64> {
        Ok(self
            .s
            .store
            .sign_in_store()
            .recovery_codes_left(local.user.id)
            .await?)
    }
}
