//! Announcements, the accounts that dismissed them and the reactions on them.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    Announcement, AnnouncementStore, AnnouncementTx, ReactOutcome, ReactionCount, Result,
};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, map_err, read, with_conn};
use crate::statuses::placeholders;
use crate::transaction::SqlTx;

const COLUMNS: &str = "id, text, published, all_day, starts_at, ends_at, published_at, \
                       created_at, updated_at";

fn from_row(r: &impl Fields) -> Result<Announcement> {
    Ok(Announcement {
        id: Id::from_i64(r.int("id")?),
        text: r.text("text")?,
        published: r.flag("published")?,
        all_day: r.flag("all_day")?,
        starts_at: r.opt_int("starts_at")?.map(Timestamp::from_millis),
        ends_at: r.opt_int("ends_at")?.map(Timestamp::from_millis),
        published_at: r.opt_int("published_at")?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

fn reaction_from_row(r: &impl Fields) -> Result<ReactionCount> {
    Ok(ReactionCount {
        announcement_id: Id::from_i64(r.int("announcement_id")?),
        name: r.text("name")?,
        count: r.int("n")?,
        me: r.int("me")? > 0,
    })
}

/// Runs `sql` with integer `binds` and maps every row with `map`.
async fn fetch_all<T>(
    c: Conn<'_>,
    sql: &str,
    binds: &[i64],
    map: fn(&dyn Fields) -> Result<T>,
) -> Result<Vec<T>> {
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for b in binds {
            q = q.bind(*b);
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter()
            .map(|r| map(r as &dyn Fields))
            .collect::<Result<Vec<_>>>()
    })
}

#[async_trait]
impl AnnouncementStore for SqlStore {
    async fn announcement(&self, id: Id) -> Result<Option<Announcement>> {
        let sql = format!("SELECT {COLUMNS} FROM announcements WHERE id = $1");
        let mut found = read!(&self.pools, |c| {
            fetch_all(c, &sql, &[id.as_i64()], |r| from_row(&r)).await
        })?;
        Ok(found.pop())
    }

    async fn announcements(&self, published_only: bool) -> Result<Vec<Announcement>> {
        let only = if published_only {
            "WHERE published = TRUE "
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM announcements {only}\
             ORDER BY COALESCE(starts_at, published_at, created_at), id"
        );
        read!(&self.pools, |c| {
            fetch_all(c, &sql, &[], |r| from_row(&r)).await
        })
    }

    async fn dismissed_announcements(&self, account_id: Id, ids: &[Id]) -> Result<Vec<Id>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT announcement_id FROM announcement_dismissals \
             WHERE account_id = $1 AND announcement_id IN ({})",
            placeholders(2, ids.len())
        );
        let mut binds = vec![account_id.as_i64()];
        binds.extend(ids.iter().map(|i| i.as_i64()));
        read!(&self.pools, |c| {
            fetch_all(c, &sql, &binds, |r| {
                Ok(Id::from_i64(r.int("announcement_id")?))
            })
            .await
        })
    }

    async fn announcement_reactions(
        &self,
        ids: &[Id],
        viewer: Option<Id>,
    ) -> Result<Vec<ReactionCount>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT announcement_id, name, COUNT(*) AS n, \
             CAST(MAX(CASE WHEN account_id = $1 THEN 1 ELSE 0 END) AS BIGINT) AS me, \
             MIN(id) AS first_id \
             FROM announcement_reactions WHERE announcement_id IN ({}) \
             GROUP BY announcement_id, name ORDER BY first_id",
            placeholders(2, ids.len())
        );
        // Ids are positive: 0 is nobody.
        let mut binds = vec![viewer.map_or(0, |v| v.as_i64())];
        binds.extend(ids.iter().map(|i| i.as_i64()));
        read!(&self.pools, |c| {
            fetch_all(c, &sql, &binds, |r| reaction_from_row(&r)).await
        })
    }
}

#[async_trait]
impl AnnouncementTx for SqlTx {
    async fn insert_announcement(&mut self, a: &Announcement) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO announcements (id, text, published, all_day, starts_at, ends_at, \
             published_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            a.id.as_i64(),
            a.text.as_str(),
            a.published,
            a.all_day,
            a.starts_at.map(Timestamp::as_millis),
            a.ends_at.map(Timestamp::as_millis),
            a.published_at.map(Timestamp::as_millis),
            a.created_at.as_millis(),
            a.updated_at.as_millis()
        )?;
        Ok(())
    }

    async fn set_announcement_published(
        &mut self,
        id: Id,
        published: bool,
        now: Timestamp,
    ) -> Result<bool> {
        let changed = if published {
            exec!(
                self.conn(),
                "UPDATE announcements SET published = TRUE, published_at = $1, updated_at = $1 \
                 WHERE id = $2",
                now.as_millis(),
                id.as_i64()
            )?
        } else {
            exec!(
                self.conn(),
                "UPDATE announcements SET published = FALSE, updated_at = $1 WHERE id = $2",
                now.as_millis(),
                id.as_i64()
            )?
        };
        Ok(changed == 1)
    }

    async fn delete_announcement(&mut self, id: Id) -> Result<bool> {
        // The dismissals and reactions go with it (ON DELETE CASCADE on both engines).
        Ok(exec!(
            self.conn(),
            "DELETE FROM announcements WHERE id = $1",
            id.as_i64()
        )? == 1)
    }

    async fn dismiss_announcement(&mut self, account_id: Id, id: Id, now: Timestamp) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO announcement_dismissals (account_id, announcement_id, created_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            account_id.as_i64(),
            id.as_i64(),
            now.as_millis()
        )?;
        Ok(())
    }

    async fn add_announcement_reaction(
        &mut self,
        reaction_id: Id,
        account_id: Id,
        id: Id,
        name: &str,
        limit: i64,
        now: Timestamp,
    ) -> Result<ReactOutcome> {
        // One new reaction at a time per announcement, so two new names cannot both pass the
        // limit (SQLite has a single writer already).
        if matches!(self.conn(), Conn::Pg(..)) {
            exec!(
                self.conn(),
                "SELECT id FROM announcements WHERE id = $1 FOR NO KEY UPDATE",
                id.as_i64()
            )?;
        }
        // A name already used on the announcement never counts against the limit.
        let added = exec!(
            self.conn(),
            "INSERT INTO announcement_reactions (id, announcement_id, account_id, name, \
             created_at) SELECT $6, $1, $2, $3, $4 \
             WHERE EXISTS (SELECT 1 FROM announcement_reactions \
                 WHERE announcement_id = $1 AND name = $3) \
             OR (SELECT COUNT(DISTINCT name) FROM announcement_reactions \
                 WHERE announcement_id = $1) < $5 \
             ON CONFLICT DO NOTHING",
            id.as_i64(),
            account_id.as_i64(),
            name,
            now.as_millis(),
            limit,
            reaction_id.as_i64()
        )?;
        if added == 1 {
            return Ok(ReactOutcome::Added);
        }
        let sql = "SELECT 1 AS one FROM announcement_reactions \
                   WHERE announcement_id = $1 AND account_id = $2 AND name = $3";
        let there = with_conn!(self.conn(), |e, p| {
            sqlx::query(sql)
                .bind(id.as_i64())
                .bind(account_id.as_i64())
                .bind(name)
                .persistent(p)
                .fetch_optional(&mut *e)
                .await
                .map_err(map_err)?
                .is_some()
        });
        Ok(if there {
            ReactOutcome::Added
        } else {
            ReactOutcome::LimitReached
        })
    }

    async fn remove_announcement_reaction(
        &mut self,
        account_id: Id,
        id: Id,
        name: &str,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM announcement_reactions \
             WHERE announcement_id = $1 AND account_id = $2 AND name = $3",
            id.as_i64(),
            account_id.as_i64(),
            name
        )? == 1)
    }
}
