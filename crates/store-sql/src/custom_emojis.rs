//! This instance's own custom emoji: rows with no domain, their image named on the row.

use async_trait::async_trait;
use rookery_model::{CustomEmoji, Timestamp};
use rookery_store::{CustomEmojiStore, CustomEmojiTx, NewLocalEmoji, Result, StoreError};

use crate::SqlStore;
use crate::db::{exec, map_err, read, with_conn};
use crate::emoji::{EMOJI_COLUMNS, by_shortcodes, emoji_from_row};
use crate::transaction::SqlTx;

#[async_trait]
impl CustomEmojiStore for SqlStore {
    async fn local_emojis(&self, listed_only: bool) -> Result<Vec<CustomEmoji>> {
        let listed = if listed_only {
            " AND e.visible_in_picker = TRUE"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {EMOJI_COLUMNS} FROM custom_emojis e \
             WHERE e.domain IS NULL AND e.file_key IS NOT NULL{listed} ORDER BY e.shortcode"
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map(emoji_from_row).collect::<Result<Vec<_>>>()
        }))
    }
}

#[async_trait]
impl CustomEmojiTx for SqlTx {
    async fn insert_local_emoji(&mut self, new: &NewLocalEmoji) -> Result<bool> {
        let e = &new.emoji;
        // The unique index on (shortcode, domain) decides between two adding the same one at
        // once; on PostgreSQL a refused insert would abort the transaction, so nothing is
        // inserted when the shortcode is taken.
        let inserted = exec!(
            self.conn(),
            "INSERT INTO custom_emojis (id, shortcode, domain, uri, image_remote_url, \
             created_at, updated_at, category, visible_in_picker, file_key, static_file_key, \
             file_size) \
             SELECT $1, $2, NULL, NULL, NULL, $3, $4, $5, $6, $7, $8, $9 \
             WHERE NOT EXISTS (SELECT 1 FROM custom_emojis \
               WHERE shortcode = $2 AND domain IS NULL)",
            e.id.as_i64(),
            e.shortcode.as_str(),
            e.created_at.as_millis(),
            e.updated_at.as_millis(),
            e.category.as_deref(),
            e.visible_in_picker,
            e.image_key.as_deref(),
            e.static_key.as_deref(),
            new.file_size
        );
        match inserted {
            Ok(n) => Ok(n == 1),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    async fn delete_local_emoji(&mut self, shortcode: &str) -> Result<Option<CustomEmoji>> {
        let found = by_shortcodes(self.conn(), None, &[shortcode.to_owned()])
            .await?
            .into_iter()
            .next();
        let Some(emoji) = found else {
            return Ok(None);
        };
        exec!(
            self.conn(),
            "DELETE FROM custom_emojis WHERE id = $1",
            emoji.id.as_i64()
        )?;
        Ok(Some(emoji))
    }

    async fn set_local_emoji_category(
        &mut self,
        shortcode: &str,
        category: Option<&str>,
        now: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE custom_emojis SET category = $1, updated_at = $2 \
             WHERE shortcode = $3 AND domain IS NULL",
            category,
            now.as_millis(),
            shortcode
        )? == 1)
    }
}
