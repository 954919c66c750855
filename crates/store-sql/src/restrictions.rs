//! Blocks and mutes.

use rookery_model::{Account, Id, Timestamp};
use rookery_store::{Follow, NewRestriction, Restriction, Result, TimelinePage};

use crate::db::{Conn, Fields, map_err, with_conn};

fn table(kind: Restriction) -> &'static str {
    match kind {
        Restriction::Block => "blocks",
        Restriction::Mute => "mutes",
    }
}

pub(crate) async fn hidden(
    c: Conn<'_>,
    account_id: Id,
    now: Timestamp,
    notifications_only: bool,
) -> Result<Vec<Id>> {
    let mute_filter = if notifications_only {
        "AND hide_notifications = TRUE"
    } else {
        ""
    };
    let sql = format!(
        "SELECT target_account_id AS aid FROM blocks WHERE account_id = $1 \
         UNION SELECT account_id AS aid FROM blocks WHERE target_account_id = $1 \
         UNION SELECT target_account_id AS aid FROM mutes WHERE account_id = $1 \
            AND (expires_at IS NULL OR expires_at > $2) {mute_filter} \
         UNION SELECT a.id AS aid FROM accounts a JOIN user_domain_blocks d \
            ON lower(a.domain) = d.domain WHERE d.account_id = $1"
    );
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(account_id.as_i64())
            .bind(now.as_millis())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| Ok(Id::from_i64(r.int("aid")?)))
            .collect()
    })
}

pub(crate) async fn listed(
    c: Conn<'_>,
    account_id: Id,
    kind: Restriction,
    page: TimelinePage,
) -> Result<Vec<(Id, Account)>> {
    // Timed mutes that ended are not listed, before the scheduler's job removes them.
    let unexpired = match kind {
        Restriction::Mute => format!(
            "AND (r.expires_at IS NULL OR r.expires_at > {})",
            crate::db::now_ms_sql(&c)
        ),
        _ => String::new(),
    };
    let sql = format!(
        "SELECT r.id AS row_id, {} FROM {} r JOIN accounts a ON a.id = r.target_account_id \
         WHERE r.account_id = $1 AND r.id > $2 AND r.id < $3 {unexpired} \
         ORDER BY r.id {{order}} LIMIT $4",
        crate::accounts::ACCOUNT_COLUMNS,
        table(kind)
    );
    crate::statuses::keyed_accounts(c, &sql, account_id, page).await
}

pub(crate) async fn restrict(c: Conn<'_>, r: &NewRestriction) -> Result<bool> {
    let (id, account_id, target_id, hide, expires_at, now) = (
        r.id,
        r.account_id,
        r.target_id,
        r.hide_notifications,
        r.expires_at,
        r.created_at,
    );
    match r.kind {
        Restriction::Block => with_conn!(c, |e, p| {
            sqlx::query(
                "INSERT INTO blocks (id, account_id, target_account_id, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(id.as_i64())
            .bind(account_id.as_i64())
            .bind(target_id.as_i64())
            .bind(now.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected() == 1)
        }),
        Restriction::Mute => with_conn!(c, |e, p| {
            sqlx::query(
                "INSERT INTO mutes (id, account_id, target_account_id, hide_notifications, \
                 expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (account_id, target_account_id) DO UPDATE SET \
                 hide_notifications = excluded.hide_notifications, expires_at = excluded.expires_at",
            )
            .bind(id.as_i64())
            .bind(account_id.as_i64())
            .bind(target_id.as_i64())
            .bind(hide)
            .bind(expires_at.map(Timestamp::as_millis))
            .bind(now.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected() == 1)
        }),
    }
}

pub(crate) async fn unrestrict(
    c: Conn<'_>,
    kind: Restriction,
    account_id: Id,
    target_id: Id,
) -> Result<bool> {
    let sql = format!(
        "DELETE FROM {} WHERE account_id = $1 AND target_account_id = $2",
        table(kind)
    );
    with_conn!(c, |e, p| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(account_id.as_i64())
            .bind(target_id.as_i64())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected() == 1)
    })
}

pub(crate) async fn insert_follow_request(c: Conn<'_>, f: &Follow) -> Result<bool> {
    let sql = "INSERT INTO follow_requests (id, account_id, target_account_id, show_reblogs, notify, created_at, uri) \
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(f.id.as_i64())
            .bind(f.account_id.as_i64())
            .bind(f.target_account_id.as_i64())
            .bind(f.show_reblogs)
            .bind(f.notify)
            .bind(f.created_at.as_millis())
            .bind(f.uri.as_deref())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected() == 1)
    })
}

/// The columns [`follow_from_row`] reads.
pub(crate) const FOLLOW_COLUMNS: &str =
    "id, account_id, target_account_id, show_reblogs, notify, uri, created_at";

pub(crate) fn follow_from_row(r: &impl crate::db::Fields) -> Result<Follow> {
    Ok(Follow {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        target_account_id: Id::from_i64(r.int("target_account_id")?),
        show_reblogs: r.flag("show_reblogs")?,
        notify: r.flag("notify")?,
        uri: r.opt_text("uri")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

pub(crate) async fn take_follow_request(
    c: Conn<'_>,
    account_id: Id,
    target: Id,
) -> Result<Option<Follow>> {
    let sql = "DELETE FROM follow_requests WHERE account_id = $1 AND target_account_id = $2 \
        RETURNING id, account_id, target_account_id, show_reblogs, notify, uri, created_at";
    with_conn!(c, |e, p| {
        let row = sqlx::query(sql)
            .bind(account_id.as_i64())
            .bind(target.as_i64())
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.as_ref().map(follow_from_row).transpose()
    })
}

pub(crate) async fn follow_requests(
    c: Conn<'_>,
    account_id: Id,
    page: TimelinePage,
) -> Result<Vec<(Id, Account)>> {
    let sql = format!(
        "SELECT r.id AS row_id, {} FROM follow_requests r JOIN accounts a ON a.id = r.account_id \
         WHERE r.target_account_id = $1 AND r.id > $2 AND r.id < $3 ORDER BY r.id {{order}} LIMIT $4",
        crate::accounts::ACCOUNT_COLUMNS
    );
    crate::statuses::keyed_accounts(c, &sql, account_id, page).await
}

pub(crate) async fn follow_request_count(c: Conn<'_>, account_id: Id) -> Result<i64> {
    with_conn!(c, |e, p| {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM follow_requests WHERE target_account_id = $1")
                .bind(account_id.as_i64())
                .persistent(p)
                .fetch_one(&mut *e)
                .await
                .map_err(map_err)?;
        row.int("n")
    })
}
