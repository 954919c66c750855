//! Notification policies and requests.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    NotificationPolicy, NotificationRequest, NotificationRequestStore, NotificationRequestTx,
    PolicyAction, Result, SenderFacts, StoreError, TimelinePage,
};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::{bounds, placeholders};
use crate::transaction::SqlTx;

/// A thread is walked up this many statuses at most when looking for who started it.
const MAX_THREAD_DEPTH: u32 = 100;

fn action(r: &impl Fields, col: &str) -> Result<PolicyAction> {
    let text = r.text(col)?;
    PolicyAction::parse(&text)
        .ok_or_else(|| StoreError::Corrupt(format!("notification policy {col} = {text:?}")))
}

fn policy_from_row(r: &impl Fields) -> Result<NotificationPolicy> {
    Ok(NotificationPolicy {
        for_not_following: action(r, "for_not_following")?,
        for_not_followers: action(r, "for_not_followers")?,
        for_new_accounts: action(r, "for_new_accounts")?,
        for_private_mentions: action(r, "for_private_mentions")?,
        for_limited_accounts: action(r, "for_limited_accounts")?,
    })
}

/// Requests with their counts, computed from the filtered notifications they stand for.
const REQUEST_SELECT: &str = "SELECT r.id, r.account_id, r.from_account_id, r.created_at, \
    r.updated_at, \
    (SELECT COUNT(*) FROM notifications n WHERE n.account_id = r.account_id \
       AND n.from_account_id = r.from_account_id AND n.filtered) AS notifications_count, \
    (SELECT MAX(n.status_id) FROM notifications n WHERE n.account_id = r.account_id \
       AND n.from_account_id = r.from_account_id AND n.filtered) AS last_status_id \
    FROM notification_requests r";

/// Requests still standing for something: a request whose notifications all went (their
/// status deleted, cleared, dismissed) is not listed or counted.
const STANDING: &str = "EXISTS (SELECT 1 FROM notifications n WHERE n.account_id = r.account_id \
    AND n.from_account_id = r.from_account_id AND n.filtered)";

fn request_from_row(r: &impl Fields) -> Result<NotificationRequest> {
    Ok(NotificationRequest {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        from_account_id: Id::from_i64(r.int("from_account_id")?),
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
        notifications_count: r.int("notifications_count")?,
        last_status_id: r.opt_int("last_status_id")?.map(Id::from_i64),
    })
}

async fn policy(c: Conn<'_>, account_id: Id) -> Result<NotificationPolicy> {
    Ok(fetch_optional!(
        c,
        "SELECT for_not_following, for_not_followers, for_new_accounts, \
         for_private_mentions, for_limited_accounts \
         FROM notification_policies WHERE account_id = $1",
        policy_from_row,
        account_id.as_i64()
    )?
    .unwrap_or_default())
}

async fn requests_page(
    c: Conn<'_>,
    account_id: Id,
    page: TimelinePage,
) -> Result<Vec<NotificationRequest>> {
    let (lower, upper, asc) = bounds(page);
    let sql = format!(
        "{REQUEST_SELECT} WHERE r.account_id = $1 AND r.id > $2 AND r.id < $3 AND {STANDING} \
         ORDER BY r.id {} LIMIT $4",
        if asc { "ASC" } else { "DESC" }
    );
    let mut out = with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(account_id.as_i64())
            .bind(lower)
            .bind(upper)
            .bind(i64::from(page.limit))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(request_from_row)
            .collect::<Result<Vec<_>>>()
    })?;
    if asc {
        out.reverse();
    }
    Ok(out)
}

/// The senders of the account's requests among `ids`.
async fn senders(c: Conn<'_>, account_id: Id, ids: &[Id]) -> Result<Vec<Id>> {
    let sql = format!(
        "SELECT from_account_id FROM notification_requests \
         WHERE account_id = $1 AND id IN ({})",
        placeholders(2, ids.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(account_id.as_i64());
        for id in ids {
            q = q.bind(id.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter()
            .map(|r| r.int("from_account_id").map(Id::from_i64))
            .collect()
    })
}

/// Deletes the account's requests among `ids`.
async fn delete_requests(c: Conn<'_>, account_id: Id, ids: &[Id]) -> Result<u64> {
    let sql = format!(
        "DELETE FROM notification_requests WHERE account_id = $1 AND id IN ({})",
        placeholders(2, ids.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(account_id.as_i64());
        for id in ids {
            q = q.bind(id.as_i64());
        }
        q.persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected())
    })
}

#[async_trait]
impl NotificationRequestStore for SqlStore {
    async fn notification_policy(&self, account_id: Id) -> Result<NotificationPolicy> {
        read!(&self.pools, |c| policy(c, account_id).await)
    }

    async fn notification_requests(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<NotificationRequest>> {
        read!(&self.pools, |c| requests_page(c, account_id, page).await)
    }

    async fn notification_request(
        &self,
        account_id: Id,
        id: Id,
    ) -> Result<Option<NotificationRequest>> {
        let sql = format!("{REQUEST_SELECT} WHERE r.account_id = $1 AND r.id = $2 AND {STANDING}");
        read!(&self.pools, |c| fetch_optional!(
            c,
            sql.as_str(),
            request_from_row,
            account_id.as_i64(),
            id.as_i64()
        ))
    }

    async fn pending_counts(&self, account_id: Id, cap: i64) -> Result<(i64, i64)> {
        let sql = format!(
            "SELECT \
             (SELECT COUNT(*) FROM (SELECT 1 FROM notification_requests r \
                WHERE r.account_id = $1 AND {STANDING} LIMIT $2) q) AS requests, \
             (SELECT COUNT(*) FROM (SELECT 1 FROM notifications n \
                JOIN notification_requests q ON q.account_id = n.account_id \
                AND q.from_account_id = n.from_account_id \
                WHERE n.account_id = $1 AND n.filtered LIMIT $3) f) AS filtered"
        );
        read!(&self.pools, |c| fetch_optional!(
            c,
            sql.as_str(),
            |r: &_| Ok((r.int("requests")?, r.int("filtered")?)),
            account_id.as_i64(),
            cap,
            cap.saturating_mul(100)
        ))
        .map(Option::unwrap_or_default)
    }
}

#[async_trait]
impl NotificationRequestTx for SqlTx {
    async fn policy_in_tx(&mut self, account_id: Id) -> Result<NotificationPolicy> {
        policy(self.conn(), account_id).await
    }

    async fn set_notification_policy(
        &mut self,
        account_id: Id,
        policy: &NotificationPolicy,
        now: Timestamp,
    ) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO notification_policies (account_id, for_not_following, \
             for_not_followers, for_new_accounts, for_private_mentions, for_limited_accounts, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (account_id) DO UPDATE SET \
             for_not_following = excluded.for_not_following, \
             for_not_followers = excluded.for_not_followers, \
             for_new_accounts = excluded.for_new_accounts, \
             for_private_mentions = excluded.for_private_mentions, \
             for_limited_accounts = excluded.for_limited_accounts, \
             updated_at = excluded.updated_at",
            account_id.as_i64(),
            policy.for_not_following.as_str(),
            policy.for_not_followers.as_str(),
            policy.for_new_accounts.as_str(),
            policy.for_private_mentions.as_str(),
            policy.for_limited_accounts.as_str(),
            now.as_millis()
        )?;
        Ok(())
    }

    async fn sender_facts(&mut self, account_id: Id, from_account_id: Id) -> Result<SenderFacts> {
        fetch_optional!(
            self.conn(),
            "SELECT \
             EXISTS (SELECT 1 FROM notification_permissions \
               WHERE account_id = $1 AND from_account_id = $2) AS permitted, \
             EXISTS (SELECT 1 FROM follows WHERE account_id = $1 AND target_account_id = $2) \
               AS followed, \
             (SELECT created_at FROM follows \
               WHERE account_id = $2 AND target_account_id = $1) AS follower_since, \
             (SELECT created_at FROM accounts WHERE id = $2) AS sender_created_at",
            |r: &_| Ok(SenderFacts {
                permitted: r.flag("permitted")?,
                followed: r.flag("followed")?,
                follower_since: r.opt_int("follower_since")?.map(Timestamp::from_millis),
                sender_created_at: r.opt_int("sender_created_at")?.map(Timestamp::from_millis),
            }),
            account_id.as_i64(),
            from_account_id.as_i64()
        )?
        .ok_or_else(|| StoreError::Database("sender facts: no row".to_owned()))
    }

    async fn unsolicited_private_mention(
        &mut self,
        status_id: Id,
        recipient: Id,
        sender: Id,
    ) -> Result<bool> {
        // Up the thread from the status's parent, for a direct status of the recipient that
        // mentioned the sender (Mastodon's "response to recipient").
        let sql = format!(
            "WITH RECURSIVE up (id, in_reply_to_id, depth) AS ( \
               SELECT s.id, s.in_reply_to_id, 0 FROM statuses s \
               WHERE s.id = (SELECT in_reply_to_id FROM statuses WHERE id = $1) \
               UNION ALL \
               SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM up \
               JOIN statuses s ON s.id = up.in_reply_to_id WHERE up.depth < {MAX_THREAD_DEPTH}) \
             SELECT \
             EXISTS (SELECT 1 FROM statuses WHERE id = $1 AND visibility = 'direct') AS direct, \
             EXISTS (SELECT 1 FROM up JOIN statuses s ON s.id = up.id \
               JOIN mentions m ON m.status_id = s.id \
               WHERE s.account_id = $2 AND s.visibility = 'direct' \
               AND m.account_id = $3 AND NOT m.silent) AS answered"
        );
        let answered = fetch_optional!(
            self.conn(),
            sql,
            |r: &_| Ok((r.flag("direct")?, r.flag("answered")?)),
            status_id.as_i64(),
            recipient.as_i64(),
            sender.as_i64()
        )?;
        Ok(matches!(answered, Some((true, false))))
    }

    async fn note_request(
        &mut self,
        id: Id,
        account_id: Id,
        from_account_id: Id,
        now: Timestamp,
    ) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO notification_requests \
             (id, account_id, from_account_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (account_id, from_account_id) DO UPDATE SET \
             updated_at = excluded.updated_at",
            id.as_i64(),
            account_id.as_i64(),
            from_account_id.as_i64(),
            now.as_millis()
        )?;
        Ok(())
    }

    async fn accept_requests(
        &mut self,
        account_id: Id,
        ids: &[Id],
        now: Timestamp,
    ) -> Result<Vec<Id>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let from = senders(self.conn(), account_id, ids).await?;
        for sender in &from {
            exec!(
                self.conn(),
                "INSERT INTO notification_permissions (account_id, from_account_id, created_at) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                account_id.as_i64(),
                sender.as_i64(),
                now.as_millis()
            )?;
            exec!(
                self.conn(),
                "UPDATE notifications SET filtered = FALSE \
                 WHERE account_id = $1 AND from_account_id = $2 AND filtered",
                account_id.as_i64(),
                sender.as_i64()
            )?;
        }
        delete_requests(self.conn(), account_id, ids).await?;
        Ok(from)
    }

    async fn dismiss_requests(&mut self, account_id: Id, ids: &[Id]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        for sender in senders(self.conn(), account_id, ids).await? {
            exec!(
                self.conn(),
                "DELETE FROM notifications \
                 WHERE account_id = $1 AND from_account_id = $2 AND filtered",
                account_id.as_i64(),
                sender.as_i64()
            )?;
        }
        delete_requests(self.conn(), account_id, ids).await
    }
}
