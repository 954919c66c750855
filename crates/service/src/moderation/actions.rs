//! Moderation actions on accounts, as Mastodon's admin API takes them: warn, mark sensitive,
//! disable the login, silence (limit), suspend; and their undoing; approving and rejecting
//! sign-ups; deleting a suspended account's data.
//!
//! Each action is one transaction: the change, the warning the account's owner sees, the
//! resolved report, the audit-log entry and the jobs it queues commit together. A moderator
//! whose role lacks the permission, or who acts on the owner or on someone whose role is not
//! below theirs, is refused before anything changes.

use rookery_api as api;
use rookery_model::{Account, Id, Permission};
use rookery_store::{AccountWarning, LocalAccount, Transaction};

use super::Moderator;
use super::audit::{self, Entry};
use super::suspensions::{PURGE_AFTER_MS, PurgeSuspended};
use crate::mail::Message;
use crate::{Result, ServiceError, Services};

/// What `POST /api/v1/admin/accounts/:id/action` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// A warning only.
    None,
    /// Media it posts is marked sensitive.
    Sensitive,
    /// Its login is refused.
    Disable,
    /// Its posts are hidden from those who do not follow it (Mastodon's "limit").
    Silence,
    Suspend,
}

impl ActionKind {
    /// Reads Mastodon's name (`none`, `sensitive`, `disable`, `silence`, `suspend`).
    pub fn parse(text: &str) -> Option<ActionKind> {
        Some(match text {
            "none" => ActionKind::None,
            "sensitive" => ActionKind::Sensitive,
            "disable" => ActionKind::Disable,
            "silence" => ActionKind::Silence,
            "suspend" => ActionKind::Suspend,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::None => "none",
            ActionKind::Sensitive => "sensitive",
            ActionKind::Disable => "disable",
            ActionKind::Silence => "silence",
            ActionKind::Suspend => "suspend",
        }
    }
}

/// An action with what goes with it.
#[derive(Debug, Clone)]
pub struct ActionRequest {
    pub kind: ActionKind,
    /// A report the action answers: resolved with it.
    pub report_id: Option<Id>,
    /// Why, shown to the account's owner in the warning.
    pub text: String,
    /// Also tell the owner by e-mail (when this instance sends mail).
    pub send_email: bool,
}

/// Longest warning text kept.
pub(super) const MAX_TEXT_CHARS: usize = 5000;

/// What an action on an account leaves behind (see [`AccountActions::conclude`]).
pub(super) struct Outcome {
    /// The warning's action (`none`, `suspend`, `delete_statuses`, …), also the audit entry's.
    pub action: &'static str,
    /// What the mail says was done ("suspended your account").
    pub summary: &'static str,
    pub text: String,
    pub report_id: Option<Id>,
    /// The posts the warning is about.
    pub status_ids: Vec<Id>,
    pub send_email: bool,
}

/// Moderation actions on accounts.
pub struct AccountActions<'a> {
    pub(super) s: &'a Services,
}

impl Services {
    /// Moderation actions on accounts.
    pub fn account_actions(&self) -> AccountActions<'_> {
        AccountActions { s: self }
    }
}

/// The account acted on, with its user when it is local.
pub(super) struct Target {
    pub account: Account,
    pub local: Option<LocalAccount>,
}

impl Target {
    pub fn name(&self) -> String {
        match &self.account.domain {
            Some(d) => format!("@{}@{}", self.account.username.as_str(), d.as_str()),
            None => format!("@{}", self.account.username.as_str()),
        }
    }
}

impl AccountActions<'_> {
    /// The account `id`, if `by` holds `permission` and outranks it: a moderator cannot act on
    /// the owner, on themselves, or on someone whose role is not below theirs (the command line
    /// may act on anyone).
    pub(super) async fn target(
        &self,
        by: Moderator,
        id: Id,
        permission: Permission,
    ) -> Result<Target> {
        by.require(permission)?;
        let account = self
            .s
            .store
            .account(id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let local = match account.domain {
            None => {
                self.s
                    .store
                    .local_account_by_username(account.username.as_str())
                    .await?
            }
            Some(_) => None,
        };
        if let (Some(me), Some(l)) = (by.account_id, &local) {
            let owner = l.user.role == rookery_model::Role::Owner;
            if me == l.account.id || owner || l.user.role >= by.role {
                return Err(ServiceError::Forbidden);
            }
        }
        Ok(Target { account, local })
    }

    /// `POST /api/v1/admin/accounts/:id/action`.
    pub async fn perform(&self, by: Moderator, id: Id, req: &ActionRequest) -> Result<()> {
        let permission = Permission::ManageUsers;
        let t = self.target(by, id, permission).await?;
        if req.kind == ActionKind::Disable && t.local.is_none() {
            return Err(ServiceError::Unprocessable(
                "Only local accounts can be disabled".into(),
            ));
        }
        let text: String = req.text.chars().take(MAX_TEXT_CHARS).collect();
        let s = self.s;
        let now = s.clock.now();
        let mut tx = s.store.begin().await?;
        let mut severed = Vec::new();
        match req.kind {
            ActionKind::None => {}
            ActionKind::Sensitive => {
                tx.account_moderation()
                    .set_sensitized(t.account.id, Some(now), now)
                    .await?;
            }
            ActionKind::Disable => {
                tx.account_moderation()
                    .set_disabled(t.account.id, true, now)
                    .await?;
                if let Some(l) = &t.local {
                    tx.sign_in().revoke_sessions(l.user.id, None, now).await?;
                }
            }
            ActionKind::Silence => {
                tx.account_moderation()
                    .set_silenced(t.account.id, Some(now), now)
                    .await?;
            }
            ActionKind::Suspend => severed = self.suspend_in(tx.as_mut(), &t).await?,
        }
        let done = Outcome {
            action: req.kind.as_str(),
            summary: warning_summary(req.kind),
            text,
            report_id: req.report_id,
            status_ids: Vec::new(),
            send_email: req.send_email,
        };
        self.conclude(tx.as_mut(), by, &t, done).await?;
        tx.commit().await?;
        s.forget_stats();
        s.severances().publish(severed).await;
        Ok(())
    }

    /// What follows any action on `t`, in its transaction: the report it answers resolved
    /// (it must be about `t`), the warning its owner sees (notification and, if asked, mail)
    /// and the audit-log entry.
    pub(super) async fn conclude(
        &self,
        tx: &mut dyn Transaction,
        by: Moderator,
        t: &Target,
        done: Outcome,
    ) -> Result<()> {
        let s = self.s;
        let now = s.clock.now();
        if let Some(report) = done.report_id {
            let about = s.store.report_store().report(report).await?;
            if about.is_none_or(|r| r.target_account_id != t.account.id) {
                return Err(ServiceError::NotFound("report"));
            }
            if !tx
                .reports()
                .resolve_report(report, by.account_id, now)
                .await?
            {
                return Err(ServiceError::NotFound("report"));
            }
            audit::record(
                s,
                tx,
                by,
                Entry {
                    action: "resolve",
                    target_type: "Report",
                    target_id: Some(report),
                    target_name: &report.to_string(),
                    reason: "",
                },
            )
            .await?;
            s.webhooks()
                .emit(
                    tx,
                    "report.updated",
                    crate::webhooks::WebhookObject::Report(report),
                )
                .await?;
        }
        let warning = AccountWarning {
            id: s.ids.next_id(),
            account_id: by.account_id,
            target_account_id: t.account.id,
            action: done.action.to_owned(),
            text: done.text.clone(),
            report_id: done.report_id,
            status_ids: done.status_ids,
            overruled_at: None,
            created_at: now,
        };
        if t.local.is_some() {
            tx.account_moderation().insert_warning(&warning).await?;
            // Mastodon's `moderation_warning` notification, from the account to itself; it
            // shares the warning's id, which is how it is rendered with it.
            let mut n = rookery_store::Notification {
                id: warning.id,
                account_id: t.account.id,
                from_account_id: t.account.id,
                kind: rookery_store::NotificationKind::ModerationWarning,
                status_id: None,
                group_key: None,
                created_at: now,
                filtered: false,
            };
            s.store_notification(tx, &mut n).await?;
        }
        audit::record(
            s,
            tx,
            by,
            Entry {
                action: done.action,
                target_type: "Account",
                target_id: Some(t.account.id),
                target_name: &t.name(),
                reason: &done.text,
            },
        )
        .await?;
        if let (Some(l), true) = (&t.local, done.send_email) {
            let link = format!("{}/disputes/strikes/{}", s.urls.base(), warning.id);
            let message = Message::Notification {
                username: l.account.username.as_str().to_owned(),
                from: s.settings.title.clone(),
                what: done.summary.to_owned(),
                excerpt: (!done.text.is_empty()).then(|| done.text.clone()),
                link,
            };
            s.mail().queue(tx, &l.user.email, &message).await?;
        }
        Ok(())
    }

    /// Suspends `t` inside `tx`: a local account is closed (nothing of it shown, no sign-in,
    /// its tokens refused), peers are told it is gone, and its data is purged after 30 days
    /// unless it is unsuspended; a remote account's posts are hidden and follows severed (the
    /// local accounts that lose them are told: the notifications are returned, to publish).
    async fn suspend_in(
        &self,
        tx: &mut dyn Transaction,
        t: &Target,
    ) -> Result<Vec<rookery_store::Notification>> {
        let s = self.s;
        let now = s.clock.now();
        tx.set_suspended(t.account.id, Some(now), now).await?;
        match &t.local {
            Some(l) => {
                tx.sign_in().revoke_sessions(l.user.id, None, now).await?;
                let actor = s.urls.actor(t.account.username.as_str());
                let id = format!("{actor}#suspensions/{}", now.as_millis());
                let activity = serde_json::json!({
                    "@context": rookery_activitypub::AS_CONTEXT,
                    "id": id,
                    "type": "Delete",
                    "actor": actor,
                    "object": actor,
                    "to": [rookery_activitypub::PUBLIC],
                });
                let announce = crate::federation::Federate {
                    sender: t.account.id,
                    activity_id: id,
                    activity: activity.to_string(),
                    followers: false,
                    inboxes: Vec::new(),
                    every_known_server: true,
                };
                enqueue(s, tx, now, &announce).await?;
                let purge = PurgeSuspended {
                    account_id: t.account.id,
                    suspended_at: now.as_millis(),
                };
                let at = rookery_model::Timestamp::from_millis(now.as_millis() + PURGE_AFTER_MS);
                rookery_jobs::enqueue_at(tx, &s.ids, at, &purge)
                    .await
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
            None => {
                let follows = tx.account_moderation().sever_follows(t.account.id).await?;
                return s
                    .severances()
                    .record(
                        tx,
                        rookery_store::SeveranceKind::AccountSuspension,
                        &t.account.acct(),
                        &follows,
                    )
                    .await;
            }
        }
        Ok(Vec::new())
    }

    /// An undoing action (`enable`, `unsilence`, `unsensitive`, `unsuspend`): applies
    /// `change`, records `action`, and answers the account as it is now.
    async fn undo(
        &self,
        by: Moderator,
        id: Id,
        action: &str,
        change: Undo,
    ) -> Result<api::AdminAccount> {
        let t = self.target(by, id, Permission::ManageUsers).await?;
        let s = self.s;
        let now = s.clock.now();
        let mut tx = s.store.begin().await?;
        match change {
            Undo::Enable => {
                if t.local.is_none() {
                    return Err(ServiceError::Unprocessable(
                        "Only local accounts can be enabled".into(),
                    ));
                }
                tx.account_moderation()
                    .set_disabled(t.account.id, false, now)
                    .await?;
            }
            Undo::Unsilence => {
                tx.account_moderation()
                    .set_silenced(t.account.id, None, now)
                    .await?;
            }
            Undo::Unsensitive => {
                tx.account_moderation()
                    .set_sensitized(t.account.id, None, now)
                    .await?;
            }
            Undo::Unsuspend => {
                if s.store
                    .account_deletion_store()
                    .deletion_requested(t.account.id)
                    .await?
                    .is_some()
                {
                    return Err(ServiceError::Forbidden);
                }
                tx.set_suspended(t.account.id, None, now).await?;
            }
        }
        audit::record(
            s,
            tx.as_mut(),
            by,
            Entry {
                action,
                target_type: "Account",
                target_id: Some(t.account.id),
                target_name: &t.name(),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        s.forget_stats();
        let account = s
            .store
            .account(id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        if change == Undo::Unsuspend && account.is_local() {
            // Peers dropped the actor on the `Delete`; the `Update` brings it back.
            if let Err(e) = s.federate_profile(&account).await {
                tracing::warn!(error = %e, "could not announce an unsuspended account");
            }
        }
        s.admin_account_entity(&account).await
    }

    /// `POST /api/v1/admin/accounts/:id/enable`: the login works again.
    pub async fn enable(&self, by: Moderator, id: Id) -> Result<api::AdminAccount> {
        self.undo(by, id, "enable", Undo::Enable).await
    }

    /// `POST /api/v1/admin/accounts/:id/unsilence`.
    pub async fn unsilence(&self, by: Moderator, id: Id) -> Result<api::AdminAccount> {
        self.undo(by, id, "unsilence", Undo::Unsilence).await
    }

    /// `POST /api/v1/admin/accounts/:id/unsensitive`.
    pub async fn unsensitive(&self, by: Moderator, id: Id) -> Result<api::AdminAccount> {
        self.undo(by, id, "unsensitive", Undo::Unsensitive).await
    }

    /// `POST /api/v1/admin/accounts/:id/unsuspend`: within the 30 days before its data is
    /// purged, the account comes back as it was.
    pub async fn unsuspend(&self, by: Moderator, id: Id) -> Result<api::AdminAccount> {
        self.undo(by, id, "unsuspend", Undo::Unsuspend).await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Undo {
    Enable,
    Unsilence,
    Unsensitive,
    Unsuspend,
}

/// What the mail about a warning says was done.
fn warning_summary(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::None => "sent you a warning",
        ActionKind::Sensitive => "marked your media as sensitive",
        ActionKind::Disable => "disabled your login",
        ActionKind::Silence => "limited your account",
        ActionKind::Suspend => "suspended your account",
    }
}

pub(super) async fn enqueue<J: rookery_jobs::JobSpec>(
    s: &Services,
    tx: &mut dyn Transaction,
    now: rookery_model::Timestamp,
    job: &J,
) -> Result<()> {
    rookery_jobs::enqueue(tx, &s.ids, now, job)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(())
}
