//! The server's rules: the storage side.
//!
//! Reached through [`crate::Store::rule_store`] and [`crate::Transaction::rules`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// One of the server's rules, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: Id,
    /// Rules are shown lowest priority first, then by id.
    pub priority: i64,
    pub text: String,
    /// A longer explanation (may be empty).
    pub hint: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When staff deleted it: no longer shown or citable, but still named by old reports.
    pub deleted_at: Option<Timestamp>,
}

/// The server's rules: reads.
#[async_trait]
pub trait RuleStore: Send + Sync {
    /// The rules not deleted, in the order they are shown.
    async fn rules(&self) -> Result<Vec<Rule>>;

    /// The rules with `ids`, deleted ones included (missing ids are skipped).
    async fn rules_by_ids(&self, ids: &[Id]) -> Result<Vec<Rule>>;

    /// Whether the table has any rule, deleted ones included.
    async fn any_rule(&self) -> Result<bool>;
}

/// The server's rules, in a transaction.
#[async_trait]
pub trait RuleTx: Send {
    /// Inserts `rule`; false (and nothing written) when a rule with its id exists.
    async fn insert_rule(&mut self, rule: &Rule) -> Result<bool>;

    /// Writes `priority`, `text`, `hint` and `updated_at` of a rule not deleted; false when
    /// there is no such rule.
    async fn update_rule(&mut self, rule: &Rule) -> Result<bool>;

    /// Marks a rule deleted at `now`; false when there is no such rule or it was deleted.
    async fn delete_rule(&mut self, id: Id, now: Timestamp) -> Result<bool>;
}
