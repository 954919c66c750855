//! Media files: uploads, their processed versions, avatars and headers, and the remote media
//! cache. Every stored file is one `media_attachments` row.

use rookery_model::{
    Id, MediaAttachment, MediaKind, MediaMeta, MediaPurpose, MediaState, MediaUsage, Timestamp,
};
use rookery_store::{Result, StoreError};
use serde_json::Value;

use crate::db::{Conn, Fields, exec, fetch_optional, map_err, with_conn};
use crate::statuses::placeholders;

const MEDIA_COLUMNS: &str = "m.id, m.account_id, m.status_id, m.purpose, m.kind, m.state, \
    m.content_type, m.file_key, m.file_size, m.preview_key, m.preview_size, m.upload_key, \
    m.remote_url, m.preview_remote_url, m.description, m.blurhash, m.meta, m.error, \
    m.last_used_at, m.fetched_at, m.focus, m.created_at, m.updated_at";

fn meta_to_json(meta: &MediaMeta) -> String {
    let mut v = serde_json::Map::new();
    let mut put = |k: &str, x: Option<Value>| {
        if let Some(x) = x {
            v.insert(k.to_owned(), x);
        }
    };
    put("width", meta.width.map(Value::from));
    put("height", meta.height.map(Value::from));
    put("small_width", meta.small_width.map(Value::from));
    put("small_height", meta.small_height.map(Value::from));
    put("duration", meta.duration.map(Value::from));
    put("frame_rate", meta.frame_rate.clone().map(Value::from));
    put("bitrate", meta.bitrate.map(Value::from));
    Value::Object(v).to_string()
}

fn meta_from_json(text: &str) -> Result<MediaMeta> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("media meta: {e}")))?;
    let int = |k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    Ok(MediaMeta {
        width: int("width"),
        height: int("height"),
        small_width: int("small_width"),
        small_height: int("small_height"),
        duration: v.get("duration").and_then(Value::as_f64),
        frame_rate: v
            .get("frame_rate")
            .and_then(Value::as_str)
            .map(str::to_owned),
        bitrate: v.get("bitrate").and_then(Value::as_u64),
        focus: None,
    })
}

/// `x,y`.
pub(crate) fn focus_to_text(focus: Option<(f64, f64)>) -> Option<String> {
    focus.map(|(x, y)| format!("{x},{y}"))
}

fn focus_from_text(text: &str) -> Option<(f64, f64)> {
    let (x, y) = text.split_once(',')?;
    Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
}

fn media_from_row(r: &impl Fields) -> Result<MediaAttachment> {
    let ts = |v: Option<i64>| v.map(Timestamp::from_millis);
    let purpose = r.text("purpose")?;
    let state = r.text("state")?;
    Ok(MediaAttachment {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        status_id: r.opt_int("status_id")?.map(Id::from_i64),
        purpose: MediaPurpose::parse(&purpose)
            .ok_or_else(|| StoreError::Corrupt(format!("media purpose {purpose:?}")))?,
        kind: MediaKind::parse(&r.text("kind")?),
        state: MediaState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("media state {state:?}")))?,
        content_type: r.opt_text("content_type")?,
        file_key: r.opt_text("file_key")?,
        file_size: r.opt_int("file_size")?.unwrap_or(0),
        preview_key: r.opt_text("preview_key")?,
        preview_size: r.int("preview_size")?,
        upload_key: r.opt_text("upload_key")?,
        remote_url: r.opt_text("remote_url")?,
        preview_remote_url: r.opt_text("preview_remote_url")?,
        description: r.opt_text("description")?.unwrap_or_default(),
        blurhash: r.opt_text("blurhash")?,
        meta: MediaMeta {
            focus: r.opt_text("focus")?.as_deref().and_then(focus_from_text),
            ..meta_from_json(&r.text("meta")?)?
        },
        error: r.opt_text("error")?,
        last_used_at: ts(r.opt_int("last_used_at")?),
        fetched_at: ts(r.opt_int("fetched_at")?),
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

/// Runs a media query with binds and maps every row.
macro_rules! media_rows {
    ($c:expr, $sql:expr $(, $bind:expr)*) => {
        with_conn!($c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(String::from($sql)))
                $(.bind($bind))*
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map(media_from_row).collect::<Result<Vec<_>>>()
        })
    };
}

pub(crate) async fn by_id(c: Conn<'_>, id: Id) -> Result<Option<MediaAttachment>> {
    let sql = format!("SELECT {MEDIA_COLUMNS} FROM media_attachments m WHERE m.id = $1");
    fetch_optional!(c, sql, media_from_row, id.as_i64())
}

async fn by_id_list(
    c: Conn<'_>,
    column: &str,
    order: &str,
    ids: &[Id],
) -> Result<Vec<MediaAttachment>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media_attachments m WHERE m.{column} IN ({}) ORDER BY {order}",
        placeholders(1, ids.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for id in ids {
            q = q.bind(id.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter().map(media_from_row).collect()
    })
}

pub(crate) async fn by_ids(c: Conn<'_>, ids: &[Id]) -> Result<Vec<MediaAttachment>> {
    by_id_list(c, "id", "m.id", ids).await
}

/// Attachments of statuses, each status's in the order they were given (remote ones: the
/// order of the post's `attachment` array, which their time-ordered ids keep).
pub(crate) async fn of_statuses(c: Conn<'_>, status_ids: &[Id]) -> Result<Vec<MediaAttachment>> {
    by_id_list(c, "status_id", "m.status_id, m.position, m.id", status_ids).await
}

pub(crate) async fn remote_by_url(
    c: Conn<'_>,
    account_id: Id,
    purpose: MediaPurpose,
    url: &str,
) -> Result<Option<MediaAttachment>> {
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media_attachments m \
         WHERE m.account_id = $1 AND m.purpose = $2 AND m.remote_url = $3 ORDER BY m.id LIMIT 1"
    );
    fetch_optional!(
        c,
        sql,
        media_from_row,
        account_id.as_i64(),
        purpose.as_str(),
        url
    )
}

pub(crate) async fn usage(c: Conn<'_>) -> Result<Vec<MediaUsage>> {
    // Local emoji keep their files on their own rows.
    let sql = "SELECT purpose, (remote_url IS NOT NULL) AS remote, COUNT(*) AS files, \
        CAST(COALESCE(SUM(COALESCE(file_size, 0) + preview_size), 0) AS BIGINT) AS bytes \
        FROM media_attachments WHERE file_key IS NOT NULL OR upload_key IS NOT NULL \
        GROUP BY purpose, (remote_url IS NOT NULL) \
        UNION ALL SELECT 'emoji' AS purpose, FALSE AS remote, COUNT(*) AS files, \
        CAST(COALESCE(SUM(file_size), 0) AS BIGINT) AS bytes \
        FROM custom_emojis WHERE domain IS NULL AND file_key IS NOT NULL HAVING COUNT(*) > 0 \
        ORDER BY purpose";
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sql)
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let purpose = r.text("purpose")?;
                Ok(MediaUsage {
                    purpose: MediaPurpose::parse(&purpose)
                        .ok_or_else(|| StoreError::Corrupt(format!("media purpose {purpose:?}")))?,
                    remote: r.flag("remote")?,
                    files: r.int("files")?,
                    bytes: r.int("bytes")?,
                })
            })
            .collect()
    })
}

/// Cached copies, least recently used first. A copy never used counts as used when it was
/// fetched: SQLite sorts NULLs first and PostgreSQL last, so they must not reach `ORDER BY`.
pub(crate) async fn cached_lru(c: Conn<'_>, limit: u32) -> Result<Vec<MediaAttachment>> {
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media_attachments m \
         WHERE m.remote_url IS NOT NULL AND m.file_key IS NOT NULL \
         ORDER BY COALESCE(m.last_used_at, m.fetched_at, 0), m.id LIMIT $1"
    );
    media_rows!(c, sql, i64::from(limit))
}

/// Cached copies of the files of a domain's accounts (and its subdomains', on any port),
/// oldest first.
pub(crate) async fn cached_of_domain(
    c: Conn<'_>,
    domain: &str,
    limit: u32,
) -> Result<Vec<MediaAttachment>> {
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media_attachments m JOIN accounts a ON a.id = m.account_id \
         WHERE m.remote_url IS NOT NULL AND m.file_key IS NOT NULL \
         AND (lower(a.domain) = $1 OR lower(a.domain) LIKE $2 OR lower(a.domain) LIKE $3 \
         OR lower(a.domain) LIKE $4) ORDER BY m.id LIMIT $5"
    );
    let domain = domain.to_ascii_lowercase();
    let subdomains = format!("%.{domain}");
    let with_port = format!("{domain}:%");
    let sub_with_port = format!("%.{domain}:%");
    media_rows!(
        c,
        sql,
        domain.as_str(),
        subdomains.as_str(),
        with_port.as_str(),
        sub_with_port.as_str(),
        i64::from(limit)
    )
}

pub(crate) async fn stale_cached(
    c: Conn<'_>,
    before: Timestamp,
    limit: u32,
) -> Result<Vec<MediaAttachment>> {
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media_attachments m \
         WHERE m.remote_url IS NOT NULL AND m.file_key IS NOT NULL AND m.fetched_at < $1 \
         ORDER BY m.fetched_at LIMIT $2"
    );
    media_rows!(c, sql, before.as_millis(), i64::from(limit))
}

pub(crate) async fn unattached(
    c: Conn<'_>,
    before: Timestamp,
    limit: u32,
) -> Result<Vec<MediaAttachment>> {
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media_attachments m \
         WHERE m.status_id IS NULL AND m.purpose = 'attachment' \
         AND (m.remote_url IS NOT NULL OR m.created_at < $1) \
         AND NOT EXISTS (SELECT 1 FROM scheduled_status_media h WHERE h.media_id = m.id) \
         ORDER BY m.created_at LIMIT $2"
    );
    media_rows!(c, sql, before.as_millis(), i64::from(limit))
}

pub(crate) async fn of_account(
    c: Conn<'_>,
    account_id: Id,
    limit: u32,
) -> Result<Vec<MediaAttachment>> {
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media_attachments m WHERE m.account_id = $1 \
         ORDER BY m.id LIMIT $2"
    );
    media_rows!(c, sql, account_id.as_i64(), i64::from(limit))
}

/// Images nothing points at. Rows holding no file (a remembered failure) are kept until
/// `forget_before`, so a failing remote image is not fetched again at every sighting.
pub(crate) async fn orphaned_account_media(
    c: Conn<'_>,
    forget_before: Timestamp,
    limit: u32,
) -> Result<Vec<MediaAttachment>> {
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media_attachments m \
         WHERE m.purpose IN ('avatar', 'header', 'emoji', 'card') AND m.state <> 'processing' \
         AND (m.file_key IS NOT NULL OR m.upload_key IS NOT NULL OR m.updated_at < $1) \
         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.avatar_media_id = m.id) \
         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.header_media_id = m.id) \
         AND NOT EXISTS (SELECT 1 FROM custom_emojis e WHERE e.media_id = m.id) \
         AND NOT EXISTS (SELECT 1 FROM preview_cards c WHERE c.media_id = m.id) \
         ORDER BY m.id LIMIT $2"
    );
    media_rows!(c, sql, forget_before.as_millis(), i64::from(limit))
}

pub(crate) async fn insert(c: Conn<'_>, m: &MediaAttachment) -> Result<()> {
    exec!(
        c,
        "INSERT INTO media_attachments (id, account_id, status_id, purpose, kind, state, \
         content_type, file_key, file_size, preview_key, preview_size, upload_key, remote_url, \
         preview_remote_url, description, blurhash, meta, error, last_used_at, fetched_at, \
         created_at, updated_at, focus) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
        m.id.as_i64(),
        m.account_id.as_i64(),
        m.status_id.map(Id::as_i64),
        m.purpose.as_str(),
        m.kind.as_str(),
        m.state.as_str(),
        m.content_type.as_deref(),
        m.file_key.as_deref(),
        m.file_size,
        m.preview_key.as_deref(),
        m.preview_size,
        m.upload_key.as_deref(),
        m.remote_url.as_deref(),
        m.preview_remote_url.as_deref(),
        m.description.as_str(),
        m.blurhash.as_deref(),
        meta_to_json(&m.meta),
        m.error.as_deref(),
        m.last_used_at.map(Timestamp::as_millis),
        m.fetched_at.map(Timestamp::as_millis),
        m.created_at.as_millis(),
        m.updated_at.as_millis(),
        focus_to_text(m.meta.focus)
    )?;
    Ok(())
}

pub(crate) async fn update(c: Conn<'_>, m: &MediaAttachment) -> Result<()> {
    let n = exec!(
        c,
        "UPDATE media_attachments SET status_id = $1, kind = $2, state = $3, content_type = $4, \
         file_key = $5, file_size = $6, preview_key = $7, preview_size = $8, upload_key = $9, \
         remote_url = $10, preview_remote_url = $11, description = $12, blurhash = $13, \
         meta = $14, error = $15, last_used_at = $16, fetched_at = $17, updated_at = $18, \
         focus = $20 WHERE id = $19",
        m.status_id.map(Id::as_i64),
        m.kind.as_str(),
        m.state.as_str(),
        m.content_type.as_deref(),
        m.file_key.as_deref(),
        m.file_size,
        m.preview_key.as_deref(),
        m.preview_size,
        m.upload_key.as_deref(),
        m.remote_url.as_deref(),
        m.preview_remote_url.as_deref(),
        m.description.as_str(),
        m.blurhash.as_deref(),
        meta_to_json(&m.meta),
        m.error.as_deref(),
        m.last_used_at.map(Timestamp::as_millis),
        m.fetched_at.map(Timestamp::as_millis),
        m.updated_at.as_millis(),
        m.id.as_i64(),
        focus_to_text(m.meta.focus)
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("media attachment".into()));
    }
    Ok(())
}

/// Saves what processing produced, only if the row is still `processing` (a row deleted, or
/// finished by another worker, meanwhile is left alone). Never touches the uploader's fields
/// (description, focus) or the status it is attached to.
pub(crate) async fn complete(c: Conn<'_>, m: &MediaAttachment) -> Result<bool> {
    let n = exec!(
        c,
        "UPDATE media_attachments SET kind = $1, state = $2, content_type = $3, file_key = $4, \
         file_size = $5, preview_key = $6, preview_size = $7, upload_key = $8, blurhash = $9, \
         meta = $10, error = $11, last_used_at = $12, fetched_at = $13, updated_at = $14 \
         WHERE id = $15 AND state = 'processing'",
        m.kind.as_str(),
        m.state.as_str(),
        m.content_type.as_deref(),
        m.file_key.as_deref(),
        m.file_size,
        m.preview_key.as_deref(),
        m.preview_size,
        m.upload_key.as_deref(),
        m.blurhash.as_deref(),
        meta_to_json(&m.meta),
        m.error.as_deref(),
        m.last_used_at.map(Timestamp::as_millis),
        m.fetched_at.map(Timestamp::as_millis),
        m.updated_at.as_millis(),
        m.id.as_i64()
    )?;
    Ok(n == 1)
}

/// A remote file fetched: its raw bytes wait for processing. Only from `remote` state.
pub(crate) async fn claim_remote(c: Conn<'_>, m: &MediaAttachment) -> Result<bool> {
    let n = exec!(
        c,
        "UPDATE media_attachments SET state = 'processing', upload_key = $1, content_type = $2, \
         file_size = $3, error = NULL, updated_at = $4 WHERE id = $5 AND state = 'remote'",
        m.upload_key.as_deref(),
        m.content_type.as_deref(),
        m.file_size,
        m.updated_at.as_millis(),
        m.id.as_i64()
    )?;
    Ok(n == 1)
}

/// Alt text and focal point of an unattached upload of `account_id`.
pub(crate) async fn describe(
    c: Conn<'_>,
    id: Id,
    account_id: Id,
    description: &str,
    focus: Option<(f64, f64)>,
    now: Timestamp,
) -> Result<bool> {
    let n = exec!(
        c,
        "UPDATE media_attachments SET description = $1, focus = $2, updated_at = $3 \
         WHERE id = $4 AND account_id = $5 AND status_id IS NULL",
        description,
        focus_to_text(focus),
        now.as_millis(),
        id.as_i64(),
        account_id.as_i64()
    )?;
    Ok(n == 1)
}

pub(crate) async fn describe_attached(
    c: Conn<'_>,
    id: Id,
    status_id: Id,
    description: &str,
    focus: Option<(f64, f64)>,
    now: Timestamp,
) -> Result<bool> {
    let n = exec!(
        c,
        "UPDATE media_attachments SET description = $1, focus = $2, updated_at = $3 \
         WHERE id = $4 AND status_id = $5",
        description,
        focus_to_text(focus),
        now.as_millis(),
        id.as_i64(),
        status_id.as_i64()
    )?;
    Ok(n == 1)
}

/// Remembers why a remote file could not be copied (it is not tried again for a while).
pub(crate) async fn note_error(c: Conn<'_>, id: Id, error: &str, now: Timestamp) -> Result<()> {
    exec!(
        c,
        "UPDATE media_attachments SET error = $1, updated_at = $2 \
         WHERE id = $3 AND state = 'remote'",
        error,
        now.as_millis(),
        id.as_i64()
    )?;
    Ok(())
}

/// Drops a cached copy (back to a link to its origin), if it is still the copy `file_key`.
pub(crate) async fn evict(c: Conn<'_>, id: Id, file_key: &str, now: Timestamp) -> Result<bool> {
    let n = exec!(
        c,
        "UPDATE media_attachments SET state = 'remote', file_key = NULL, preview_key = NULL, \
         file_size = 0, preview_size = 0, fetched_at = NULL, updated_at = $1 \
         WHERE id = $2 AND file_key = $3",
        now.as_millis(),
        id.as_i64(),
        file_key
    )?;
    Ok(n == 1)
}

/// Rows stuck in `processing` since before `before` (their job died or was lost).
pub(crate) async fn stuck(
    c: Conn<'_>,
    before: Timestamp,
    limit: u32,
) -> Result<Vec<MediaAttachment>> {
    let sql = format!(
        "SELECT {MEDIA_COLUMNS} FROM media_attachments m \
         WHERE m.state = 'processing' AND m.updated_at < $1 ORDER BY m.updated_at LIMIT $2"
    );
    media_rows!(c, sql, before.as_millis(), i64::from(limit))
}

/// Takes the row locks of uploads `ids` for the rest of the transaction (PostgreSQL; SQLite
/// has a single writer already), so a post and a scheduled status claiming the same upload
/// at once are serialised, and the one that comes second sees what the first wrote.
pub(crate) async fn lock(c: Conn<'_>, ids: &[Id]) -> Result<()> {
    if ids.is_empty() || !matches!(c, Conn::Pg(..)) {
        return Ok(());
    }
    let mut sorted: Vec<i64> = ids.iter().map(|i| i.as_i64()).collect();
    sorted.sort_unstable();
    let sql = format!(
        "SELECT id FROM media_attachments WHERE id IN ({}) ORDER BY id FOR UPDATE",
        placeholders(1, sorted.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for id in &sorted {
            q = q.bind(*id);
        }
        q.persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
    })
}

/// Attaches the author's uploads to a new status, unless attached elsewhere or held by a
/// scheduled status (checked after taking their locks, in this transaction).
pub(crate) async fn attach(c: Conn<'_>, status_id: Id, account_id: Id, ids: &[Id]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut c = c;
    lock(c.reborrow(), ids).await?;
    // At most a handful: one statement each, recording the position given.
    let mut attached = 0;
    for (position, id) in ids.iter().enumerate() {
        attached += exec!(
            c.reborrow(),
            "UPDATE media_attachments SET status_id = $1, position = $2 WHERE id = $3 \
             AND account_id = $4 AND status_id IS NULL AND purpose = 'attachment' \
             AND NOT EXISTS (SELECT 1 FROM scheduled_status_media h WHERE h.media_id = $3)",
            status_id.as_i64(),
            position as i64,
            id.as_i64(),
            account_id.as_i64()
        )?;
    }
    Ok(attached)
}

/// The attachments of an edited status become `ids`, in order (see
/// `Transaction::set_status_media`).
pub(crate) async fn set_status_media(
    c: Conn<'_>,
    status_id: Id,
    account_id: Id,
    ids: &[Id],
) -> Result<u64> {
    let mut c = c;
    lock(c.reborrow(), ids).await?;
    let keep: Vec<i64> = ids.iter().map(|i| i.as_i64()).collect();
    let let_go = if keep.is_empty() {
        "UPDATE media_attachments SET status_id = NULL, position = 0 WHERE status_id = $1"
            .to_owned()
    } else {
        format!(
            "UPDATE media_attachments SET status_id = NULL, position = 0 WHERE status_id = $1 \
             AND id NOT IN ({})",
            placeholders(2, keep.len())
        )
    };
    with_conn!(c.reborrow(), |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(let_go.clone())).bind(status_id.as_i64());
        for id in &keep {
            q = q.bind(*id);
        }
        q.persistent(p).execute(&mut *e).await.map_err(map_err)?;
    });
    let mut attached = 0;
    for (position, id) in ids.iter().enumerate() {
        attached += exec!(
            c.reborrow(),
            "UPDATE media_attachments SET status_id = $1, position = $2 WHERE id = $3 \
             AND account_id = $4 AND purpose = 'attachment' \
             AND (status_id = $1 OR (status_id IS NULL \
             AND NOT EXISTS (SELECT 1 FROM scheduled_status_media h WHERE h.media_id = $3)))",
            status_id.as_i64(),
            position as i64,
            id.as_i64(),
            account_id.as_i64()
        )?;
    }
    Ok(attached)
}

pub(crate) async fn delete(mut c: Conn<'_>, id: Id) -> Result<bool> {
    exec!(
        c.reborrow(),
        "UPDATE accounts SET avatar_media_id = NULL WHERE avatar_media_id = $1",
        id.as_i64()
    )?;
    exec!(
        c.reborrow(),
        "UPDATE accounts SET header_media_id = NULL WHERE header_media_id = $1",
        id.as_i64()
    )?;
    exec!(
        c.reborrow(),
        "UPDATE custom_emojis SET media_id = NULL WHERE media_id = $1",
        id.as_i64()
    )?;
    Ok(exec!(
        c,
        "DELETE FROM media_attachments WHERE id = $1",
        id.as_i64()
    )? == 1)
}

/// Deletes an attachment only while it is attached to nothing (expiry racing a new post).
pub(crate) async fn delete_unattached(c: Conn<'_>, id: Id) -> Result<bool> {
    Ok(exec!(
        c,
        "DELETE FROM media_attachments WHERE id = $1 AND status_id IS NULL \
         AND purpose = 'attachment' \
         AND NOT EXISTS (SELECT 1 FROM scheduled_status_media h WHERE h.media_id = $1)",
        id.as_i64()
    )? == 1)
}

pub(crate) async fn touch(c: Conn<'_>, ids: &[Id], now: Timestamp) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE media_attachments SET last_used_at = $1 WHERE id IN ({})",
        placeholders(2, ids.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(now.as_millis());
        for id in ids {
            q = q.bind(id.as_i64());
        }
        q.persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|_| ())
    })
}

pub(crate) async fn set_account_image(
    c: Conn<'_>,
    account_id: Id,
    purpose: MediaPurpose,
    media_id: Option<Id>,
    now: Timestamp,
) -> Result<()> {
    let sql = match purpose {
        MediaPurpose::Avatar => {
            "UPDATE accounts SET avatar_media_id = $1, updated_at = $2 WHERE id = $3"
        }
        MediaPurpose::Header => {
            "UPDATE accounts SET header_media_id = $1, updated_at = $2 WHERE id = $3"
        }
        other => {
            return Err(StoreError::Database(format!(
                "{} is not an account image",
                other.as_str()
            )));
        }
    };
    let n = exec!(
        c,
        sql,
        media_id.map(Id::as_i64),
        now.as_millis(),
        account_id.as_i64()
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("account".into()));
    }
    Ok(())
}
