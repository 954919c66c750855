//! The lists area: lists, their members and their feeds.

use async_trait::async_trait;
use rookery_model::{Account, Id, Status, Timestamp};
use rookery_store::{List, ListStore, ListTx, RepliesPolicy, Result, StoreError, TimelinePage};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::{STATUS_COLUMNS, paged_statuses, placeholders};
use crate::transaction::SqlTx;

const COLUMNS: &str = "l.id, l.account_id, l.title, l.replies_policy, l.exclusive, l.created_at";

fn from_row(r: &impl Fields) -> Result<List> {
    let policy = r.text("replies_policy")?;
    Ok(List {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        title: r.text("title")?,
        replies_policy: RepliesPolicy::parse(&policy)
            .ok_or_else(|| StoreError::Corrupt(format!("replies policy {policy:?}")))?,
        exclusive: r.flag("exclusive")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

/// Lists matching `clause` (over `$1`, `$2`).
async fn lists_where(c: Conn<'_>, clause: &str, a: i64, b: i64) -> Result<Vec<List>> {
    let sql = format!("SELECT {COLUMNS} FROM lists l WHERE {clause} ORDER BY l.title, l.id");
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(a)
            .bind(b)
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(from_row).collect()
    })
}

async fn members_among(c: Conn<'_>, list_id: Id, accounts: &[Id]) -> Result<Vec<Id>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT account_id FROM list_accounts WHERE list_id = $1 AND account_id IN ({})",
        placeholders(2, accounts.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(list_id.as_i64());
        for a in accounts {
            q = q.bind(a.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter()
            .map(|r| r.int("account_id").map(Id::from_i64))
            .collect()
    })
}

#[async_trait]
impl ListStore for SqlStore {
    async fn lists(&self, account_id: Id) -> Result<Vec<List>> {
        read!(&self.pools, |c| lists_where(
            c,
            "l.account_id = $1 AND $2 = $2",
            account_id.as_i64(),
            0
        )
        .await)
    }

    async fn list(&self, account_id: Id, list_id: Id) -> Result<Option<List>> {
        let sql = format!("SELECT {COLUMNS} FROM lists l WHERE l.account_id = $1 AND l.id = $2");
        read!(&self.pools, |c| fetch_optional!(
            c,
            sql.as_str(),
            from_row,
            account_id.as_i64(),
            list_id.as_i64()
        ))
    }

    async fn list_members(&self, list_id: Id, page: TimelinePage) -> Result<Vec<(Id, Account)>> {
        let sql = format!(
            "SELECT m.id AS row_id, {} FROM list_accounts m JOIN accounts a ON a.id = m.account_id \
             WHERE m.list_id = $1 AND m.id > $2 AND m.id < $3 ORDER BY m.id {{order}} LIMIT $4",
            crate::accounts::ACCOUNT_COLUMNS
        );
        read!(&self.pools, |c| crate::statuses::keyed_accounts(
            c, &sql, list_id, page
        )
        .await)
    }

    async fn lists_with_member(&self, owner: Id, member: Id) -> Result<Vec<List>> {
        read!(&self.pools, |c| {
            lists_where(
            c,
            "l.account_id = $1 AND l.id IN (SELECT list_id FROM list_accounts WHERE account_id = $2)",
            owner.as_i64(),
            member.as_i64()
        )
        .await
        })
    }

    async fn lists_of_member(&self, member: Id) -> Result<Vec<List>> {
        read!(&self.pools, |c| lists_where(
            c,
            "l.id IN (SELECT list_id FROM list_accounts WHERE account_id = $1) AND $2 = $2",
            member.as_i64(),
            0
        )
        .await)
    }

    async fn members_among(&self, list_id: Id, accounts: &[Id]) -> Result<Vec<Id>> {
        read!(&self.pools, |c| members_among(c, list_id, accounts).await)
    }

    async fn list_timeline(&self, list_id: Id, page: TimelinePage) -> Result<Vec<Status>> {
        let sql = format!(
            "SELECT {STATUS_COLUMNS} FROM list_feed f JOIN statuses s ON s.id = f.status_id \
             WHERE f.list_id = $1 AND f.status_id > $2 AND f.status_id < $3 \
             ORDER BY f.status_id {{order}} LIMIT $4"
        );
        read!(&self.pools, |c| paged_statuses(
            c,
            &sql,
            &[list_id.as_i64()],
            page
        )
        .await)
    }
}

#[async_trait]
impl ListTx for SqlTx {
    async fn insert_list(&mut self, l: &List) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO lists (id, account_id, title, replies_policy, exclusive, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            l.id.as_i64(),
            l.account_id.as_i64(),
            l.title.as_str(),
            l.replies_policy.as_str(),
            l.exclusive,
            l.created_at.as_millis()
        )
        .map(drop)
    }

    async fn update_list(&mut self, l: &List) -> Result<bool> {
        exec!(
            self.conn(),
            "UPDATE lists SET title = $1, replies_policy = $2, exclusive = $3 \
             WHERE id = $4 AND account_id = $5",
            l.title.as_str(),
            l.replies_policy.as_str(),
            l.exclusive,
            l.id.as_i64(),
            l.account_id.as_i64()
        )
        .map(|n| n == 1)
    }

    async fn delete_list(&mut self, account_id: Id, list_id: Id) -> Result<bool> {
        // Members and the feed go by ON DELETE CASCADE (SQLite runs with foreign keys on).
        exec!(
            self.conn(),
            "DELETE FROM lists WHERE id = $1 AND account_id = $2",
            list_id.as_i64(),
            account_id.as_i64()
        )
        .map(|n| n == 1)
    }

    async fn add_list_members(&mut self, list_id: Id, members: &[(Id, Id)]) -> Result<Vec<Id>> {
        let mut added = Vec::new();
        for (row_id, account) in members {
            // Checked in the same statement, so an unfollow committed meanwhile wins.
            let n = exec!(
                self.conn(),
                "INSERT INTO list_accounts (list_id, account_id, id) \
                 SELECT l.id, $2, $3 FROM lists l WHERE l.id = $1 AND EXISTS (\
                   SELECT 1 FROM follows f WHERE f.account_id = l.account_id \
                   AND f.target_account_id = $2) \
                 ON CONFLICT DO NOTHING",
                list_id.as_i64(),
                account.as_i64(),
                row_id.as_i64()
            )?;
            if n == 1 {
                added.push(*account);
            }
        }
        Ok(added)
    }

    async fn remove_list_members(&mut self, list_id: Id, accounts: &[Id]) -> Result<u64> {
        let mut total = 0;
        for account in accounts {
            total += exec!(
                self.conn(),
                "DELETE FROM list_accounts WHERE list_id = $1 AND account_id = $2",
                list_id.as_i64(),
                account.as_i64()
            )?;
            exec!(
                self.conn(),
                "DELETE FROM list_feed WHERE list_id = $1 AND status_id IN \
                 (SELECT id FROM statuses WHERE account_id = $2)",
                list_id.as_i64(),
                account.as_i64()
            )?;
        }
        Ok(total)
    }

    async fn remove_from_owner_lists(&mut self, owner: Id, member: Id) -> Result<u64> {
        exec!(
            self.conn(),
            "DELETE FROM list_feed WHERE list_id IN (SELECT id FROM lists WHERE account_id = $1) \
             AND status_id IN (SELECT id FROM statuses WHERE account_id = $2)",
            owner.as_i64(),
            member.as_i64()
        )?;
        exec!(
            self.conn(),
            "DELETE FROM list_accounts WHERE account_id = $2 \
             AND list_id IN (SELECT id FROM lists WHERE account_id = $1)",
            owner.as_i64(),
            member.as_i64()
        )
    }

    async fn add_to_list_feeds(
        &mut self,
        status_id: Id,
        reblog_of_id: Option<Id>,
        list_ids: &[Id],
    ) -> Result<u64> {
        crate::statuses::add_to_feed_table(
            self.conn(),
            crate::statuses::Feed::List,
            status_id,
            reblog_of_id,
            list_ids,
        )
        .await
    }

    async fn backfill_list_feed(
        &mut self,
        list_id: Id,
        author: Id,
        visibilities: &[&str],
        limit: u32,
    ) -> Result<u64> {
        if visibilities.is_empty() {
            return Ok(0);
        }
        // Visibility names come from the model's enum, never from input.
        let names: Vec<String> = visibilities.iter().map(|v| format!("'{v}'")).collect();
        let sql = format!(
            "INSERT INTO list_feed (list_id, status_id, reblog_of_id) \
             SELECT $1, s.id, s.reblog_of_id FROM statuses s \
             WHERE s.account_id = $2 AND s.visibility IN ({}) \
             ORDER BY s.id DESC LIMIT $3 ON CONFLICT DO NOTHING",
            names.join(", ")
        );
        with_conn!(self.conn(), |e, p| {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(list_id.as_i64())
                .bind(author.as_i64())
                .bind(i64::from(limit))
                .persistent(p)
                .execute(&mut *e)
                .await
                .map_err(map_err)
                .map(|d| d.rows_affected())
        })
    }
}
