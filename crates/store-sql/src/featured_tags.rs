//! Hashtags featured on profiles. Their use is counted from the account's statuses when read,
//! so it never drifts from what the account posted, edited or deleted.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    FeatureOutcome, FeaturedTag, FeaturedTagStore, FeaturedTagTx, Result, StoreError, Tag,
};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::placeholders;
use crate::transaction::SqlTx;

/// The featured tags, with their use, of the rows `where_sql` picks (`f` is `featured_tags`).
/// Statuses are walked from the account's side and probed by `(tag_id, status_id)`, the
/// primary key of `status_tags`, so a popular hashtag costs no more than a quiet one.
fn select_sql(where_sql: &str) -> String {
    format!(
        "SELECT f.id, f.account_id, f.tag_id, f.name, \
         (SELECT COUNT(*) FROM statuses s WHERE s.account_id = f.account_id \
            AND s.visibility IN ('public', 'unlisted') AND s.reblog_of_id IS NULL \
            AND EXISTS (SELECT 1 FROM status_tags st \
                WHERE st.tag_id = f.tag_id AND st.status_id = s.id)) AS statuses_count, \
         (SELECT MAX(s.created_at) FROM statuses s WHERE s.account_id = f.account_id \
            AND s.visibility IN ('public', 'unlisted') AND s.reblog_of_id IS NULL \
            AND EXISTS (SELECT 1 FROM status_tags st \
                WHERE st.tag_id = f.tag_id AND st.status_id = s.id)) AS last_status_at \
         FROM featured_tags f WHERE {where_sql}"
    )
}

fn featured_from_row(r: &impl Fields) -> Result<FeaturedTag> {
    Ok(FeaturedTag {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        tag_id: Id::from_i64(r.int("tag_id")?),
        name: r.text("name")?,
        statuses_count: r.int("statuses_count")?,
        last_status_at: r.opt_int("last_status_at")?.map(Timestamp::from_millis),
    })
}

/// The account's featured tag for `tag_id`, with its use.
async fn by_tag(c: Conn<'_>, account_id: Id, tag_id: Id) -> Result<Option<FeaturedTag>> {
    fetch_optional!(
        c,
        select_sql("f.account_id = $1 AND f.tag_id = $2"),
        featured_from_row,
        account_id.as_i64(),
        tag_id.as_i64()
    )
}

#[async_trait]
impl FeaturedTagStore for SqlStore {
    async fn featured_tags(&self, account_id: Id) -> Result<Vec<FeaturedTag>> {
        let sql = format!(
            "{} ORDER BY statuses_count DESC, f.id ASC",
            select_sql("f.account_id = $1")
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(account_id.as_i64())
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(featured_from_row)
                .collect::<Result<Vec<_>>>()
        }))
    }

    async fn featuring_tags(&self, account_id: Id, tag_ids: &[Id]) -> Result<Vec<Id>> {
        if tag_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT tag_id FROM featured_tags WHERE account_id = $1 AND tag_id IN ({})",
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

    async fn featured_tag_suggestions(
        &self,
        account_id: Id,
        recent: u32,
        limit: u32,
    ) -> Result<Vec<Tag>> {
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(
                "SELECT t.id, t.name FROM tags t JOIN ( \
                   SELECT st.tag_id, COUNT(*) AS uses, MAX(st.status_id) AS latest \
                   FROM status_tags st WHERE st.status_id IN ( \
                     SELECT s.id FROM statuses s WHERE s.account_id = $1 \
                     ORDER BY s.id DESC LIMIT $2) \
                   GROUP BY st.tag_id) u ON u.tag_id = t.id \
                 WHERE NOT EXISTS (SELECT 1 FROM featured_tags f \
                   WHERE f.account_id = $1 AND f.tag_id = t.id) \
                 ORDER BY u.uses DESC, u.latest DESC LIMIT $3",
            )
            .bind(account_id.as_i64())
            .bind(i64::from(recent))
            .bind(i64::from(limit))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    Ok(Tag {
                        id: Id::from_i64(r.int("id")?),
                        name: r.text("name")?,
                    })
                })
                .collect::<Result<Vec<_>>>()
        }))
    }
}

#[async_trait]
impl FeaturedTagTx for SqlTx {
    async fn feature_tag(
        &mut self,
        id: Id,
        account_id: Id,
        tag: &Tag,
        name: &str,
        limit: u32,
        now: Timestamp,
    ) -> Result<FeatureOutcome> {
        // One featuring at a time per account, so two at once cannot pass the limit together
        // (SQLite has a single writer already).
        if matches!(self.conn(), Conn::Pg(..)) {
            with_conn!(self.conn(), |e, p| {
                sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                    .bind(account_id.as_i64())
                    .persistent(p)
                    .fetch_optional(&mut *e)
                    .await
                    .map_err(map_err)
                    .map(|row| row.is_some())
            })?;
        }
        if let Some(existing) = by_tag(self.conn(), account_id, tag.id).await? {
            return Ok(FeatureOutcome::AlreadyFeatured(existing));
        }
        let count = with_conn!(self.conn(), |e, p| {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM featured_tags WHERE account_id = $1")
                .bind(account_id.as_i64())
                .persistent(p)
                .fetch_one(&mut *e)
                .await
                .map_err(map_err)?;
            row.int("n")
        })?;
        if count >= i64::from(limit) {
            return Ok(FeatureOutcome::LimitReached);
        }
        exec!(
            self.conn(),
            "INSERT INTO featured_tags (id, account_id, tag_id, name, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            id.as_i64(),
            account_id.as_i64(),
            tag.id.as_i64(),
            name,
            now.as_millis()
        )?;
        by_tag(self.conn(), account_id, tag.id)
            .await?
            .map(FeatureOutcome::Featured)
            .ok_or_else(|| StoreError::NotFound(format!("featured tag {id}")))
    }

    async fn unfeature_tag(&mut self, account_id: Id, id: Id) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM featured_tags WHERE id = $1 AND account_id = $2",
            id.as_i64(),
            account_id.as_i64()
        )? == 1)
    }

    async fn unfeature_tag_by_tag(&mut self, account_id: Id, tag_id: Id) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM featured_tags WHERE account_id = $1 AND tag_id = $2",
            account_id.as_i64(),
            tag_id.as_i64()
        )? == 1)
    }
}
