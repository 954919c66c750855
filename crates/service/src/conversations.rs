//! Direct conversations (`/api/v1/conversations`): each thread of direct statuses a user takes
//! part in, with its other participants, newest status and unread flag. The ids are the
//! thread ids the `direct` stream already sends.

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::{Account, Id, Status, Visibility};
use rookery_store::{AccountConversation, LocalAccount, TimelinePage};

use crate::{Result, ServiceError, Services};

/// The conversations area's use cases.
#[derive(Clone, Copy)]
pub struct Conversations<'a> {
    s: &'a Services,
}

impl Services {
    /// Direct conversations.
    pub fn conversations(&self) -> Conversations<'_> {
        Conversations { s: self }
    }

    /// The conversation rows a direct status writes: one per local participant (`author` and
    /// `mentioned`). Read before the fan-out's transaction begins.
    pub(crate) async fn conversation_entries(
        &self,
        status: &Status,
        mentioned: &[Id],
    ) -> Result<Vec<AccountConversation>> {
        if status.visibility != Visibility::Direct || status.reblog_of_id.is_some() {
            return Ok(Vec::new());
        }
        let mut participants: Vec<Id> = mentioned.to_vec();
        participants.push(status.account_id);
        participants.sort();
        participants.dedup();
        let local: Vec<Id> = self
            .store
            .accounts(&participants)
            .await?
            .into_iter()
            .filter(Account::is_local)
            .map(|a| a.id)
            .collect();
        let conversation_id = status.conversation_id.unwrap_or(status.id);
        Ok(local
            .into_iter()
            .map(|viewer| AccountConversation {
                account_id: viewer,
                conversation_id,
                participant_ids: participants
                    .iter()
                    .copied()
                    .filter(|p| *p != viewer)
                    .collect(),
                last_status_id: status.id,
                unread: viewer != status.account_id,
            })
            .collect())
    }
}

impl Conversations<'_> {
    /// Renders conversations for `user`; those whose last status cannot be shown are left out.
    async fn render(
        &self,
        user: &LocalAccount,
        rows: Vec<AccountConversation>,
    ) -> Result<Vec<(Id, api::Conversation)>> {
        let mut account_ids: Vec<Id> = rows
            .iter()
            .flat_map(|r| r.participant_ids.iter().copied())
            .collect();
        account_ids.sort();
        account_ids.dedup();
        let accounts: HashMap<Id, Account> = self
            .s
            .store
            .accounts(&account_ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let status_ids: Vec<Id> = rows.iter().map(|r| r.last_status_id).collect();
        let statuses = self.s.store.statuses(&status_ids).await?;
        let rendered = self
            .s
            .status_entities(Some(&user.account), &statuses)
            .await?;
        let rendered = self
            .s
            .without_hidden(Some(&user.account), None, rendered)
            .await?;
        let by_id: HashMap<String, api::Status> =
            rendered.into_iter().map(|s| (s.id.clone(), s)).collect();
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let last = by_id.get(&r.last_status_id.to_string())?.clone();
                let others = r
                    .participant_ids
                    .iter()
                    .filter_map(|p| accounts.get(p))
                    .map(|a| self.s.account_entity(a))
                    .collect();
                Some((
                    r.last_status_id,
                    api::Conversation {
                        id: r.conversation_id.to_string(),
                        unread: r.unread,
                        accounts: others,
                        last_status: Some(last),
                    },
                ))
            })
            .collect())
    }

    /// `GET /api/v1/conversations`: most recently active first, with the last-status ids that
    /// page them.
    pub async fn list(
        &self,
        user: &LocalAccount,
        page: TimelinePage,
    ) -> Result<Vec<(Id, api::Conversation)>> {
        let rows = self
            .s
            .store
            .conversation_store()
            .conversations(user.account.id, page)
            .await?;
        self.render(user, rows).await
    }

    async fn one(&self, user: &LocalAccount, id: Id) -> Result<api::Conversation> {
        let row = self
            .s
            .store
            .conversation_store()
            .conversation(user.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("conversation"))?;
        self.render(user, vec![row])
            .await?
            .pop()
            .map(|(_, c)| c)
            .ok_or(ServiceError::NotFound("conversation"))
    }

    /// `POST /api/v1/conversations/:id/read`.
    pub async fn read(&self, user: &LocalAccount, id: Id) -> Result<api::Conversation> {
        let mut tx = self.s.store.begin().await?;
        if !tx
            .conversations()
            .mark_conversation_read(user.account.id, id)
            .await?
        {
            return Err(ServiceError::NotFound("conversation"));
        }
        tx.commit().await?;
        self.one(user, id).await
    }

    /// `DELETE /api/v1/conversations/:id`: gone from the user's list (the statuses stay); a
    /// new status in the thread brings it back.
    pub async fn remove(&self, user: &LocalAccount, id: Id) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        if !tx
            .conversations()
            .delete_conversation(user.account.id, id)
            .await?
        {
            return Err(ServiceError::NotFound("conversation"));
        }
        Ok(tx.commit().await?)
    }
}
