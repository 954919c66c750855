//! Instance-wide domain blocks (`rookery admin domains …`, later the admin API), and the
//! check federation uses before it talks to, or listens to, a domain.

use rookery_model::{BlockSeverity, Domain, DomainBlock, domain_and_parents};
use serde::Serialize;

use crate::{Result, ServiceError, Services};

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
}

/// A domain block as operators see it (CLI, JSON).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DomainBlockView {
    pub domain: String,
    pub severity: &'static str,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: String,
    pub public_comment: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<DomainBlock> for DomainBlockView {
    fn from(b: DomainBlock) -> Self {
        DomainBlockView {
            domain: b.domain.to_string(),
            severity: b.severity.as_str(),
            reject_media: b.reject_media,
            reject_reports: b.reject_reports,
            private_comment: b.private_comment,
            public_comment: b.public_comment,
            created_at: b.created_at.to_rfc3339(),
            updated_at: b.updated_at.to_rfc3339(),
        }
    }
}

/// Longest comment kept.
const MAX_COMMENT: usize = 1000;

/// How long a process keeps its copy of the domain blocks (changes made by another process,
/// such as `rookery admin domains block`, take effect within this time).
pub const BLOCKS_TTL_MS: i64 = 30_000;

impl Services {
    /// Blocks a domain (and its subdomains), or changes an existing block.
    pub async fn block_domain(&self, new: NewDomainBlock) -> Result<DomainBlockView> {
        let text = new.domain.trim().trim_end_matches('.');
        let domain = Domain::parse(text)
            .map_err(|e| ServiceError::invalid("domain", format!("{text:?} {e}")))?;
        if domain.as_str().contains(':') {
            return Err(ServiceError::invalid(
                "domain",
                "give the host name without a port",
            ));
        }
        // Never our own domain, nor a parent of it (that would cut us off from ourselves).
        if domain_and_parents(self.settings.domain.host()).contains(&domain.to_string()) {
            return Err(ServiceError::invalid(
                "domain",
                "this is the instance's own domain",
            ));
        }
        let severity = BlockSeverity::parse(&new.severity).ok_or_else(|| {
            ServiceError::invalid(
                "severity",
                format!("{:?} is not one of suspend, silence, noop", new.severity),
            )
        })?;
        for (field, text) in [
            ("private_comment", &new.private_comment),
            ("public_comment", &new.public_comment),
        ] {
            if text.chars().count() > MAX_COMMENT {
                return Err(ServiceError::invalid(
                    field,
                    format!("longer than {MAX_COMMENT} characters"),
                ));
            }
        }
        let now = self.clock.now();
        let created_at = self
            .store
            .domain_blocks_matching(&[domain.to_string()])
            .await?
            .first()
            .map_or(now, |b| b.created_at);
        let block = DomainBlock {
            domain,
            severity,
            reject_media: new.reject_media,
            reject_reports: new.reject_reports,
            private_comment: new.private_comment,
            public_comment: new.public_comment,
            created_at,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.put_domain_block(&block).await?;
        tx.commit().await?;
        self.forget_domain_blocks();
        Ok(block.into())
    }

    /// Lifts the block of exactly `domain`; whether there was one.
    pub async fn unblock_domain(&self, domain: &str) -> Result<bool> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut tx = self.store.begin().await?;
        let removed = tx.delete_domain_block(&domain).await?;
        tx.commit().await?;
        self.forget_domain_blocks();
        Ok(removed)
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
        Ok(candidates
            .iter()
            .find_map(|c| blocks.iter().find(|b| b.domain.as_str() == c))
            .cloned())
    }

    fn forget_domain_blocks(&self) {
        if let Ok(mut c) = self.federation.domain_blocks.lock() {
            *c = None;
        }
    }
}
