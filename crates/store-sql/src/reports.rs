//! Reports to the moderators and the posts they point at.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    Report, ReportFilter, ReportNote, ReportStore, ReportTx, ReportedPost, Result, Staff,
    StoreError, TimelinePage,
};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::transaction::SqlTx;

const COLUMNS: &str = "id, account_id, target_account_id, category, rule_ids, comment, \
     forwarded, uri, assigned_account_id, action_taken_at, action_taken_by_account_id, \
     created_at, updated_at";

fn report_from_row(r: &impl Fields) -> Result<Report> {
    let ts = |v: Option<i64>| v.map(Timestamp::from_millis);
    let rules = r.text("rule_ids")?;
    let rule_ids: Vec<String> = serde_json::from_str(&rules)
        .map_err(|e| StoreError::Corrupt(format!("reports.rule_ids: {e}")))?;
    Ok(Report {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        target_account_id: Id::from_i64(r.int("target_account_id")?),
        category: r.text("category")?,
        rule_ids,
        comment: r.text("comment")?,
        forwarded: r.flag("forwarded")?,
        uri: r.opt_text("uri")?,
        assigned_account_id: r.opt_int("assigned_account_id")?.map(Id::from_i64),
        action_taken_at: ts(r.opt_int("action_taken_at")?),
        action_taken_by_account_id: r.opt_int("action_taken_by_account_id")?.map(Id::from_i64),
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
        status_ids: Vec::new(),
    })
}

fn note_from_row(r: &impl Fields) -> Result<ReportNote> {
    Ok(ReportNote {
        id: Id::from_i64(r.int("id")?),
        report_id: Id::from_i64(r.int("report_id")?),
        account_id: r.opt_int("account_id")?.map(Id::from_i64),
        content: r.text("content")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

/// Fills in the reported posts of `reports`.
async fn with_statuses(mut c: Conn<'_>, reports: &mut [Report]) -> Result<()> {
    for report in reports.iter_mut() {
        let ids: Vec<i64> = with_conn!(c.reborrow(), |e, p| {
            let rows = sqlx::query(
                "SELECT status_id FROM report_statuses WHERE report_id = $1 ORDER BY status_id",
            )
            .bind(report.id.as_i64())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
            rows.iter()
                .map(|r| r.int("status_id"))
                .collect::<Result<Vec<i64>>>()
        })?;
        report.status_ids = ids.into_iter().map(Id::from_i64).collect();
    }
    Ok(())
}

async fn one(mut c: Conn<'_>, id: Id, lock: bool) -> Result<Option<Report>> {
    let lock = if lock && matches!(c, Conn::Pg(..)) {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql = format!("SELECT {COLUMNS} FROM reports WHERE id = $1{lock}");
    let found = fetch_optional!(c.reborrow(), sql.as_str(), report_from_row, id.as_i64())?;
    let Some(report) = found else {
        return Ok(None);
    };
    let mut list = [report];
    with_statuses(c, &mut list).await?;
    let [report] = list;
    Ok(Some(report))
}

#[async_trait]
impl ReportStore for SqlStore {
    async fn report(&self, id: Id) -> Result<Option<Report>> {
        read!(&self.pools, |c| one(c, id, false).await)
    }

    async fn reports(&self, filter: &ReportFilter, page: TimelinePage) -> Result<Vec<Report>> {
        // With `min_id`, the page just above it (read upwards, then turned round).
        let upwards = page.min_id.is_some();
        let lower = page.min_id.or(page.since_id).map_or(0, Id::as_i64);
        let upper = page.max_id.map_or(i64::MAX, Id::as_i64);
        let resolved = match filter.resolved {
            None => "",
            Some(true) => " AND action_taken_at IS NOT NULL",
            Some(false) => " AND action_taken_at IS NULL",
        };
        let order = if upwards { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT {COLUMNS} FROM reports WHERE id > $1 AND id < $2{resolved} \
             AND ($3 IS NULL OR account_id = $3) AND ($4 IS NULL OR target_account_id = $4) \
             ORDER BY id {order} LIMIT $5"
        );
        let account = filter.account_id.map(Id::as_i64);
        let target = filter.target_account_id.map(Id::as_i64);
        read!(&self.pools, |c| {
            let mut c = c;
            let mut list: Vec<Report> = with_conn!(c.reborrow(), |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(lower)
                    .bind(upper)
                    .bind(account)
                    .bind(target)
                    .bind(i64::from(page.limit))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(report_from_row).collect::<Result<Vec<_>>>()
            })?;
            if upwards {
                list.reverse();
            }
            with_statuses(c, &mut list).await?;
            Ok(list)
        })
    }

    async fn reports_of_notifications(&self, notification_ids: &[Id]) -> Result<Vec<(Id, Id)>> {
        if notification_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT notification_id, report_id FROM report_notifications \
             WHERE notification_id IN ({})",
            crate::statuses::placeholders(1, notification_ids.len())
        );
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for id in notification_ids {
                    q = q.bind(id.as_i64());
                }
                let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            Id::from_i64(r.int("notification_id")?),
                            Id::from_i64(r.int("report_id")?),
                        ))
                    })
                    .collect()
            })
        })
    }

    async fn reports_from_domain_since(&self, domain: &str, since: Timestamp) -> Result<i64> {
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let row = sqlx::query(
                    "SELECT COUNT(*) AS n FROM reports r JOIN accounts a ON a.id = r.account_id \
                     WHERE a.domain = $1 AND r.created_at >= $2",
                )
                .bind(domain)
                .bind(since.as_millis())
                .persistent(p)
                .fetch_one(&mut *e)
                .await
                .map_err(map_err)?;
                row.int("n")
            })
        })
    }

    async fn reported_posts(&self, id: Id) -> Result<Vec<ReportedPost>> {
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(
                    "SELECT status_id, url, content, spoiler_text, posted_at \
                     FROM report_statuses WHERE report_id = $1 ORDER BY status_id",
                )
                .bind(id.as_i64())
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok(ReportedPost {
                            status_id: Id::from_i64(r.int("status_id")?),
                            url: r.opt_text("url")?,
                            content: r.opt_text("content")?.unwrap_or_default(),
                            spoiler_text: r.opt_text("spoiler_text")?.unwrap_or_default(),
                            posted_at: r.opt_int("posted_at")?.map(Timestamp::from_millis),
                        })
                    })
                    .collect()
            })
        })
    }

    async fn report_notes(&self, id: Id) -> Result<Vec<ReportNote>> {
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(
                    "SELECT id, report_id, account_id, content, created_at FROM report_notes \
                     WHERE report_id = $1 ORDER BY id",
                )
                .bind(id.as_i64())
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
                rows.iter().map(note_from_row).collect()
            })
        })
    }

    async fn report_note(&self, id: Id) -> Result<Option<ReportNote>> {
        read!(&self.pools, |c| fetch_optional!(
            c,
            "SELECT id, report_id, account_id, content, created_at FROM report_notes \
             WHERE id = $1",
            note_from_row,
            id.as_i64()
        ))
    }

    async fn users_with_roles(&self, roles: &[&str]) -> Result<Vec<Staff>> {
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT a.id AS id, a.username AS username, u.email AS email FROM users u \
             JOIN accounts a ON a.id = u.account_id \
             WHERE u.disabled = FALSE AND a.suspended_at IS NULL AND u.role IN ({}) \
             ORDER BY a.id",
            crate::statuses::placeholders(1, roles.len())
        );
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for r in roles {
                    q = q.bind(*r);
                }
                let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok(Staff {
                            account_id: Id::from_i64(r.int("id")?),
                            username: r.text("username")?,
                            email: r.text("email")?,
                        })
                    })
                    .collect()
            })
        })
    }
}

#[async_trait]
impl ReportTx for SqlTx {
    async fn insert_report(&mut self, r: &Report) -> Result<bool> {
        let rules = serde_json::to_string(&r.rule_ids)
            .map_err(|e| StoreError::Database(format!("rule ids: {e}")))?;
        let inserted = exec!(
            self.conn(),
            "INSERT INTO reports (id, account_id, target_account_id, category, rule_ids, \
             comment, forwarded, uri, assigned_account_id, action_taken_at, \
             action_taken_by_account_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT DO NOTHING",
            r.id.as_i64(),
            r.account_id.as_i64(),
            r.target_account_id.as_i64(),
            r.category.as_str(),
            rules.as_str(),
            r.comment.as_str(),
            r.forwarded,
            r.uri.as_deref(),
            r.assigned_account_id.map(Id::as_i64),
            r.action_taken_at.map(Timestamp::as_millis),
            r.action_taken_by_account_id.map(Id::as_i64),
            r.created_at.as_millis(),
            r.updated_at.as_millis()
        )?;
        if inserted == 0 {
            return Ok(false);
        }
        for status in &r.status_ids {
            exec!(
                self.conn(),
                "INSERT INTO report_statuses \
                 (report_id, status_id, url, content, spoiler_text, posted_at) \
                 SELECT $1, $2, COALESCE(s.url, s.uri), s.content, s.spoiler_text, s.created_at \
                 FROM (SELECT 1) AS one LEFT JOIN statuses s ON s.id = $2 WHERE TRUE \
                 ON CONFLICT DO NOTHING",
                r.id.as_i64(),
                status.as_i64()
            )?;
        }
        Ok(true)
    }

    async fn report_for_update(&mut self, id: Id) -> Result<Option<Report>> {
        one(self.conn(), id, true).await
    }

    async fn update_report(
        &mut self,
        id: Id,
        category: &str,
        rule_ids: &[String],
        now: Timestamp,
    ) -> Result<()> {
        let rules = serde_json::to_string(rule_ids)
            .map_err(|e| StoreError::Database(format!("rule ids: {e}")))?;
        exec!(
            self.conn(),
            "UPDATE reports SET category = $2, rule_ids = $3, updated_at = $4 WHERE id = $1",
            id.as_i64(),
            category,
            rules.as_str(),
            now.as_millis()
        )?;
        Ok(())
    }

    async fn assign_report(&mut self, id: Id, to: Option<Id>, now: Timestamp) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE reports SET assigned_account_id = $2, updated_at = $3 WHERE id = $1",
            id.as_i64(),
            to.map(Id::as_i64),
            now.as_millis()
        )?;
        Ok(())
    }

    async fn resolve_report(&mut self, id: Id, by: Option<Id>, now: Timestamp) -> Result<bool> {
        let n = exec!(
            self.conn(),
            "UPDATE reports SET action_taken_at = $2, action_taken_by_account_id = $3, \
             updated_at = $2 WHERE id = $1",
            id.as_i64(),
            now.as_millis(),
            by.map(Id::as_i64)
        )?;
        Ok(n > 0)
    }

    async fn reopen_report(&mut self, id: Id, now: Timestamp) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE reports SET action_taken_at = NULL, action_taken_by_account_id = NULL, \
             updated_at = $2 WHERE id = $1",
            id.as_i64(),
            now.as_millis()
        )?;
        Ok(())
    }

    async fn insert_report_note(&mut self, note: &ReportNote) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO report_notes (id, report_id, account_id, content, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            note.id.as_i64(),
            note.report_id.as_i64(),
            note.account_id.map(Id::as_i64),
            note.content.as_str(),
            note.created_at.as_millis()
        )?;
        Ok(())
    }

    async fn delete_report_note(&mut self, id: Id) -> Result<bool> {
        exec!(
            self.conn(),
            "DELETE FROM report_notes WHERE id = $1",
            id.as_i64()
        )
        .map(|n| n == 1)
    }

    async fn link_notification(&mut self, notification_id: Id, report_id: Id) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO report_notifications (notification_id, report_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
            notification_id.as_i64(),
            report_id.as_i64()
        )?;
        Ok(())
    }
}
