//! A user's own settings (posting defaults, and later reading preferences): the storage side.
//!
//! Reached through [`crate::Transaction::user_settings`].

use async_trait::async_trait;
use rookery_model::{Id, PostingDefaults, Timestamp};

use crate::Result;

/// Writes of a user's settings, inside a [`crate::Transaction`].
#[async_trait]
pub trait UserSettingsTx: Send {
    /// Replaces the user's defaults for new posts.
    async fn set_posting_defaults(
        &mut self,
        user_id: Id,
        defaults: &PostingDefaults,
        now: Timestamp,
    ) -> Result<()>;
}
