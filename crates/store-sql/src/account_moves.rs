//! Aliases and moves (see `rookery_store::AccountMovesTx`).

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{AccountMovesTx, Result};

use crate::db::exec;
use crate::transaction::SqlTx;

#[async_trait]
impl AccountMovesTx for SqlTx {
    async fn set_also_known_as(
        &mut self,
        account_id: Id,
        uris: &[String],
        at: Timestamp,
    ) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE accounts SET also_known_as = $2, updated_at = $3 WHERE id = $1",
            account_id.as_i64(),
            crate::accounts::strings_to_json(uris),
            at.as_millis()
        )? == 1)
    }

    async fn set_moved(&mut self, account_id: Id, to: Id, at: Timestamp) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE accounts SET moved_to_account_id = $2, moved_at = $3, updated_at = $3 \
             WHERE id = $1 AND (moved_at IS NULL OR moved_to_account_id IS NULL \
             OR moved_to_account_id <> $2)",
            account_id.as_i64(),
            to.as_i64(),
            at.as_millis()
        )? == 1)
    }

    async fn set_published_move(
        &mut self,
        account_id: Id,
        to: Option<Id>,
        moves_kept_since: Timestamp,
    ) -> Result<bool> {
        Ok(match to {
            Some(to) => exec!(
                self.conn(),
                "UPDATE accounts SET moved_to_account_id = $2 \
                 WHERE id = $1 AND domain IS NOT NULL \
                 AND (moved_to_account_id IS NULL OR moved_to_account_id <> $2)",
                account_id.as_i64(),
                to.as_i64()
            )?,
            None => exec!(
                self.conn(),
                "UPDATE accounts SET moved_to_account_id = NULL \
                 WHERE id = $1 AND domain IS NOT NULL AND moved_to_account_id IS NOT NULL \
                 AND (moved_at IS NULL OR moved_at < $2)",
                account_id.as_i64(),
                moves_kept_since.as_millis()
            )?,
        } == 1)
    }
}
