//! Mastodon's admin entities of server-wide policy: Admin::DomainBlock, Admin::DomainAllow,
//! Admin::EmailDomainBlock, Admin::CanonicalEmailBlock and Admin::IpBlock.

use serde::Serialize;

use crate::TagHistory;

/// docs.joinmastodon.org/entities/Admin_DomainBlock
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminDomainBlock {
    pub id: String,
    pub domain: String,
    /// SHA-256 (hex) of the domain.
    pub digest: String,
    pub created_at: String,
    /// `silence`, `suspend` or `noop`.
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

/// docs.joinmastodon.org/entities/Admin_DomainAllow
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminDomainAllow {
    pub id: String,
    pub domain: String,
    pub created_at: String,
}

/// docs.joinmastodon.org/entities/Admin_EmailDomainBlock
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminEmailDomainBlock {
    pub id: String,
    pub domain: String,
    pub created_at: String,
    /// Sign-up attempts per day (`uses`, `accounts`), newest first.
    pub history: Vec<TagHistory>,
}

/// docs.joinmastodon.org/entities/Admin_CanonicalEmailBlock
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminCanonicalEmailBlock {
    pub id: String,
    /// SHA-256 (hex) of the canonical address.
    pub canonical_email_hash: String,
}

/// docs.joinmastodon.org/entities/Admin_IpBlock
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminIpBlock {
    pub id: String,
    /// The network, `ADDRESS/PREFIX`.
    pub ip: String,
    /// `sign_up_requires_approval`, `sign_up_block` or `no_access`.
    pub severity: String,
    pub comment: String,
    pub created_at: String,
    pub expires_at: Option<String>,
}
