//! Moderators' notes on a report: what one moderator tells the others about it ("asked the
//! reporter for links", "second report this week"). Only staff who may manage reports read
//! them; a note may be added as the report is resolved, in the same transaction.

use rookery_model::{Id, Permission, Role};
use rookery_store::ReportNote;

use super::Moderator;
use super::reports::{Change, Reports};
use crate::{Result, ServiceError};

/// Longest note kept (Mastodon's limit).
const MAX_NOTE_CHARS: usize = 2000;

impl Reports<'_> {
    /// The notes on report `id`, oldest first.
    pub async fn notes(&self, by: Moderator, id: Id) -> Result<Vec<ReportNote>> {
        by.require(Permission::ManageReports)?;
        Ok(self.s.store.report_store().report_notes(id).await?)
    }

    /// Adds a note to report `id`; with `resolve`, resolves the report in the same step.
    pub async fn add_note(
        &self,
        by: Moderator,
        id: Id,
        content: &str,
        resolve: bool,
    ) -> Result<ReportNote> {
        by.require(Permission::ManageReports)?;
        let content = content.trim();
        if content.is_empty() {
            return Err(ServiceError::invalid("content", "can't be blank"));
        }
        if content.chars().count() > MAX_NOTE_CHARS {
            return Err(ServiceError::invalid(
                "content",
                format!("is too long (maximum is {MAX_NOTE_CHARS} characters)"),
            ));
        }
        let s = self.s;
        let note = ReportNote {
            id: s.ids.next_id(),
            report_id: id,
            account_id: by.account_id,
            content: content.to_owned(),
            created_at: s.clock.now(),
        };
        if resolve {
            self.act_with_note(by, id, Change::Resolve, Some(&note))
                .await?;
            return Ok(note);
        }
        let mut tx = s.store.begin().await?;
        if tx.reports().report_for_update(id).await?.is_none() {
            return Err(ServiceError::NotFound("report"));
        }
        tx.reports().insert_report_note(&note).await?;
        tx.commit().await?;
        Ok(note)
    }

    /// Deletes note `note_id` of report `report_id`: its author's own, or anyone's for an admin.
    pub async fn delete_note(&self, by: Moderator, report_id: Id, note_id: Id) -> Result<()> {
        by.require(Permission::ManageReports)?;
        let s = self.s;
        let note = s
            .store
            .report_store()
            .report_note(note_id)
            .await?
            .filter(|n| n.report_id == report_id)
            .ok_or(ServiceError::NotFound("note"))?;
        let own = by.account_id.is_some() && note.account_id == by.account_id;
        if !own && by.role < Role::Admin {
            return Err(ServiceError::Forbidden);
        }
        let mut tx = s.store.begin().await?;
        if !tx.reports().delete_report_note(note_id).await? {
            return Err(ServiceError::NotFound("note"));
        }
        tx.commit().await?;
        Ok(())
    }
}
