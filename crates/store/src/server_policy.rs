//! Server-wide moderation policy: the storage side of domain blocks by id, allowed domains,
//! e-mail domain blocks, canonical e-mail blocks, IP blocks and the address each user signed
//! up from.
//!
//! Reached through [`crate::Store::server_policy_store`] and [`crate::Transaction::server_policy`].

use async_trait::async_trait;
use rookery_model::{DomainBlock, Id, Timestamp};

use crate::Result;

/// A domain federation is allowed with (allow-list mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainAllow {
    pub id: Id,
    pub domain: String,
    pub created_at: Timestamp,
}

/// A domain whose e-mail addresses may not sign up (subdomains included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailDomainBlock {
    pub id: Id,
    pub domain: String,
    pub created_at: Timestamp,
}

/// A blocked address, kept as the SHA-256 (hex) of its canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalEmailBlock {
    pub id: Id,
    pub canonical_email_hash: String,
    pub created_at: Timestamp,
}

/// What an IP block does to requests from its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpBlockSeverity {
    /// Sign-ups from the network wait for a moderator's approval.
    SignUpRequiresApproval,
    /// Sign-ups from the network are refused.
    SignUpBlock,
    /// Every request from the network is refused.
    NoAccess,
}

impl IpBlockSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            IpBlockSeverity::SignUpRequiresApproval => "sign_up_requires_approval",
            IpBlockSeverity::SignUpBlock => "sign_up_block",
            IpBlockSeverity::NoAccess => "no_access",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sign_up_requires_approval" => Some(IpBlockSeverity::SignUpRequiresApproval),
            "sign_up_block" => Some(IpBlockSeverity::SignUpBlock),
            "no_access" => Some(IpBlockSeverity::NoAccess),
            _ => None,
        }
    }
}

/// A block of a network (`ADDRESS/PREFIX`, host bits cleared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpBlock {
    pub id: Id,
    pub ip: String,
    pub severity: IpBlockSeverity,
    pub comment: String,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Server-wide policy: reads.
#[async_trait]
pub trait ServerPolicyStore: Send + Sync {
    /// The domain block with this id.
    async fn domain_block_by_id(&self, id: Id) -> Result<Option<DomainBlock>>;

    /// Every allowed domain, by domain.
    async fn domain_allows(&self) -> Result<Vec<DomainAllow>>;
    async fn domain_allow(&self, id: Id) -> Result<Option<DomainAllow>>;

    /// Every e-mail domain block, newest first.
    async fn email_domain_blocks(&self) -> Result<Vec<EmailDomainBlock>>;
    async fn email_domain_block(&self, id: Id) -> Result<Option<EmailDomainBlock>>;
    /// The blocks of any of `domains` (an address's domain and its parents).
    async fn email_domain_blocks_matching(
        &self,
        domains: &[String],
    ) -> Result<Vec<EmailDomainBlock>>;

    /// Every canonical e-mail block, newest first.
    async fn canonical_email_blocks(&self) -> Result<Vec<CanonicalEmailBlock>>;
    async fn canonical_email_block(&self, id: Id) -> Result<Option<CanonicalEmailBlock>>;
    async fn canonical_email_blocks_by_hash(&self, hash: &str) -> Result<Vec<CanonicalEmailBlock>>;

    /// Every IP block (expired ones too), newest first.
    async fn ip_blocks(&self) -> Result<Vec<IpBlock>>;
    async fn ip_block(&self, id: Id) -> Result<Option<IpBlock>>;

    /// Where the user of `account_id` signed up from and the reason they gave, as recorded.
    async fn sign_up_details(&self, account_id: Id) -> Result<SignUpDetails>;

    /// Cached copies of the files of `domain`'s accounts (subdomains included), oldest first.
    async fn cached_media_of_domain(
        &self,
        domain: &str,
        limit: u32,
    ) -> Result<Vec<rookery_model::MediaAttachment>>;
}

/// What is recorded of a sign-up for moderators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignUpDetails {
    /// The address it came from.
    pub ip: Option<String>,
    /// Why the person wants to join (asked when sign-ups need approval).
    pub reason: Option<String>,
}

/// Server-wide policy, in a transaction (each change is recorded in the audit log in the same
/// transaction).
#[async_trait]
pub trait ServerPolicyTx: Send {
    async fn insert_domain_allow(&mut self, allow: &DomainAllow) -> Result<()>;
    async fn delete_domain_allow(&mut self, id: Id) -> Result<bool>;

    async fn insert_email_domain_block(&mut self, block: &EmailDomainBlock) -> Result<()>;
    async fn delete_email_domain_block(&mut self, id: Id) -> Result<bool>;

    async fn insert_canonical_email_block(&mut self, block: &CanonicalEmailBlock) -> Result<()>;
    async fn delete_canonical_email_block(&mut self, id: Id) -> Result<bool>;

    /// Adds the block, or replaces the one with its id.
    async fn put_ip_block(&mut self, block: &IpBlock) -> Result<()>;
    async fn delete_ip_block(&mut self, id: Id) -> Result<bool>;

    /// Records where the user of `account_id` signed up from and the reason they gave.
    async fn set_sign_up_details(&mut self, account_id: Id, details: &SignUpDetails) -> Result<()>;
}
