//! The admin accounts list, approving and rejecting sign-ups, and deleting a suspended
//! account's data.

use rookery_api as api;
use rookery_model::{Id, Permission};
use rookery_store::{AccountFilter, TimelinePage};

use super::Moderator;
use super::actions::AccountActions;
use super::audit::{self, Entry};
use crate::account_deletion::DeleteAccount;
use crate::mail::Message;
use crate::{Result, ServiceError};

impl AccountActions<'_> {
    /// `GET /api/v1/admin/accounts` and `/api/v2/admin/accounts`: accounts matching `filter`,
    /// newest first.
    pub async fn list(
        &self,
        by: Moderator,
        filter: &AccountFilter,
        page: TimelinePage,
    ) -> Result<Vec<api::AdminAccount>> {
        by.require(Permission::ManageUsers)?;
        let accounts = self
            .s
            .store
            .account_moderation_store()
            .filtered_accounts(filter, page)
            .await?;
        let mut out = Vec::with_capacity(accounts.len());
        for a in &accounts {
            out.push(self.s.admin_account_entity(a).await?);
        }
        Ok(out)
    }

    /// `POST /api/v1/admin/accounts/:id/approve`: a pending sign-up may sign in (and is told
    /// by e-mail). Refused for an account that is not pending.
    pub async fn approve(&self, by: Moderator, id: Id) -> Result<api::AdminAccount> {
        let t = self.target(by, id, Permission::ManageUsers).await?;
        let Some(local) = t.local.as_ref().filter(|l| !l.user.approved) else {
            return Err(ServiceError::Forbidden);
        };
        let s = self.s;
        let now = s.clock.now();
        let mut tx = s.store.begin().await?;
        tx.account_moderation().approve(t.account.id, now).await?;
        audit::record(
            s,
            tx.as_mut(),
            by,
            Entry {
                action: "approve",
                target_type: "User",
                target_id: Some(t.account.id),
                target_name: &t.name(),
                reason: "",
            },
        )
        .await?;
        let message = Message::Notification {
            username: local.account.username.as_str().to_owned(),
            from: s.settings.title.clone(),
            what: "approved your sign-up: you can sign in now".to_owned(),
            excerpt: None,
            link: format!("{}/auth/sign_in", s.urls.base()),
        };
        s.mail()
            .queue(tx.as_mut(), &local.user.email, &message)
            .await?;
        s.webhooks()
            .emit(
                tx.as_mut(),
                "account.approved",
                crate::webhooks::WebhookObject::Account(t.account.id),
            )
            .await?;
        tx.commit().await?;
        s.forget_stats();
        s.admin_account(by, id).await
    }

    /// `POST /api/v1/admin/accounts/:id/reject`: a pending sign-up is deleted (its username
    /// is free again). Refused for an account that is not pending.
    pub async fn reject(&self, by: Moderator, id: Id) -> Result<api::AdminAccount> {
        let t = self.target(by, id, Permission::ManageUsers).await?;
        if t.local.as_ref().is_none_or(|l| l.user.approved) {
            return Err(ServiceError::Forbidden);
        }
        let entity = self.s.admin_account_entity(&t.account).await?;
        let s = self.s;
        let mut tx = s.store.begin().await?;
        if !tx.account_moderation().delete_pending(t.account.id).await? {
            return Err(ServiceError::Forbidden);
        }
        audit::record(
            s,
            tx.as_mut(),
            by,
            Entry {
                action: "reject",
                target_type: "User",
                target_id: Some(t.account.id),
                target_name: &t.name(),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        s.forget_stats();
        Ok(entity)
    }

    /// `DELETE /api/v1/admin/accounts/:id`: the data of a suspended account is deleted now
    /// (a local one through the account deletion job). Refused unless it is suspended.
    pub async fn delete(&self, by: Moderator, id: Id) -> Result<api::AdminAccount> {
        let t = self.target(by, id, Permission::DeleteUserData).await?;
        if t.account.suspended_at.is_none() {
            return Err(ServiceError::Forbidden);
        }
        let entity = self.s.admin_account_entity(&t.account).await?;
        let s = self.s;
        let now = s.clock.now();
        let mut tx = s.store.begin().await?;
        if t.account.is_local() {
            if tx
                .account_deletion()
                .mark_deleted(t.account.id, now)
                .await?
            {
                super::actions::enqueue(
                    s,
                    tx.as_mut(),
                    now,
                    &DeleteAccount {
                        account_id: t.account.id,
                    },
                )
                .await?;
            }
        } else {
            tx.delete_remote_account(t.account.id).await?;
        }
        audit::record(
            s,
            tx.as_mut(),
            by,
            Entry {
                action: "destroy",
                target_type: "Account",
                target_id: Some(t.account.id),
                target_name: &t.name(),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        s.forget_stats();
        Ok(entity)
    }
}
