//! Web sessions and second factors.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    LocalAccount, Result, SignInStore, SignInTx, StoreError, TwoFactor, WebSession,
};

use crate::SqlStore;
use crate::accounts::{ACCOUNT_COLUMNS, USER_COLUMNS, local_from_row};
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::transaction::SqlTx;

const SESSION_COLUMNS: &str = "s.id AS s_id, s.user_id AS s_user_id, s.token_hash AS s_token_hash, \
    s.user_agent AS s_user_agent, s.ip AS s_ip, s.created_at AS s_created_at, \
    s.last_seen_at AS s_last_seen_at";

fn session_from_row(r: &impl Fields) -> Result<WebSession> {
    Ok(WebSession {
        id: Id::from_i64(r.int("s_id")?),
        user_id: Id::from_i64(r.int("s_user_id")?),
        token_hash: r.text("s_token_hash")?,
        user_agent: r.text("s_user_agent")?,
        ip: r.text("s_ip")?,
        created_at: Timestamp::from_millis(r.int("s_created_at")?),
        last_seen_at: Timestamp::from_millis(r.int("s_last_seen_at")?),
    })
}

fn session_and_account(r: &impl Fields) -> Result<(WebSession, LocalAccount)> {
    Ok((session_from_row(r)?, local_from_row(r)?))
}

fn two_factor_from_row(r: &impl Fields) -> Result<TwoFactor> {
    Ok(TwoFactor {
        secret: r.opt_text("otp_secret")?,
        enabled_at: r.opt_int("otp_enabled_at")?.map(Timestamp::from_millis),
        last_step: r.opt_int("otp_last_step")?,
    })
}

fn count(r: &impl Fields) -> Result<i64> {
    r.int("n")
}

#[async_trait]
impl SignInStore for SqlStore {
    async fn session_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(WebSession, LocalAccount)>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, {ACCOUNT_COLUMNS}, {USER_COLUMNS} FROM web_sessions s \
             JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL"
        );
        read!(&self.pools, |c| {
            fetch_optional!(c, sql.as_str(), session_and_account, token_hash)
        })
    }

    async fn local_account_by_user(&self, user_id: Id) -> Result<Option<LocalAccount>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, {USER_COLUMNS} FROM users u \
             JOIN accounts a ON a.id = u.account_id WHERE u.id = $1"
        );
        read!(&self.pools, |c| {
            fetch_optional!(c, sql.as_str(), local_from_row, user_id.as_i64())
        })
    }

    async fn sessions_of(&self, user_id: Id) -> Result<Vec<WebSession>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM web_sessions s \
             WHERE s.user_id = $1 AND s.revoked_at IS NULL ORDER BY s.last_seen_at DESC, s.id DESC"
        );
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(user_id.as_i64())
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter()
                    .map(session_from_row)
                    .collect::<Result<Vec<_>>>()
            })
        })
    }

    async fn two_factor(&self, user_id: Id) -> Result<TwoFactor> {
        read!(&self.pools, |c| {
            fetch_optional!(
                c,
                "SELECT otp_secret, otp_enabled_at, otp_last_step FROM users WHERE id = $1",
                two_factor_from_row,
                user_id.as_i64()
            )
        })?
        .ok_or(StoreError::NotFound("user".into()))
    }

    async fn recovery_codes_left(&self, user_id: Id) -> Result<i64> {
        Ok(read!(&self.pools, |c| {
            fetch_optional!(
                c,
                "SELECT COUNT(*) AS n FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
                count,
                user_id.as_i64()
            )
        })?
        .unwrap_or(0))
    }
}

#[async_trait]
impl SignInTx for SqlTx {
    async fn insert_session(&mut self, s: &WebSession) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO web_sessions (id, user_id, token_hash, user_agent, ip, created_at, \
             last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            s.id.as_i64(),
            s.user_id.as_i64(),
            s.token_hash.as_str(),
            s.user_agent.as_str(),
            s.ip.as_str(),
            s.created_at.as_millis(),
            s.last_seen_at.as_millis()
        )?;
        Ok(())
    }

    async fn touch_session(&mut self, id: Id, ip: &str, now: Timestamp) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE web_sessions SET last_seen_at = $1, ip = $2 WHERE id = $3",
            now.as_millis(),
            ip,
            id.as_i64()
        )?;
        Ok(())
    }

    async fn revoke_session(&mut self, user_id: Id, id: Id, now: Timestamp) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE web_sessions SET revoked_at = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            now.as_millis(),
            id.as_i64(),
            user_id.as_i64()
        )? == 1)
    }

    async fn revoke_sessions(
        &mut self,
        user_id: Id,
        keep: Option<Id>,
        now: Timestamp,
    ) -> Result<u64> {
        exec!(
            self.conn(),
            "UPDATE web_sessions SET revoked_at = $1 \
             WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL",
            now.as_millis(),
            user_id.as_i64(),
            keep.map_or(0, Id::as_i64)
        )
    }

    async fn set_pending_otp_secret(&mut self, user_id: Id, secret: &str) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE users SET otp_secret = $1 WHERE id = $2 AND otp_enabled_at IS NULL",
            secret,
            user_id.as_i64()
        )? == 1)
    }

    async fn enable_two_factor(
        &mut self,
        user_id: Id,
        secret: &str,
        step: i64,
        recovery_hashes: &[(Id, String)],
        now: Timestamp,
    ) -> Result<bool> {
        let changed = exec!(
            self.conn(),
            "UPDATE users SET otp_enabled_at = $1, otp_last_step = $2, updated_at = $1 \
             WHERE id = $3 AND otp_enabled_at IS NULL AND otp_secret = $4",
            now.as_millis(),
            step,
            user_id.as_i64(),
            secret
        )?;
        if changed != 1 {
            return Ok(false);
        }
        exec!(
            self.conn(),
            "DELETE FROM user_recovery_codes WHERE user_id = $1",
            user_id.as_i64()
        )?;
        for (id, hash) in recovery_hashes {
            exec!(
                self.conn(),
                "INSERT INTO user_recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)",
                id.as_i64(),
                user_id.as_i64(),
                hash.as_str()
            )?;
        }
        Ok(true)
    }

    async fn disable_two_factor(&mut self, user_id: Id, now: Timestamp) -> Result<bool> {
        let changed = exec!(
            self.conn(),
            "UPDATE users SET otp_secret = NULL, otp_enabled_at = NULL, otp_last_step = NULL, \
             updated_at = $1 WHERE id = $2 AND otp_enabled_at IS NOT NULL",
            now.as_millis(),
            user_id.as_i64()
        )?;
        exec!(
            self.conn(),
            "DELETE FROM user_recovery_codes WHERE user_id = $1",
            user_id.as_i64()
        )?;
        Ok(changed == 1)
    }

    async fn use_otp_step(&mut self, user_id: Id, step: i64) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE users SET otp_last_step = $1 \
             WHERE id = $2 AND (otp_last_step IS NULL OR otp_last_step < $1)",
            step,
            user_id.as_i64()
        )? == 1)
    }

    async fn prune_sessions(
        &mut self,
        revoked_before: Timestamp,
        unused_before: Timestamp,
    ) -> Result<u64> {
        exec!(
            self.conn(),
            "DELETE FROM web_sessions WHERE revoked_at < $1 OR last_seen_at < $2",
            revoked_before.as_millis(),
            unused_before.as_millis()
        )
    }

    async fn use_recovery_code(
        &mut self,
        user_id: Id,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE user_recovery_codes SET used_at = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
            now.as_millis(),
            user_id.as_i64(),
            code_hash
        )? == 1)
    }
}
