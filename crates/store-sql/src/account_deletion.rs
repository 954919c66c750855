//! Accounts their owners deleted.
//!
//! Purging relies on the schema: every table that refers to an account or its user does so
//! with `ON DELETE CASCADE`, so deleting the row removes all the account owned, in one
//! statement that cannot forget a table added later. The row is then written back, emptied,
//! under the same id: the username stays taken and the key still signs the `Delete`.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{AccountDeletionStore, AccountDeletionTx, Result};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::transaction::SqlTx;

/// What is kept of a deleted account.
struct Kept {
    username: String,
    uri: Option<String>,
    url: Option<String>,
    actor_type: String,
    public_key_pem: String,
    private_key_pem: Option<String>,
    created_at: i64,
    deleted_at: i64,
}

fn kept_from_row(r: &impl Fields) -> Result<Kept> {
    Ok(Kept {
        username: r.text("username")?,
        uri: r.opt_text("uri")?,
        url: r.opt_text("url")?,
        actor_type: r.text("actor_type")?,
        public_key_pem: r.text("public_key_pem")?,
        private_key_pem: r.opt_text("private_key_pem")?,
        created_at: r.int("created_at")?,
        deleted_at: r.int("deleted_at")?,
    })
}

fn deleted_at(r: &impl Fields) -> Result<Option<i64>> {
    r.opt_int("deleted_at")
}

fn found(r: &impl Fields) -> Result<i64> {
    r.int("n")
}

/// `column - 1`, never below zero.
fn minus_one(column: &str) -> String {
    format!("{column} = CASE WHEN {column} > 0 THEN {column} - 1 ELSE 0 END")
}

/// Takes account `id` out of the counts its relationships are part of (others' followers and
/// following, favourites on others' statuses), before it is deleted.
async fn release_counts(mut c: Conn<'_>, id: Id) -> Result<()> {
    let id = id.as_i64();
    let followers = format!(
        "UPDATE accounts SET {} \
         WHERE id IN (SELECT target_account_id FROM follows WHERE account_id = $1)",
        minus_one("followers_count")
    );
    exec!(c.reborrow(), sqlx::AssertSqlSafe(followers), id)?;
    let following = format!(
        "UPDATE accounts SET {} \
         WHERE id IN (SELECT account_id FROM follows WHERE target_account_id = $1)",
        minus_one("following_count")
    );
    exec!(c.reborrow(), sqlx::AssertSqlSafe(following), id)?;
    let favourites = format!(
        "UPDATE statuses SET {} WHERE account_id <> $1 \
         AND id IN (SELECT status_id FROM favourites WHERE account_id = $1)",
        minus_one("favourites_count")
    );
    exec!(c, sqlx::AssertSqlSafe(favourites), id)?;
    Ok(())
}

/// Deletes up to `limit` of account `id`'s statuses (and, by cascade, what hangs on them),
/// taking them out of others' boost and reply counts and moving others' direct conversations
/// back to the message before; returns how many went.
pub(crate) async fn delete_statuses_batch(mut c: Conn<'_>, id: Id, limit: i64) -> Result<u64> {
    let ids: Vec<i64> = with_conn!(c.reborrow(), |e, p| {
        let rows =
            sqlx::query("SELECT id FROM statuses WHERE account_id = $1 ORDER BY id LIMIT $2")
                .bind(id.as_i64())
                .bind(limit)
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
        rows.iter().map(|r| r.int("id")).collect::<Result<_>>()
    })?;
    if ids.is_empty() {
        return Ok(0);
    }
    // Ids read from the table just now: numbers only.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let threads: Vec<i64> = with_conn!(c.reborrow(), |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT COALESCE(conversation_id, id) AS thread FROM statuses \
             WHERE id IN ({list}) AND visibility = 'direct'"
        )))
        .persistent(p)
        .fetch_all(&mut *e)
        .await
        .map_err(map_err)?;
        rows.iter().map(|r| r.int("thread")).collect::<Result<_>>()
    })?;
    let reblogs = format!(
        "UPDATE statuses SET {} WHERE account_id <> $1 AND id IN \
         (SELECT reblog_of_id FROM statuses WHERE id IN ({list}) AND reblog_of_id IS NOT NULL)",
        minus_one("reblogs_count")
    );
    exec!(c.reborrow(), sqlx::AssertSqlSafe(reblogs), id.as_i64())?;
    let replies_here = format!(
        "(SELECT COUNT(*) FROM statuses r WHERE r.in_reply_to_id = statuses.id \
          AND r.id IN ({list}) AND r.reblog_of_id IS NULL)"
    );
    let replies = format!(
        "UPDATE statuses SET replies_count = CASE WHEN replies_count > {replies_here} \
         THEN replies_count - {replies_here} ELSE 0 END \
         WHERE account_id <> $1 AND id IN (SELECT in_reply_to_id FROM statuses \
         WHERE id IN ({list}) AND in_reply_to_id IS NOT NULL AND reblog_of_id IS NULL)"
    );
    exec!(c.reborrow(), sqlx::AssertSqlSafe(replies), id.as_i64())?;
    let deleted = exec!(
        c.reborrow(),
        sqlx::AssertSqlSafe(format!("DELETE FROM statuses WHERE id IN ({list})"))
    )?;
    for thread in threads {
        // The others' rows move back to the newest direct status left that they were part of.
        exec!(
            c.reborrow(),
            "UPDATE account_conversations SET last_status_id = COALESCE((\
               SELECT MAX(s.id) FROM statuses s WHERE s.visibility = 'direct' \
               AND (s.conversation_id = $1 OR s.id = $1) \
               AND (s.account_id = account_conversations.account_id OR EXISTS (\
                 SELECT 1 FROM mentions m WHERE m.status_id = s.id \
                 AND m.account_id = account_conversations.account_id))), 0) \
             WHERE conversation_id = $1 AND NOT EXISTS (\
               SELECT 1 FROM statuses s WHERE s.id = account_conversations.last_status_id)",
            thread
        )?;
        exec!(
            c.reborrow(),
            "DELETE FROM account_conversations WHERE conversation_id = $1 AND last_status_id = 0",
            thread
        )?;
    }
    Ok(deleted)
}

/// Deletes account `id` and, through the schema's cascades, all it owned (its statuses first,
/// in batches, with the counts and conversations they were part of).
pub(crate) async fn delete_account_row(mut c: Conn<'_>, id: Id, local: bool) -> Result<bool> {
    let sql = if local {
        "SELECT COUNT(*) AS n FROM accounts WHERE id = $1 AND domain IS NULL"
    } else {
        "SELECT COUNT(*) AS n FROM accounts WHERE id = $1 AND domain IS NOT NULL"
    };
    if fetch_optional!(c.reborrow(), sql, found, id.as_i64())?.unwrap_or(0) == 0 {
        return Ok(false); // not such an account: nothing is touched
    }
    while delete_statuses_batch(c.reborrow(), id, 500).await? > 0 {}
    release_counts(c.reborrow(), id).await?;
    let sql = if local {
        "DELETE FROM accounts WHERE id = $1 AND domain IS NULL"
    } else {
        "DELETE FROM accounts WHERE id = $1 AND domain IS NOT NULL"
    };
    Ok(exec!(c, sql, id.as_i64())? == 1)
}

#[async_trait]
impl AccountDeletionStore for SqlStore {
    async fn deletion_requested(&self, account_id: Id) -> Result<Option<Timestamp>> {
        let sql = "SELECT deleted_at FROM accounts WHERE id = $1 AND domain IS NULL";
        let at = read!(&self.pools, |c| {
            fetch_optional!(c, sql, deleted_at, account_id.as_i64())
        })?;
        Ok(at.flatten().map(Timestamp::from_millis))
    }

    async fn deleted_local(&self, username: &str) -> Result<bool> {
        let sql = "SELECT COUNT(*) AS n FROM accounts WHERE lower(username) = lower($1) \
                   AND domain IS NULL AND deleted_at IS NOT NULL";
        let n = read!(&self.pools, |c| fetch_optional!(c, sql, found, username))?;
        Ok(n.unwrap_or(0) > 0)
    }

    async fn known_inboxes(&self) -> Result<Vec<String>> {
        let sql = "SELECT DISTINCT COALESCE(NULLIF(shared_inbox_url, ''), inbox_url) AS inbox \
                   FROM accounts WHERE domain IS NOT NULL \
                   AND COALESCE(NULLIF(shared_inbox_url, ''), NULLIF(inbox_url, '')) IS NOT NULL \
                   ORDER BY inbox";
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sql)
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(|r| r.text("inbox")).collect()
            })
        })
    }
}

#[async_trait]
impl AccountDeletionTx for SqlTx {
    async fn purge_statuses(&mut self, account_id: Id, limit: u32) -> Result<u64> {
        let marked = fetch_optional!(
            self.conn(),
            "SELECT deleted_at FROM accounts WHERE id = $1 AND domain IS NULL",
            deleted_at,
            account_id.as_i64()
        )?
        .flatten();
        if marked.is_none() {
            return Ok(0);
        }
        delete_statuses_batch(self.conn(), account_id, i64::from(limit)).await
    }

    async fn mark_deleted(&mut self, account_id: Id, now: Timestamp) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE accounts SET deleted_at = $1, suspended_at = COALESCE(suspended_at, $1), \
             updated_at = $1 WHERE id = $2 AND domain IS NULL AND deleted_at IS NULL",
            now.as_millis(),
            account_id.as_i64()
        )? == 1)
    }

    async fn purge_deleted(&mut self, account_id: Id, now: Timestamp) -> Result<bool> {
        let id = account_id.as_i64();
        // Not purged yet: its user is still there (a second run finds nothing to do, and
        // announces nothing again).
        let sql = "SELECT username, uri, url, actor_type, public_key_pem, private_key_pem, \
                   created_at, deleted_at FROM accounts a \
                   WHERE id = $1 AND domain IS NULL AND deleted_at IS NOT NULL \
                   AND EXISTS (SELECT 1 FROM users u WHERE u.account_id = a.id)";
        let Some(kept) = fetch_optional!(self.conn(), sql, kept_from_row, id)? else {
            return Ok(false);
        };
        delete_account_row(self.conn(), account_id, true).await?;
        exec!(
            self.conn(),
            "INSERT INTO accounts (id, username, domain, uri, url, actor_type, public_key_pem, \
             private_key_pem, locked, discoverable, suspended_at, deleted_at, created_at, \
             updated_at) VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, TRUE, FALSE, $8, $8, $9, $10)",
            id,
            kept.username.as_str(),
            kept.uri.as_deref(),
            kept.url.as_deref(),
            kept.actor_type.as_str(),
            kept.public_key_pem.as_str(),
            kept.private_key_pem.as_deref(),
            kept.deleted_at,
            kept.created_at,
            now.as_millis()
        )?;
        Ok(true)
    }
}
