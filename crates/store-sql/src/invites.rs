//! Invite links.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Invite, InviteStore, InviteTx, Result};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::transaction::SqlTx;

const COLUMNS: &str =
    "id, code, user_id, max_uses, uses, expires_at, comment, revoked_at, created_at";

fn invite_from_row(r: &impl Fields) -> Result<Invite> {
    let ts = |v: Option<i64>| v.map(Timestamp::from_millis);
    Ok(Invite {
        id: Id::from_i64(r.int("id")?),
        code: r.text("code")?,
        user_id: r.opt_int("user_id")?.map(Id::from_i64),
        max_uses: r.opt_int("max_uses")?,
        uses: r.int("uses")?,
        expires_at: ts(r.opt_int("expires_at")?),
        comment: r.text("comment")?,
        revoked_at: ts(r.opt_int("revoked_at")?),
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

#[async_trait]
impl InviteStore for SqlStore {
    async fn invite_by_code(&self, code: &str) -> Result<Option<Invite>> {
        let sql = format!("SELECT {COLUMNS} FROM invites WHERE code = $1");
        read!(&self.pools, |c| {
            fetch_optional!(c, sql.as_str(), invite_from_row, code)
        })
    }

    async fn invites(&self, limit: u32) -> Result<Vec<Invite>> {
        let sql = format!("SELECT {COLUMNS} FROM invites ORDER BY id DESC LIMIT $1");
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(i64::from(limit))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(invite_from_row).collect()
            })
        })
    }
}

#[async_trait]
impl InviteTx for SqlTx {
    async fn insert_invite(&mut self, i: &Invite) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO invites (id, code, user_id, max_uses, uses, expires_at, comment, \
             revoked_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            i.id.as_i64(),
            i.code.as_str(),
            i.user_id.map(Id::as_i64),
            i.max_uses,
            i.uses,
            i.expires_at.map(Timestamp::as_millis),
            i.comment.as_str(),
            i.revoked_at.map(Timestamp::as_millis),
            i.created_at.as_millis()
        )?;
        Ok(())
    }

    async fn use_invite(&mut self, id: Id, now: Timestamp) -> Result<bool> {
        // One statement: two sign-ups racing for the last use cannot both have it.
        Ok(exec!(
            self.conn(),
            "UPDATE invites SET uses = uses + 1 WHERE id = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2) \
             AND (max_uses IS NULL OR uses < max_uses)",
            id.as_i64(),
            now.as_millis()
        )? == 1)
    }

    async fn give_back_invite(&mut self, id: Id) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE invites SET uses = uses - 1 WHERE id = $1 AND uses > 0",
            id.as_i64()
        )?;
        Ok(())
    }

    async fn revoke_invite(&mut self, code: &str, now: Timestamp) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE invites SET revoked_at = $1 WHERE code = $2 AND revoked_at IS NULL",
            now.as_millis(),
            code
        )? == 1)
    }
}
