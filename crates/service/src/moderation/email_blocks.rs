//! E-mail blocks: domains whose addresses may not sign up
//! (`/api/v1/admin/email_domain_blocks`, subdomains included) and single addresses blocked in
//! their canonical form (`/api/v1/admin/canonical_email_blocks`). Sign-up and changes of
//! address check both.
//!
//! Sign-ups without an invite also check the domain's mail exchangers, as Mastodon does: the
//! address is refused when an MX host of its domain is at a blocked domain (blocking
//! `spamhost.example` refuses every domain whose mail goes to `mx.spamhost.example`). The
//! lookup goes through an [`MxResolver`] wired by the binary; a lookup that fails or times out
//! refuses nothing.

use std::sync::Arc;

use async_trait::async_trait;
use rookery_api as api;
use rookery_model::{Domain, Id, Permission, domain_and_parents};
use rookery_store::{CanonicalEmailBlock, EmailDomainBlock};

use super::Moderator;
use super::audit::{Entry, record};
use crate::{Result, ServiceError, Services};

/// Mail exchangers of one domain checked at most.
const MAX_MX_HOSTS: usize = 16;

/// Looks up the mail exchangers of a domain (DNS MX records; the binary wires a resolver).
#[async_trait]
pub trait MxResolver: Send + Sync + 'static {
    /// The MX host names of `domain`, lower case without the final dot; empty when it has
    /// none. Gives up (an error) within a few seconds rather than keep a sign-up waiting.
    async fn mx_hosts(&self, domain: &str) -> std::result::Result<Vec<String>, MxError>;
}

/// Why the mail exchangers of a domain are unknown (the servers failed or did not answer).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct MxError(pub String);

impl Services {
    /// The same use cases checking the mail exchangers of signing-up addresses with
    /// `resolver` (without one, only the address's own domain is checked).
    pub fn with_mx_resolver(mut self, resolver: Arc<dyn MxResolver>) -> Self {
        self.mx_resolver = Some(resolver);
        self
    }
}

/// Mastodon's canonical form of an address: lower-cased, and the local part without dots
/// and without anything from the first `+`.
pub fn canonical_email(email: &str) -> String {
    let lower = email.trim().to_lowercase();
    let (local, domain) = lower.split_once('@').unwrap_or((lower.as_str(), ""));
    let local: String = local.chars().filter(|c| *c != '.').collect();
    let local = local.split('+').next().unwrap_or("");
    format!("{local}@{domain}")
}

/// SHA-256 (hex) of the canonical form of `email`.
pub fn canonical_email_hash(email: &str) -> String {
    crate::crypto::sha256_hex(&canonical_email(email))
}

/// Mastodon's Admin::EmailDomainBlock entity. Sign-up attempts are not counted, so each of
/// the last seven days shows none.
pub fn email_domain_block_entity(s: &Services, b: &EmailDomainBlock) -> api::AdminEmailDomainBlock {
    const DAY_MS: i64 = 86_400_000;
    let today = s.clock.now().as_millis().div_euclid(DAY_MS) * DAY_MS;
    api::AdminEmailDomainBlock {
        id: b.id.to_string(),
        domain: b.domain.clone(),
        created_at: b.created_at.to_rfc3339(),
        history: (0..7)
            .map(|i| api::TagHistory {
                day: ((today - i * DAY_MS) / 1000).to_string(),
                uses: "0".into(),
                accounts: "0".into(),
            })
            .collect(),
    }
}

/// Mastodon's Admin::CanonicalEmailBlock entity.
pub fn canonical_email_block_entity(b: &CanonicalEmailBlock) -> api::AdminCanonicalEmailBlock {
    api::AdminCanonicalEmailBlock {
        id: b.id.to_string(),
        canonical_email_hash: b.canonical_email_hash.clone(),
    }
}

/// E-mail blocks, for moderators who may manage blocks.
pub struct EmailBlocks<'a> {
    s: &'a Services,
}

impl Services {
    /// E-mail domain blocks and canonical e-mail blocks.
    pub fn email_blocks(&self) -> EmailBlocks<'_> {
        EmailBlocks { s: self }
    }
}

fn email_domain(raw: &str) -> Result<String> {
    let text = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let refuse = |why: &str| Err(ServiceError::invalid("domain", why.to_owned()));
    if text.is_empty() {
        return refuse("can't be blank");
    }
    if text.contains("://") || text.contains(['/', '@', '*', ':']) {
        return refuse("must be a domain name alone (no scheme, address, port or wildcard)");
    }
    if text.contains(char::is_whitespace) {
        return refuse("must not contain spaces");
    }
    if text.len() > 253 {
        return refuse("is too long (maximum is 253 characters)");
    }
    Domain::parse(&text).map_err(|e| ServiceError::invalid("domain", format!("{text:?} {e}")))?;
    Ok(text)
}

fn check_hash(hash: &str) -> Result<String> {
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServiceError::invalid(
            "canonical_email_hash",
            "must be a SHA-256 digest in hexadecimal (64 characters)",
        ));
    }
    Ok(hash)
}

fn check_email(email: &str) -> Result<()> {
    rookery_model::Email::parse(email.trim())
        .map(|_| ())
        .map_err(|_| ServiceError::invalid("email", "is invalid"))
}

impl EmailBlocks<'_> {
    /// Every e-mail domain block, newest first.
    pub async fn domains(&self, by: Moderator) -> Result<Vec<EmailDomainBlock>> {
        by.require(Permission::ManageBlocks)?;
        Ok(self
            .s
            .store
            .server_policy_store()
            .email_domain_blocks()
            .await?)
    }

    /// The e-mail domain block with `id`.
    pub async fn domain(&self, by: Moderator, id: Id) -> Result<EmailDomainBlock> {
        by.require(Permission::ManageBlocks)?;
        self.s
            .store
            .server_policy_store()
            .email_domain_block(id)
            .await?
            .ok_or(ServiceError::NotFound("e-mail domain block"))
    }

    /// Blocks sign-ups with addresses at `domain` (and its subdomains).
    pub async fn block_domain(&self, by: Moderator, domain: &str) -> Result<EmailDomainBlock> {
        by.require(Permission::ManageBlocks)?;
        let domain = email_domain(domain)?;
        let store = self.s.store.server_policy_store();
        if !store
            .email_domain_blocks_matching(std::slice::from_ref(&domain))
            .await?
            .is_empty()
        {
            return Err(ServiceError::invalid("domain", "has already been taken"));
        }
        let block = EmailDomainBlock {
            id: self.s.ids.next_id(),
            domain,
            created_at: self.s.clock.now(),
        };
        let mut tx = self.s.store.begin().await?;
        tx.server_policy().insert_email_domain_block(&block).await?;
        record(self.s, &mut *tx, by, domain_entry("create", &block)).await?;
        tx.commit().await?;
        Ok(block)
    }

    /// Lifts the e-mail domain block with `id`.
    pub async fn unblock_domain(&self, by: Moderator, id: Id) -> Result<EmailDomainBlock> {
        let block = self.domain(by, id).await?;
        let mut tx = self.s.store.begin().await?;
        tx.server_policy().delete_email_domain_block(id).await?;
        record(self.s, &mut *tx, by, domain_entry("destroy", &block)).await?;
        tx.commit().await?;
        Ok(block)
    }

    /// Every canonical e-mail block, newest first.
    pub async fn canonical(&self, by: Moderator) -> Result<Vec<CanonicalEmailBlock>> {
        by.require(Permission::ManageBlocks)?;
        Ok(self
            .s
            .store
            .server_policy_store()
            .canonical_email_blocks()
            .await?)
    }

    /// The canonical e-mail block with `id`.
    pub async fn canonical_one(&self, by: Moderator, id: Id) -> Result<CanonicalEmailBlock> {
        by.require(Permission::ManageBlocks)?;
        self.s
            .store
            .server_policy_store()
            .canonical_email_block(id)
            .await?
            .ok_or(ServiceError::NotFound("canonical e-mail block"))
    }

    /// The canonical blocks that match `email`.
    pub async fn test(&self, by: Moderator, email: &str) -> Result<Vec<CanonicalEmailBlock>> {
        by.require(Permission::ManageBlocks)?;
        check_email(email)?;
        Ok(self
            .s
            .store
            .server_policy_store()
            .canonical_email_blocks_by_hash(&canonical_email_hash(email))
            .await?)
    }

    /// Blocks an address (given as `email`, or as the hash of its canonical form).
    pub async fn block_canonical(
        &self,
        by: Moderator,
        email: Option<&str>,
        hash: Option<&str>,
    ) -> Result<CanonicalEmailBlock> {
        by.require(Permission::ManageBlocks)?;
        let hash = match (email.filter(|e| !e.trim().is_empty()), hash) {
            (Some(email), _) => {
                check_email(email)?;
                canonical_email_hash(email)
            }
            (None, Some(hash)) if !hash.trim().is_empty() => check_hash(hash)?,
            _ => {
                return Err(ServiceError::invalid(
                    "canonical_email_hash",
                    "can't be blank (give email or canonical_email_hash)",
                ));
            }
        };
        let store = self.s.store.server_policy_store();
        if !store
            .canonical_email_blocks_by_hash(&hash)
            .await?
            .is_empty()
        {
            return Err(ServiceError::invalid(
                "canonical_email_hash",
                "has already been taken",
            ));
        }
        let block = CanonicalEmailBlock {
            id: self.s.ids.next_id(),
            canonical_email_hash: hash,
            created_at: self.s.clock.now(),
        };
        let mut tx = self.s.store.begin().await?;
        tx.server_policy()
            .insert_canonical_email_block(&block)
            .await?;
        record(self.s, &mut *tx, by, canonical_entry("create", &block)).await?;
        tx.commit().await?;
        Ok(block)
    }

    /// Lifts the canonical e-mail block with `id`.
    pub async fn unblock_canonical(&self, by: Moderator, id: Id) -> Result<CanonicalEmailBlock> {
        let block = self.canonical_one(by, id).await?;
        let mut tx = self.s.store.begin().await?;
        tx.server_policy().delete_canonical_email_block(id).await?;
        record(self.s, &mut *tx, by, canonical_entry("destroy", &block)).await?;
        tx.commit().await?;
        Ok(block)
    }

    /// Why `email` may not be used for a new account signed up without an invite: as
    /// [`EmailBlocks::refusal`], and also `blocked` when one of its domain's mail exchangers
    /// is at a blocked domain (or a subdomain of one). A failed or timed-out lookup refuses
    /// nothing: it is logged, and the address is judged by its own domain alone.
    pub async fn sign_up_refusal(&self, email: &str) -> Result<Option<&'static str>> {
        if let Some(refused) = self.refusal(email).await? {
            return Ok(Some(refused));
        }
        let Some(resolver) = &self.s.mx_resolver else {
            return Ok(None);
        };
        let domain = email.trim().rsplit_once('@').map_or("", |(_, d)| d);
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        // Only a well-formed host name is worth asking about (the address check refuses the
        // rest), and nothing else reaches the resolver or the log.
        if domain.contains(':') || Domain::parse(&domain).is_err() {
            return Ok(None);
        }
        let hosts = match resolver.mx_hosts(&domain).await {
            Ok(hosts) => hosts,
            Err(e) => {
                tracing::warn!(%domain, error = %e, "the mail exchangers of a signing-up address are unknown; only its domain was checked");
                return Ok(None);
            }
        };
        let mut names: Vec<String> = Vec::new();
        // A domain's own DNS decides how many exchangers it lists: only the first few count.
        for host in hosts.iter().take(MAX_MX_HOSTS) {
            for name in domain_and_parents(host) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        if names.is_empty() {
            return Ok(None);
        }
        let blocks = self
            .s
            .store
            .server_policy_store()
            .email_domain_blocks_matching(&names)
            .await?;
        Ok((!blocks.is_empty()).then_some("blocked"))
    }

    /// Why `email` may not be used for an account, as Mastodon's sign-up says it: `blocked`
    /// (its domain, or a parent of it, is blocked) or `taken` (the address is blocked in its
    /// canonical form). `None` when it may.
    pub async fn refusal(&self, email: &str) -> Result<Option<&'static str>> {
        let store = self.s.store.server_policy_store();
        let domain = email.trim().rsplit_once('@').map_or("", |(_, d)| d);
        if !domain.is_empty()
            && !store
                .email_domain_blocks_matching(&domain_and_parents(domain))
                .await?
                .is_empty()
        {
            return Ok(Some("blocked"));
        }
        if !store
            .canonical_email_blocks_by_hash(&canonical_email_hash(email))
            .await?
            .is_empty()
        {
            return Ok(Some("taken"));
        }
        Ok(None)
    }
}

fn domain_entry<'a>(action: &'a str, b: &'a EmailDomainBlock) -> Entry<'a> {
    Entry {
        action,
        target_type: "EmailDomainBlock",
        target_id: Some(b.id),
        target_name: &b.domain,
        reason: "",
    }
}

fn canonical_entry<'a>(action: &'a str, b: &'a CanonicalEmailBlock) -> Entry<'a> {
    Entry {
        action,
        target_type: "CanonicalEmailBlock",
        target_id: Some(b.id),
        target_name: &b.canonical_email_hash,
        reason: "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_drops_dots_and_suffixes() {
        for v in [
            "test@example.com",
            "Test@example.com",
            "te.st@example.com",
            "test+other@EXAMPLE.com",
        ] {
            assert_eq!(canonical_email(v), "test@example.com", "{v}");
        }
        assert_eq!(canonical_email("a.b+c+d@x.org"), "ab@x.org");
        assert_eq!(
            canonical_email_hash("test@example.com"),
            crate::crypto::sha256_hex("test@example.com")
        );
    }
}
