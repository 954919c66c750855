//! E-mail confirmation and password reset: one-time links mailed to users. A link carries a
//! random token; only its SHA-256 is stored, it works once, until it expires, and a newer link
//! of the same kind voids the older ones. Asking for a reset never tells whether an address
//! has an account.

use rookery_model::{Id, Timestamp};
use rookery_store::{LocalAccount, TokenPurpose, Transaction, UserToken};

use crate::crypto::{random_token, sha256_hex};
use crate::mail::Message;
use crate::{Result, ServiceError, Services, password};

/// How long a confirmation link works.
const CONFIRMATION_TTL_MS: i64 = 24 * 3600 * 1000;
/// How long a password-reset link works.
const RESET_TTL_MS: i64 = 3600 * 1000;

/// Mastodon's refusal of a second confirmation.
const ALREADY_CONFIRMED: &str =
    "This method is only available while the e-mail is awaiting confirmation";

/// Confirmation and reset links.
pub struct AccountLinks<'a> {
    s: &'a Services,
}

impl Services {
    /// E-mail confirmation and password reset.
    pub fn account_links(&self) -> AccountLinks<'_> {
        AccountLinks { s: self }
    }
}

/// What a new password resets besides the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterReset {
    /// Every app signed in to the account is signed out (the default, as Mastodon).
    SignOutEverywhere,
    /// Apps stay signed in.
    KeepApps,
}

impl AccountLinks<'_> {
    /// Stores a new link of `purpose` for `user_id` (voiding older ones) and returns its URL.
    async fn new_link(
        &self,
        tx: &mut dyn Transaction,
        user_id: Id,
        purpose: TokenPurpose,
    ) -> Result<String> {
        let now = self.s.clock.now();
        let token = random_token(self.s.random.as_ref());
        let ttl = match purpose {
            TokenPurpose::Confirmation => CONFIRMATION_TTL_MS,
            TokenPurpose::PasswordReset => RESET_TTL_MS,
        };
        let links = tx.user_tokens();
        links.void_user_tokens(user_id, purpose, now).await?;
        links
            .insert_user_token(&UserToken {
                id: self.s.ids.next_id(),
                user_id,
                purpose,
                token_hash: sha256_hex(&token),
                expires_at: Timestamp::from_millis(now.as_millis().saturating_add(ttl)),
                created_at: now,
            })
            .await?;
        let base = self.s.urls.base();
        Ok(match purpose {
            TokenPurpose::Confirmation => {
                format!("{base}/auth/confirmation?confirmation_token={token}")
            }
            TokenPurpose::PasswordReset => {
                format!("{base}/auth/password/edit?reset_password_token={token}")
            }
        })
    }

    /// Mails `local` a link confirming their address (after sign-up, or when asked again).
    pub(crate) async fn send_confirmation(&self, local: &LocalAccount) -> Result<()> {
        if local.user.confirmed_at.is_some() {
            return Err(ServiceError::Unprocessable(ALREADY_CONFIRMED.into()));
        }
        let mut tx = self.s.store.begin().await?;
        let link = self
            .new_link(tx.as_mut(), local.user.id, TokenPurpose::Confirmation)
            .await?;
        let message = Message::Confirmation {
            username: local.account.username.to_string(),
            link,
        };
        self.s
            .mail()
            .queue(tx.as_mut(), &local.user.email, &message)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `POST /api/v1/emails/confirmations`: mails the confirmation link again (only while the
    /// address waits for it, and only when mail is on).
    pub async fn resend_confirmation(&self, local: &LocalAccount) -> Result<()> {
        if !self.s.mail().enabled() {
            return Err(ServiceError::Unprocessable(ALREADY_CONFIRMED.into()));
        }
        self.send_confirmation(local).await
    }

    /// `POST /auth/confirmation`: mails the confirmation link again to `email` if an account
    /// with it still waits for confirmation. Answers the same either way.
    pub async fn resend_confirmation_to(&self, email: &str) -> Result<()> {
        let email = email.trim();
        if !self.s.mail().enabled() || email.is_empty() || email.len() > 320 {
            return Ok(());
        }
        match self.s.store.local_account_by_email(email).await? {
            Some(local) if local.user.confirmed_at.is_none() => {
                self.send_confirmation(&local).await
            }
            _ => Ok(()),
        }
    }

    /// `GET /auth/confirmation?confirmation_token=…`: confirms the address the link was sent
    /// to. The username of the account, or `NotFound` for a link that is unknown, used or
    /// expired.
    pub async fn confirm(&self, token: &str) -> Result<String> {
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        let user_id = tx
            .user_tokens()
            .redeem_user_token(TokenPurpose::Confirmation, &sha256_hex(token), now)
            .await?
            .ok_or(ServiceError::NotFound("confirmation link"))?;
        tx.user_tokens().confirm_user(user_id, now).await?;
        let account_id = tx
            .user_tokens()
            .account_of_user(user_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        tx.commit().await?;
        let account = self
            .s
            .store
            .account(account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        Ok(account.username.to_string())
    }

    /// `POST /auth/password`: mails a reset link to `email` if an account has it. Answers the
    /// same either way, and takes about as long (no database write is skipped on purpose, but
    /// the mail itself is sent by a job).
    pub async fn request_password_reset(&self, email: &str) -> Result<()> {
        let email = email.trim();
        if email.is_empty() || email.len() > 320 {
            return Ok(());
        }
        let Some(local) = self.s.store.local_account_by_email(email).await? else {
            return Ok(());
        };
        if local.user.disabled || local.account.suspended_at.is_some() {
            return Ok(());
        }
        let mut tx = self.s.store.begin().await?;
        let link = self
            .new_link(tx.as_mut(), local.user.id, TokenPurpose::PasswordReset)
            .await?;
        let message = Message::PasswordReset {
            username: local.account.username.to_string(),
            link,
        };
        self.s
            .mail()
            .queue(tx.as_mut(), &local.user.email, &message)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `rookery admin accounts reset-link USERNAME`: a password-reset link for an operator to
    /// hand over (the way to reset a password when mail is off).
    pub async fn reset_link(&self, username: &str) -> Result<String> {
        let local = self.s.local_account(username).await?;
        let mut tx = self.s.store.begin().await?;
        let link = self
            .new_link(tx.as_mut(), local.user.id, TokenPurpose::PasswordReset)
            .await?;
        tx.commit().await?;
        Ok(link)
    }

    /// `PUT /auth/password`: sets a new password with a reset link's token. Spends the token,
    /// voids other reset links, and (unless told to keep them) signs every app out. The
    /// account's username, or `NotFound` for a token that is unknown, used or expired.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        after: AfterReset,
    ) -> Result<String> {
        password::validate(new_password)?;
        // Hashed before the transaction: it takes tens of milliseconds.
        let hash = self
            .s
            .passwords
            .hash(new_password, self.s.random.as_ref())
            .await?;
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        let user_id = tx
            .user_tokens()
            .redeem_user_token(TokenPurpose::PasswordReset, &sha256_hex(token), now)
            .await?
            .ok_or(ServiceError::NotFound("password reset link"))?;
        let account_id = tx
            .user_tokens()
            .account_of_user(user_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        tx.set_password_hash(user_id, &hash, now).await?;
        tx.user_tokens()
            .void_user_tokens(user_id, TokenPurpose::PasswordReset, now)
            .await?;
        // The link came by mail: the address works.
        tx.user_tokens().confirm_user(user_id, now).await?;
        // Browsers are signed out either way; apps unless told to keep them.
        tx.sign_in().revoke_sessions(user_id, None, now).await?;
        if after == AfterReset::SignOutEverywhere {
            tx.user_tokens()
                .revoke_account_tokens(account_id, now)
                .await?;
        }
        let local = match self.s.store.account(account_id).await? {
            Some(account) => account,
            None => return Err(ServiceError::NotFound("account")),
        };
        let email = self
            .s
            .store
            .local_account_by_username(local.username.as_str())
            .await?
            .map(|l| l.user.email);
        if let Some(email) = email {
            let message = Message::PasswordChanged {
                username: local.username.to_string(),
                apps_signed_out: after == AfterReset::SignOutEverywhere,
            };
            self.s.mail().queue(tx.as_mut(), &email, &message).await?;
        }
        tx.commit().await?;
        Ok(local.username.to_string())
    }
}
