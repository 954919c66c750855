//! Reports, as Mastodon's: a user flags an account (and some of its posts) to the moderators,
//! optionally forwarding the report to the account's own server; other servers' `Flag`
//! activities become reports too. Staff who may manage reports are notified (`admin.report`)
//! and mailed. Moderators list, assign, categorise, resolve and reopen them, each action
//! recorded in the audit log in its own transaction.

use rookery_model::{Account, Id, Permission, Role};
use rookery_store::{
    Notification, NotificationKind, Report, ReportFilter, ReportNote, TimelinePage, Transaction,
};

use super::Moderator;
use super::audit::{self, Entry};
use crate::mail::Message;
use crate::{Result, ServiceError, Services};

/// Most posts one report may point at (more is refused, not cut).
pub const MAX_STATUSES: usize = 100;
/// Longest comment a local user may write (Mastodon's limit).
pub const MAX_COMMENT_CHARS: usize = 1000;
/// Most rules one report may cite.
const MAX_RULES: usize = 100;
/// Mastodon's categories.
pub const CATEGORIES: [&str; 4] = ["spam", "legal", "violation", "other"];

/// A report as its author files it (`POST /api/v1/reports`); ids as the API gives them.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    pub account_id: String,
    pub status_ids: Vec<String>,
    pub comment: String,
    pub forward: bool,
    /// With `forward`: servers of accounts the reported posts answer that get it too.
    pub forward_to_domains: Vec<String>,
    pub category: Option<String>,
    pub rule_ids: Vec<String>,
}

/// A moderator's change to a report (`PUT /api/v1/admin/reports/:id`).
#[derive(Debug, Clone, Default)]
pub struct ReportUpdate {
    pub category: Option<String>,
    pub rule_ids: Option<Vec<String>>,
}

/// What a moderator does to a report.
pub(super) enum Change {
    Update(String, Vec<String>),
    Assign(Option<Id>),
    Resolve,
    Reopen,
}

/// Reports.
pub struct Reports<'a> {
    pub(crate) s: &'a Services,
}

impl Services {
    /// Reports to the moderators.
    pub fn reports(&self) -> Reports<'_> {
        Reports { s: self }
    }
}

/// Reads an id given by a client; `NotFound(what)` when it is not one.
fn parse_id(text: &str, what: &'static str) -> Result<Id> {
    text.trim()
        .parse()
        .map_err(|_| ServiceError::NotFound(what))
}

impl Reports<'_> {
    /// The category and rules a report is filed under: `violation` whenever rules are cited
    /// (which must be the instance's), else the category asked for (`other` by default).
    async fn category_and_rules(
        &self,
        category: Option<&str>,
        rule_ids: &[String],
    ) -> Result<(String, Vec<String>)> {
        let mut rules: Vec<String> = rule_ids
            .iter()
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect();
        rules.sort();
        rules.dedup();
        if rules.len() > MAX_RULES {
            return Err(ServiceError::invalid("rule_ids", "are too many"));
        }
        let known: Vec<String> = self
            .s
            .rules()
            .shown()
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        if rules.iter().any(|r| !known.contains(r)) {
            return Err(ServiceError::invalid(
                "rule_ids",
                "does not reference valid rules",
            ));
        }
        if !rules.is_empty() {
            return Ok(("violation".into(), rules));
        }
        let category = category.map(str::trim).filter(|c| !c.is_empty());
        match category {
            None => Ok(("other".into(), rules)),
            Some(c) if CATEGORIES.contains(&c) => Ok((c.to_owned(), rules)),
            Some(c) => Err(ServiceError::invalid(
                "category",
                format!(
                    "'{}' is not a valid category",
                    c.chars().take(50).collect::<String>()
                ),
            )),
        }
    }

    /// `POST /api/v1/reports`: `reporter` flags an account to the moderators. Refused whole
    /// (nothing stored) when anything is wrong.
    pub async fn create(&self, reporter: &Account, new: NewReport) -> Result<Report> {
        let s = self.s;
        let target_id = parse_id(&new.account_id, "account")?;
        let target = s
            .store
            .account(target_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        if target.id == reporter.id {
            return Err(ServiceError::invalid("account_id", "cannot be yourself"));
        }
        if new.comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(ServiceError::invalid(
                "comment",
                format!("is too long (maximum is {MAX_COMMENT_CHARS} characters)"),
            ));
        }
        if new.status_ids.len() > MAX_STATUSES {
            return Err(ServiceError::invalid(
                "status_ids",
                format!("are too many (maximum is {MAX_STATUSES})"),
            ));
        }
        let (category, rule_ids) = self
            .category_and_rules(new.category.as_deref(), &new.rule_ids)
            .await?;
        let mut status_ids = Vec::with_capacity(new.status_ids.len());
        for text in &new.status_ids {
            let id: Id = text
                .trim()
                .parse()
                .map_err(|_| ServiceError::invalid("status_ids", "are not all valid ids"))?;
            status_ids.push(id);
        }
        status_ids.sort();
        status_ids.dedup();
        let statuses = s.store.statuses(&status_ids).await?;
        if statuses.len() != status_ids.len() {
            return Err(ServiceError::invalid(
                "status_ids",
                "must be posts of the reported account",
            ));
        }
        for st in &statuses {
            if st.account_id != target.id || !s.can_see(Some(reporter), st).await? {
                return Err(ServiceError::invalid(
                    "status_ids",
                    "must be posts of the reported account",
                ));
            }
        }
        let forward = new.forward && !target.is_local();
        // Named servers (none named: the reported account's own) get it, as Mastodon does.
        let to_origin = forward
            && (new.forward_to_domains.is_empty()
                || target.domain.as_ref().is_some_and(|d| {
                    new.forward_to_domains
                        .iter()
                        .any(|n| n.trim().eq_ignore_ascii_case(d.as_str()))
                }));
        let also_to = if forward {
            let domains = &new.forward_to_domains;
            super::report_forward::replied_to_inboxes(s, &target, &statuses, domains).await?
        } else {
            Vec::new()
        };
        let now = s.clock.now();
        let report = Report {
            id: s.ids.next_id(),
            account_id: reporter.id,
            target_account_id: target.id,
            category,
            rule_ids,
            comment: new.comment,
            forwarded: forward,
            uri: None,
            assigned_account_id: None,
            action_taken_at: None,
            action_taken_by_account_id: None,
            created_at: now,
            updated_at: now,
            status_ids,
        };
        let mut tx = s.store.begin().await?;
        let shown = self
            .file(tx.as_mut(), &report, reporter, &target)
            .await?
            .unwrap_or_default();
        if to_origin {
            super::report_forward::enqueue(s, tx.as_mut(), report.id, None).await?;
        }
        for inbox in also_to {
            super::report_forward::enqueue(s, tx.as_mut(), report.id, Some(inbox)).await?;
        }
        tx.commit().await?;
        self.publish(shown).await;
        Ok(report)
    }

    /// Streams the notifications of new reports (after their transaction committed).
    pub(crate) async fn publish(&self, shown: Vec<Notification>) {
        if shown.is_empty() {
            return;
        }
        if let Err(e) = self.s.publish_notifications(shown).await {
            tracing::warn!(error = %e, "streaming notification not published");
        }
    }

    /// Stores `report` in `tx` and tells the staff who may manage reports (a notification and,
    /// when mail is on, an e-mail each); the notifications to stream once `tx` commits.
    /// `None` when a report with the same URI exists (nothing is written).
    pub(crate) async fn file(
        &self,
        tx: &mut dyn Transaction,
        report: &Report,
        reporter: &Account,
        target: &Account,
    ) -> Result<Option<Vec<Notification>>> {
        let s = self.s;
        if !tx.reports().insert_report(report).await? {
            return Ok(None);
        }
        s.webhooks()
            .emit(
                tx,
                "report.created",
                crate::webhooks::WebhookObject::Report(report.id),
            )
            .await?;
        let mut shown = Vec::new();
        let roles: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| r.can(Permission::ManageReports))
            .map(|r| r.as_str())
            .collect();
        let staff = s.store.report_store().users_with_roles(&roles).await?;
        let acct = |a: &Account| match &a.domain {
            Some(d) => format!("@{}@{d}", a.username),
            None => format!("@{}", a.username),
        };
        for member in staff {
            let mut n = Notification {
                id: s.ids.next_id(),
                account_id: member.account_id,
                from_account_id: reporter.id,
                kind: NotificationKind::AdminReport,
                status_id: None,
                group_key: None,
                created_at: report.created_at,
                filtered: false,
            };
            if s.store_notification(tx, &mut n).await? {
                tx.reports().link_notification(n.id, report.id).await?;
                shown.push(n);
            }
            let Ok(email) = rookery_model::Email::parse(&member.email) else {
                continue;
            };
            let excerpt = (!report.comment.trim().is_empty())
                .then(|| report.comment.chars().take(300).collect::<String>());
            let message = Message::Notification {
                username: member.username.clone(),
                from: acct(reporter),
                what: format!("reported {}", acct(target)),
                excerpt,
                link: format!("{}/admin/reports/{}", s.urls.base(), report.id),
            };
            s.mail().queue(tx, &email, &message).await?;
        }
        Ok(Some(shown))
    }

    /// Reports for moderators, newest first.
    pub async fn list(
        &self,
        by: Moderator,
        filter: &ReportFilter,
        page: TimelinePage,
    ) -> Result<Vec<Report>> {
        by.require(Permission::ManageReports)?;
        Ok(self.s.store.report_store().reports(filter, page).await?)
    }

    /// One report, for moderators.
    pub async fn get(&self, by: Moderator, id: Id) -> Result<Report> {
        by.require(Permission::ManageReports)?;
        self.s
            .store
            .report_store()
            .report(id)
            .await?
            .ok_or(ServiceError::NotFound("report"))
    }

    /// Applies `change` to the report in one transaction with its audit-log entry; returns
    /// the report as it is afterwards.
    async fn act(&self, by: Moderator, id: Id, change: Change) -> Result<Report> {
        self.act_with_note(by, id, change, None).await
    }

    /// [`Self::act`], adding `note` to the report in the same transaction.
    pub(super) async fn act_with_note(
        &self,
        by: Moderator,
        id: Id,
        change: Change,
        note: Option<&ReportNote>,
    ) -> Result<Report> {
        by.require(Permission::ManageReports)?;
        let s = self.s;
        let now = s.clock.now();
        let mut tx = s.store.begin().await?;
        if tx.reports().report_for_update(id).await?.is_none() {
            return Err(ServiceError::NotFound("report"));
        }
        if let Some(note) = note {
            tx.reports().insert_report_note(note).await?;
        }
        let action = match change {
            Change::Update(category, rules) => {
                tx.reports()
                    .update_report(id, &category, &rules, now)
                    .await?;
                "update"
            }
            Change::Assign(to) => {
                tx.reports().assign_report(id, to, now).await?;
                if to.is_some() {
                    "assigned_to_self"
                } else {
                    "unassigned"
                }
            }
            Change::Resolve => {
                tx.reports().resolve_report(id, by.account_id, now).await?;
                "resolve"
            }
            Change::Reopen => {
                tx.reports().reopen_report(id, now).await?;
                "reopen"
            }
        };
        audit::record(
            s,
            tx.as_mut(),
            by,
            Entry {
                action,
                target_type: "Report",
                target_id: Some(id),
                target_name: &id.to_string(),
                reason: "",
            },
        )
        .await?;
        s.webhooks()
            .emit(
                tx.as_mut(),
                "report.updated",
                crate::webhooks::WebhookObject::Report(id),
            )
            .await?;
        tx.commit().await?;
        self.get(by, id).await
    }

    /// Changes a report's category and rules.
    pub async fn update(&self, by: Moderator, id: Id, update: ReportUpdate) -> Result<Report> {
        let current = self.get(by, id).await?;
        let rules = update.rule_ids.unwrap_or_else(|| current.rule_ids.clone());
        let category = update.category.unwrap_or_else(|| current.category.clone());
        // Rules only go with `violation`; another category given drops them, as Mastodon does.
        let (category, rules) = if category.trim() != "violation" {
            self.category_and_rules(Some(&category), &[]).await?
        } else {
            self.category_and_rules(Some(&category), &rules).await?
        };
        self.act(by, id, Change::Update(category, rules)).await
    }

    /// Assigns the report to the moderator taking the action.
    pub async fn assign_to_self(&self, by: Moderator, id: Id) -> Result<Report> {
        self.act(by, id, Change::Assign(by.account_id)).await
    }

    /// Unassigns the report.
    pub async fn unassign(&self, by: Moderator, id: Id) -> Result<Report> {
        self.act(by, id, Change::Assign(None)).await
    }

    /// Marks the report resolved (no action on the account).
    pub async fn resolve(&self, by: Moderator, id: Id) -> Result<Report> {
        self.act(by, id, Change::Resolve).await
    }

    /// Opens a resolved report again.
    pub async fn reopen(&self, by: Moderator, id: Id) -> Result<Report> {
        self.act(by, id, Change::Reopen).await
    }
}

pub use super::report_forward::{ForwardReport, register_jobs};
