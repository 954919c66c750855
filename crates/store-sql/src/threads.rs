//! Thread links made after the fact (see `rookery_store::ThreadTx`).

use async_trait::async_trait;
use rookery_model::Id;
use rookery_store::{Result, ThreadTx};

use crate::db::{Fields, exec, fetch_optional};
use crate::statuses;
use crate::transaction::SqlTx;

fn conversation_of<R: Fields>(row: &R) -> Result<i64> {
    row.int("c")
}

#[async_trait]
impl ThreadTx for SqlTx {
    async fn link_reply(
        &mut self,
        reply: Id,
        parent: Id,
        parent_account: Id,
        conversation: Id,
    ) -> Result<bool> {
        // The reply's conversation (and every post already in it) joins the parent's.
        let old = fetch_optional!(
            self.conn(),
            "SELECT COALESCE(conversation_id, id) AS c FROM statuses WHERE id = $1",
            conversation_of,
            reply.as_i64()
        )?;
        let linked = exec!(
            self.conn(),
            "UPDATE statuses SET in_reply_to_id = $1, in_reply_to_account_id = $2, \
             conversation_id = $3 WHERE id = $4 AND in_reply_to_id IS NULL AND id <> $1",
            parent.as_i64(),
            parent_account.as_i64(),
            conversation.as_i64(),
            reply.as_i64()
        )? > 0;
        if linked {
            statuses::count_reply(self.conn(), parent, 1).await?;
            if let Some(old) = old.filter(|o| *o != conversation.as_i64()) {
                exec!(
                    self.conn(),
                    "UPDATE statuses SET conversation_id = $1 WHERE conversation_id = $2",
                    conversation.as_i64(),
                    old
                )?;
            }
        }
        Ok(linked)
    }
}
