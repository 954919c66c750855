//! One-time mailed links (confirmation, password reset) and what redeeming them changes.

use async_trait::async_trait;
use rookery_model::{Email, Id, Timestamp};
use rookery_store::{Result, TokenPurpose, UserToken, UserTokenTx};

use crate::db::{Fields, exec, fetch_optional};
use crate::transaction::SqlTx;

fn user_id(r: &impl Fields) -> Result<Id> {
    Ok(Id::from_i64(r.int("user_id")?))
}

fn contact(r: &impl Fields) -> Result<(Id, String, Email)> {
    Ok((
        Id::from_i64(r.int("account_id")?),
        r.text("username")?,
        Email::from_trusted(r.text("email")?),
    ))
}

#[async_trait]
impl UserTokenTx for SqlTx {
    async fn insert_user_token(&mut self, t: &UserToken) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO user_tokens (id, user_id, purpose, token_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            t.id.as_i64(),
            t.user_id.as_i64(),
            t.purpose.as_str(),
            t.token_hash.as_str(),
            t.expires_at.as_millis(),
            t.created_at.as_millis()
        )?;
        Ok(())
    }

    async fn redeem_user_token(
        &mut self,
        purpose: TokenPurpose,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Id>> {
        fetch_optional!(
            self.conn(),
            "UPDATE user_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
             RETURNING user_id",
            user_id,
            now.as_millis(),
            token_hash,
            purpose.as_str()
        )
    }

    async fn void_user_tokens(
        &mut self,
        user_id: Id,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<u64> {
        exec!(
            self.conn(),
            "UPDATE user_tokens SET used_at = $1 \
             WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
            now.as_millis(),
            user_id.as_i64(),
            purpose.as_str()
        )
    }

    async fn user_contact(&mut self, user_id: Id) -> Result<Option<(Id, String, Email)>> {
        fetch_optional!(
            self.conn(),
            "SELECT u.account_id, a.username, u.email FROM users u \
             JOIN accounts a ON a.id = u.account_id WHERE u.id = $1",
            contact,
            user_id.as_i64()
        )
    }

    async fn confirm_user(&mut self, user_id: Id, now: Timestamp) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE users SET confirmed_at = $1, updated_at = $1 \
             WHERE id = $2 AND confirmed_at IS NULL",
            now.as_millis(),
            user_id.as_i64()
        )? == 1)
    }

    async fn unconfirmed_email(&mut self, user_id: Id) -> Result<Option<String>> {
        let found = fetch_optional!(
            self.conn(),
            "SELECT unconfirmed_email FROM users WHERE id = $1",
            |r: &_| Fields::opt_text(r, "unconfirmed_email"),
            user_id.as_i64()
        )?;
        Ok(found.flatten())
    }

    async fn set_unconfirmed_email(&mut self, user_id: Id, email: Option<&str>) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE users SET unconfirmed_email = $1 WHERE id = $2",
            email,
            user_id.as_i64()
        )?;
        Ok(())
    }

    async fn apply_unconfirmed_email(
        &mut self,
        user_id: Id,
        now: Timestamp,
    ) -> Result<Option<String>> {
        let Some(email) = self.unconfirmed_email(user_id).await? else {
            return Ok(None);
        };
        exec!(
            self.conn(),
            "UPDATE users SET email = unconfirmed_email, unconfirmed_email = NULL, \
             confirmed_at = COALESCE(confirmed_at, $1), updated_at = $1 WHERE id = $2",
            now.as_millis(),
            user_id.as_i64()
        )?;
        // Links mailed to the old address stop working with it.
        exec!(
            self.conn(),
            "UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL \
             AND purpose IN ('password_reset', 'confirmation')",
            now.as_millis(),
            user_id.as_i64()
        )?;
        Ok(Some(email))
    }

    async fn prune_user_tokens(&mut self, before: Timestamp) -> Result<u64> {
        exec!(
            self.conn(),
            "DELETE FROM user_tokens WHERE expires_at < $1 OR used_at < $1",
            before.as_millis()
        )
    }

    async fn revoke_account_tokens(&mut self, account_id: Id, now: Timestamp) -> Result<u64> {
        exec!(
            self.conn(),
            "UPDATE oauth_tokens SET revoked_at = $1 \
             WHERE account_id = $2 AND revoked_at IS NULL",
            now.as_millis(),
            account_id.as_i64()
        )
    }
}
