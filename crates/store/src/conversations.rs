//! Direct conversations: per user, one entry per thread of direct statuses.
//!
//! Reached through [`crate::Store::conversation_store`] and
//! [`crate::Transaction::conversations`].

use async_trait::async_trait;
use rookery_model::Id;

use crate::{Result, TimelinePage};

/// A thread of direct statuses as one participant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConversation {
    pub account_id: Id,
    /// The thread (`statuses.conversation_id`); the entity's id.
    pub conversation_id: Id,
    /// The other participants.
    pub participant_ids: Vec<Id>,
    pub last_status_id: Id,
    pub unread: bool,
}

/// Reads of the conversations area.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The account's conversations, most recently active first, paged by `last_status_id`.
    async fn conversations(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<AccountConversation>>;

    /// One of the account's conversations.
    async fn conversation(
        &self,
        account_id: Id,
        conversation_id: Id,
    ) -> Result<Option<AccountConversation>>;
}

/// Writes of the conversations area, inside a [`crate::Transaction`].
#[async_trait]
pub trait ConversationTx: Send {
    /// Records a new direct status in a participant's conversation (a newer one wins; an
    /// older one arriving late changes nothing).
    async fn add_to_conversation(&mut self, entry: &AccountConversation) -> Result<()>;

    /// Marks a conversation read; `false` if the account has no such conversation.
    async fn mark_conversation_read(&mut self, account_id: Id, conversation_id: Id)
    -> Result<bool>;

    /// Removes a conversation from the account's list; `false` if there was none.
    async fn delete_conversation(&mut self, account_id: Id, conversation_id: Id) -> Result<bool>;

    /// After `status_id` of the thread was deleted: conversations that showed it show the
    /// thread's newest remaining direct status, or go when none is left.
    async fn status_left_conversation(&mut self, conversation_id: Id, status_id: Id) -> Result<()>;
}
