//! Statuses scheduled for later, and the uploads they hold.

use std::collections::HashMap;

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    Result, ScheduledStatus, ScheduledStatusStore, ScheduledStatusTx, TimelinePage,
};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, map_err, read, with_conn};
use crate::paging::keyset;
use crate::statuses::placeholders;
use crate::transaction::SqlTx;

const COLUMNS: &str = "s.id, s.account_id, s.scheduled_at, s.params, s.created_at";

fn from_row(r: &impl Fields) -> Result<ScheduledStatus> {
    Ok(ScheduledStatus {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        scheduled_at: Timestamp::from_millis(r.int("scheduled_at")?),
        params: r.text("params")?,
        media_ids: Vec::new(),
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

/// Runs `sql` with `binds` and reads `(first, second)` integer columns named `a` and `b`.
async fn int_pairs(c: Conn<'_>, sql: &str, binds: &[i64]) -> Result<Vec<(i64, i64)>> {
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for b in binds {
            q = q.bind(*b);
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((r.int("a")?, r.int("b")?)))
            .collect::<Result<Vec<_>>>()
    })
}

/// Fills in the media each of `statuses` holds, in order.
async fn with_media(
    c: Conn<'_>,
    mut statuses: Vec<ScheduledStatus>,
) -> Result<Vec<ScheduledStatus>> {
    if statuses.is_empty() {
        return Ok(statuses);
    }
    let ids: Vec<i64> = statuses.iter().map(|s| s.id.as_i64()).collect();
    let sql = format!(
        "SELECT scheduled_status_id AS a, media_id AS b FROM scheduled_status_media \
         WHERE scheduled_status_id IN ({}) ORDER BY position",
        placeholders(1, ids.len())
    );
    let mut held: HashMap<i64, Vec<Id>> = HashMap::new();
    for (status, media) in int_pairs(c, &sql, &ids).await? {
        held.entry(status).or_default().push(Id::from_i64(media));
    }
    for s in &mut statuses {
        s.media_ids = held.remove(&s.id.as_i64()).unwrap_or_default();
    }
    Ok(statuses)
}

#[async_trait]
impl ScheduledStatusStore for SqlStore {
    async fn scheduled_status(&self, account_id: Id, id: Id) -> Result<Option<ScheduledStatus>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scheduled_statuses s WHERE s.id = $1 AND s.account_id = $2"
        );
        let mut found = read!(&self.pools, |c| {
            let mut c = c;
            let row = crate::db::fetch_optional!(
                c.reborrow(),
                sql.as_str(),
                |r: &_| from_row(r),
                id.as_i64(),
                account_id.as_i64()
            )?;
            with_media(c, row.into_iter().collect()).await
        })?;
        Ok(found.pop())
    }

    async fn scheduled_statuses(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<ScheduledStatus>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scheduled_statuses s WHERE s.account_id = $1 \
             AND s.id > $2 AND s.id < $3 ORDER BY s.id {{order}} LIMIT $4"
        );
        read!(&self.pools, |c| {
            let mut c = c;
            let rows = keyset(c.reborrow(), &sql, &[account_id.as_i64()], page, |r| {
                from_row(&r)
            })
            .await?;
            with_media(c, rows).await
        })
    }

    async fn held_media(&self, media_ids: &[Id]) -> Result<Vec<(Id, Id)>> {
        if media_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT media_id AS a, scheduled_status_id AS b FROM scheduled_status_media \
             WHERE media_id IN ({})",
            placeholders(1, media_ids.len())
        );
        let binds: Vec<i64> = media_ids.iter().map(|m| m.as_i64()).collect();
        let rows = read!(&self.pools, |c| int_pairs(c, &sql, &binds).await)?;
        Ok(rows
            .into_iter()
            .map(|(m, s)| (Id::from_i64(m), Id::from_i64(s)))
            .collect())
    }
}

#[async_trait]
impl ScheduledStatusTx for SqlTx {
    async fn count_scheduled(
        &mut self,
        account_id: Id,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(i64, i64)> {
        // One scheduling at a time per account (SQLite has a single writer already).
        if matches!(self.conn(), Conn::Pg(..)) {
            int_pairs(
                self.conn(),
                // FOR UPDATE, not NO KEY UPDATE: a post being made takes the account's key
                // share before its uploads' locks, so it waits here first instead of holding an
                // upload this scheduling needs (which deadlocks).
                "SELECT id AS a, id AS b FROM accounts WHERE id = $1 FOR UPDATE",
                &[account_id.as_i64()],
            )
            .await?;
        }
        let rows = int_pairs(
            self.conn(),
            "SELECT COUNT(*) AS a, \
             COALESCE(SUM(CASE WHEN scheduled_at >= $2 AND scheduled_at < $3 THEN 1 ELSE 0 END), 0) AS b \
             FROM scheduled_statuses WHERE account_id = $1",
            &[account_id.as_i64(), from.as_millis(), to.as_millis()],
        )
        .await?;
        Ok(rows.first().copied().unwrap_or((0, 0)))
    }

    async fn insert_scheduled_status(&mut self, s: &ScheduledStatus) -> Result<bool> {
        // Taken first, so a post attaching the same upload at once waits for this one (and
        // this one sees that post's attachment if it came first).
        crate::media::lock(self.conn(), &s.media_ids).await?;
        exec!(
            self.conn(),
            "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            s.id.as_i64(),
            s.account_id.as_i64(),
            s.scheduled_at.as_millis(),
            s.params.as_str(),
            s.created_at.as_millis()
        )?;
        for (position, media) in s.media_ids.iter().enumerate() {
            let held = exec!(
                self.conn(),
                "INSERT INTO scheduled_status_media (media_id, scheduled_status_id, position) \
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM media_attachments \
                 WHERE id = $1 AND account_id = $4 AND status_id IS NULL \
                 AND purpose = 'attachment') \
                 ON CONFLICT DO NOTHING",
                media.as_i64(),
                s.id.as_i64(),
                position as i64,
                s.account_id.as_i64()
            )?;
            if held != 1 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn reschedule(&mut self, account_id: Id, id: Id, at: Timestamp) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE scheduled_statuses SET scheduled_at = $1 WHERE id = $2 AND account_id = $3",
            at.as_millis(),
            id.as_i64(),
            account_id.as_i64()
        )? == 1)
    }

    async fn delete_scheduled_status(&mut self, account_id: Id, id: Id) -> Result<bool> {
        exec!(
            self.conn(),
            "DELETE FROM scheduled_status_media WHERE scheduled_status_id = $1 \
             AND EXISTS (SELECT 1 FROM scheduled_statuses WHERE id = $1 AND account_id = $2)",
            id.as_i64(),
            account_id.as_i64()
        )?;
        Ok(exec!(
            self.conn(),
            "DELETE FROM scheduled_statuses WHERE id = $1 AND account_id = $2",
            id.as_i64(),
            account_id.as_i64()
        )? == 1)
    }

    async fn take_due_scheduled_status(
        &mut self,
        account_id: Id,
        id: Id,
        now: Timestamp,
    ) -> Result<bool> {
        exec!(
            self.conn(),
            "DELETE FROM scheduled_status_media WHERE scheduled_status_id = $1 \
             AND EXISTS (SELECT 1 FROM scheduled_statuses WHERE id = $1 AND account_id = $2 \
             AND scheduled_at <= $3)",
            id.as_i64(),
            account_id.as_i64(),
            now.as_millis()
        )?;
        Ok(exec!(
            self.conn(),
            "DELETE FROM scheduled_statuses WHERE id = $1 AND account_id = $2 \
             AND scheduled_at <= $3",
            id.as_i64(),
            account_id.as_i64(),
            now.as_millis()
        )? == 1)
    }
}
