//! E-mail confirmation and password reset: one-time links mailed to users. A link carries a
//! random token made when the mail is sent (by a job on the `mailers` queue, so the token is
//! never stored in plain text, not even in the job); only its SHA-256 is stored, it works once,
//! until it expires, and a newer link of the same kind voids the older ones. Asking for a reset
//! answers the same, and does the same work, whether or not the address has an account: the
//! job looks the address up.

use std::time::Duration;

use rookery_jobs::{JobError, JobSpec, Queue, RetryPolicy};
use rookery_model::{Id, Timestamp};
use rookery_store::{LocalAccount, TokenPurpose, Transaction, UserToken};
use serde::{Deserialize, Serialize};

use crate::crypto::{random_token, sha256_hex};
use crate::mail::{Message, SendMail};
use crate::{Result, ServiceError, Services, password};

/// How long a confirmation link works.
const CONFIRMATION_TTL_MS: i64 = 24 * 3600 * 1000;
/// How long a password-reset link works.
const RESET_TTL_MS: i64 = 3600 * 1000;

/// Mastodon's refusal of a second confirmation.
pub const ALREADY_CONFIRMED: &str =
    "This method is only available while the e-mail is awaiting confirmation";

/// Mails a user the link that confirms their address (made at sending time).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendConfirmation {
    pub user_id: Id,
}

impl JobSpec for SendConfirmation {
    const KIND: &'static str = "send_confirmation";
    const QUEUE: Queue = Queue::Mailers;

    fn policy() -> RetryPolicy {
        SendMail::policy()
    }
}

/// Mails a reset link to the account with this address, if there is one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendPasswordReset {
    pub email: String,
}

impl JobSpec for SendPasswordReset {
    const KIND: &'static str = "send_password_reset";
    const QUEUE: Queue = Queue::Mailers;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            // A reset link is wanted now: a few tries over about an hour.
            max_attempts: 6,
            base_delay_ms: 30_000,
            max_delay_ms: 20 * 60 * 1000,
            timeout: Duration::from_secs(120),
        }
    }
}

/// Mails the link that confirms the new address a user asked to change to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEmailChange {
    pub user_id: Id,
}

impl JobSpec for SendEmailChange {
    const KIND: &'static str = "send_email_change";
    const QUEUE: Queue = Queue::Mailers;

    fn policy() -> RetryPolicy {
        SendMail::policy()
    }
}

/// What asking for a new address did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailChange {
    /// A link went to the new address; the old one stays until it is opened.
    Mailed,
    /// Without mail, the new address is the account's at once.
    Done,
}

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
            TokenPurpose::Confirmation | TokenPurpose::EmailChange => CONFIRMATION_TTL_MS,
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
            TokenPurpose::Confirmation | TokenPurpose::EmailChange => {
                format!("{base}/auth/confirmation?confirmation_token={token}")
            }
            TokenPurpose::PasswordReset => {
                format!("{base}/auth/password/edit?reset_password_token={token}")
            }
        })
    }

    /// Makes a link for `local` and mails it now (from a job: a failure is retried, each
    /// attempt with a fresh link).
    async fn mail_link(&self, local: &LocalAccount, purpose: TokenPurpose) -> Result<(), JobError> {
        let fail = |e: ServiceError| JobError::Retry(e.to_string());
        let mut tx = self.s.store.begin().await.map_err(|e| fail(e.into()))?;
        let link = self
            .new_link(tx.as_mut(), local.user.id, purpose)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(|e| fail(e.into()))?;
        let username = local.account.username.to_string();
        let (to, message) = match purpose {
            TokenPurpose::Confirmation => (
                local.user.email.as_str().to_owned(),
                Message::Confirmation { username, link },
            ),
            TokenPurpose::PasswordReset => (
                local.user.email.as_str().to_owned(),
                Message::PasswordReset { username, link },
            ),
            TokenPurpose::EmailChange => {
                let mut tx = self.s.store.begin().await.map_err(|e| fail(e.into()))?;
                let waiting = tx
                    .user_tokens()
                    .unconfirmed_email(local.user.id)
                    .await
                    .map_err(|e| fail(e.into()))?;
                drop(tx);
                let Some(email) = waiting else {
                    return Ok(()); // cancelled or done meanwhile
                };
                (
                    email.clone(),
                    Message::EmailChange {
                        username,
                        email,
                        link,
                    },
                )
            }
        };
        self.s.mail().send_now(&to, &message).await
    }

    /// Runs a [`SendConfirmation`] job.
    pub(crate) async fn run_confirmation(&self, job: &SendConfirmation) -> Result<(), JobError> {
        let local = self
            .s
            .store
            .sign_in_store()
            .local_account_by_user(job.user_id)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        match local {
            Some(local) if local.user.confirmed_at.is_none() => {
                self.mail_link(&local, TokenPurpose::Confirmation).await
            }
            // Confirmed meanwhile, or gone: nothing to send.
            _ => Ok(()),
        }
    }

    /// Runs a [`SendPasswordReset`] job.
    pub(crate) async fn run_password_reset(&self, job: &SendPasswordReset) -> Result<(), JobError> {
        let local = self
            .s
            .store
            .local_account_by_email(&job.email)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        match local {
            Some(local) if !local.user.disabled && local.account.suspended_at.is_none() => {
                self.mail_link(&local, TokenPurpose::PasswordReset).await
            }
            _ => Ok(()),
        }
    }

    /// `POST /api/v1/emails/confirmations`: mails the confirmation link again (only while the
    /// address waits for it, and only when mail is on).
    pub async fn resend_confirmation(&self, local: &LocalAccount) -> Result<()> {
        if !self.s.mail().enabled() || local.user.confirmed_at.is_some() {
            return Err(ServiceError::Unprocessable(ALREADY_CONFIRMED.into()));
        }
        self.enqueue(&SendConfirmation {
            user_id: local.user.id,
        })
        .await
    }

    async fn enqueue<J: JobSpec>(&self, job: &J) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        rookery_jobs::enqueue(tx.as_mut(), &self.s.ids, self.s.clock.now(), job)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs a [`SendEmailChange`] job.
    pub(crate) async fn run_email_change(&self, job: &SendEmailChange) -> Result<(), JobError> {
        let local = self
            .s
            .store
            .sign_in_store()
            .local_account_by_user(job.user_id)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        match local {
            Some(local) => self.mail_link(&local, TokenPurpose::EmailChange).await,
            None => Ok(()),
        }
    }

    /// The settings page's change of address: with the password; the new address must be
    /// free. With mail on, a link goes to the new address and the old one is told; without,
    /// the change is made at once.
    pub async fn request_email_change(
        &self,
        local: &LocalAccount,
        new_email: &str,
        password: &str,
    ) -> Result<EmailChange> {
        if password.is_empty() || !self.s.check_password(local, password).await {
            return Err(ServiceError::invalid("current password", "is not right"));
        }
        let email = rookery_model::Email::parse(new_email.trim())
            .map_err(|_| ServiceError::invalid("e-mail address", "is invalid"))?;
        if email
            .as_str()
            .eq_ignore_ascii_case(local.user.email.as_str())
        {
            return Err(ServiceError::invalid(
                "e-mail address",
                "is the one you have already",
            ));
        }
        if self
            .s
            .store
            .local_account_by_email(email.as_str())
            .await?
            .is_some()
        {
            return Err(ServiceError::invalid("e-mail address", "is already taken"));
        }
        match self.s.email_blocks().refusal(email.as_str()).await? {
            Some("blocked") => {
                return Err(ServiceError::invalid(
                    "e-mail address",
                    "uses a disallowed e-mail provider",
                ));
            }
            Some(_) => return Err(ServiceError::invalid("e-mail address", "is already taken")),
            None => {}
        }
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        let links = tx.user_tokens();
        links
            .set_unconfirmed_email(local.user.id, Some(email.as_str()))
            .await?;
        links
            .void_user_tokens(local.user.id, TokenPurpose::EmailChange, now)
            .await?;
        if !self.s.mail().enabled() {
            return match links.apply_unconfirmed_email(local.user.id, now).await {
                Ok(_) => {
                    tx.commit().await?;
                    Ok(EmailChange::Done)
                }
                Err(rookery_store::StoreError::Conflict(_)) => {
                    Err(ServiceError::invalid("e-mail address", "is already taken"))
                }
                Err(e) => Err(e.into()),
            };
        }
        rookery_jobs::enqueue(
            tx.as_mut(),
            &self.s.ids,
            now,
            &SendEmailChange {
                user_id: local.user.id,
            },
        )
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let notice = Message::EmailChanging {
            username: local.account.username.to_string(),
            email: email.as_str().to_owned(),
        };
        self.s
            .mail()
            .queue(tx.as_mut(), &local.user.email, &notice)
            .await?;
        tx.commit().await?;
        Ok(EmailChange::Mailed)
    }

    /// The address the user asked to change to, while its link waits to be opened.
    pub async fn pending_email(&self, local: &LocalAccount) -> Result<Option<String>> {
        let mut tx = self.s.store.begin().await?;
        let waiting = tx.user_tokens().unconfirmed_email(local.user.id).await?;
        tx.commit().await?;
        Ok(waiting)
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
                self.resend_confirmation(&local).await
            }
            _ => Ok(()),
        }
    }

    /// `GET /auth/confirmation?confirmation_token=…`: confirms the address the link was sent
    /// to. The username of the account, or `NotFound` for a link that is unknown, used or
    /// expired.
    pub async fn confirm(&self, token: &str) -> Result<String> {
        let now = self.s.clock.now();
        let hash = sha256_hex(token);
        let mut tx = self.s.store.begin().await?;
        let links = tx.user_tokens();
        let user_id = if let Some(user_id) = links
            .redeem_user_token(TokenPurpose::Confirmation, &hash, now)
            .await?
        {
            links.confirm_user(user_id, now).await?;
            user_id
        } else {
            // A new address's link: it becomes the account's address.
            let user_id = links
                .redeem_user_token(TokenPurpose::EmailChange, &hash, now)
                .await?
                .ok_or(ServiceError::NotFound("confirmation link"))?;
            match links.apply_unconfirmed_email(user_id, now).await {
                Ok(Some(_)) => {}
                Ok(None) => return Err(ServiceError::NotFound("confirmation link")),
                Err(rookery_store::StoreError::Conflict(_)) => {
                    return Err(ServiceError::invalid("email", "is already taken"));
                }
                Err(e) => return Err(e.into()),
            }
            user_id
        };
        let (_, username, _) = tx
            .user_tokens()
            .user_contact(user_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        tx.commit().await?;
        Ok(username)
    }

    /// `POST /auth/password`: queues a reset mail for `email`. The job looks the address up,
    /// so the answer and the work are the same whether or not an account has it. Nothing is
    /// queued when mail is off (a link handed out by the operator stays valid).
    pub async fn request_password_reset(&self, email: &str) -> Result<()> {
        let email = email.trim();
        if !self.s.mail().enabled() || email.is_empty() || email.len() > 320 {
            return Ok(());
        }
        self.enqueue(&SendPasswordReset {
            email: email.to_owned(),
        })
        .await
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

    /// `POST /auth/password/edit`: sets a new password with a reset link's token. Spends the
    /// token, voids other reset links, signs every browser out and (unless told to keep them)
    /// every app. The account's username, or `NotFound` for a token that is unknown, used or
    /// expired.
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
        let (account_id, username, email) = tx
            .user_tokens()
            .user_contact(user_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        tx.set_password_hash(user_id, &hash, now).await?;
        tx.user_tokens()
            .void_user_tokens(user_id, TokenPurpose::PasswordReset, now)
            .await?;
        // The link came by mail: the address works.
        tx.user_tokens().confirm_user(user_id, now).await?;
        tx.sign_in().revoke_sessions(user_id, None, now).await?;
        if after == AfterReset::SignOutEverywhere {
            tx.user_tokens()
                .revoke_account_tokens(account_id, now)
                .await?;
        }
        let message = Message::PasswordChanged {
            username: username.clone(),
            apps_signed_out: after == AfterReset::SignOutEverywhere,
        };
        self.s.mail().queue(tx.as_mut(), &email, &message).await?;
        tx.commit().await?;
        Ok(username)
    }
}
