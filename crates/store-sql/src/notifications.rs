//! The notifications area: notifications, their groups, and read markers.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    GroupStats, Marker, Notification, NotificationKind, NotificationStore, NotificationTx, Result,
    StoreError, TimelinePage,
};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::{bounds, placeholders};
use crate::transaction::SqlTx;

const COLUMNS: &str =
    "id, account_id, from_account_id, kind, status_id, group_key, created_at, filtered";

fn from_row(r: &impl Fields) -> Result<Notification> {
    let kind = r.text("kind")?;
    Ok(Notification {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        from_account_id: Id::from_i64(r.int("from_account_id")?),
        kind: NotificationKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("notification kind {kind:?}")))?,
        status_id: r.opt_int("status_id")?.map(Id::from_i64),
        group_key: r.opt_text("group_key")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        filtered: r.flag("filtered")?,
    })
}

fn marker_from_row(r: &impl Fields) -> Result<Marker> {
    Ok(Marker {
        timeline: r.text("timeline")?,
        last_read_id: Id::from_i64(r.int("last_read_id")?),
        version: r.int("version")?,
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

/// A page of notifications; `filter` is an extra `AND …` clause over binds from `$6` on
/// (`texts`). Filtered ones (held back by the policy) only when the clause says so.
async fn page_of(
    c: Conn<'_>,
    account_id: Id,
    filter: &str,
    texts: &[&str],
    from_account: Option<Id>,
    page: TimelinePage,
) -> Result<Vec<Notification>> {
    let (lower, upper, asc) = bounds(page);
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications \
         WHERE account_id = $1 {filter} AND id > $2 AND id < $3 \
         AND ($5 = 0 OR from_account_id = $5) ORDER BY id {} LIMIT $4",
        if asc { "ASC" } else { "DESC" }
    );
    let mut out = with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(account_id.as_i64())
            .bind(lower)
            .bind(upper)
            .bind(i64::from(page.limit))
            .bind(from_account.map_or(0, Id::as_i64));
        for t in texts {
            q = q.bind(*t);
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter().map(from_row).collect::<Result<Vec<_>>>()
    })?;
    if asc {
        out.reverse();
    }
    Ok(out)
}

async fn group_stats(
    mut c: Conn<'_>,
    account_id: Id,
    keys: &[String],
    lower: Id,
    upper: Option<Id>,
    samples: u32,
) -> Result<Vec<GroupStats>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let upper = upper.map_or(i64::MAX, Id::as_i64);
    let list = placeholders(5, keys.len());
    let totals = format!(
        "SELECT group_key, COUNT(*) AS n, MAX(id) AS newest, MAX(created_at) AS latest_at, \
         MIN(CASE WHEN id >= $3 THEN id END) AS oldest_in_page \
         FROM notifications WHERE account_id = $1 AND id <= $2 AND $4 = $4 \
         AND NOT filtered AND group_key IN ({list}) GROUP BY group_key"
    );
    let senders = format!(
        "SELECT group_key, from_account_id FROM (\
           SELECT group_key, from_account_id, id, \
           ROW_NUMBER() OVER (PARTITION BY group_key ORDER BY id DESC) AS rn \
           FROM notifications WHERE account_id = $1 AND id <= $2 AND $3 = $3 \
           AND NOT filtered AND group_key IN ({list})) ranked \
         WHERE rn <= $4 ORDER BY group_key, id DESC"
    );
    let mut stats = with_conn!(c.reborrow(), |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(totals.clone()))
            .bind(account_id.as_i64())
            .bind(upper)
            .bind(lower.as_i64())
            .bind(0_i64);
        for k in keys {
            q = q.bind(k.as_str());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(GroupStats {
                    group_key: r.text("group_key")?,
                    count: r.int("n")?,
                    most_recent_id: Id::from_i64(r.int("newest")?),
                    latest_at: Timestamp::from_millis(r.int("latest_at")?),
                    oldest_in_page: r.opt_int("oldest_in_page")?.map(Id::from_i64),
                    sample_account_ids: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let pairs = with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(senders.clone()))
            .bind(account_id.as_i64())
            .bind(upper)
            .bind(0_i64)
            .bind(i64::from(samples));
        for k in keys {
            q = q.bind(k.as_str());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.text("group_key")?,
                    Id::from_i64(r.int("from_account_id")?),
                ))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    for (key, account) in pairs {
        if let Some(s) = stats.iter_mut().find(|s| s.group_key == key) {
            s.sample_account_ids.push(account);
        }
    }
    Ok(stats)
}

async fn markers(c: Conn<'_>, account_id: Id) -> Result<Vec<Marker>> {
    with_conn!(c, |e, p| {
        let rows = sqlx::query(
            "SELECT timeline, last_read_id, version, updated_at FROM markers \
             WHERE account_id = $1 ORDER BY timeline",
        )
        .bind(account_id.as_i64())
        .persistent(p)
        .fetch_all(&mut *e)
        .await
        .map_err(map_err)?;
        rows.iter().map(marker_from_row).collect()
    })
}

#[async_trait]
impl NotificationStore for SqlStore {
    async fn notifications(
        &self,
        account_id: Id,
        kinds: &[NotificationKind],
        from_account: Option<Id>,
        include_filtered: bool,
        page: TimelinePage,
    ) -> Result<Vec<Notification>> {
        // Fixed names from the enum, never input.
        let mut filter = if kinds.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
            format!("AND kind IN ({})", names.join(", "))
        };
        if !include_filtered {
            filter.push_str(" AND NOT filtered");
        }
        read!(&self.pools, |c| page_of(
            c,
            account_id,
            &filter,
            &[],
            from_account,
            page
        )
        .await)
    }

    async fn group_stats(
        &self,
        account_id: Id,
        keys: &[String],
        lower: Id,
        upper: Option<Id>,
        samples: u32,
    ) -> Result<Vec<GroupStats>> {
        read!(&self.pools, |c| group_stats(
            c, account_id, keys, lower, upper, samples
        )
        .await)
    }

    async fn group_members(
        &self,
        account_id: Id,
        key: &str,
        page: TimelinePage,
    ) -> Result<Vec<Notification>> {
        read!(&self.pools, |c| page_of(
            c,
            account_id,
            "AND group_key = $6 AND NOT filtered",
            &[key],
            None,
            page
        )
        .await)
    }

    async fn markers(&self, account_id: Id) -> Result<Vec<Marker>> {
        read!(&self.pools, |c| markers(c, account_id).await)
    }
}

#[async_trait]
impl NotificationTx for SqlTx {
    async fn insert_notification(&mut self, n: &Notification) -> Result<bool> {
        let sql = "INSERT INTO notifications \
            (id, account_id, from_account_id, kind, status_id, group_key, created_at, filtered) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";
        with_conn!(self.conn(), |e, p| {
            sqlx::query(sql)
                .bind(n.id.as_i64())
                .bind(n.account_id.as_i64())
                .bind(n.from_account_id.as_i64())
                .bind(n.kind.as_str())
                .bind(n.status_id.map(Id::as_i64))
                .bind(n.group_key.as_deref())
                .bind(n.created_at.as_millis())
                .bind(n.filtered)
                .persistent(p)
                .execute(&mut *e)
                .await
                .map_err(map_err)
                .map(|d| d.rows_affected() == 1)
        })
    }

    async fn latest_group_key(
        &mut self,
        account_id: Id,
        keys: &[String],
    ) -> Result<Option<String>> {
        if keys.is_empty() {
            return Ok(None);
        }
        // An IN list rather than a prefix match, so the (account_id, group_key, id) index
        // answers even when no group is open.
        let sql = format!(
            "SELECT group_key FROM notifications WHERE account_id = $1 \
             AND group_key IN ({}) ORDER BY id DESC LIMIT 1",
            placeholders(2, keys.len())
        );
        with_conn!(self.conn(), |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(account_id.as_i64());
            for k in keys {
                q = q.bind(k.as_str());
            }
            q.persistent(p)
                .fetch_optional(&mut *e)
                .await
                .map_err(map_err)?
                .map(|r| r.text("group_key"))
                .transpose()
        })
    }

    async fn delete_notifications(&mut self, account_id: Id, id: Option<Id>) -> Result<u64> {
        match id {
            Some(id) => exec!(
                self.conn(),
                "DELETE FROM notifications WHERE account_id = $1 AND id = $2",
                account_id.as_i64(),
                id.as_i64()
            ),
            None => exec!(
                self.conn(),
                "DELETE FROM notifications WHERE account_id = $1",
                account_id.as_i64()
            ),
        }
    }

    async fn delete_notification_group(&mut self, account_id: Id, key: &str) -> Result<u64> {
        exec!(
            self.conn(),
            "DELETE FROM notifications WHERE account_id = $1 AND group_key = $2 AND NOT filtered",
            account_id.as_i64(),
            key
        )
    }

    async fn delete_notifications_from(
        &mut self,
        account_id: Id,
        from_account_id: Id,
        kind: NotificationKind,
    ) -> Result<u64> {
        exec!(
            self.conn(),
            "DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2 \
             AND kind = $3",
            account_id.as_i64(),
            from_account_id.as_i64(),
            kind.as_str()
        )
    }

    async fn save_marker(
        &mut self,
        account_id: Id,
        timeline: &str,
        last_read_id: Id,
        now: Timestamp,
    ) -> Result<Marker> {
        exec!(
            self.conn(),
            "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) \
             VALUES ($1, $2, $3, 0, $4) \
             ON CONFLICT (account_id, timeline) DO UPDATE SET \
             last_read_id = excluded.last_read_id, version = markers.version + 1, \
             updated_at = excluded.updated_at \
             WHERE markers.last_read_id <> excluded.last_read_id",
            account_id.as_i64(),
            timeline,
            last_read_id.as_i64(),
            now.as_millis()
        )?;
        fetch_optional!(
            self.conn(),
            "SELECT timeline, last_read_id, version, updated_at FROM markers \
             WHERE account_id = $1 AND timeline = $2",
            marker_from_row,
            account_id.as_i64(),
            timeline
        )?
        .ok_or_else(|| StoreError::NotFound(format!("marker {timeline}")))
    }
}
