//! The conversations area: each user's threads of direct statuses.

use async_trait::async_trait;
use rookery_model::Id;
use rookery_store::{
    AccountConversation, ConversationStore, ConversationTx, Result, StoreError, TimelinePage,
};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::bounds;
use crate::transaction::SqlTx;

const COLUMNS: &str = "account_id, conversation_id, participant_ids, last_status_id, unread";

fn from_row(r: &impl Fields) -> Result<AccountConversation> {
    let ids = r.text("participant_ids")?;
    let participant_ids = ids
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse()
                .map_err(|_| StoreError::Corrupt(format!("participant id {p:?}")))
        })
        .collect::<Result<Vec<Id>>>()?;
    Ok(AccountConversation {
        account_id: Id::from_i64(r.int("account_id")?),
        conversation_id: Id::from_i64(r.int("conversation_id")?),
        participant_ids,
        last_status_id: Id::from_i64(r.int("last_status_id")?),
        unread: r.flag("unread")?,
    })
}

#[async_trait]
impl ConversationStore for SqlStore {
    async fn conversations(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<AccountConversation>> {
        let (lower, upper, asc) = bounds(page);
        let sql = format!(
            "SELECT {COLUMNS} FROM account_conversations WHERE account_id = $1 \
             AND last_status_id > $2 AND last_status_id < $3 ORDER BY last_status_id {} LIMIT $4",
            if asc { "ASC" } else { "DESC" }
        );
        let mut out = read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(account_id.as_i64())
                .bind(lower)
                .bind(upper)
                .bind(i64::from(page.limit))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map(from_row).collect::<Result<Vec<_>>>()
        }))?;
        if asc {
            out.reverse();
        }
        Ok(out)
    }

    async fn conversation(
        &self,
        account_id: Id,
        conversation_id: Id,
    ) -> Result<Option<AccountConversation>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM account_conversations \
             WHERE account_id = $1 AND conversation_id = $2"
        );
        read!(&self.pools, |c| fetch_optional!(
            c,
            sql.as_str(),
            from_row,
            account_id.as_i64(),
            conversation_id.as_i64()
        ))
    }
}

#[async_trait]
impl ConversationTx for SqlTx {
    async fn add_to_conversation(&mut self, entry: &AccountConversation) -> Result<()> {
        let participants: Vec<String> = entry
            .participant_ids
            .iter()
            .map(ToString::to_string)
            .collect();
        exec!(
            self.conn(),
            "INSERT INTO account_conversations \
             (account_id, conversation_id, participant_ids, last_status_id, unread) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (account_id, conversation_id) DO UPDATE SET \
             participant_ids = excluded.participant_ids, \
             last_status_id = excluded.last_status_id, unread = excluded.unread \
             WHERE account_conversations.last_status_id < excluded.last_status_id",
            entry.account_id.as_i64(),
            entry.conversation_id.as_i64(),
            participants.join(","),
            entry.last_status_id.as_i64(),
            entry.unread
        )
        .map(drop)
    }

    async fn mark_conversation_read(
        &mut self,
        account_id: Id,
        conversation_id: Id,
    ) -> Result<bool> {
        exec!(
            self.conn(),
            "UPDATE account_conversations SET unread = FALSE \
             WHERE account_id = $1 AND conversation_id = $2",
            account_id.as_i64(),
            conversation_id.as_i64()
        )
        .map(|n| n == 1)
    }

    async fn delete_conversation(&mut self, account_id: Id, conversation_id: Id) -> Result<bool> {
        exec!(
            self.conn(),
            "DELETE FROM account_conversations WHERE account_id = $1 AND conversation_id = $2",
            account_id.as_i64(),
            conversation_id.as_i64()
        )
        .map(|n| n == 1)
    }

    async fn status_left_conversation(&mut self, conversation_id: Id, status_id: Id) -> Result<()> {
        // The thread's root is its own conversation id (conversation_id may be NULL on it).
        // Only statuses the row's owner wrote or was mentioned in: a reply to fewer people
        // must not surface to the others.
        exec!(
            self.conn(),
            "UPDATE account_conversations SET last_status_id = COALESCE((\
               SELECT MAX(s.id) FROM statuses s WHERE s.visibility = 'direct' \
               AND (s.conversation_id = $1 OR s.id = $1) \
               AND (s.account_id = account_conversations.account_id OR EXISTS (\
                 SELECT 1 FROM mentions m WHERE m.status_id = s.id \
                 AND m.account_id = account_conversations.account_id))), 0) \
             WHERE conversation_id = $1 AND last_status_id = $2",
            conversation_id.as_i64(),
            status_id.as_i64()
        )?;
        exec!(
            self.conn(),
            "DELETE FROM account_conversations WHERE conversation_id = $1 AND last_status_id = 0",
            conversation_id.as_i64()
        )
        .map(drop)
    }
}
