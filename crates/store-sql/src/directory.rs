//! Weekly activity, peers and the profile directory.

use async_trait::async_trait;
use rookery_model::{Account, Timestamp};
use rookery_store::{DirectoryOrder, DirectoryStore, Result, WeekActivity};

use crate::SqlStore;
use crate::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::db::{Fields, map_err, read, with_conn};

/// Milliseconds in a week, and from the epoch back to the Monday before it (1969-12-29).
const WEEK_MS: i64 = 7 * 86_400_000;
const MONDAY_OFFSET_MS: i64 = 3 * 86_400_000;

#[async_trait]
impl DirectoryStore for SqlStore {
    async fn weekly_activity(&self, since: Timestamp) -> Result<Vec<WeekActivity>> {
        // Three counts per week, one grouped query each, merged by week.
        const SQL: &str = "SELECT (created_at + $2) / $3 AS week, 's' AS kind, COUNT(*) AS n \
            FROM statuses WHERE local AND created_at >= $1 GROUP BY (created_at + $2) / $3 \
            UNION ALL \
            SELECT (created_at + $2) / $3, 'r', COUNT(*) FROM users \
            WHERE created_at >= $1 GROUP BY (created_at + $2) / $3 \
            UNION ALL \
            SELECT (t.created_at + $2) / $3, 'l', COUNT(DISTINCT t.account_id) \
            FROM oauth_tokens t JOIN users u ON u.account_id = t.account_id \
            WHERE t.created_at >= $1 GROUP BY (t.created_at + $2) / $3";
        let rows = read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(SQL)
                .bind(since.as_millis())
                .bind(MONDAY_OFFSET_MS)
                .bind(WEEK_MS)
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(|r| Ok((r.int("week")?, r.text("kind")?, r.int("n")?)))
                .collect::<Result<Vec<_>>>()
        }))?;
        let mut weeks: Vec<WeekActivity> = Vec::new();
        for (week, kind, n) in rows {
            let at = match weeks.iter().position(|w| w.week == week) {
                Some(i) => i,
                None => {
                    weeks.push(WeekActivity {
                        week,
                        statuses: 0,
                        logins: 0,
                        registrations: 0,
                    });
                    weeks.len() - 1
                }
            };
            match kind.as_str() {
                "s" => weeks[at].statuses = n,
                "r" => weeks[at].registrations = n,
                _ => weeks[at].logins = n,
            }
        }
        weeks.sort_by_key(|w| std::cmp::Reverse(w.week));
        Ok(weeks)
    }

    async fn peers(&self, limit: u32) -> Result<Vec<String>> {
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(
                "SELECT DISTINCT lower(domain) AS domain FROM accounts \
                 WHERE domain IS NOT NULL ORDER BY 1 LIMIT $1",
            )
            .bind(i64::from(limit))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
            rows.iter()
                .map(|r| r.text("domain"))
                .collect::<Result<Vec<_>>>()
        }))
    }

    async fn directory(
        &self,
        order: DirectoryOrder,
        local_only: bool,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Account>> {
        let order_by = match order {
            DirectoryOrder::Active => "COALESCE(a.last_status_at, 0) DESC, a.id DESC",
            DirectoryOrder::New => "a.id DESC",
        };
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.discoverable \
             AND a.suspended_at IS NULL AND a.actor_type <> 'Application' \
             AND ($3 = 0 OR a.domain IS NULL) \
             AND (a.domain IS NOT NULL OR a.id IN (SELECT account_id FROM users \
                  WHERE approved AND confirmed_at IS NOT NULL AND NOT disabled)) \
             ORDER BY {order_by} LIMIT $1 OFFSET $2"
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(i64::from(limit))
                .bind(i64::from(offset))
                .bind(i64::from(local_only))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter()
                .map(account_from_row)
                .collect::<Result<Vec<_>>>()
        }))
    }
}
