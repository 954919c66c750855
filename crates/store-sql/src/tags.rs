//! Hashtags: use over time and follows.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Result, StoreError, Tag, TagDay, TagStore, TagTx, TimelinePage};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::{bounds, placeholders};
use crate::transaction::SqlTx;

const DAY_MS: i64 = 86_400_000;

fn tag_from_row(r: &impl Fields) -> Result<Tag> {
    Ok(Tag {
        id: Id::from_i64(r.int("id")?),
        name: r.text("name")?,
    })
}

#[async_trait]
impl TagStore for SqlStore {
    async fn tag_by_name(&self, name: &str) -> Result<Option<Tag>> {
        read!(&self.pools, |c| fetch_optional!(
            c,
            "SELECT id, name FROM tags WHERE lower(name) = lower($1)",
            tag_from_row,
            name
        ))
    }

    async fn tags_by_ids(&self, ids: &[Id]) -> Result<Vec<Tag>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, name FROM tags WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(id.as_i64());
            }
            let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
            rows.iter().map(tag_from_row).collect::<Result<Vec<_>>>()
        }))
    }

    async fn tag_history(&self, tag_id: Id, since: Timestamp) -> Result<Vec<TagDay>> {
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(
                "SELECT s.created_at / $3 AS day, COUNT(*) AS uses, \
                 COUNT(DISTINCT s.account_id) AS accounts \
                 FROM status_tags st JOIN statuses s ON s.id = st.status_id \
                 WHERE st.tag_id = $1 AND s.created_at >= $2 \
                 AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
                 GROUP BY s.created_at / $3 ORDER BY 1 DESC",
            )
            .bind(tag_id.as_i64())
            .bind(since.as_millis())
            .bind(DAY_MS)
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    Ok(TagDay {
                        day: r.int("day")?,
                        uses: r.int("uses")?,
                        accounts: r.int("accounts")?,
                    })
                })
                .collect::<Result<Vec<_>>>()
        }))
    }

    async fn followed_tags(&self, account_id: Id, page: TimelinePage) -> Result<Vec<(Id, Tag)>> {
        let (lower, upper, asc) = bounds(page);
        let sql = format!(
            "SELECT f.id AS follow_id, t.id, t.name FROM tag_follows f \
             JOIN tags t ON t.id = f.tag_id \
             WHERE f.account_id = $1 AND f.id > $2 AND f.id < $3 ORDER BY f.id {} LIMIT $4",
            if asc { "ASC" } else { "DESC" }
        );
        let mut out = read!(&self.pools, |c| with_conn!(c, |e, p| {
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
                .map(|r| Ok((Id::from_i64(r.int("follow_id")?), tag_from_row(r)?)))
                .collect::<Result<Vec<_>>>()
        }))?;
        if asc {
            out.reverse();
        }
        Ok(out)
    }

    async fn following_tags(&self, account_id: Id, tag_ids: &[Id]) -> Result<Vec<Id>> {
        if tag_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT tag_id FROM tag_follows WHERE account_id = $1 AND tag_id IN ({})",
            placeholders(2, tag_ids.len())
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(account_id.as_i64());
            for t in tag_ids {
                q = q.bind(t.as_i64());
            }
            let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
            rows.iter()
                .map(|r| r.int("tag_id").map(Id::from_i64))
                .collect::<Result<Vec<_>>>()
        }))
    }

    async fn tag_followers_of_status(&self, status_id: Id) -> Result<Vec<Id>> {
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(
                "SELECT DISTINCT f.account_id FROM status_tags st \
                 JOIN tag_follows f ON f.tag_id = st.tag_id \
                 JOIN accounts a ON a.id = f.account_id \
                 WHERE st.status_id = $1 AND a.domain IS NULL",
            )
            .bind(status_id.as_i64())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
            rows.iter()
                .map(|r| r.int("account_id").map(Id::from_i64))
                .collect::<Result<Vec<_>>>()
        }))
    }
}

#[async_trait]
impl TagTx for SqlTx {
    async fn ensure_tag(&mut self, id: Id, name: &str, now: Timestamp) -> Result<Tag> {
        exec!(
            self.conn(),
            "INSERT INTO tags (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            id.as_i64(),
            name,
            now.as_millis()
        )?;
        fetch_optional!(
            self.conn(),
            "SELECT id, name FROM tags WHERE lower(name) = lower($1)",
            tag_from_row,
            name
        )?
        .ok_or_else(|| StoreError::NotFound(format!("tag {name}")))
    }

    async fn follow_tag(
        &mut self,
        id: Id,
        account_id: Id,
        tag_id: Id,
        now: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "INSERT INTO tag_follows (id, account_id, tag_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
            id.as_i64(),
            account_id.as_i64(),
            tag_id.as_i64(),
            now.as_millis()
        )? == 1)
    }

    async fn unfollow_tag(&mut self, account_id: Id, tag_id: Id) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM tag_follows WHERE account_id = $1 AND tag_id = $2",
            account_id.as_i64(),
            tag_id.as_i64()
        )? == 1)
    }
}
