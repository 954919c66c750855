//! The job queue: enqueue inside a caller's transaction, claim with leases, settle, inspect;
//! concurrency overrides, named leases and periodic-run bookkeeping.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Job, JobFilter, JobQueue, JobState, NewJob, QueueStats, Result, StoreError};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, map_err, read, with_conn, write};

/// Most ids in one `DELETE … IN (…)` (well under both engines' parameter limits).
const COMPLETE_CHUNK: usize = 256;

const JOB_COLUMNS: &str = "id, queue, kind, payload, state, attempts, max_attempts, run_at, \
    locked_until, locked_by, unique_key, last_error, created_at, updated_at";

fn job_from_row(r: &impl Fields) -> Result<Job> {
    let state = r.text("state")?;
    let int32 = |col: &str| -> Result<i32> {
        i32::try_from(r.int(col)?)
            .map_err(|_| StoreError::Corrupt(format!("jobs.{col} out of range")))
    };
    Ok(Job {
        id: Id::from_i64(r.int("id")?),
        queue: r.text("queue")?,
        kind: r.text("kind")?,
        payload: r.text("payload")?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("job state {state:?}")))?,
        attempts: int32("attempts")?,
        max_attempts: int32("max_attempts")?,
        run_at: Timestamp::from_millis(r.int("run_at")?),
        locked_until: r.opt_int("locked_until")?.map(Timestamp::from_millis),
        locked_by: r.opt_text("locked_by")?,
        unique_key: r.opt_text("unique_key")?,
        last_error: r.opt_text("last_error")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

pub(crate) async fn enqueue(c: Conn<'_>, job: &NewJob) -> Result<bool> {
    let sql = "INSERT INTO jobs (id, queue, kind, payload, state, attempts, max_attempts, run_at, \
        unique_key, created_at, updated_at) VALUES ($1, $2, $3, $4, 'ready', 0, $5, $6, $7, $8, $8) \
        ON CONFLICT DO NOTHING";
    let created = job.id.timestamp().as_millis();
    with_conn!(c, |e, p| {
        let done = sqlx::query(sql)
            .bind(job.id.as_i64())
            .bind(&job.queue)
            .bind(&job.kind)
            .bind(&job.payload)
            .bind(i64::from(job.max_attempts))
            .bind(job.run_at.as_millis())
            .bind(job.unique_key.as_deref())
            .bind(created)
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    })
}

pub(crate) async fn claim_period(
    c: Conn<'_>,
    name: &str,
    period: i64,
    now: Timestamp,
) -> Result<bool> {
    let sql = "INSERT INTO periodic_runs (name, last_period, enqueued_at) VALUES ($1, $2, $3) \
        ON CONFLICT (name) DO UPDATE SET last_period = excluded.last_period, \
        enqueued_at = excluded.enqueued_at WHERE periodic_runs.last_period < excluded.last_period";
    with_conn!(c, |e, p| {
        let done = sqlx::query(sql)
            .bind(name)
            .bind(period)
            .bind(now.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    })
}

pub(crate) async fn prune_expired_tokens(mut c: Conn<'_>, before: Timestamp) -> Result<u64> {
    let statements = [
        "DELETE FROM oauth_tokens WHERE (expires_at IS NOT NULL AND expires_at < $1) \
         OR (revoked_at IS NOT NULL AND revoked_at < $1)",
        "DELETE FROM oauth_authorizations WHERE expires_at < $1",
        "DELETE FROM idempotency_keys WHERE created_at < $1",
    ];
    let mut total = 0;
    for sql in statements {
        total += with_conn!(c.reborrow(), |e, p| {
            sqlx::query(sql)
                .bind(before.as_millis())
                .persistent(p)
                .execute(&mut *e)
                .await
                .map_err(map_err)?
                .rows_affected()
        });
    }
    Ok(total)
}

/// Claims due jobs. First, jobs of this queue whose lease expired (their worker died) become
/// ready again; then the oldest due jobs are taken. Both statements walk the
/// `(queue, state, run_at, id)` index. PostgreSQL skips rows other workers are claiming
/// (`SKIP LOCKED`); SQLite has one writer, so the statement is already exclusive.
async fn claim(
    mut c: Conn<'_>,
    queue: &str,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<Job>> {
    let expire = "UPDATE jobs SET state = 'ready', locked_by = NULL, locked_until = NULL, \
        updated_at = $1 WHERE queue = $2 AND state = 'running' AND locked_until < $1";
    exec!(c.reborrow(), expire, now.as_millis(), queue)?;
    let lock = match c {
        Conn::Sqlite(_) => "",
        Conn::Pg(..) => "FOR UPDATE SKIP LOCKED",
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, \
         attempts = attempts + 1, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs WHERE queue = $4 AND state = 'ready' AND run_at <= $3 \
            ORDER BY run_at, id LIMIT $5 {lock}) \
         RETURNING {JOB_COLUMNS}"
    ));
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sql)
            .bind(worker)
            .bind(lease_until.as_millis())
            .bind(now.as_millis())
            .bind(queue)
            .bind(i64::from(limit))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        let mut jobs = rows.iter().map(job_from_row).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    })
}

#[async_trait]
impl JobQueue for SqlStore {
    async fn claim_jobs(
        &self,
        queue: &str,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Job>> {
        write!(&self.pools, |c| claim(
            c,
            queue,
            worker,
            now,
            lease_until,
            limit
        )
        .await)
    }

    async fn complete_jobs(&self, ids: &[Id], worker: &str) -> Result<u64> {
        let mut total = 0;
        for chunk in ids.chunks(COMPLETE_CHUNK) {
            let placeholders: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
            let sql = format!(
                "DELETE FROM jobs WHERE locked_by = $1 AND state = 'running' AND id IN ({})",
                placeholders.join(", ")
            );
            total += write!(&self.pools, |c| {
                with_conn!(c, |e, p| {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(worker);
                    for id in chunk {
                        q = q.bind(id.as_i64());
                    }
                    q.persistent(p)
                        .execute(&mut *e)
                        .await
                        .map_err(map_err)
                        .map(|done| done.rows_affected())
                })
            })?;
        }
        Ok(total)
    }

    async fn retry_job_later(
        &self,
        id: Id,
        worker: &str,
        error: &str,
        run_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let sql = "UPDATE jobs SET state = 'ready', run_at = $1, last_error = $2, \
            locked_by = NULL, locked_until = NULL, updated_at = $3 \
            WHERE id = $4 AND locked_by = $5 AND state = 'running'";
        write!(&self.pools, |c| exec!(
            c,
            sql,
            run_at.as_millis(),
            error,
            now.as_millis(),
            id.as_i64(),
            worker
        )
        .map(|n| n == 1))
    }

    async fn defer_job(
        &self,
        id: Id,
        worker: &str,
        reason: &str,
        run_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let sql = "UPDATE jobs SET state = 'ready', run_at = $1, last_error = $2, \
            attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
            locked_by = NULL, locked_until = NULL, updated_at = $3 \
            WHERE id = $4 AND locked_by = $5 AND state = 'running'";
        write!(&self.pools, |c| exec!(
            c,
            sql,
            run_at.as_millis(),
            reason,
            now.as_millis(),
            id.as_i64(),
            worker
        )
        .map(|n| n == 1))
    }

    async fn bury_job(&self, id: Id, worker: &str, error: &str, now: Timestamp) -> Result<bool> {
        let sql = "UPDATE jobs SET state = 'dead', last_error = $1, locked_by = NULL, \
            locked_until = NULL, updated_at = $2 WHERE id = $3 AND locked_by = $4 AND state = 'running'";
        write!(&self.pools, |c| exec!(
            c,
            sql,
            error,
            now.as_millis(),
            id.as_i64(),
            worker
        )
        .map(|n| n == 1))
    }

    async fn extend_leases(&self, worker: &str, until: Timestamp) -> Result<u64> {
        let sql = "UPDATE jobs SET locked_until = $1 WHERE locked_by = $2 AND state = 'running'";
        write!(&self.pools, |c| exec!(c, sql, until.as_millis(), worker))
    }

    async fn release_jobs(&self, worker: &str, now: Timestamp) -> Result<u64> {
        let sql = "UPDATE jobs SET state = 'ready', locked_by = NULL, locked_until = NULL, \
            attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = $1 \
            WHERE locked_by = $2 AND state = 'running'";
        write!(&self.pools, |c| exec!(c, sql, now.as_millis(), worker))
    }

    async fn queue_stats(&self, now: Timestamp) -> Result<Vec<QueueStats>> {
        let sql = "SELECT queue, \
            SUM(CASE WHEN state = 'ready' AND run_at <= $1 THEN 1 ELSE 0 END) AS due, \
            SUM(CASE WHEN state = 'ready' AND run_at > $1 THEN 1 ELSE 0 END) AS scheduled, \
            SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS running, \
            SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END) AS dead, \
            MIN(CASE WHEN state = 'ready' AND run_at <= $1 THEN run_at END) AS oldest_due_at \
            FROM jobs GROUP BY queue ORDER BY queue";
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sql)
                    .bind(now.as_millis())
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok(QueueStats {
                            queue: r.text("queue")?,
                            due: r.int("due")?,
                            scheduled: r.int("scheduled")?,
                            running: r.int("running")?,
                            dead: r.int("dead")?,
                            oldest_due_at: r.opt_int("oldest_due_at")?.map(Timestamp::from_millis),
                        })
                    })
                    .collect()
            })
        })
    }

    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id < $1 \
             AND ($2 = '' OR queue = $2) AND ($3 = '' OR state = $3) \
             ORDER BY id DESC LIMIT $4"
        );
        let max = filter.max_id.map_or(i64::MAX, Id::as_i64);
        let queue = filter.queue.clone().unwrap_or_default();
        let state = filter.state.map_or("", JobState::as_str);
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(max)
                    .bind(queue.as_str())
                    .bind(state)
                    .bind(i64::from(filter.limit))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(job_from_row).collect()
            })
        })
    }

    async fn job(&self, id: Id) -> Result<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(id.as_i64())
                    .persistent(p)
                    .fetch_optional(&mut *e)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(job_from_row).transpose()
            })
        })
    }

    async fn revive_job(&self, id: Id, now: Timestamp) -> Result<bool> {
        let sql = "UPDATE jobs SET state = 'ready', attempts = 0, run_at = $1, updated_at = $1 \
            WHERE id = $2 AND state = 'dead'";
        write!(&self.pools, |c| exec!(c, sql, now.as_millis(), id.as_i64())
            .map(|n| n == 1))
    }

    async fn release_unique_key(&self, id: Id) -> Result<()> {
        let sql = "UPDATE jobs SET unique_key = NULL WHERE id = $1 AND state = 'running'";
        write!(&self.pools, |c| exec!(c, sql, id.as_i64()).map(|_| ()))
    }

    async fn discard_job(&self, id: Id) -> Result<bool> {
        let sql = "DELETE FROM jobs WHERE id = $1 AND state <> 'running'";
        write!(&self.pools, |c| exec!(c, sql, id.as_i64()).map(|n| n == 1))
    }

    async fn prune_dead_jobs(&self, before: Timestamp) -> Result<u64> {
        let sql = "DELETE FROM jobs WHERE state = 'dead' AND updated_at < $1";
        write!(&self.pools, |c| exec!(c, sql, before.as_millis()))
    }

    async fn set_concurrency(
        &self,
        node: &str,
        queue: &str,
        concurrency: Option<u32>,
        now: Timestamp,
    ) -> Result<()> {
        match concurrency {
            Some(n) => {
                let sql = "INSERT INTO queue_settings (node, queue, concurrency, updated_at) \
                    VALUES ($1, $2, $3, $4) ON CONFLICT (node, queue) DO UPDATE SET \
                    concurrency = excluded.concurrency, updated_at = excluded.updated_at";
                write!(&self.pools, |c| exec!(
                    c,
                    sql,
                    node,
                    queue,
                    i64::from(n),
                    now.as_millis()
                ))
                .map(|_| ())
            }
            None => {
                let sql = "DELETE FROM queue_settings WHERE node = $1 AND queue = $2";
                write!(&self.pools, |c| exec!(c, sql, node, queue)).map(|_| ())
            }
        }
    }

    async fn concurrency_overrides(&self, node: &str) -> Result<Vec<(String, u32)>> {
        let sql = "SELECT queue, concurrency FROM queue_settings WHERE node = $1 ORDER BY queue";
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sql)
                    .bind(node)
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        let n = u32::try_from(r.int("concurrency")?).map_err(|_| {
                            StoreError::Corrupt("queue_settings.concurrency out of range".into())
                        })?;
                        Ok((r.text("queue")?, n))
                    })
                    .collect()
            })
        })
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        let sql = "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES ($1, $2, $3, $4) \
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
            expires_at = excluded.expires_at, \
            acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at \
                ELSE excluded.acquired_at END \
            WHERE leases.holder = excluded.holder OR leases.expires_at < excluded.acquired_at";
        write!(&self.pools, |c| exec!(
            c,
            sql,
            name,
            holder,
            until.as_millis(),
            now.as_millis()
        )
        .map(|n| n == 1))
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let sql = "DELETE FROM leases WHERE name = $1 AND holder = $2";
        write!(&self.pools, |c| exec!(c, sql, name, holder)).map(|_| ())
    }

    async fn lease_holder(&self, name: &str, now: Timestamp) -> Result<Option<String>> {
        let sql = "SELECT holder FROM leases WHERE name = $1 AND expires_at >= $2";
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let row = sqlx::query(sql)
                    .bind(name)
                    .bind(now.as_millis())
                    .persistent(p)
                    .fetch_optional(&mut *e)
                    .await
                    .map_err(map_err)?;
                row.map(|r| r.text("holder")).transpose()
            })
        })
    }
}
