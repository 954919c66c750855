//! Trends: the activity they are scored from (recent hashtag use, link shares, favourites and
//! boosts), the scored items, and the operator's reviews.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::trends::{
    ReviewFilter, StatusInteractions, Trend, TrendKind, TrendStore, TrendTx, TrendUse,
};
use rookery_store::{Result, TagDay};

use crate::SqlStore;
use crate::db::{Fields, exec, map_err, read, with_conn};
use crate::transaction::SqlTx;

const DAY_MS: i64 = 86_400_000;

/// Accounts whose posts may trend (alias `$a`): neither suspended nor silenced, and not on a
/// silenced or suspended domain (a domain block covers its subdomains).
fn eligible(a: &str) -> String {
    format!(
        "{a}.suspended_at IS NULL AND {a}.silenced_at IS NULL AND NOT EXISTS ( \
           SELECT 1 FROM domain_blocks b WHERE b.severity IN ('silence', 'suspend') \
           AND (lower({a}.domain) = b.domain OR lower({a}.domain) LIKE '%.' || b.domain))"
    )
}

/// Shares of links: every public status since `$1` whose own or boosted status (`o`) shows a
/// card, that status public, without a warning, neither author barred.
fn link_shares_from() -> String {
    format!(
        "FROM statuses s \
         JOIN statuses o ON o.id = COALESCE(s.reblog_of_id, s.id) \
         JOIN status_preview_cards spc ON spc.status_id = o.id \
         JOIN accounts a ON a.id = s.account_id \
         JOIN accounts oa ON oa.id = o.account_id \
         WHERE s.created_at >= $1 AND s.visibility = 'public' AND s.deleted_at IS NULL \
         AND o.visibility = 'public' AND o.deleted_at IS NULL AND o.sensitive = FALSE \
         AND o.spoiler_text = '' AND {} AND {}",
        eligible("a"),
        eligible("oa")
    )
}

/// Runs a `(item_id, recent, earlier)` query with `since` and `split` bound as `$1`, `$2`.
async fn uses(
    store: &SqlStore,
    sql: String,
    since: Timestamp,
    split: Timestamp,
) -> Result<Vec<TrendUse>> {
    read!(&store.pools, |c| with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(since.as_millis())
            .bind(split.as_millis())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(TrendUse {
                    item_id: Id::from_i64(r.int("item_id")?),
                    recent: r.int("recent")?,
                    earlier: r.int("earlier")?,
                })
            })
            .collect::<Result<Vec<_>>>()
    }))
}

const COUNTS: &str = "COUNT(DISTINCT CASE WHEN s.created_at >= $2 THEN s.account_id END) AS recent, \
     COUNT(DISTINCT CASE WHEN s.created_at < $2 THEN s.account_id END) AS earlier";

#[async_trait]
impl TrendStore for SqlStore {
    async fn tag_uses(&self, since: Timestamp, split: Timestamp) -> Result<Vec<TrendUse>> {
        let sql = format!(
            "SELECT st.tag_id AS item_id, {COUNTS} \
             FROM statuses s \
             JOIN status_tags st ON st.status_id = s.id \
             JOIN tags t ON t.id = st.tag_id \
             JOIN accounts a ON a.id = s.account_id \
             WHERE s.created_at >= $1 AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
             AND s.deleted_at IS NULL AND t.usable = TRUE AND {} \
             GROUP BY st.tag_id",
            eligible("a")
        );
        uses(self, sql, since, split).await
    }

    async fn link_uses(&self, since: Timestamp, split: Timestamp) -> Result<Vec<TrendUse>> {
        let sql = format!(
            "SELECT spc.preview_card_id AS item_id, {COUNTS} {} GROUP BY spc.preview_card_id",
            link_shares_from()
        );
        uses(self, sql, since, split).await
    }

    async fn status_interactions(&self, since: Timestamp) -> Result<Vec<StatusInteractions>> {
        let sql = format!(
            "SELECT s.id, s.created_at, s.favourites_count + s.reblogs_count AS interactions \
             FROM statuses s JOIN accounts a ON a.id = s.account_id \
             WHERE s.created_at >= $1 AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
             AND s.in_reply_to_id IS NULL AND s.deleted_at IS NULL AND s.sensitive = FALSE \
             AND s.spoiler_text = '' AND a.discoverable = TRUE \
             AND s.favourites_count + s.reblogs_count > 0 AND {}",
            eligible("a")
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(since.as_millis())
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    Ok(StatusInteractions {
                        status_id: Id::from_i64(r.int("id")?),
                        interactions: r.int("interactions")?,
                        created_at: Timestamp::from_millis(r.int("created_at")?),
                    })
                })
                .collect::<Result<Vec<_>>>()
        }))
    }

    async fn trends(
        &self,
        kind: TrendKind,
        filter: ReviewFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Trend>> {
        let reviewed = match filter {
            ReviewFilter::All => "",
            ReviewFilter::NotRejected => "AND (r.approved IS NULL OR r.approved = TRUE)",
            ReviewFilter::Approved => "AND r.approved = TRUE",
        };
        let sql = format!(
            "SELECT t.item_id, t.score, t.max_score, t.max_score_at, \
             CAST(CASE WHEN r.approved IS NULL THEN -1 WHEN r.approved = TRUE THEN 1 ELSE 0 END \
               AS BIGINT) AS review \
             FROM trends t LEFT JOIN trend_reviews r \
               ON r.kind = t.kind AND r.item_id = t.item_id \
             WHERE t.kind = $1 {reviewed} \
             ORDER BY t.score DESC, t.item_id DESC LIMIT $2 OFFSET $3"
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(kind.as_str())
                .bind(i64::from(limit))
                .bind(i64::from(offset))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    Ok(Trend {
                        kind,
                        item_id: Id::from_i64(r.int("item_id")?),
                        score: r.int("score")?,
                        max_score: r.int("max_score")?,
                        max_score_at: Timestamp::from_millis(r.int("max_score_at")?),
                        review: match r.int("review")? {
                            -1 => None,
                            v => Some(v == 1),
                        },
                    })
                })
                .collect::<Result<Vec<_>>>()
        }))
    }

    async fn link_history(&self, card_id: Id, since: Timestamp) -> Result<Vec<TagDay>> {
        let sql = format!(
            "SELECT s.created_at / {DAY_MS} AS day, COUNT(*) AS uses, \
             COUNT(DISTINCT s.account_id) AS accounts {} AND spc.preview_card_id = $2 \
             GROUP BY s.created_at / {DAY_MS} ORDER BY 1 DESC",
            link_shares_from()
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(since.as_millis())
                .bind(card_id.as_i64())
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

    async fn reviews(&self, kind: TrendKind) -> Result<Vec<(Id, bool)>> {
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(
                "SELECT item_id, approved FROM trend_reviews WHERE kind = $1 ORDER BY item_id",
            )
            .bind(kind.as_str())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
            rows.iter()
                .map(|r| Ok((Id::from_i64(r.int("item_id")?), r.flag("approved")?)))
                .collect::<Result<Vec<_>>>()
        }))
    }

    async fn review(&self, kind: TrendKind, item_id: Id) -> Result<Option<bool>> {
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let row =
                sqlx::query("SELECT approved FROM trend_reviews WHERE kind = $1 AND item_id = $2")
                    .bind(kind.as_str())
                    .bind(item_id.as_i64())
                    .persistent(p)
                    .fetch_optional(&mut *e)
                    .await
                    .map_err(map_err)?;
            row.map(|r| r.flag("approved")).transpose()
        }))
    }
}

#[async_trait]
impl TrendTx for SqlTx {
    async fn replace_trends(
        &mut self,
        kind: TrendKind,
        trends: &[Trend],
        now: Timestamp,
    ) -> Result<()> {
        exec!(
            self.conn(),
            "DELETE FROM trends WHERE kind = $1",
            kind.as_str()
        )?;
        for t in trends {
            exec!(
                self.conn(),
                "INSERT INTO trends (kind, item_id, score, max_score, max_score_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                kind.as_str(),
                t.item_id.as_i64(),
                t.score,
                t.max_score,
                t.max_score_at.as_millis(),
                now.as_millis()
            )?;
        }
        Ok(())
    }

    async fn set_review(
        &mut self,
        kind: TrendKind,
        item_id: Id,
        approved: bool,
        now: Timestamp,
    ) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO trend_reviews (kind, item_id, approved, reviewed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (kind, item_id) \
             DO UPDATE SET approved = excluded.approved, reviewed_at = excluded.reviewed_at",
            kind.as_str(),
            item_id.as_i64(),
            approved,
            now.as_millis()
        )?;
        Ok(())
    }
}
