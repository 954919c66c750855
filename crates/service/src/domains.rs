//! Instance-wide domain blocks (`rookery admin domains …` and the admin API, both through
//! [`crate::moderation::domain_blocks`]), and the
//! check federation uses before it talks to, or listens to, a domain.

use rookery_model::{BlockSeverity, DomainBlock, domain_and_parents};
use serde::Serialize;

use crate::moderation::Moderator;
use crate::{Result, Services};

/// What a moderator asks for.
#[derive(Debug, Clone)]
pub struct NewDomainBlock {
    pub domain: String,
    /// `suspend`, `silence` or `noop`.
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: String,
    pub public_comment: String,
    /// Shown starred out in the public list.
    pub obfuscate: bool,
}

/// A domain block as operators see it (CLI, JSON).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DomainBlockView {
    pub id: String,
    pub domain: String,
    pub severity: &'static str,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: String,
    pub public_comment: String,
    pub obfuscate: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<DomainBlock> for DomainBlockView {
    fn from(b: DomainBlock) -> Self {
        DomainBlockView {
            id: b.id.to_string(),
            domain: b.domain.to_string(),
            severity: b.severity.as_str(),
            reject_media: b.reject_media,
            reject_reports: b.reject_reports,
            private_comment: b.private_comment,
            public_comment: b.public_comment,
            obfuscate: b.obfuscate,
            created_at: b.created_at.to_rfc3339(),
            updated_at: b.updated_at.to_rfc3339(),
        }
    }
}

/// How long a process keeps its copy of the domain blocks (changes made by another process,
/// such as `rookery admin domains block`, take effect within this time).
pub const BLOCKS_TTL_MS: i64 = 30_000;

impl Services {
    /// Blocks a domain (and its subdomains), or changes an existing block, as `by`.
    pub async fn block_domain(
        &self,
        by: Moderator,
        new: NewDomainBlock,
    ) -> Result<DomainBlockView> {
        Ok(self.admin_domain_blocks().put(by, new).await?.into())
    }

    /// Lifts the block of exactly `domain`, as `by`; whether there was one.
    pub async fn unblock_domain(&self, by: Moderator, domain: &str) -> Result<bool> {
        self.admin_domain_blocks().delete_domain(by, domain).await
    }

    /// Every block, by domain.
    pub async fn domain_blocks(&self) -> Result<Vec<DomainBlockView>> {
        Ok(self
            .store
            .domain_blocks()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The block that applies to `host` (its own, or the nearest parent's). Blocks are read
    /// from the database at most every [`BLOCKS_TTL_MS`] (every inbox request and delivery asks),
    /// and at once after a change made through this process.
    pub async fn domain_block_for(&self, host: &str) -> Result<Option<DomainBlock>> {
        let now = self.clock.now();
        let cached = self
            .federation
            .domain_blocks
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .filter(|(at, _)| at.as_millis() + BLOCKS_TTL_MS > now.as_millis())
            .map(|(_, list)| list);
        let blocks = match cached {
            Some(list) => list,
            None => {
                let list = std::sync::Arc::new(self.store.domain_blocks().await?);
                if let Ok(mut c) = self.federation.domain_blocks.lock() {
                    *c = Some((now, list.clone()));
                }
                list
            }
        };
        let candidates = domain_and_parents(host);
        let block = candidates
            .iter()
            .find_map(|c| blocks.iter().find(|b| b.domain.as_str() == c))
            .cloned();
        // In allow-list mode a domain that is not allowed is suspended, whatever lighter block
        // it may also have.
        if self.settings.federation.limited_federation
            && block
                .as_ref()
                .is_none_or(|b| b.severity != BlockSeverity::Suspend)
            && let Some(outside) = self.outside_allow_list(&candidates).await?
        {
            return Ok(Some(outside));
        }
        Ok(block)
    }

    /// In allow-list mode, a suspension of a domain that is not allowed (nor is any parent
    /// of it); `None` for allowed domains and our own.
    async fn outside_allow_list(&self, candidates: &[String]) -> Result<Option<DomainBlock>> {
        let Some(domain) = candidates.first() else {
            return Ok(None);
        };
        if domain_and_parents(self.settings.domain.host()).first() == Some(domain) {
            return Ok(None);
        }
        let policy = self.server_policy().await?;
        if candidates
            .iter()
            .any(|c| policy.allowed_domains.iter().any(|a| a == c))
        {
            return Ok(None);
        }
        let Ok(parsed) = rookery_model::Domain::parse(domain) else {
            return Ok(None);
        };
        let now = self.clock.now();
        Ok(Some(DomainBlock {
            id: rookery_model::Id::from_i64(0),
            domain: parsed,
            severity: rookery_model::BlockSeverity::Suspend,
            reject_media: true,
            reject_reports: true,
            private_comment: "not in the allow-list".into(),
            public_comment: String::new(),
            obfuscate: false,
            created_at: now,
            updated_at: now,
        }))
    }

    pub(crate) fn forget_domain_blocks(&self) {
        if let Ok(mut c) = self.federation.domain_blocks.lock() {
            *c = None;
        }
    }
}
