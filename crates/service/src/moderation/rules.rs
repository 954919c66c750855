//! The server's rules, kept in the `rules` table and managed by staff with
//! [`Permission::ManageRules`] (the admin page, `rookery admin rules`). They are what
//! `/api/v1/instance/rules`, the instance entity, the sign-up and about pages show and what
//! reports may cite.
//!
//! The configuration's `instance.rules` only seeds the table: at start, when the table has
//! never held a rule, the configured ones are imported once, numbered 1, 2, … in their order
//! (the ids reports filed before kept). A deleted rule is only marked deleted, so the reports
//! that cite it still show it.

use rookery_api as api;
use rookery_model::{Id, Permission};
use rookery_store::Rule;

use super::Moderator;
use super::audit::{Entry, record};
use crate::{Result, ServiceError, Services};

/// Longest rule text (as Mastodon's).
const MAX_TEXT_CHARS: usize = 300;
/// Longest hint.
const MAX_HINT_CHARS: usize = 2000;

/// Mastodon's Rule entity; the id is the table's.
pub fn rule_entity(r: &Rule) -> api::Rule {
    api::Rule {
        id: r.id.to_string(),
        text: r.text.clone(),
        hint: r.hint.clone(),
    }
}

/// A change to a rule: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct RuleChange {
    pub text: Option<String>,
    pub hint: Option<String>,
    pub priority: Option<i64>,
}

/// The server's rules.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    s: &'a Services,
}

impl Services {
    /// The server's rules.
    pub fn rules(&self) -> Rules<'_> {
        Rules { s: self }
    }
}

impl Rules<'_> {
    /// The rules as everyone sees them, in order (Mastodon's Rule entities).
    pub async fn shown(&self) -> Result<Vec<api::Rule>> {
        Ok(self
            .s
            .store
            .rule_store()
            .rules()
            .await?
            .iter()
            .map(rule_entity)
            .collect())
    }

    /// The rules with these ids (as reports keep them), deleted ones included, in order;
    /// ids that are not numbers or name no rule are skipped.
    pub(crate) async fn cited(&self, ids: &[String]) -> Result<Vec<api::Rule>> {
        let ids: Vec<Id> = ids.iter().filter_map(|i| i.trim().parse().ok()).collect();
        Ok(self
            .s
            .store
            .rule_store()
            .rules_by_ids(&ids)
            .await?
            .iter()
            .map(rule_entity)
            .collect())
    }

    /// The rules not deleted, in order.
    pub async fn list(&self, by: Moderator) -> Result<Vec<Rule>> {
        by.require(Permission::ManageRules)?;
        Ok(self.s.store.rule_store().rules().await?)
    }

    /// The rule with `id`, not deleted.
    pub async fn get(&self, by: Moderator, id: Id) -> Result<Rule> {
        by.require(Permission::ManageRules)?;
        self.s
            .store
            .rule_store()
            .rules_by_ids(&[id])
            .await?
            .into_iter()
            .find(|r| r.deleted_at.is_none())
            .ok_or(ServiceError::NotFound("rule"))
    }

    /// Adds a rule; without a priority it comes after the others.
    pub async fn create(
        &self,
        by: Moderator,
        text: &str,
        hint: &str,
        priority: Option<i64>,
    ) -> Result<Rule> {
        by.require(Permission::ManageRules)?;
        let priority = match priority {
            Some(p) => p,
            None => self
                .s
                .store
                .rule_store()
                .rules()
                .await?
                .iter()
                .map(|r| r.priority)
                .max()
                .map_or(0, |p| p.saturating_add(1)),
        };
        let now = self.s.clock.now();
        let rule = Rule {
            id: self.s.ids.next_id(),
            priority,
            text: parse_text(text)?,
            hint: parse_hint(hint)?,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let mut tx = self.s.store.begin().await?;
        tx.rules().insert_rule(&rule).await?;
        record(self.s, &mut *tx, by, entry("create", &rule)).await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// Changes a rule's text, hint or priority.
    pub async fn update(&self, by: Moderator, id: Id, change: RuleChange) -> Result<Rule> {
        let mut rule = self.get(by, id).await?;
        if let Some(text) = &change.text {
            rule.text = parse_text(text)?;
        }
        if let Some(hint) = &change.hint {
            rule.hint = parse_hint(hint)?;
        }
        if let Some(priority) = change.priority {
            rule.priority = priority;
        }
        rule.updated_at = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        if !tx.rules().update_rule(&rule).await? {
            return Err(ServiceError::NotFound("rule"));
        }
        record(self.s, &mut *tx, by, entry("update", &rule)).await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// Deletes a rule: no longer shown or citable; reports citing it still show it.
    pub async fn delete(&self, by: Moderator, id: Id) -> Result<Rule> {
        let mut rule = self.get(by, id).await?;
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        if !tx.rules().delete_rule(id, now).await? {
            return Err(ServiceError::NotFound("rule"));
        }
        record(self.s, &mut *tx, by, entry("destroy", &rule)).await?;
        tx.commit().await?;
        rule.deleted_at = Some(now);
        Ok(rule)
    }

    /// Imports the configured rules (`instance.rules`) when the table has never held one:
    /// numbered 1, 2, … in their order, so reports filed when rules came from the
    /// configuration keep citing the same ones. Returns how many were imported; starting
    /// twice at once imports them once.
    pub async fn seed_from_config(&self) -> Result<usize> {
        let configured = &self.s.settings.rules;
        if configured.is_empty() || self.s.store.rule_store().any_rule().await? {
            return Ok(0);
        }
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        let mut imported = 0;
        for (i, (text, hint)) in configured.iter().enumerate() {
            let n = i64::try_from(i).unwrap_or(i64::MAX);
            let rule = Rule {
                id: Id::from_i64(n.saturating_add(1)),
                priority: n,
                text: text.clone(),
                hint: hint.clone(),
                created_at: now,
                updated_at: now,
                deleted_at: None,
            };
            if tx.rules().insert_rule(&rule).await? {
                imported += 1;
            }
        }
        tx.commit().await?;
        if imported > 0 {
            tracing::info!(imported, "server rules imported from the configuration");
        }
        Ok(imported)
    }
}

fn parse_text(text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid("text", "can't be blank"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ServiceError::invalid(
            "text",
            format!("is too long (maximum is {MAX_TEXT_CHARS} characters)"),
        ));
    }
    Ok(text.to_owned())
}

fn parse_hint(hint: &str) -> Result<String> {
    let hint = hint.trim();
    if hint.chars().count() > MAX_HINT_CHARS {
        return Err(ServiceError::invalid(
            "hint",
            format!("is too long (maximum is {MAX_HINT_CHARS} characters)"),
        ));
    }
    Ok(hint.to_owned())
}

fn entry<'a>(action: &'a str, r: &'a Rule) -> Entry<'a> {
    Entry {
        action,
        target_type: "Rule",
        target_id: Some(r.id),
        target_name: &r.text,
        reason: "",
    }
}
