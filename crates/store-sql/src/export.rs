//! Exports of an account's data, paged by key, and account archives.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    AccountArchive, ArchiveState, ExportCounts, ExportRow, ExportStore, ExportTx, ExportedAccount,
    ExportedStatus, FollowedAccount, MutedAccount, Result, StoreError,
};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::transaction::SqlTx;

/// Runs a query with the given binds on a read connection and maps every row with `$map`.
macro_rules! rows {
    ($pools:expr, $sql:expr, $map:expr $(, $bind:expr)*) => {
        read!($pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(String::from($sql)))
                    $(.bind($bind))*
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map($map).collect::<Result<Vec<_>>>()
            })
        })
    };
}

/// `after` as a bind: ids are positive, so 0 means "from the start".
fn after_key(after: Option<Id>) -> i64 {
    after.map_or(0, Id::as_i64)
}

fn limit_of(limit: u32) -> i64 {
    i64::from(limit.clamp(1, 10_000))
}

fn exported(r: &impl Fields) -> Result<ExportedAccount> {
    Ok(ExportedAccount {
        username: r.text("username")?,
        domain: r.opt_text("domain")?,
    })
}

fn key(r: &impl Fields) -> Result<Id> {
    Ok(Id::from_i64(r.int("k")?))
}

fn account_row(r: &impl Fields) -> Result<ExportRow<ExportedAccount>> {
    Ok(ExportRow {
        key: key(r)?,
        item: exported(r)?,
    })
}

fn status_row(r: &impl Fields) -> Result<ExportRow<ExportedStatus>> {
    Ok(ExportRow {
        key: key(r)?,
        item: ExportedStatus {
            status_id: Id::from_i64(r.int("status_id")?),
            local: r.flag("local")?,
            uri: r.opt_text("uri")?,
            author_username: r.text("username")?,
        },
    })
}

const ARCHIVE_COLUMNS: &str = "id, user_id, state, storage_key, size, created_at, completed_at";

fn archive_from_row(r: &impl Fields) -> Result<AccountArchive> {
    let state = r.text("state")?;
    Ok(AccountArchive {
        id: Id::from_i64(r.int("id")?),
        user_id: Id::from_i64(r.int("user_id")?),
        state: ArchiveState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("archive state {state:?}")))?,
        storage_key: r.opt_text("storage_key")?,
        size: r.int("size")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        completed_at: r.opt_int("completed_at")?.map(Timestamp::from_millis),
    })
}

fn count(r: &impl Fields) -> Result<i64> {
    r.int("n")
}

impl SqlStore {
    async fn count_of(&self, sql: &str, account_id: Id) -> Result<i64> {
        Ok(read!(&self.pools, |c| {
            fetch_optional!(c, sql, count, account_id.as_i64())
        })?
        .unwrap_or(0))
    }
}

#[async_trait]
impl ExportStore for SqlStore {
    async fn counts(&self, account_id: Id, now: Timestamp) -> Result<ExportCounts> {
        let mutes = read!(&self.pools, |c| {
            fetch_optional!(
                c,
                "SELECT COUNT(*) AS n FROM mutes WHERE account_id = $1 \
                 AND (expires_at IS NULL OR expires_at > $2)",
                count,
                account_id.as_i64(),
                now.as_millis()
            )
        })?
        .unwrap_or(0);
        Ok(ExportCounts {
            following: self
                .count_of(
                    "SELECT COUNT(*) AS n FROM follows WHERE account_id = $1",
                    account_id,
                )
                .await?,
            followers: self
                .count_of(
                    "SELECT COUNT(*) AS n FROM follows WHERE target_account_id = $1",
                    account_id,
                )
                .await?,
            lists: self
                .count_of(
                    "SELECT COUNT(*) AS n FROM lists WHERE account_id = $1",
                    account_id,
                )
                .await?,
            blocks: self
                .count_of(
                    "SELECT COUNT(*) AS n FROM blocks WHERE account_id = $1",
                    account_id,
                )
                .await?,
            mutes,
            domain_blocks: self
                .count_of(
                    "SELECT COUNT(*) AS n FROM user_domain_blocks WHERE account_id = $1",
                    account_id,
                )
                .await?,
            bookmarks: self
                .count_of(
                    "SELECT COUNT(*) AS n FROM bookmarks WHERE account_id = $1",
                    account_id,
                )
                .await?,
        })
    }

    async fn following(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<FollowedAccount>>> {
        rows!(
            &self.pools,
            "SELECT f.id AS k, a.username, a.domain, f.show_reblogs, f.notify FROM follows f \
             JOIN accounts a ON a.id = f.target_account_id \
             WHERE f.account_id = $1 AND f.id > $2 ORDER BY f.id LIMIT $3",
            |r| {
                Ok(ExportRow {
                    key: key(r)?,
                    item: FollowedAccount {
                        account: exported(r)?,
                        show_reblogs: r.flag("show_reblogs")?,
                        notify: r.flag("notify")?,
                    },
                })
            },
            account_id.as_i64(),
            after_key(after),
            limit_of(limit)
        )
    }

    async fn followers(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedAccount>>> {
        rows!(
            &self.pools,
            "SELECT f.id AS k, a.username, a.domain FROM follows f \
             JOIN accounts a ON a.id = f.account_id \
             WHERE f.target_account_id = $1 AND f.id > $2 ORDER BY f.id LIMIT $3",
            account_row,
            account_id.as_i64(),
            after_key(after),
            limit_of(limit)
        )
    }

    async fn lists(&self, account_id: Id) -> Result<Vec<(Id, String)>> {
        rows!(
            &self.pools,
            "SELECT id AS k, title FROM lists WHERE account_id = $1 ORDER BY id",
            |r| Ok((key(r)?, r.text("title")?)),
            account_id.as_i64()
        )
    }

    async fn list_members(
        &self,
        list_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedAccount>>> {
        rows!(
            &self.pools,
            "SELECT la.id AS k, a.username, a.domain FROM list_accounts la \
             JOIN accounts a ON a.id = la.account_id \
             WHERE la.list_id = $1 AND la.id > $2 ORDER BY la.id LIMIT $3",
            account_row,
            list_id.as_i64(),
            after_key(after),
            limit_of(limit)
        )
    }

    async fn blocks(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedAccount>>> {
        rows!(
            &self.pools,
            "SELECT b.id AS k, a.username, a.domain FROM blocks b \
             JOIN accounts a ON a.id = b.target_account_id \
             WHERE b.account_id = $1 AND b.id > $2 ORDER BY b.id LIMIT $3",
            account_row,
            account_id.as_i64(),
            after_key(after),
            limit_of(limit)
        )
    }

    async fn mutes(
        &self,
        account_id: Id,
        now: Timestamp,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<MutedAccount>>> {
        rows!(
            &self.pools,
            "SELECT m.id AS k, a.username, a.domain, m.hide_notifications FROM mutes m \
             JOIN accounts a ON a.id = m.target_account_id \
             WHERE m.account_id = $1 AND m.id > $2 \
             AND (m.expires_at IS NULL OR m.expires_at > $4) ORDER BY m.id LIMIT $3",
            |r| {
                Ok(ExportRow {
                    key: key(r)?,
                    item: MutedAccount {
                        account: exported(r)?,
                        hide_notifications: r.flag("hide_notifications")?,
                    },
                })
            },
            account_id.as_i64(),
            after_key(after),
            limit_of(limit),
            now.as_millis()
        )
    }

    async fn domain_blocks(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<String>>> {
        rows!(
            &self.pools,
            "SELECT id AS k, domain FROM user_domain_blocks \
             WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            |r| {
                Ok(ExportRow {
                    key: key(r)?,
                    item: r.text("domain")?,
                })
            },
            account_id.as_i64(),
            after_key(after),
            limit_of(limit)
        )
    }

    async fn bookmarks(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedStatus>>> {
        rows!(
            &self.pools,
            "SELECT b.id AS k, s.id AS status_id, s.local, s.uri, a.username FROM bookmarks b \
             JOIN statuses s ON s.id = b.status_id JOIN accounts a ON a.id = s.account_id \
             WHERE b.account_id = $1 AND b.id > $2 AND s.deleted_at IS NULL \
             ORDER BY b.id LIMIT $3",
            status_row,
            account_id.as_i64(),
            after_key(after),
            limit_of(limit)
        )
    }

    async fn favourites(
        &self,
        account_id: Id,
        after: Option<Id>,
        limit: u32,
    ) -> Result<Vec<ExportRow<ExportedStatus>>> {
        rows!(
            &self.pools,
            "SELECT f.id AS k, s.id AS status_id, s.local, s.uri, a.username FROM favourites f \
             JOIN statuses s ON s.id = f.status_id JOIN accounts a ON a.id = s.account_id \
             WHERE f.account_id = $1 AND f.id > $2 AND s.deleted_at IS NULL \
             ORDER BY f.id LIMIT $3",
            status_row,
            account_id.as_i64(),
            after_key(after),
            limit_of(limit)
        )
    }

    async fn status_ids(&self, account_id: Id, after: Option<Id>, limit: u32) -> Result<Vec<Id>> {
        rows!(
            &self.pools,
            "SELECT id AS k FROM statuses \
             WHERE account_id = $1 AND id > $2 AND deleted_at IS NULL ORDER BY id LIMIT $3",
            key,
            account_id.as_i64(),
            after_key(after),
            limit_of(limit)
        )
    }

    async fn archives(&self, user_id: Id) -> Result<Vec<AccountArchive>> {
        rows!(
            &self.pools,
            format!(
                "SELECT {ARCHIVE_COLUMNS} FROM account_archives WHERE user_id = $1 \
                 ORDER BY id DESC LIMIT 20"
            ),
            archive_from_row,
            user_id.as_i64()
        )
    }

    async fn archive(&self, id: Id) -> Result<Option<AccountArchive>> {
        let sql = format!("SELECT {ARCHIVE_COLUMNS} FROM account_archives WHERE id = $1");
        read!(&self.pools, |c| {
            fetch_optional!(c, sql.as_str(), archive_from_row, id.as_i64())
        })
    }

    async fn archives_before(&self, before: Timestamp, limit: u32) -> Result<Vec<AccountArchive>> {
        rows!(
            &self.pools,
            format!(
                "SELECT {ARCHIVE_COLUMNS} FROM account_archives WHERE created_at < $1 \
                 ORDER BY created_at LIMIT $2"
            ),
            archive_from_row,
            before.as_millis(),
            limit_of(limit)
        )
    }
}

#[async_trait]
impl ExportTx for SqlTx {
    async fn insert_archive(&mut self, a: &AccountArchive) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO account_archives (id, user_id, state, storage_key, size, created_at, \
             completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            a.id.as_i64(),
            a.user_id.as_i64(),
            a.state.as_str(),
            a.storage_key.as_deref(),
            a.size,
            a.created_at.as_millis(),
            a.completed_at.map(Timestamp::as_millis)
        )?;
        Ok(())
    }

    async fn finish_archive(
        &mut self,
        id: Id,
        storage_key: &str,
        size: i64,
        now: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE account_archives SET state = 'ready', storage_key = $1, size = $2, \
             completed_at = $3 WHERE id = $4",
            storage_key,
            size,
            now.as_millis(),
            id.as_i64()
        )? == 1)
    }

    async fn fail_archive(&mut self, id: Id, now: Timestamp) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE account_archives SET state = 'failed', completed_at = $1 \
             WHERE id = $2 AND state = 'pending'",
            now.as_millis(),
            id.as_i64()
        )?;
        Ok(())
    }

    async fn delete_archive(&mut self, id: Id) -> Result<()> {
        exec!(
            self.conn(),
            "DELETE FROM account_archives WHERE id = $1",
            id.as_i64()
        )?;
        Ok(())
    }
}
