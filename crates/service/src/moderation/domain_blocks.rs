//! Domain blocks as moderators manage them (the admin API, `/api/v1/admin/domain_blocks`, and
//! `rookery admin domains …`): every change is checked, takes effect at once in this process,
//! and is recorded in the audit log in its own transaction.

use rookery_api as api;
use rookery_model::{BlockSeverity, Domain, DomainBlock, Id, Permission, domain_and_parents};

use rookery_jobs::{JobSpec, Queue};
use serde::{Deserialize, Serialize};

use super::Moderator;
use super::audit::{Entry, record};
use crate::{NewDomainBlock, Result, ServiceError, Services};

/// Longest comment kept.
const MAX_COMMENT: usize = 1000;

/// Drops the cached copies of a domain's media once its media are rejected (or it is
/// suspended): they go back to being links to their origin, which is not fetched again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeDomainMedia {
    pub domain: String,
}

impl JobSpec for PurgeDomainMedia {
    const KIND: &'static str = "purge_domain_media";
    const QUEUE: Queue = Queue::Media;
}

/// Cached copies released per round.
const PURGE_BATCH: u32 = 200;

impl Services {
    /// Runs [`PurgeDomainMedia`]: releases every cached copy of the domain's files, unless the
    /// block was lifted or relaxed meanwhile.
    pub async fn purge_domain_media(&self, job: &PurgeDomainMedia) -> Result<u64> {
        let Some(runtime) = self.media.clone() else {
            return Ok(0);
        };
        if !self.rejects_media_from(&job.domain).await {
            return Ok(0);
        }
        let mut released = 0;
        loop {
            let batch = self
                .store
                .server_policy_store()
                .cached_media_of_domain(&job.domain, PURGE_BATCH)
                .await?;
            if batch.is_empty() {
                return Ok(released);
            }
            let mut progress = false;
            for m in batch {
                if self
                    .release(&runtime, m, crate::media::Release::Evict)
                    .await?
                    > 0
                {
                    progress = true;
                }
                released += 1;
            }
            // Rows that could not be released (changed meanwhile) are not tried forever.
            if !progress {
                return Ok(released);
            }
        }
    }
}

impl Services {
    /// Whether accounts of `domain` (`None`: a local account) are treated as silenced by a
    /// domain block: `silence` on the domain or its nearest blocked parent. Timelines and
    /// notifications combine it with the account's own `silenced_at`.
    pub async fn domain_silenced(&self, domain: Option<&str>) -> Result<bool> {
        Ok(match domain {
            Some(d) => self
                .domain_block_for(d)
                .await?
                .is_some_and(|b| b.severity == BlockSeverity::Silence),
            None => false,
        })
    }

    /// The domains blocked with `silence`, for queries that filter many rows at once: an
    /// account's domain is silenced when it is one of these or ends with `.` and one of
    /// these, unless a nearer block of the account's domain says otherwise (see
    /// [`Services::domain_silenced`] for the exact rule).
    pub async fn silenced_domains(&self) -> Result<Vec<String>> {
        Ok(self
            .store
            .domain_blocks()
            .await?
            .into_iter()
            .filter(|b| b.severity == BlockSeverity::Silence)
            .map(|b| b.domain.to_string())
            .collect())
    }
}

/// What an update of a block changes (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct DomainBlockChange {
    pub severity: Option<String>,
    pub reject_media: Option<bool>,
    pub reject_reports: Option<bool>,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: Option<bool>,
}

/// Mastodon's Admin::DomainBlock entity.
pub fn domain_block_entity(b: &DomainBlock) -> api::AdminDomainBlock {
    let text = |t: &str| Some(t.to_owned()).filter(|t| !t.is_empty());
    api::AdminDomainBlock {
        id: b.id.to_string(),
        domain: b.domain.to_string(),
        digest: crate::crypto::sha256_hex(b.domain.as_str()),
        created_at: b.created_at.to_rfc3339(),
        severity: b.severity.as_str().to_owned(),
        reject_media: b.reject_media,
        reject_reports: b.reject_reports,
        private_comment: text(&b.private_comment),
        public_comment: text(&b.public_comment),
        obfuscate: b.obfuscate,
    }
}

/// The domain as the public list shows an obfuscated block (Mastodon's `public_domain`): the
/// middle letters starred out, dots kept.
pub fn obfuscated(domain: &str) -> String {
    let length = domain.chars().count();
    let visible = length / 4;
    domain
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i > visible && i < length - visible && c != '.' {
                '*'
            } else {
                c
            }
        })
        .collect()
}

/// A domain as moderators type it, checked: a bare host name (no scheme, path, port,
/// wildcard or space), not this instance's own domain nor a parent of it.
pub fn parse_blocked_domain(s: &Services, raw: &str) -> Result<Domain> {
    let text = raw.trim().trim_end_matches('.');
    let refuse = |why: &str| Err(ServiceError::invalid("domain", why.to_owned()));
    if text.is_empty() {
        return refuse("can't be blank");
    }
    if text.contains("://") || text.contains('/') {
        return refuse("must be a domain name alone, without https:// or a path");
    }
    if text.contains('*') {
        return refuse("must be a domain name without wildcards (a block covers the subdomains)");
    }
    if text.contains(char::is_whitespace) {
        return refuse("must not contain spaces");
    }
    if text.len() > 253 {
        return refuse("is too long (maximum is 253 characters)");
    }
    if text.contains(':') {
        return refuse("must be a domain name without a port");
    }
    let domain = Domain::parse(text)
        .map_err(|e| ServiceError::invalid("domain", format!("{text:?} {e}")))?;
    if domain_and_parents(s.settings.domain.host()).contains(&domain.to_string()) {
        return refuse("is the instance's own domain");
    }
    Ok(domain)
}

fn parse_severity(text: &str) -> Result<BlockSeverity> {
    BlockSeverity::parse(text).ok_or_else(|| {
        ServiceError::invalid(
            "severity",
            format!("{text:?} is not one of silence, suspend, noop"),
        )
    })
}

fn check_comment(field: &'static str, text: &str) -> Result<()> {
    if text.chars().count() > MAX_COMMENT {
        return Err(ServiceError::invalid(
            field,
            format!("is too long (maximum is {MAX_COMMENT} characters)"),
        ));
    }
    Ok(())
}

/// Whether `new` limits more than `old` (Mastodon's `stricter_than?`): a subdomain may be
/// blocked apart from its parent's block only to limit it further.
fn stricter_than(new: &DomainBlock, old: &DomainBlock) -> bool {
    use BlockSeverity::*;
    if new.severity == Suspend {
        return true;
    }
    if old.severity == Suspend || (old.severity == Silence && new.severity == Noop) {
        return false;
    }
    (new.reject_media || !old.reject_media) && (new.reject_reports || !old.reject_reports)
}

/// Domain blocks, for moderators who may manage federation.
pub struct DomainBlocks<'a> {
    s: &'a Services,
}

impl Services {
    /// Domain blocks, as moderators manage them.
    pub fn admin_domain_blocks(&self) -> DomainBlocks<'_> {
        DomainBlocks { s: self }
    }
}

impl DomainBlocks<'_> {
    /// Every block, by domain.
    pub async fn list(&self, by: Moderator) -> Result<Vec<DomainBlock>> {
        by.require(Permission::ManageFederation)?;
        Ok(self.s.store.domain_blocks().await?)
    }

    /// The block with `id`.
    pub async fn get(&self, by: Moderator, id: Id) -> Result<DomainBlock> {
        by.require(Permission::ManageFederation)?;
        self.s
            .store
            .server_policy_store()
            .domain_block_by_id(id)
            .await?
            .ok_or(ServiceError::NotFound("domain block"))
    }

    fn build(&self, new: NewDomainBlock, existing: Option<&DomainBlock>) -> Result<DomainBlock> {
        let domain = parse_blocked_domain(self.s, &new.domain)?;
        let severity = parse_severity(&new.severity)?;
        check_comment("private_comment", &new.private_comment)?;
        check_comment("public_comment", &new.public_comment)?;
        let now = self.s.clock.now();
        Ok(DomainBlock {
            id: existing.map_or_else(|| self.s.ids.next_id(), |b| b.id),
            domain,
            severity,
            reject_media: new.reject_media,
            reject_reports: new.reject_reports,
            private_comment: new.private_comment,
            public_comment: new.public_comment,
            obfuscate: new.obfuscate,
            created_at: existing.map_or(now, |b| b.created_at),
            updated_at: now,
        })
    }

    /// Blocks a domain (and its subdomains). Refused when the domain, or a parent of it, is
    /// already blocked as strictly (Mastodon's 422).
    pub async fn create(&self, by: Moderator, new: NewDomainBlock) -> Result<DomainBlock> {
        by.require(Permission::ManageFederation)?;
        let block = self.build(new, None)?;
        let covering = self
            .s
            .store
            .domain_blocks_matching(&domain_and_parents(block.domain.as_str()))
            .await?;
        // The nearest block: the domain's own, else its closest parent's.
        let nearest = domain_and_parents(block.domain.as_str())
            .iter()
            .find_map(|d| covering.iter().find(|b| b.domain.as_str() == d))
            .cloned();
        if let Some(old) = nearest
            && (old.domain == block.domain || !stricter_than(&block, &old))
        {
            return Err(ServiceError::Unprocessable(format!(
                "You have already imposed stricter limits on {}.",
                old.domain
            )));
        }
        self.save(by, &block, "create").await?;
        Ok(block)
    }

    /// Blocks a domain, or changes its block (the command line's `domains block`).
    pub async fn put(&self, by: Moderator, new: NewDomainBlock) -> Result<DomainBlock> {
        by.require(Permission::ManageFederation)?;
        let domain = parse_blocked_domain(self.s, &new.domain)?;
        let existing = self
            .s
            .store
            .domain_blocks_matching(&[domain.to_string()])
            .await?
            .into_iter()
            .next();
        let block = self.build(new, existing.as_ref())?;
        let action = if existing.is_some() {
            "update"
        } else {
            "create"
        };
        self.save(by, &block, action).await?;
        Ok(block)
    }

    /// Changes the block with `id`.
    pub async fn update(
        &self,
        by: Moderator,
        id: Id,
        change: DomainBlockChange,
    ) -> Result<DomainBlock> {
        let mut block = self.get(by, id).await?;
        if let Some(s) = &change.severity {
            block.severity = parse_severity(s)?;
        }
        if let Some(c) = change.private_comment {
            check_comment("private_comment", &c)?;
            block.private_comment = c;
        }
        if let Some(c) = change.public_comment {
            check_comment("public_comment", &c)?;
            block.public_comment = c;
        }
        block.reject_media = change.reject_media.unwrap_or(block.reject_media);
        block.reject_reports = change.reject_reports.unwrap_or(block.reject_reports);
        block.obfuscate = change.obfuscate.unwrap_or(block.obfuscate);
        block.updated_at = self.s.clock.now();
        self.save(by, &block, "update").await?;
        Ok(block)
    }

    /// Lifts the block with `id`.
    pub async fn delete(&self, by: Moderator, id: Id) -> Result<DomainBlock> {
        let block = self.get(by, id).await?;
        self.remove(by, &block).await?;
        Ok(block)
    }

    /// Lifts the block of exactly `domain` (the command line's `domains unblock`); whether
    /// there was one.
    pub async fn delete_domain(&self, by: Moderator, domain: &str) -> Result<bool> {
        by.require(Permission::ManageFederation)?;
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let found = self
            .s
            .store
            .domain_blocks_matching(&[domain])
            .await?
            .into_iter()
            .next();
        match found {
            Some(block) => self.remove(by, &block).await.map(|()| true),
            None => Ok(false),
        }
    }

    async fn remove(&self, by: Moderator, block: &DomainBlock) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        tx.delete_domain_block(block.domain.as_str()).await?;
        record(self.s, &mut *tx, by, entry("destroy", block)).await?;
        tx.commit().await?;
        self.s.forget_domain_blocks();
        Ok(())
    }

    async fn save(&self, by: Moderator, block: &DomainBlock, action: &str) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        tx.put_domain_block(block).await?;
        record(self.s, &mut *tx, by, entry(action, block)).await?;
        let mut severed = Vec::new();
        if block.severity == BlockSeverity::Suspend {
            // Follows between local accounts and the domain's end here, and each local
            // account that loses some is told (Mastodon 4.3's severed relationships).
            let follows = tx.severances().sever_domain(block.domain.as_str()).await?;
            severed = self
                .s
                .severances()
                .record(
                    tx.as_mut(),
                    rookery_store::SeveranceKind::DomainBlock,
                    block.domain.as_str(),
                    &follows,
                )
                .await?;
        }
        if block.reject_media || block.severity == BlockSeverity::Suspend {
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.s.ids,
                self.s.clock.now(),
                &PurgeDomainMedia {
                    domain: block.domain.to_string(),
                },
            )
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        }
        tx.commit().await?;
        self.s.forget_domain_blocks();
        self.s.severances().publish(severed).await;
        Ok(())
    }
}

fn entry<'a>(action: &'a str, b: &'a DomainBlock) -> Entry<'a> {
    Entry {
        action,
        target_type: "DomainBlock",
        target_id: Some(b.id),
        target_name: b.domain.as_str(),
        reason: &b.private_comment,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn obfuscation_keeps_the_ends_and_dots() {
        assert_eq!(super::obfuscated("chitter.xyz"), "chi****.*yz");
    }
}
