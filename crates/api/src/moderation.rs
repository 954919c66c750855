//! What moderation shows the people it acts on.

use serde::Serialize;

use crate::Account;

/// docs.joinmastodon.org/entities/AccountWarning
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AccountWarning {
    pub id: String,
    /// `none`, `disable`, `mark_statuses_as_sensitive`, `delete_statuses`, `sensitive`,
    /// `silence`, `suspend`.
    pub action: String,
    pub text: String,
    pub status_ids: Option<Vec<String>>,
    pub target_account: Account,
    pub appeal: Option<Appeal>,
    pub created_at: String,
}

/// docs.joinmastodon.org/entities/Appeal
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Appeal {
    pub text: String,
    /// `approved`, `rejected` or `pending`.
    pub state: String,
}

/// docs.joinmastodon.org/entities/RelationshipSeveranceEvent: follows a local account lost
/// when a moderator suspended a remote account or a domain, or when it blocked a domain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RelationshipSeveranceEvent {
    pub id: String,
    /// `domain_block`, `user_domain_block` or `account_suspension`.
    #[serde(rename = "type")]
    pub kind: String,
    pub purged: bool,
    /// The domain, or the suspended account's `user@domain`.
    pub target_name: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub created_at: String,
}
