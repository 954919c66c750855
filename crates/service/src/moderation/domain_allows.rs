//! Allowed domains (`/api/v1/admin/domain_allows`): in allow-list mode
//! (`federation.limited_federation`) only these domains (and their subdomains) may deliver to
//! the inbox, be fetched from or be delivered to.

use rookery_api as api;
use rookery_model::{Id, Permission};
use rookery_store::DomainAllow;

use super::Moderator;
use super::audit::{Entry, record};
use super::domain_blocks::parse_blocked_domain;
use crate::{Result, ServiceError, Services};

/// Mastodon's Admin::DomainAllow entity.
pub fn domain_allow_entity(a: &DomainAllow) -> api::AdminDomainAllow {
    api::AdminDomainAllow {
        id: a.id.to_string(),
        domain: a.domain.clone(),
        created_at: a.created_at.to_rfc3339(),
    }
}

/// Allowed domains, for moderators who may manage federation.
pub struct DomainAllows<'a> {
    s: &'a Services,
}

impl Services {
    /// Allowed domains.
    pub fn domain_allows(&self) -> DomainAllows<'_> {
        DomainAllows { s: self }
    }
}

impl DomainAllows<'_> {
    /// Every allowed domain, by domain.
    pub async fn list(&self, by: Moderator) -> Result<Vec<DomainAllow>> {
        by.require(Permission::ManageFederation)?;
        Ok(self.s.store.server_policy_store().domain_allows().await?)
    }

    /// The allowed domain with `id`.
    pub async fn get(&self, by: Moderator, id: Id) -> Result<DomainAllow> {
        by.require(Permission::ManageFederation)?;
        self.s
            .store
            .server_policy_store()
            .domain_allow(id)
            .await?
            .ok_or(ServiceError::NotFound("domain allow"))
    }

    /// Allows `domain`; allowing one already allowed returns the existing entry (as Mastodon).
    pub async fn create(&self, by: Moderator, domain: &str) -> Result<DomainAllow> {
        by.require(Permission::ManageFederation)?;
        let domain = parse_blocked_domain(self.s, domain)?.to_string();
        if let Some(existing) = self
            .s
            .store
            .server_policy_store()
            .domain_allows()
            .await?
            .into_iter()
            .find(|a| a.domain == domain)
        {
            return Ok(existing);
        }
        let allow = DomainAllow {
            id: self.s.ids.next_id(),
            domain,
            created_at: self.s.clock.now(),
        };
        let mut tx = self.s.store.begin().await?;
        tx.server_policy().insert_domain_allow(&allow).await?;
        record(self.s, &mut *tx, by, entry("create", &allow)).await?;
        tx.commit().await?;
        self.s.forget_server_policy();
        Ok(allow)
    }

    /// Removes the allowed domain with `id`.
    pub async fn delete(&self, by: Moderator, id: Id) -> Result<DomainAllow> {
        let allow = self.get(by, id).await?;
        let mut tx = self.s.store.begin().await?;
        tx.server_policy().delete_domain_allow(id).await?;
        record(self.s, &mut *tx, by, entry("destroy", &allow)).await?;
        tx.commit().await?;
        self.s.forget_server_policy();
        Ok(allow)
    }
}

fn entry<'a>(action: &'a str, a: &'a DomainAllow) -> Entry<'a> {
    Entry {
        action,
        target_type: "DomainAllow",
        target_id: Some(a.id),
        target_name: &a.domain,
        reason: "",
    }
}
