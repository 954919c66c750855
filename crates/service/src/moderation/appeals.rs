//! Appeals of warnings (Mastodon's disputes of strikes): the warned user asks once, within 20
//! days, for a decision to be reversed; staff who may manage appeals hear of it and approve or
//! reject it.
//!
//! Approving reverses the warning's action as Mastodon's `ApproveAppealService` does — the
//! login enabled again, the media no longer forced sensitive, the limit or the suspension
//! lifted — and marks the warning overruled; deleted posts cannot come back. Approving or
//! rejecting is one transaction: the decision, the reversal, the audit-log entry and the mail
//! to the user commit together, or nothing does.

use rookery_model::{Account, Id, Permission, Role, Timestamp};
use rookery_store::{AccountWarning, Appeal, LocalAccount, StoreError, Transaction};

use super::Moderator;
use super::audit::{self, Entry};
use crate::mail::Message;
use crate::{Result, ServiceError, Services};

/// How long after a warning it may be appealed: 20 days (Mastodon's `Appeal::MAX_STRIKE_AGE`).
pub const MAX_STRIKE_AGE_MS: i64 = 20 * 24 * 3600 * 1000;

/// Longest appeal text (Mastodon's).
pub const MAX_TEXT_CHARS: usize = 2000;

/// Appeals listed per page.
const LIST_LIMIT: u32 = 100;

/// An appeal with the warning it is about and who made it, for the moderators' list.
#[derive(Debug, Clone)]
pub struct AppealView {
    pub appeal: Appeal,
    pub warning: AccountWarning,
    /// `@user` of the appellant.
    pub acct: String,
}

/// Whether `w` may still be appealed at `now` (and if not, why).
pub fn appealable(w: &AccountWarning, appeal: Option<&Appeal>, now: Timestamp) -> Result<()> {
    if appeal.is_some() {
        return Err(ServiceError::Unprocessable(
            "You have already appealed this decision.".into(),
        ));
    }
    if w.overruled_at.is_some() {
        return Err(ServiceError::Unprocessable(
            "This decision was already reversed.".into(),
        ));
    }
    if now.as_millis() - w.created_at.as_millis() > MAX_STRIKE_AGE_MS {
        return Err(ServiceError::Unprocessable(
            "It is too late to appeal this strike.".into(),
        ));
    }
    Ok(())
}

/// Appeals of warnings.
pub struct Appeals<'a> {
    s: &'a Services,
}

impl Services {
    /// Appeals of warnings: made by the warned, decided by staff.
    pub fn appeals(&self) -> Appeals<'_> {
        Appeals { s: self }
    }
}

fn acct(a: &Account) -> String {
    match &a.domain {
        Some(d) => format!("@{}@{}", a.username.as_str(), d.as_str()),
        None => format!("@{}", a.username.as_str()),
    }
}

impl Appeals<'_> {
    /// The appeal of `warning_id`, if it was appealed.
    pub async fn of_warning(&self, warning_id: Id) -> Result<Option<Appeal>> {
        Ok(self
            .s
            .store
            .appeal_store()
            .appeal_of_warning(warning_id)
            .await?)
    }

    /// `POST /disputes/strikes/:id/appeal`: `user` appeals one of their own warnings.
    pub async fn submit(&self, user: &LocalAccount, warning_id: Id, text: &str) -> Result<Appeal> {
        let s = self.s;
        let w = s.own_warning(user, warning_id).await?;
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
        let now = s.clock.now();
        appealable(&w, self.of_warning(w.id).await?.as_ref(), now)?;
        let appeal = Appeal {
            id: s.ids.next_id(),
            account_id: user.account.id,
            account_warning_id: w.id,
            text: text.to_owned(),
            approved_at: None,
            approved_by_account_id: None,
            rejected_at: None,
            rejected_by_account_id: None,
            created_at: now,
        };
        let mut tx = s.store.begin().await?;
        match tx.appeals().insert_appeal(&appeal).await {
            Err(StoreError::Conflict(_)) => {
                return Err(ServiceError::Unprocessable(
                    "You have already appealed this decision.".into(),
                ));
            }
            other => other?,
        }
        self.tell_staff(tx.as_mut(), &user.account, &appeal).await?;
        tx.commit().await?;
        Ok(appeal)
    }

    /// Mails every staff member who may manage appeals (Mastodon's `appeal_submitted`).
    async fn tell_staff(
        &self,
        tx: &mut dyn Transaction,
        from: &Account,
        appeal: &Appeal,
    ) -> Result<()> {
        let s = self.s;
        let roles: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| r.can(Permission::ManageAppeals))
            .map(|r| r.as_str())
            .collect();
        for member in s.store.report_store().users_with_roles(&roles).await? {
            let Ok(email) = rookery_model::Email::parse(&member.email) else {
                continue;
            };
            let message = Message::AppealSubmitted {
                username: member.username.clone(),
                from: acct(from),
                text: appeal.text.clone(),
                link: format!("{}/admin/disputes/appeals", s.urls.base()),
            };
            s.mail().queue(tx, &email, &message).await?;
        }
        Ok(())
    }

    /// Appeals waiting for a decision (`pending`) or decided, newest first.
    pub async fn list(&self, by: Moderator, pending: bool) -> Result<Vec<AppealView>> {
        by.require(Permission::ManageAppeals)?;
        let s = self.s;
        let appeals = s.store.appeal_store().appeals(pending, LIST_LIMIT).await?;
        let mut out = Vec::with_capacity(appeals.len());
        for appeal in appeals {
            let warning = s
                .store
                .account_moderation_store()
                .warning(appeal.account_warning_id)
                .await?;
            let account = s.store.account(appeal.account_id).await?;
            if let (Some(warning), Some(account)) = (warning, account) {
                out.push(AppealView {
                    acct: acct(&account),
                    appeal,
                    warning,
                });
            }
        }
        Ok(out)
    }

    /// Approves appeal `id`: the warning's action is reversed and the warning overruled; the
    /// user is mailed.
    pub async fn approve(&self, by: Moderator, id: Id) -> Result<()> {
        self.decide(by, id, true).await
    }

    /// Rejects appeal `id`; the user is mailed.
    pub async fn reject(&self, by: Moderator, id: Id) -> Result<()> {
        self.decide(by, id, false).await
    }

    async fn decide(&self, by: Moderator, id: Id, approve: bool) -> Result<()> {
        by.require(Permission::ManageAppeals)?;
        let s = self.s;
        let appeal = s
            .store
            .appeal_store()
            .appeal(id)
            .await?
            .ok_or(ServiceError::NotFound("appeal"))?;
        if by.account_id == Some(appeal.account_id) {
            return Err(ServiceError::Forbidden); // nobody decides their own appeal
        }
        if !appeal.is_pending() {
            return Err(ServiceError::Unprocessable(
                "This appeal was already decided.".into(),
            ));
        }
        let warning = s
            .store
            .account_moderation_store()
            .warning(appeal.account_warning_id)
            .await?
            .ok_or(ServiceError::NotFound("warning"))?;
        let account = s
            .store
            .account(appeal.account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let local = s
            .store
            .local_account_by_username(account.username.as_str())
            .await?
            .filter(|_| account.is_local());
        // As for any action on an account: a moderator decides only for roles below theirs.
        if let (Some(me), Some(l)) = (by.account_id, &local)
            && (me == l.account.id
                || l.user.role == rookery_model::Role::Owner
                || l.user.role >= by.role)
        {
            return Err(ServiceError::Forbidden);
        }
        if approve
            && warning.action == "suspend"
            && s.store
                .account_deletion_store()
                .deletion_requested(account.id)
                .await?
                .is_some()
        {
            return Err(ServiceError::Unprocessable(
                "The account's data is already deleted: its suspension cannot be lifted.".into(),
            ));
        }
        let now = s.clock.now();
        let mut tx = s.store.begin().await?;
        if !tx
            .appeals()
            .decide(appeal.id, approve, by.account_id, now)
            .await?
        {
            return Err(ServiceError::Unprocessable(
                "This appeal was already decided.".into(),
            ));
        }
        if approve {
            reverse(tx.as_mut(), &warning, now).await?;
            tx.appeals().overrule_warning(warning.id, now).await?;
        }
        let name = acct(&account);
        audit::record(
            s,
            tx.as_mut(),
            by,
            Entry {
                action: if approve { "approve" } else { "reject" },
                target_type: "Appeal",
                target_id: Some(appeal.id),
                target_name: &name,
                reason: "",
            },
        )
        .await?;
        if let Some(l) = &local {
            let message = Message::AppealDecided {
                username: l.account.username.as_str().to_owned(),
                approved: approve,
                link: format!("{}/disputes/strikes/{}", s.urls.base(), warning.id),
            };
            s.mail().queue(tx.as_mut(), &l.user.email, &message).await?;
        }
        tx.commit().await?;
        s.forget_stats();
        if approve && warning.action == "suspend" && account.is_local() {
            // Peers dropped the actor on the `Delete`; the `Update` brings it back.
            if let Err(e) = s.federate_profile(&account).await {
                tracing::warn!(error = %e, "could not announce an account unsuspended on appeal");
            }
        }
        Ok(())
    }
}

/// Undoes what `w` did to its account, in `tx` (Mastodon's `ApproveAppealService`). Deleted
/// posts cannot come back; Rookery does not mark single posts sensitive, so there is nothing
/// to undo for `mark_statuses_as_sensitive` and `none` either.
async fn reverse(tx: &mut dyn Transaction, w: &AccountWarning, now: Timestamp) -> Result<()> {
    let id = w.target_account_id;
    match w.action.as_str() {
        "disable" => {
            tx.account_moderation().set_disabled(id, false, now).await?;
        }
        "sensitive" => {
            tx.account_moderation()
                .set_sensitized(id, None, now)
                .await?;
        }
        "silence" => {
            tx.account_moderation().set_silenced(id, None, now).await?;
        }
        "suspend" => {
            tx.set_suspended(id, None, now).await?;
        }
        _ => {}
    }
    Ok(())
}
