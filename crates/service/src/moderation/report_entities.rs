//! Reports rendered: Mastodon's Report entity for its author and Admin::Report for moderators.

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::{Account, Id};
use rookery_store::Report;

use crate::{Result, ServiceError, Services};

fn ts(t: Option<rookery_model::Timestamp>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

impl Services {
    /// The Report entity of `report` (as its author sees it).
    pub async fn report_entity(&self, report: &Report) -> Result<api::Report> {
        let target = self
            .store
            .account(report.target_account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        Ok(self.report_entity_with(report, &target))
    }

    fn report_entity_with(&self, report: &Report, target: &Account) -> api::Report {
        api::Report {
            id: report.id.to_string(),
            action_taken: report.action_taken_at.is_some(),
            action_taken_at: ts(report.action_taken_at),
            category: report.category.clone(),
            comment: report.comment.clone(),
            forwarded: report.forwarded,
            created_at: report.created_at.to_rfc3339(),
            status_ids: Some(report.status_ids.iter().map(Id::to_string).collect()),
            rule_ids: Some(report.rule_ids.clone()),
            target_account: self.account_entity(target),
        }
    }

    /// The Report entities of the reports `admin.report` notifications are about, by
    /// notification id (those whose report is gone are left out).
    pub(crate) async fn notification_reports(
        &self,
        notification_ids: &[Id],
    ) -> Result<HashMap<Id, api::Report>> {
        let links = self
            .store
            .report_store()
            .reports_of_notifications(notification_ids)
            .await?;
        let mut out = HashMap::new();
        for (notification, report_id) in links {
            if let Some(report) = self.store.report_store().report(report_id).await?
                && let Some(target) = self.store.account(report.target_account_id).await?
            {
                out.insert(notification, self.report_entity_with(&report, &target));
            }
        }
        Ok(out)
    }

    /// The Admin::Report entity of `report`.
    pub async fn admin_report_entity(&self, report: &Report) -> Result<api::AdminReport> {
        let mut ids = vec![report.account_id, report.target_account_id];
        ids.extend(report.assigned_account_id);
        ids.extend(report.action_taken_by_account_id);
        let accounts: HashMap<Id, Account> = self
            .store
            .accounts(&ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let admin = |id: Id| {
            let found = accounts.get(&id).cloned();
            async move {
                match found {
                    Some(a) => self.admin_account_entity(&a).await.map(Some),
                    None => Ok(None),
                }
            }
        };
        let account = admin(report.account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let target_account = admin(report.target_account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let assigned_account = match report.assigned_account_id {
            Some(id) => admin(id).await?,
            None => None,
        };
        let action_taken_by_account = match report.action_taken_by_account_id {
            Some(id) => admin(id).await?,
            None => None,
        };
        let statuses = self.store.statuses(&report.status_ids).await?;
        let statuses = self.status_entities(None, &statuses).await?;
        let rules = self.rules().cited(&report.rule_ids).await?;
        Ok(api::AdminReport {
            id: report.id.to_string(),
            action_taken: report.action_taken_at.is_some(),
            action_taken_at: ts(report.action_taken_at),
            category: report.category.clone(),
            comment: report.comment.clone(),
            forwarded: report.forwarded,
            created_at: report.created_at.to_rfc3339(),
            updated_at: report.updated_at.to_rfc3339(),
            account,
            target_account,
            assigned_account,
            action_taken_by_account,
            statuses,
            rules,
        })
    }
}
