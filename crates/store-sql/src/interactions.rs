//! Favourites, bookmarks and reblogs as seen from an account.

use rookery_model::{Account, Id, Status, Timestamp};
use rookery_store::{Interaction, Result, TimelinePage, ViewerFlags};

use crate::db::{Conn, Fields, map_err, with_conn};
use crate::statuses::{placeholders, status_from_row};

fn table(kind: Interaction) -> &'static str {
    match kind {
        Interaction::Favourite => "favourites",
        Interaction::Bookmark => "bookmarks",
        Interaction::Reblog => "statuses",
    }
}

pub(crate) async fn viewer_flags(
    c: Conn<'_>,
    account_id: Id,
    status_ids: &[Id],
) -> Result<ViewerFlags> {
    if status_ids.is_empty() {
        return Ok(ViewerFlags::default());
    }
    let list = placeholders(2, status_ids.len());
    let sql = format!(
        "SELECT 'f' AS k, status_id AS sid FROM favourites WHERE account_id = $1 AND status_id IN ({list}) \
         UNION ALL SELECT 'b' AS k, status_id AS sid FROM bookmarks WHERE account_id = $1 AND status_id IN ({list}) \
         UNION ALL SELECT 'r' AS k, reblog_of_id AS sid FROM statuses WHERE account_id = $1 AND reblog_of_id IN ({list})"
    );
    let rows: Vec<(String, Id)> = with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(account_id.as_i64());
        for id in status_ids {
            q = q.bind(id.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((r.text("k")?, Id::from_i64(r.int("sid")?))))
            .collect::<Result<Vec<_>>>()
    })?;
    let mut flags = ViewerFlags::default();
    for (k, id) in rows {
        match k.as_str() {
            "f" => flags.favourited.push(id),
            "b" => flags.bookmarked.push(id),
            _ => flags.reblogged.push(id),
        }
    }
    Ok(flags)
}

pub(crate) async fn reblog_by(c: Conn<'_>, account_id: Id, status_id: Id) -> Result<Option<Id>> {
    let sql = "SELECT id FROM statuses WHERE account_id = $1 AND reblog_of_id = $2";
    with_conn!(c, |e, p| {
        let row = sqlx::query(sql)
            .bind(account_id.as_i64())
            .bind(status_id.as_i64())
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.map(|r| Ok(Id::from_i64(r.int("id")?))).transpose()
    })
}

pub(crate) async fn statuses(
    c: Conn<'_>,
    account_id: Id,
    kind: Interaction,
    page: TimelinePage,
) -> Result<Vec<(Id, Status)>> {
    let (lower, upper, asc) = crate::statuses::bounds(page);
    let sql = format!(
        "SELECT i.id AS interaction_id, {cols} FROM {t} i JOIN statuses s ON s.id = i.status_id \
         WHERE i.account_id = $1 AND i.id > $2 AND i.id < $3 ORDER BY i.id {o} LIMIT $4",
        cols = crate::statuses::STATUS_COLUMNS,
        t = table(kind),
        o = if asc { "ASC" } else { "DESC" }
    );
    let mut out = with_conn!(c, |e, p| {
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
            .map(|r| Ok((Id::from_i64(r.int("interaction_id")?), status_from_row(r)?)))
            .collect::<Result<Vec<_>>>()
    })?;
    if asc {
        out.reverse();
    }
    Ok(out)
}

pub(crate) async fn accounts(
    c: Conn<'_>,
    status_id: Id,
    kind: Interaction,
    page: TimelinePage,
) -> Result<Vec<(Id, Account)>> {
    // Boosts are listed only when public or unlisted (a boost of a followers-only post is as
    // private as the post), as Mastodon lists them.
    let (t, status_col, shown) = match kind {
        Interaction::Reblog => (
            "statuses",
            "reblog_of_id",
            "AND i.visibility IN ('public', 'unlisted')",
        ),
        other => (table(other), "status_id", ""),
    };
    let sql = format!(
        "SELECT i.id AS row_id, {} FROM {t} i JOIN accounts a ON a.id = i.account_id \
         WHERE i.{status_col} = $1 {shown} AND i.id > $2 AND i.id < $3 \
         ORDER BY i.id {{order}} LIMIT $4",
        crate::accounts::ACCOUNT_COLUMNS
    );
    crate::statuses::keyed_accounts(c, &sql, status_id, page).await
}

pub(crate) async fn insert(
    mut c: Conn<'_>,
    kind: Interaction,
    id: Id,
    account_id: Id,
    status_id: Id,
    now: Timestamp,
) -> Result<bool> {
    let sql = format!(
        "INSERT INTO {} (id, account_id, status_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        table(kind)
    );
    let added = with_conn!(c.reborrow(), |e, p| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id.as_i64())
            .bind(account_id.as_i64())
            .bind(status_id.as_i64())
            .bind(now.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected() == 1)
    })?;
    if added && kind == Interaction::Favourite {
        count(c, "favourites_count", status_id, 1).await?;
    }
    Ok(added)
}

pub(crate) async fn delete(
    mut c: Conn<'_>,
    kind: Interaction,
    account_id: Id,
    status_id: Id,
) -> Result<bool> {
    let sql = format!(
        "DELETE FROM {} WHERE account_id = $1 AND status_id = $2",
        table(kind)
    );
    let removed = with_conn!(c.reborrow(), |e, p| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(account_id.as_i64())
            .bind(status_id.as_i64())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected() == 1)
    })?;
    if removed && kind == Interaction::Favourite {
        count(c, "favourites_count", status_id, -1).await?;
    }
    Ok(removed)
}

/// `column` is a fixed name, never input.
pub(crate) async fn count(
    c: Conn<'_>,
    column: &'static str,
    status_id: Id,
    delta: i64,
) -> Result<()> {
    let sql = format!("UPDATE statuses SET {column} = {column} + $1 WHERE id = $2");
    with_conn!(c, |e, p| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(delta)
            .bind(status_id.as_i64())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
    })
}

pub(crate) async fn idempotent_status(
    c: Conn<'_>,
    account_id: Id,
    key: &str,
    since: Timestamp,
) -> Result<Option<Id>> {
    let sql = "SELECT status_id FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND created_at >= $3";
    with_conn!(c, |e, p| {
        let row = sqlx::query(sql)
            .bind(account_id.as_i64())
            .bind(key)
            .bind(since.as_millis())
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.map(|r| Ok(Id::from_i64(r.int("status_id")?)))
            .transpose()
    })
}

pub(crate) async fn record_idempotency(
    mut c: Conn<'_>,
    account_id: Id,
    key: &str,
    status_id: Id,
    now: Timestamp,
    expired_before: Timestamp,
) -> Result<bool> {
    with_conn!(c.reborrow(), |e, p| {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND created_at < $3",
        )
        .bind(account_id.as_i64())
        .bind(key)
        .bind(expired_before.as_millis())
        .persistent(p)
        .execute(&mut *e)
        .await
        .map_err(map_err)
        .map(|_| ())
    })?;
    let sql = "INSERT INTO idempotency_keys (account_id, key, status_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(account_id.as_i64())
            .bind(key)
            .bind(status_id.as_i64())
            .bind(now.as_millis())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected() == 1)
    })
}

pub(crate) async fn status_edits(
    c: Conn<'_>,
    status_id: Id,
) -> Result<Vec<rookery_store::StatusEdit>> {
    let sql = "SELECT id, status_id, source_text, content, spoiler_text, sensitive, created_at \
        FROM status_edits WHERE status_id = $1 ORDER BY id";
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sql)
            .bind(status_id.as_i64())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(rookery_store::StatusEdit {
                    id: Id::from_i64(r.int("id")?),
                    status_id: Id::from_i64(r.int("status_id")?),
                    text: r.text("source_text")?,
                    content: r.text("content")?,
                    spoiler_text: r.text("spoiler_text")?,
                    sensitive: r.flag("sensitive")?,
                    created_at: Timestamp::from_millis(r.int("created_at")?),
                })
            })
            .collect()
    })
}

pub(crate) async fn insert_status_edit(c: Conn<'_>, e: &rookery_store::StatusEdit) -> Result<()> {
    let sql = "INSERT INTO status_edits (id, status_id, source_text, content, spoiler_text, sensitive, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    with_conn!(c, |x, p| {
        sqlx::query(sql)
            .bind(e.id.as_i64())
            .bind(e.status_id.as_i64())
            .bind(&e.text)
            .bind(&e.content)
            .bind(&e.spoiler_text)
            .bind(e.sensitive)
            .bind(e.created_at.as_millis())
            .persistent(p)
            .execute(&mut *x)
            .await
            .map_err(map_err)
            .map(|_| ())
    })
}

pub(crate) async fn update_status_content(c: Conn<'_>, s: &Status) -> Result<()> {
    let sql = "UPDATE statuses SET source_text = $1, content = $2, spoiler_text = $3, sensitive = $4, \
        language = $5, edited_at = $6, updated_at = $7 WHERE id = $8";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(&s.text)
            .bind(&s.content)
            .bind(&s.spoiler_text)
            .bind(s.sensitive)
            .bind(s.language.as_deref())
            .bind(s.edited_at.map(Timestamp::as_millis))
            .bind(s.updated_at.as_millis())
            .bind(s.id.as_i64())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
    })
}

pub(crate) async fn tag_status(
    mut c: Conn<'_>,
    status_id: Id,
    tags: &[(Id, String)],
    now: Timestamp,
) -> Result<()> {
    for (id, name) in tags {
        with_conn!(c.reborrow(), |e, p| {
            sqlx::query("INSERT INTO tags (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(id.as_i64())
                .bind(name.as_str())
                .bind(now.as_millis())
                .persistent(p)
                .execute(&mut *e)
                .await
                .map_err(map_err)
                .map(|_| ())
        })?;
        with_conn!(c.reborrow(), |e, p| {
            sqlx::query(
                "INSERT INTO status_tags (status_id, tag_id) \
                 SELECT $1, id FROM tags WHERE lower(name) = lower($2) ON CONFLICT DO NOTHING",
            )
            .bind(status_id.as_i64())
            .bind(name.as_str())
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
        })?;
    }
    Ok(())
}

pub(crate) async fn tag_timeline(
    c: Conn<'_>,
    tag: &str,
    local: Option<bool>,
    only_media: bool,
    page: TimelinePage,
) -> Result<Vec<Status>> {
    let (lower, upper, asc) = crate::statuses::bounds(page);
    let media_clause = if only_media {
        crate::statuses::MEDIA_CLAUSE
    } else {
        ""
    };
    let local_clause = match local {
        None => "",
        Some(true) => "AND s.local = TRUE",
        Some(false) => "AND s.local = FALSE",
    };
    let sql = format!(
        "SELECT {cols} FROM status_tags st JOIN tags t ON t.id = st.tag_id \
         JOIN statuses s ON s.id = st.status_id \
         WHERE lower(t.name) = lower($1) AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
         {local_clause} {media_clause} AND s.id > $2 AND s.id < $3 ORDER BY s.id {o} LIMIT $4",
        cols = crate::statuses::STATUS_COLUMNS,
        o = if asc { "ASC" } else { "DESC" }
    );
    let mut out = with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(tag)
            .bind(lower)
            .bind(upper)
            .bind(i64::from(page.limit))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(status_from_row).collect::<Result<Vec<_>>>()
    })?;
    if asc {
        out.reverse();
    }
    Ok(out)
}
