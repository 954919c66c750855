//! This instance's own custom emoji (remote ones are remembered through
//! [`crate::Transaction::upsert_custom_emoji`]). The storage side.
//!
//! Reached through [`crate::Store::custom_emoji_store`] and [`crate::Transaction::custom_emojis`].

use async_trait::async_trait;
use rookery_model::{CustomEmoji, Timestamp};

use crate::Result;

/// A local emoji to record: its image is stored already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLocalEmoji {
    pub emoji: CustomEmoji,
    /// Bytes of the image and its still copy.
    pub file_size: i64,
}

/// Reads of local custom emoji.
#[async_trait]
pub trait CustomEmojiStore: Send + Sync {
    /// The local emoji, by shortcode; only those the picker shows with `listed_only`.
    async fn local_emojis(&self, listed_only: bool) -> Result<Vec<CustomEmoji>>;
}

/// Writes of local custom emoji, inside a [`crate::Transaction`].
#[async_trait]
pub trait CustomEmojiTx: Send {
    /// Records a local emoji; `false` (and nothing written) if its shortcode is taken.
    async fn insert_local_emoji(&mut self, new: &NewLocalEmoji) -> Result<bool>;

    /// Deletes the local emoji with this shortcode, returning it (its files are the caller's
    /// to delete); `None` if there is none.
    async fn delete_local_emoji(&mut self, shortcode: &str) -> Result<Option<CustomEmoji>>;

    /// Sets (`Some`) or clears the category of a local emoji; `false` if there is none.
    async fn set_local_emoji_category(
        &mut self,
        shortcode: &str,
        category: Option<&str>,
        now: Timestamp,
    ) -> Result<bool>;
}
