//! Accounts as moderators see them: Mastodon's Admin::Account entity.

use rookery_api as api;
use rookery_model::{Account, Id, Permission, Role};

use super::Moderator;
use crate::{Result, ServiceError, Services};

/// Mastodon's Role entity for `role` (ids are the roles' places, least privileged first).
pub fn role_entity(role: Role) -> api::AdminRole {
    api::AdminRole {
        id: Role::ALL
            .iter()
            .position(|r| *r == role)
            .unwrap_or(0)
            .to_string(),
        name: role.display_name().to_owned(),
        color: String::new(),
        permissions: role.permission_bits().to_string(),
        highlighted: role.is_staff(),
    }
}

impl Services {
    /// The Admin::Account entity of `account` (its user's side read for local accounts).
    pub async fn admin_account_entity(&self, account: &Account) -> Result<api::AdminAccount> {
        let user = match account.domain {
            None => self
                .store
                .local_account_by_username(account.username.as_str())
                .await?
                .map(|l| l.user),
            Some(_) => None,
        };
        let entity = self.account_entity(account);
        let sign_up = match account.domain {
            None => {
                self.store
                    .server_policy_store()
                    .sign_up_details(account.id)
                    .await?
            }
            Some(_) => rookery_store::SignUpDetails::default(),
        };
        Ok(api::AdminAccount {
            id: account.id.to_string(),
            username: account.username.as_str().to_owned(),
            domain: account.domain.as_ref().map(|d| d.as_str().to_owned()),
            created_at: account.created_at.to_rfc3339(),
            email: user
                .as_ref()
                .map(|u| u.email.as_str().to_owned())
                .unwrap_or_default(),
            ips: sign_up
                .ip
                .iter()
                .map(|ip| api::AdminIp {
                    ip: ip.clone(),
                    used_at: account.created_at.to_rfc3339(),
                })
                .collect(),
            ip: sign_up.ip,
            locale: user.as_ref().and_then(|u| u.locale.clone()),
            invite_request: sign_up.reason,
            role: user.as_ref().map(|u| role_entity(u.role)),
            confirmed: user.as_ref().is_none_or(|u| u.confirmed_at.is_some()),
            approved: user.as_ref().is_none_or(|u| u.approved),
            disabled: user.as_ref().is_some_and(|u| u.disabled),
            silenced: account.silenced_at.is_some(),
            suspended: account.suspended_at.is_some(),
            sensitized: account.sensitized_at.is_some(),
            account: entity,
            created_by_application_id: None,
            invited_by_account_id: None,
        })
    }

    /// The Admin::Account entity of the account with `id`, for a moderator who may manage users.
    pub async fn admin_account(&self, by: Moderator, id: Id) -> Result<api::AdminAccount> {
        by.require(Permission::ManageUsers)?;
        let account = self
            .store
            .account(id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        self.admin_account_entity(&account).await
    }
}
