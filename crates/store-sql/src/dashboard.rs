//! The figures of the admin dashboard: counts per day and rankings over a period, each one
//! grouped query.

use async_trait::async_trait;
use rookery_model::Timestamp;
use rookery_store::{DailyMeasure, DashboardStore, RankedDimension, Result};

use crate::SqlStore;
use crate::db::{Fields, map_err, read, with_conn};

const DAY_MS: i64 = 86_400_000;

/// The rows a daily measure counts, as `t` (the time it happened) and `v` (what it adds;
/// 1 for a count), with `$3` the domain of the `Instance*` measures.
fn daily_source(m: DailyMeasure<'_>) -> &'static str {
    match m {
        DailyMeasure::ActiveUsers => "SELECT last_active_at AS t, 1 AS v FROM users",
        DailyMeasure::NewUsers => "SELECT created_at AS t, 1 AS v FROM users",
        DailyMeasure::Interactions => {
            "SELECT f.created_at AS t, 1 AS v FROM favourites f \
             JOIN statuses s ON s.id = f.status_id WHERE s.local \
             UNION ALL SELECT r.created_at, 1 FROM statuses r \
             JOIN statuses s ON s.id = r.reblog_of_id WHERE s.local \
             UNION ALL SELECT r.created_at, 1 FROM statuses r \
             JOIN statuses s ON s.id = r.in_reply_to_id WHERE s.local"
        }
        DailyMeasure::OpenedReports => "SELECT created_at AS t, 1 AS v FROM reports",
        DailyMeasure::ResolvedReports => "SELECT action_taken_at AS t, 1 AS v FROM reports",
        DailyMeasure::InstanceAccounts(_) => {
            "SELECT created_at AS t, 1 AS v FROM accounts WHERE lower(domain) = $3"
        }
        DailyMeasure::InstanceMediaBytes(_) => {
            "SELECT m.created_at AS t, COALESCE(m.file_size, 0) + m.preview_size AS v \
             FROM media_attachments m JOIN accounts a ON a.id = m.account_id \
             WHERE lower(a.domain) = $3"
        }
        DailyMeasure::InstanceReports(_) => {
            "SELECT r.created_at AS t, 1 AS v FROM reports r \
             JOIN accounts a ON a.id = r.target_account_id WHERE lower(a.domain) = $3"
        }
        DailyMeasure::InstanceStatuses(_) => {
            "SELECT s.created_at AS t, 1 AS v FROM statuses s \
             JOIN accounts a ON a.id = s.account_id WHERE lower(a.domain) = $3"
        }
        DailyMeasure::InstanceFollows(_) => {
            "SELECT f.created_at AS t, 1 AS v FROM follows f \
             JOIN accounts a ON a.id = f.target_account_id \
             JOIN accounts l ON l.id = f.account_id \
             WHERE lower(a.domain) = $3 AND l.domain IS NULL"
        }
        DailyMeasure::InstanceFollowers(_) => {
            "SELECT f.created_at AS t, 1 AS v FROM follows f \
             JOIN accounts a ON a.id = f.account_id \
             JOIN accounts l ON l.id = f.target_account_id \
             WHERE lower(a.domain) = $3 AND l.domain IS NULL"
        }
    }
}

fn daily_domain(m: DailyMeasure<'_>) -> Option<String> {
    match m {
        DailyMeasure::InstanceAccounts(d)
        | DailyMeasure::InstanceMediaBytes(d)
        | DailyMeasure::InstanceReports(d)
        | DailyMeasure::InstanceStatuses(d)
        | DailyMeasure::InstanceFollows(d)
        | DailyMeasure::InstanceFollowers(d) => Some(d.to_ascii_lowercase()),
        _ => None,
    }
}

/// The rows a ranking groups, as `k` (the key) and `t` (when), with `$4` the domain.
fn ranked_source(d: RankedDimension<'_>) -> &'static str {
    match d {
        RankedDimension::Languages => {
            "SELECT language AS k, created_at AS t FROM statuses \
             WHERE local AND language IS NOT NULL AND reblog_of_id IS NULL"
        }
        RankedDimension::Servers => {
            "SELECT lower(a.domain) AS k, s.created_at AS t FROM statuses s \
             JOIN accounts a ON a.id = s.account_id WHERE a.domain IS NOT NULL"
        }
        RankedDimension::InstanceAccounts(_) => {
            "SELECT a.username AS k, f.created_at AS t FROM follows f \
             JOIN accounts a ON a.id = f.target_account_id WHERE lower(a.domain) = $4"
        }
        RankedDimension::InstanceLanguages(_) => {
            "SELECT s.language AS k, s.created_at AS t FROM statuses s \
             JOIN accounts a ON a.id = s.account_id \
             WHERE lower(a.domain) = $4 AND s.language IS NOT NULL"
        }
    }
}

#[async_trait]
impl DashboardStore for SqlStore {
    async fn daily(
        &self,
        measure: DailyMeasure<'_>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(i64, i64)>> {
        let domain = daily_domain(measure);
        let sql = format!(
            "SELECT (x.t - $1) / {DAY_MS} AS d, CAST(SUM(x.v) AS BIGINT) AS n FROM ({}) x \
             WHERE x.t >= $1 AND x.t < $2 \
             GROUP BY (x.t - $1) / {DAY_MS}",
            daily_source(measure)
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(from.as_millis())
                .bind(to.as_millis());
            if let Some(d) = &domain {
                q = q.bind(d.clone());
            }
            let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
            rows.iter()
                .map(|r| Ok((r.int("d")?, r.int("n")?)))
                .collect()
        }))
    }

    async fn ranked(
        &self,
        dimension: RankedDimension<'_>,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, i64)>> {
        let domain = match dimension {
            RankedDimension::InstanceAccounts(d) | RankedDimension::InstanceLanguages(d) => {
                Some(d.to_ascii_lowercase())
            }
            _ => None,
        };
        let sql = format!(
            "SELECT x.k AS k, COUNT(*) AS n FROM ({}) x \
             WHERE x.t >= $1 AND x.t < $2 \
             GROUP BY x.k ORDER BY n DESC, x.k LIMIT $3",
            ranked_source(dimension)
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(from.as_millis())
                .bind(to.as_millis())
                .bind(i64::from(limit));
            if let Some(d) = &domain {
                q = q.bind(d.clone());
            }
            let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
            rows.iter()
                .map(|r| Ok((r.text("k")?, r.int("n")?)))
                .collect()
        }))
    }

    async fn sign_ups(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(Timestamp, Option<Timestamp>)>> {
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(
                "SELECT created_at, last_active_at FROM users \
                 WHERE created_at >= $1 AND created_at < $2",
            )
            .bind(from.as_millis())
            .bind(to.as_millis())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    Ok((
                        Timestamp::from_millis(r.int("created_at")?),
                        r.opt_int("last_active_at")?.map(Timestamp::from_millis),
                    ))
                })
                .collect()
        }))
    }

    async fn media_bytes(&self) -> Result<i64> {
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let row = sqlx::query(
                "SELECT CAST(COALESCE(SUM(COALESCE(file_size, 0) + preview_size), 0) AS BIGINT) AS n \
                 FROM media_attachments",
            )
            .persistent(p)
            .fetch_one(&mut *e)
            .await
            .map_err(map_err)?;
            row.int("n")
        }))
    }
}
