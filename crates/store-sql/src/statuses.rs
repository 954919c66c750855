//! Statuses, mentions, home feeds, follows, relationships and notifications.

use rookery_model::{Account, Id, Status, Timestamp, Visibility};
use rookery_store::{AccountStatusesFilter, Result, StoreError, TimelinePage};

use crate::db::{Conn, Fields, exec, map_err, with_conn};

pub(crate) const STATUS_COLUMNS: &str = "s.id, s.account_id, s.uri, s.url, s.local, s.in_reply_to_id, \
    s.in_reply_to_account_id, s.reblog_of_id, s.conversation_id, s.source_text, s.content, s.spoiler_text, \
    s.visibility, s.sensitive, s.language, s.replies_count, s.reblogs_count, \
    s.favourites_count, s.edited_at, s.pinned_at, s.created_at, s.updated_at";

pub(crate) fn status_from_row(r: &impl Fields) -> Result<Status> {
    let vis = r.text("visibility")?;
    let id = |c: &str| -> Result<Option<Id>> { Ok(r.opt_int(c)?.map(Id::from_i64)) };
    Ok(Status {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        uri: r.opt_text("uri")?,
        url: r.opt_text("url")?,
        local: r.flag("local")?,
        in_reply_to_id: id("in_reply_to_id")?,
        in_reply_to_account_id: id("in_reply_to_account_id")?,
        reblog_of_id: id("reblog_of_id")?,
        conversation_id: id("conversation_id")?,
        text: r.text("source_text")?,
        content: r.text("content")?,
        spoiler_text: r.text("spoiler_text")?,
        visibility: Visibility::parse(&vis)
            .ok_or_else(|| StoreError::Corrupt(format!("status visibility {vis:?}")))?,
        sensitive: r.flag("sensitive")?,
        language: r.opt_text("language")?,
        replies_count: r.int("replies_count")?,
        reblogs_count: r.int("reblogs_count")?,
        favourites_count: r.int("favourites_count")?,
        edited_at: r.opt_int("edited_at")?.map(Timestamp::from_millis),
        pinned_at: r.opt_int("pinned_at")?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

/// `$start, $start+1, …` for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keyset bounds: `(lower, upper, ascending)`. With `min_id` the page is read oldest first
/// and reversed by the caller.
pub(crate) fn bounds(page: TimelinePage) -> (i64, i64, bool) {
    let upper = page.max_id.map_or(i64::MAX, Id::as_i64);
    match page.min_id {
        Some(min) => (min.as_i64(), upper, true),
        None => (page.since_id.map_or(0, Id::as_i64), upper, false),
    }
}

/// Runs `sql` (which must end in `ORDER BY <key> {order} LIMIT ${limit_index}` with `{order}`
/// left to fill) with leading `binds`, then the bounds and limit.
pub(crate) async fn paged_statuses(
    c: Conn<'_>,
    sql: &str,
    binds: &[i64],
    page: TimelinePage,
) -> Result<Vec<Status>> {
    let (lower, upper, asc) = bounds(page);
    let sql = sql.replace("{order}", if asc { "ASC" } else { "DESC" });
    let mut rows = with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for b in binds {
            q = q.bind(*b);
        }
        let rows = q
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
        rows.reverse();
    }
    Ok(rows)
}

pub(crate) async fn by_ids(c: Conn<'_>, ids: &[Id]) -> Result<Vec<Status>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM statuses s WHERE s.id IN ({})",
        placeholders(1, ids.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for id in ids {
            q = q.bind(id.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter().map(status_from_row).collect()
    })
}

pub(crate) async fn accounts_by_ids(c: Conn<'_>, ids: &[Id]) -> Result<Vec<Account>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM accounts a WHERE a.id IN ({})",
        crate::accounts::ACCOUNT_COLUMNS,
        placeholders(1, ids.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for id in ids {
            q = q.bind(id.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter().map(crate::accounts::account_from_row).collect()
    })
}

pub(crate) async fn replies(c: Conn<'_>, status_id: Id) -> Result<Vec<Status>> {
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM statuses s WHERE s.in_reply_to_id = $1 ORDER BY s.id LIMIT 1000"
    );
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(status_id.as_i64())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(status_from_row).collect()
    })
}

pub(crate) async fn home(c: Conn<'_>, account_id: Id, page: TimelinePage) -> Result<Vec<Status>> {
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM home_feed h JOIN statuses s ON s.id = h.status_id \
         WHERE h.account_id = $1 AND h.status_id > $2 AND h.status_id < $3 \
         ORDER BY h.status_id {{order}} LIMIT $4"
    );
    paged_statuses(c, &sql, &[account_id.as_i64()], page).await
}

/// Keeps statuses with attachments (`only_media`).
pub(crate) const MEDIA_CLAUSE: &str =
    "AND EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id)";

pub(crate) async fn public(
    c: Conn<'_>,
    local: Option<bool>,
    only_media: bool,
    page: TimelinePage,
) -> Result<Vec<Status>> {
    let local_clause = match local {
        None => "",
        Some(true) => "AND s.local = TRUE",
        Some(false) => "AND s.local = FALSE",
    };
    let media_clause = if only_media { MEDIA_CLAUSE } else { "" };
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM statuses s \
         WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL {local_clause} {media_clause} \
         AND s.id > $1 AND s.id < $2 ORDER BY s.id {{order}} LIMIT $3"
    );
    paged_statuses(c, &sql, &[], page).await
}

pub(crate) async fn of_account(
    c: Conn<'_>,
    account_id: Id,
    filter: &AccountStatusesFilter,
    page: TimelinePage,
) -> Result<Vec<Status>> {
    if filter.visibilities.is_empty() {
        return Ok(Vec::new());
    }
    // Fixed names from the enum, never input.
    let vis: Vec<String> = filter
        .visibilities
        .iter()
        .map(|v| format!("'{}'", v.as_str()))
        .collect();
    let mut extra = String::new();
    if filter.exclude_replies {
        extra
            .push_str(" AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)");
    }
    if filter.exclude_reblogs {
        extra.push_str(" AND s.reblog_of_id IS NULL");
    }
    if filter.only_media {
        extra.push(' ');
        extra.push_str(MEDIA_CLAUSE);
    }
    if let Some(tag) = &filter.tagged {
        let (lower, upper, asc) = bounds(page);
        let sql = format!(
            "SELECT {STATUS_COLUMNS} FROM statuses s WHERE s.account_id = $1 \
             AND s.visibility IN ({}){extra} AND s.id > $2 AND s.id < $3 \
             AND s.id IN (SELECT st.status_id FROM status_tags st JOIN tags t ON t.id = st.tag_id \
                WHERE lower(t.name) = lower($5)) \
             ORDER BY s.id {} LIMIT $4",
            vis.join(", "),
            if asc { "ASC" } else { "DESC" }
        );
        let mut rows = with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(account_id.as_i64())
                .bind(lower)
                .bind(upper)
                .bind(i64::from(page.limit))
                .bind(tag.as_str())
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map(status_from_row).collect::<Result<Vec<_>>>()
        })?;
        if asc {
            rows.reverse();
        }
        return Ok(rows);
    }
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM statuses s WHERE s.account_id = $1 \
         AND s.visibility IN ({}){extra} AND s.id > $2 AND s.id < $3 \
         ORDER BY s.id {{order}} LIMIT $4",
        vis.join(", ")
    );
    paged_statuses(c, &sql, &[account_id.as_i64()], page).await
}

/// Runs `sql` with `first` then `ids` bound, returning one or two integer columns per row.
pub(crate) async fn id_pairs(
    c: Conn<'_>,
    sql: &str,
    first: i64,
    ids: &[Id],
    cols: (&str, Option<&str>),
) -> Result<Vec<(i64, i64)>> {
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).bind(first);
        for id in ids {
            q = q.bind(id.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let a = r.int(cols.0)?;
                let b = match cols.1 {
                    Some(col) => r.int(col)?,
                    None => 0,
                };
                Ok((a, b))
            })
            .collect()
    })
}

pub(crate) async fn mentions(c: Conn<'_>, status_ids: &[Id]) -> Result<Vec<(Id, Id)>> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT status_id, account_id FROM mentions WHERE $1 = $1 AND status_id IN ({}) ORDER BY id",
        placeholders(2, status_ids.len())
    );
    Ok(
        id_pairs(c, &sql, 0, status_ids, ("status_id", Some("account_id")))
            .await?
            .into_iter()
            .map(|(s, a)| (Id::from_i64(s), Id::from_i64(a)))
            .collect(),
    )
}

pub(crate) async fn insert(c: Conn<'_>, s: &Status) -> Result<()> {
    let sql = "INSERT INTO statuses (id, account_id, uri, url, local, in_reply_to_id, \
        in_reply_to_account_id, reblog_of_id, source_text, content, spoiler_text, visibility, \
        sensitive, language, replies_count, reblogs_count, favourites_count, edited_at, \
        created_at, updated_at, conversation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
        $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";
    with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(s.id.as_i64())
            .bind(s.account_id.as_i64())
            .bind(s.uri.as_deref())
            .bind(s.url.as_deref())
            .bind(s.local)
            .bind(s.in_reply_to_id.map(Id::as_i64))
            .bind(s.in_reply_to_account_id.map(Id::as_i64))
            .bind(s.reblog_of_id.map(Id::as_i64))
            .bind(&s.text)
            .bind(&s.content)
            .bind(&s.spoiler_text)
            .bind(s.visibility.as_str())
            .bind(s.sensitive)
            .bind(s.language.as_deref())
            .bind(s.replies_count)
            .bind(s.reblogs_count)
            .bind(s.favourites_count)
            .bind(s.edited_at.map(Timestamp::as_millis))
            .bind(s.created_at.as_millis())
            .bind(s.updated_at.as_millis())
            .bind(s.conversation_id.map(Id::as_i64))
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
    })
}

pub(crate) async fn insert_mentions(
    mut c: Conn<'_>,
    status_id: Id,
    mentions: &[(Id, Id)],
    now: Timestamp,
) -> Result<()> {
    let sql = "INSERT INTO mentions (id, status_id, account_id, created_at) VALUES ($1, $2, $3, $4) \
        ON CONFLICT DO NOTHING";
    for (id, account) in mentions {
        exec!(
            c.reborrow(),
            sql,
            id.as_i64(),
            status_id.as_i64(),
            account.as_i64(),
            now.as_millis()
        )?;
    }
    Ok(())
}

pub(crate) async fn add_to_feeds(
    c: Conn<'_>,
    status_id: Id,
    reblog_of: Option<Id>,
    accounts: &[Id],
) -> Result<u64> {
    add_to_feed_table(c, Feed::Home, status_id, reblog_of, accounts).await
}

/// A feed table: whose rows a status is added to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Feed {
    /// `home_feed`, by account.
    Home,
    /// `list_feed`, by list.
    List,
}

/// Adds a status to the feeds of `owners` (accounts or lists), in multi-row inserts.
pub(crate) async fn add_to_feed_table(
    mut c: Conn<'_>,
    feed: Feed,
    status_id: Id,
    reblog_of: Option<Id>,
    owners: &[Id],
) -> Result<u64> {
    let (table, owner) = match feed {
        Feed::Home => ("home_feed", "account_id"),
        Feed::List => ("list_feed", "list_id"),
    };
    let mut total = 0;
    for chunk in owners.chunks(200) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1, $2)", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({owner}, status_id, reblog_of_id) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        total += with_conn!(c.reborrow(), |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(status_id.as_i64())
                .bind(reblog_of.map(Id::as_i64));
            for a in chunk {
                q = q.bind(a.as_i64());
            }
            q.persistent(p)
                .execute(&mut *e)
                .await
                .map_err(map_err)
                .map(|d| d.rows_affected())
        })?;
    }
    Ok(total)
}

pub(crate) async fn delete(c: Conn<'_>, id: Id) -> Result<bool> {
    exec!(c, "DELETE FROM statuses WHERE id = $1", id.as_i64()).map(|n| n == 1)
}

pub(crate) async fn count_status(
    c: Conn<'_>,
    account_id: Id,
    delta: i64,
    at: Option<Timestamp>,
) -> Result<()> {
    let sql = "UPDATE accounts SET statuses_count = MAX_OR_GREATEST, \
        last_status_at = COALESCE($2, last_status_at) WHERE id = $3";
    let greatest = match c {
        Conn::Sqlite(_) => "max(statuses_count + $1, 0)",
        Conn::Pg(..) => "GREATEST(statuses_count + $1, 0)",
    };
    let sql = sql.replace("MAX_OR_GREATEST", greatest);
    exec!(
        c,
        sqlx::AssertSqlSafe(sql.clone()),
        delta,
        at.map(Timestamp::as_millis),
        account_id.as_i64()
    )
    .map(|_| ())
}

pub(crate) async fn count_reply(c: Conn<'_>, status_id: Id, delta: i64) -> Result<()> {
    exec!(
        c,
        "UPDATE statuses SET replies_count = replies_count + $1 WHERE id = $2",
        delta,
        status_id.as_i64()
    )
    .map(|_| ())
}

/// Accounts joined to rows of another table (favourites, blocks, follow requests, …), paged by
/// that table's row id. `sql` selects `row_id` and the account columns, filters on `$1`
/// (`key`), and ends with `AND <row id> > $2 AND <row id> < $3 ORDER BY <row id> {order} LIMIT $4`.
pub(crate) async fn keyed_accounts(
    c: Conn<'_>,
    sql: &str,
    key: Id,
    page: TimelinePage,
) -> Result<Vec<(Id, Account)>> {
    let (lower, upper, asc) = bounds(page);
    let sql = sql.replace("{order}", if asc { "ASC" } else { "DESC" });
    let mut out = with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(key.as_i64())
            .bind(lower)
            .bind(upper)
            .bind(i64::from(page.limit))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    Id::from_i64(r.int("row_id")?),
                    crate::accounts::account_from_row(r)?,
                ))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    if asc {
        out.reverse();
    }
    Ok(out)
}

pub(crate) async fn pinned(c: Conn<'_>, account_id: Id) -> Result<Vec<Status>> {
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM statuses s WHERE s.account_id = $1 AND s.pinned_at IS NOT NULL \
         ORDER BY s.pinned_at DESC, s.id DESC LIMIT 100"
    );
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(account_id.as_i64())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(status_from_row).collect()
    })
}

pub(crate) async fn set_pinned(c: Conn<'_>, status_id: Id, at: Option<Timestamp>) -> Result<()> {
    exec!(
        c,
        "UPDATE statuses SET pinned_at = $1 WHERE id = $2",
        at.map(Timestamp::as_millis),
        status_id.as_i64()
    )
    .map(|_| ())
}

pub(crate) async fn search_accounts(
    c: Conn<'_>,
    q: &str,
    query: rookery_store::AccountSearch,
) -> Result<Vec<Account>> {
    let escaped: String = q
        .chars()
        .flat_map(|ch| match ch {
            '%' | '_' | '\\' => vec!['\\', ch],
            other => vec![other],
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM accounts a WHERE a.suspended_at IS NULL AND \
         (lower(a.username) LIKE lower($1) || '%' ESCAPE '\\' \
          OR lower(a.display_name) LIKE '%' || lower($1) || '%' ESCAPE '\\') \
         AND ($4 = 0 OR a.id IN (SELECT target_account_id FROM follows WHERE account_id = $4)) \
         ORDER BY CASE WHEN lower(a.username) = lower($2) THEN 0 ELSE 1 END, \
            a.followers_count DESC, a.id LIMIT $3 OFFSET $5",
        crate::accounts::ACCOUNT_COLUMNS
    );
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(escaped.as_str())
            .bind(q)
            .bind(i64::from(query.limit))
            .bind(query.followed_by.map_or(0, Id::as_i64))
            .bind(i64::from(query.offset))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(crate::accounts::account_from_row).collect()
    })
}

pub(crate) async fn muted_conversations(
    c: Conn<'_>,
    account_id: Id,
    conversations: &[Id],
) -> Result<Vec<Id>> {
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT conversation_id FROM conversation_mutes WHERE account_id = $1 AND conversation_id IN ({})",
        placeholders(2, conversations.len())
    );
    Ok(id_pairs(
        c,
        &sql,
        account_id.as_i64(),
        conversations,
        ("conversation_id", None),
    )
    .await?
    .into_iter()
    .map(|(a, _)| Id::from_i64(a))
    .collect())
}

pub(crate) async fn set_conversation_mute(
    c: Conn<'_>,
    account_id: Id,
    conversation: Id,
    on: bool,
    now: Timestamp,
) -> Result<()> {
    if on {
        exec!(
            c,
            "INSERT INTO conversation_mutes (account_id, conversation_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            account_id.as_i64(),
            conversation.as_i64(),
            now.as_millis()
        )
        .map(|_| ())
    } else {
        exec!(
            c,
            "DELETE FROM conversation_mutes WHERE account_id = $1 AND conversation_id = $2",
            account_id.as_i64(),
            conversation.as_i64()
        )
        .map(|_| ())
    }
}
