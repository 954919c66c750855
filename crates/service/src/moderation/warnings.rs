//! Warnings (Mastodon's strikes) as their owners see them: the AccountWarning entity of the
//! `moderation_warning` notification, and the page a warning links to.

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::Id;
use rookery_store::{AccountWarning, LocalAccount, Notification, NotificationKind};

use crate::{Result, ServiceError, Services};

impl Services {
    /// The AccountWarning entity of `w`, with its appeal when it was appealed.
    pub async fn warning_entity(&self, w: &AccountWarning) -> Result<api::AccountWarning> {
        let target = self
            .store
            .account(w.target_account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let appeal = self
            .store
            .appeal_store()
            .appeal_of_warning(w.id)
            .await?
            .map(|a| api::Appeal {
                text: a.text.clone(),
                state: a.state().to_owned(),
            });
        Ok(api::AccountWarning {
            id: w.id.to_string(),
            action: w.action.clone(),
            text: w.text.clone(),
            status_ids: Some(w.status_ids.iter().map(ToString::to_string).collect()),
            target_account: self.account_entity(&target),
            appeal,
            created_at: w.created_at.to_rfc3339(),
        })
    }

    /// The warnings `list`'s `moderation_warning` notifications are about, by notification id
    /// (a warning's notification has the warning's id).
    pub(crate) async fn notified_warnings(
        &self,
        list: &[&Notification],
    ) -> Result<HashMap<Id, api::AccountWarning>> {
        let mut out = HashMap::new();
        for n in list
            .iter()
            .filter(|n| n.kind == NotificationKind::ModerationWarning)
        {
            let found = self.store.account_moderation_store().warning(n.id).await?;
            if let Some(w) = found.filter(|w| w.target_account_id == n.account_id) {
                out.insert(n.id, self.warning_entity(&w).await?);
            }
        }
        Ok(out)
    }

    /// One of `user`'s own warnings (`NotFound` for anyone else's).
    pub async fn own_warning(&self, user: &LocalAccount, id: Id) -> Result<AccountWarning> {
        self.store
            .account_moderation_store()
            .warning(id)
            .await?
            .filter(|w| w.target_account_id == user.account.id)
            .ok_or(ServiceError::NotFound("warning"))
    }
}
