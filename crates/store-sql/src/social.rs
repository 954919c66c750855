//! Follows, relationships and feed unmerging.

use rookery_model::{Id, Timestamp};
use rookery_store::{Follow, Relationship, Result, TimelinePage};

use crate::db::{Conn, exec, map_err, with_conn};
use crate::statuses::{id_pairs, placeholders};

pub(crate) async fn relationships(
    mut c: Conn<'_>,
    account_id: Id,
    targets: &[Id],
) -> Result<Vec<(Id, Relationship)>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let list = placeholders(2, targets.len());
    let following_sql = format!(
        "SELECT target_account_id, CAST(CASE WHEN show_reblogs THEN 1 ELSE 0 END + \
         CASE WHEN notify THEN 2 ELSE 0 END AS BIGINT) AS flags FROM follows \
         WHERE account_id = $1 AND target_account_id IN ({list})"
    );
    let following = id_pairs(
        c.reborrow(),
        &following_sql,
        account_id.as_i64(),
        targets,
        ("target_account_id", Some("flags")),
    )
    .await?;
    let followed_sql = format!(
        "SELECT account_id FROM follows WHERE target_account_id = $1 AND account_id IN ({list})"
    );
    let followed_by = id_pairs(
        c.reborrow(),
        &followed_sql,
        account_id.as_i64(),
        targets,
        ("account_id", None),
    )
    .await?;
    let requested_sql = format!(
        "SELECT target_account_id FROM follow_requests WHERE account_id = $1 AND target_account_id IN ({list})"
    );
    let requested = id_pairs(
        c.reborrow(),
        &requested_sql,
        account_id.as_i64(),
        targets,
        ("target_account_id", None),
    )
    .await?;
    let blocking_sql = format!(
        "SELECT target_account_id FROM blocks WHERE account_id = $1 AND target_account_id IN ({list})"
    );
    let blocking = id_pairs(
        c.reborrow(),
        &blocking_sql,
        account_id.as_i64(),
        targets,
        ("target_account_id", None),
    )
    .await?;
    let blocked_by_sql = format!(
        "SELECT account_id FROM blocks WHERE target_account_id = $1 AND account_id IN ({list})"
    );
    let blocked_by = id_pairs(
        c.reborrow(),
        &blocked_by_sql,
        account_id.as_i64(),
        targets,
        ("account_id", None),
    )
    .await?;
    // A timed mute that ended no longer counts, before the scheduler's job removes it.
    let now_ms = crate::db::now_ms_sql(&c);
    let muting_sql = format!(
        "SELECT target_account_id, CAST(CASE WHEN hide_notifications THEN 1 ELSE 0 END AS BIGINT) AS hide \
         FROM mutes WHERE account_id = $1 AND target_account_id IN ({list}) \
         AND (expires_at IS NULL OR expires_at > {now_ms})"
    );
    let muting = id_pairs(
        c,
        &muting_sql,
        account_id.as_i64(),
        targets,
        ("target_account_id", Some("hide")),
    )
    .await?;
    Ok(targets
        .iter()
        .map(|t| {
            let f = following.iter().find(|(id, _)| *id == t.as_i64());
            (
                *t,
                Relationship {
                    following: f.is_some(),
                    showing_reblogs: f.is_some_and(|(_, flags)| flags & 1 == 1),
                    notifying: f.is_some_and(|(_, flags)| flags & 2 == 2),
                    followed_by: followed_by.iter().any(|(id, _)| *id == t.as_i64()),
                    requested: requested.iter().any(|(id, _)| *id == t.as_i64()),
                    blocking: blocking.iter().any(|(id, _)| *id == t.as_i64()),
                    blocked_by: blocked_by.iter().any(|(id, _)| *id == t.as_i64()),
                    muting: muting.iter().any(|(id, _)| *id == t.as_i64()),
                    muting_notifications: muting.iter().any(|(id, h)| *id == t.as_i64() && *h == 1),
                },
            )
        })
        .collect())
}

pub(crate) async fn local_follower_ids(
    c: Conn<'_>,
    account_id: Id,
    boosts: bool,
) -> Result<Vec<Id>> {
    let sql = if boosts {
        "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id \
         WHERE f.target_account_id = $1 AND a.domain IS NULL AND f.show_reblogs"
    } else {
        "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id \
         WHERE f.target_account_id = $1 AND a.domain IS NULL"
    };
    Ok(
        id_pairs(c, sql, account_id.as_i64(), &[], ("account_id", None))
            .await?
            .into_iter()
            .map(|(a, _)| Id::from_i64(a))
            .collect(),
    )
}

pub(crate) async fn insert_follow(mut c: Conn<'_>, f: &Follow) -> Result<bool> {
    let sql = "INSERT INTO follows (id, account_id, target_account_id, show_reblogs, notify, created_at, uri) \
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
    let added = with_conn!(c.reborrow(), |e, p| {
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
    })?;
    if added {
        follow_counts(c, f.account_id, f.target_account_id, 1).await?;
    }
    Ok(added)
}

async fn follow_counts(mut c: Conn<'_>, follower: Id, target: Id, delta: i64) -> Result<()> {
    // Never below zero: a remote account's counts are what its server publishes, which can be
    // less than the follows seen here.
    let greatest = match c {
        Conn::Sqlite(_) => "max",
        Conn::Pg(..) => "GREATEST",
    };
    let following = format!(
        "UPDATE accounts SET following_count = {greatest}(following_count + $1, 0) WHERE id = $2"
    );
    exec!(
        c.reborrow(),
        sqlx::AssertSqlSafe(following),
        delta,
        follower.as_i64()
    )?;
    let followers = format!(
        "UPDATE accounts SET followers_count = {greatest}(followers_count + $1, 0) WHERE id = $2"
    );
    exec!(c, sqlx::AssertSqlSafe(followers), delta, target.as_i64())?;
    Ok(())
}

pub(crate) async fn delete_follow(mut c: Conn<'_>, follower: Id, target: Id) -> Result<bool> {
    let removed = exec!(
        c.reborrow(),
        "DELETE FROM follows WHERE account_id = $1 AND target_account_id = $2",
        follower.as_i64(),
        target.as_i64()
    )? == 1;
    if removed {
        follow_counts(c, follower, target, -1).await?;
    }
    Ok(removed)
}

pub(crate) async fn delete_undone_follow(
    mut c: Conn<'_>,
    follower: Id,
    target: Id,
    follow_uri: &str,
    renewed_before: Timestamp,
) -> Result<bool> {
    // One statement: on PostgreSQL a concurrent renewal commits first and the condition is
    // checked again against the renewed row; SQLite runs one writer at a time.
    let removed = exec!(
        c.reborrow(),
        "DELETE FROM follows WHERE account_id = $1 AND target_account_id = $2 \
         AND (uri IS NULL OR uri = $3 OR created_at < $4)",
        follower.as_i64(),
        target.as_i64(),
        follow_uri,
        renewed_before.as_millis()
    )? == 1;
    if removed {
        follow_counts(c, follower, target, -1).await?;
    }
    Ok(removed)
}

pub(crate) async fn notify_follower_ids(c: Conn<'_>, account_id: Id) -> Result<Vec<Id>> {
    let sql = "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id \
        WHERE f.target_account_id = $1 AND f.notify = TRUE AND a.domain IS NULL";
    Ok(
        id_pairs(c, sql, account_id.as_i64(), &[], ("account_id", None))
            .await?
            .into_iter()
            .map(|(a, _)| Id::from_i64(a))
            .collect(),
    )
}

pub(crate) async fn unmerge(c: Conn<'_>, account_id: Id, author_id: Id) -> Result<u64> {
    exec!(
        c,
        "DELETE FROM home_feed WHERE account_id = $1 AND status_id IN \
         (SELECT id FROM statuses WHERE account_id = $2)",
        account_id.as_i64(),
        author_id.as_i64()
    )
}

pub(crate) async fn follow_list(
    c: Conn<'_>,
    account_id: Id,
    followers: bool,
    page: TimelinePage,
) -> Result<Vec<(Id, rookery_model::Account)>> {
    let (join_col, key_col) = if followers {
        ("account_id", "target_account_id")
    } else {
        ("target_account_id", "account_id")
    };
    let sql = format!(
        "SELECT f.id AS row_id, {} FROM follows f JOIN accounts a ON a.id = f.{join_col} \
         WHERE f.{key_col} = $1 AND a.suspended_at IS NULL AND f.id > $2 AND f.id < $3 \
         ORDER BY f.id {{order}} LIMIT $4",
        crate::accounts::ACCOUNT_COLUMNS
    );
    crate::statuses::keyed_accounts(c, &sql, account_id, page).await
}
