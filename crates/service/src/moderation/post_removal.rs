//! Removing reported posts (Mastodon's "Delete posts" on a report): a moderator deletes some or
//! all of the posts a report points at. In one transaction the posts are deleted (other
//! servers are sent a `Delete` for local ones), each deletion is logged, the report is
//! resolved, and the author gets a `delete_statuses` warning that lists them. What the posts
//! said stays with the report as evidence (see [`rookery_store::ReportedPost`]).

use rookery_model::{Id, Permission};
use rookery_store::ReportedPost;

use super::Moderator;
use super::actions::{AccountActions, MAX_TEXT_CHARS, Outcome};
use super::audit::{self, Entry};
use crate::{Result, ServiceError};

/// Which reported posts to remove, and what to tell their author.
#[derive(Debug, Clone)]
pub struct PostRemoval {
    pub report_id: Id,
    /// Posts of the report to remove; empty: all of them.
    pub status_ids: Vec<Id>,
    /// Why, shown to the author in the warning.
    pub text: String,
    /// Also tell the author by e-mail.
    pub send_email: bool,
}

impl AccountActions<'_> {
    /// Removes reported posts and resolves the report; answers how many were removed.
    /// Refused (`Unprocessable`, nothing changed) for posts the report does not point at and
    /// when none of them is left to remove.
    pub async fn remove_reported_posts(&self, by: Moderator, req: &PostRemoval) -> Result<usize> {
        let permission = Permission::ManageReports;
        by.require(permission)?;
        let s = self.s;
        let report = s
            .store
            .report_store()
            .report(req.report_id)
            .await?
            .ok_or(ServiceError::NotFound("report"))?;
        let chosen = if req.status_ids.is_empty() {
            report.status_ids.clone()
        } else if req
            .status_ids
            .iter()
            .all(|id| report.status_ids.contains(id))
        {
            req.status_ids.clone()
        } else {
            return Err(ServiceError::Unprocessable(
                "Only posts the report points at can be removed from it".into(),
            ));
        };
        let t = self
            .target(by, report.target_account_id, permission)
            .await?;
        let statuses: Vec<_> = s
            .store
            .statuses(&chosen)
            .await?
            .into_iter()
            .filter(|st| st.account_id == t.account.id)
            .collect();
        if statuses.is_empty() {
            return Err(ServiceError::Unprocessable(
                "None of these posts is left to remove".into(),
            ));
        }
        let text: String = req.text.chars().take(MAX_TEXT_CHARS).collect();
        let mut removals = Vec::with_capacity(statuses.len());
        for st in &statuses {
            removals.push(s.status_removal(&t.account, st).await?);
        }
        let mut tx = s.store.begin().await?;
        let mut removed = Vec::new();
        for (st, removal) in statuses.iter().zip(removals) {
            if !removal.apply(s, tx.as_mut()).await? {
                continue;
            }
            removed.push(st.id);
            let name = st
                .url
                .clone()
                .or_else(|| st.uri.clone())
                .unwrap_or_default();
            audit::record(
                s,
                tx.as_mut(),
                by,
                Entry {
                    action: "destroy",
                    target_type: "Status",
                    target_id: Some(st.id),
                    target_name: &name,
                    reason: &text,
                },
            )
            .await?;
        }
        let count = removed.len();
        if count == 0 {
            return Err(ServiceError::Unprocessable(
                "None of these posts is left to remove".into(),
            ));
        }
        let done = Outcome {
            action: "delete_statuses",
            summary: "removed some of your posts",
            text,
            report_id: Some(report.id),
            status_ids: removed,
            send_email: req.send_email,
        };
        self.conclude(tx.as_mut(), by, &t, done).await?;
        tx.commit().await?;
        s.forget_stats();
        Ok(count)
    }
}

impl super::reports::Reports<'_> {
    /// What report `id`'s posts said when they were reported (also those deleted since).
    pub async fn reported_posts(&self, by: Moderator, id: Id) -> Result<Vec<ReportedPost>> {
        by.require(Permission::ManageReports)?;
        Ok(self.s.store.report_store().reported_posts(id).await?)
    }
}
