//! A user's own settings: posting defaults.

use async_trait::async_trait;
use rookery_model::{Id, PostingDefaults, Timestamp};
use rookery_store::{Result, StoreError, UserSettingsTx};

use crate::db::exec;
use crate::transaction::SqlTx;

#[async_trait]
impl UserSettingsTx for SqlTx {
    async fn set_posting_defaults(
        &mut self,
        user_id: Id,
        defaults: &PostingDefaults,
        now: Timestamp,
    ) -> Result<()> {
        let n = exec!(
            self.conn(),
            "UPDATE users SET default_privacy = $1, default_sensitive = $2, \
             default_language = $3, updated_at = $4, default_quote_policy = $6 WHERE id = $5",
            defaults.visibility.as_str(),
            defaults.sensitive,
            defaults.language.as_deref(),
            now.as_millis(),
            user_id.as_i64(),
            defaults.quote_policy.setting()
        )?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!("user {user_id}")))
        }
    }
}
