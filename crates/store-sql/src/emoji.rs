//! Custom emoji: shortcodes with an image, found by domain and shortcode.

use rookery_model::{CustomEmoji, Id, Timestamp};
use rookery_store::{Result, StoreError};

use crate::db::{Conn, Fields, exec, fetch_optional, map_err, with_conn};
use crate::statuses::placeholders;

/// A local emoji's image is on the row itself (`file_key`); a remote one's copy is a media row.
pub(crate) const EMOJI_COLUMNS: &str = "e.id, e.shortcode, e.domain, e.uri, e.image_remote_url, \
    e.created_at, e.updated_at, e.static_file_key, e.category, e.visible_in_picker, \
    COALESCE(e.file_key, \
      (SELECT m.file_key FROM media_attachments m WHERE m.id = e.media_id)) AS image_key";

pub(crate) fn emoji_from_row(r: &impl Fields) -> Result<CustomEmoji> {
    Ok(CustomEmoji {
        id: Id::from_i64(r.int("id")?),
        shortcode: r.text("shortcode")?,
        domain: r.opt_text("domain")?,
        uri: r.opt_text("uri")?,
        image_remote_url: r.opt_text("image_remote_url")?,
        image_key: r.opt_text("image_key")?,
        static_key: r.opt_text("static_file_key")?,
        category: r.opt_text("category")?,
        visible_in_picker: r.flag("visible_in_picker")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

pub(crate) async fn by_shortcodes(
    c: Conn<'_>,
    domain: Option<&str>,
    shortcodes: &[String],
) -> Result<Vec<CustomEmoji>> {
    if shortcodes.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {EMOJI_COLUMNS} FROM custom_emojis e \
         WHERE COALESCE(e.domain, '') = $1 AND e.shortcode IN ({}) ORDER BY e.shortcode",
        placeholders(2, shortcodes.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(domain.unwrap_or(""));
        for s in shortcodes {
            q = q.bind(s.as_str());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter().map(emoji_from_row).collect()
    })
}

pub(crate) async fn by_id(c: Conn<'_>, id: Id) -> Result<Option<CustomEmoji>> {
    let sql = format!("SELECT {EMOJI_COLUMNS} FROM custom_emojis e WHERE e.id = $1");
    fetch_optional!(c, sql, emoji_from_row, id.as_i64())
}

pub(crate) async fn upsert(mut c: Conn<'_>, emoji: &CustomEmoji) -> Result<CustomEmoji> {
    let domain = emoji.domain.as_deref().unwrap_or("");
    let existing = by_shortcodes(
        c.reborrow(),
        Some(domain),
        std::slice::from_ref(&emoji.shortcode),
    )
    .await?
    .into_iter()
    .next();
    match existing {
        Some(e) if e.image_remote_url == emoji.image_remote_url && e.uri == emoji.uri => Ok(e),
        Some(e) => {
            exec!(
                c.reborrow(),
                "UPDATE custom_emojis SET uri = $1, image_remote_url = $2, media_id = NULL, \
                 updated_at = $3 WHERE id = $4",
                emoji.uri.as_deref(),
                emoji.image_remote_url.as_deref(),
                emoji.updated_at.as_millis(),
                e.id.as_i64()
            )?;
            by_id(c, e.id)
                .await?
                .ok_or_else(|| StoreError::NotFound("custom emoji".into()))
        }
        None => {
            exec!(
                c.reborrow(),
                "INSERT INTO custom_emojis (id, shortcode, domain, uri, image_remote_url, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                emoji.id.as_i64(),
                emoji.shortcode.as_str(),
                emoji.domain.as_deref(),
                emoji.uri.as_deref(),
                emoji.image_remote_url.as_deref(),
                emoji.created_at.as_millis(),
                emoji.updated_at.as_millis()
            )?;
            by_id(c, emoji.id)
                .await?
                .ok_or_else(|| StoreError::NotFound("custom emoji".into()))
        }
    }
}

pub(crate) async fn set_media(c: Conn<'_>, image_remote_url: &str, media_id: Id) -> Result<()> {
    exec!(
        c,
        "UPDATE custom_emojis SET media_id = $1 WHERE image_remote_url = $2",
        media_id.as_i64(),
        image_remote_url
    )?;
    Ok(())
}
