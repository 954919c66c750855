//! `rookery admin accounts approve|reject|action|enable|unsilence|unsuspend|unsensitive …`:
//! the moderation actions of the admin API, taken at the command line (recorded in the audit
//! log as taken by the operator).

use clap::Subcommand;
use rookery_model::Id;
use rookery_service::Services;
use rookery_service::moderation::Moderator;
use rookery_service::moderation::actions::{ActionKind, ActionRequest};

use crate::admin::fail;
use crate::app::StartError;

#[derive(Debug, Subcommand)]
pub enum ModerationCommand {
    /// Let a pending sign-up in (and tell them by e-mail).
    Approve { account: String },
    /// Turn a pending sign-up down: the account is deleted.
    Reject { account: String },
    /// Act on an account: none (a warning), sensitive, disable, silence or suspend.
    Action {
        /// `name` for a local account, `name@domain` for a remote one.
        account: String,
        /// none, sensitive, disable, silence or suspend.
        #[arg(long = "type", value_name = "TYPE")]
        kind: String,
        /// Why (shown to the account's owner).
        #[arg(long, default_value = "")]
        text: String,
        /// A report the action answers (resolved with it).
        #[arg(long)]
        report: Option<String>,
        /// Do not e-mail the account's owner.
        #[arg(long)]
        no_email: bool,
    },
    /// Let a disabled login in again.
    Enable { account: String },
    /// Lift a silence (limit).
    Unsilence { account: String },
    /// Restore a suspended account (within 30 days).
    Unsuspend { account: String },
    /// Stop forcing the account's media sensitive.
    Unsensitive { account: String },
}

/// The id of `name` (local) or `name@domain` (remote).
async fn account_id(services: &Services, account: &str) -> Result<Id, StartError> {
    let account = account.trim().trim_start_matches('@');
    let found = match account.split_once('@') {
        None => services
            .store
            .local_account_by_username(account)
            .await
            .map_err(|e| fail(e.into()))?
            .map(|l| l.account),
        Some((name, domain)) => services
            .store
            .remote_account(name, domain)
            .await
            .map_err(|e| fail(e.into()))?,
    };
    found
        .map(|a| a.id)
        .ok_or_else(|| StartError::Other(format!("no account {account:?}")))
}

/// Runs one moderation command; answers what was done.
pub async fn run(services: &Services, command: &ModerationCommand) -> Result<String, StartError> {
    let actions = services.account_actions();
    let by = Moderator::CLI;
    let (account, done) = match command {
        ModerationCommand::Approve { account } => (account, "approved"),
        ModerationCommand::Reject { account } => (account, "rejected"),
        ModerationCommand::Enable { account } => (account, "enabled"),
        ModerationCommand::Unsilence { account } => (account, "no longer silenced"),
        ModerationCommand::Unsuspend { account } => (account, "no longer suspended"),
        ModerationCommand::Unsensitive { account } => (account, "no longer marked sensitive"),
        ModerationCommand::Action { account, .. } => (account, "acted on"),
    };
    let id = account_id(services, account).await?;
    match command {
        ModerationCommand::Approve { .. } => actions.approve(by, id).await.map(drop),
        ModerationCommand::Reject { .. } => actions.reject(by, id).await.map(drop),
        ModerationCommand::Enable { .. } => actions.enable(by, id).await.map(drop),
        ModerationCommand::Unsilence { .. } => actions.unsilence(by, id).await.map(drop),
        ModerationCommand::Unsuspend { .. } => actions.unsuspend(by, id).await.map(drop),
        ModerationCommand::Unsensitive { .. } => actions.unsensitive(by, id).await.map(drop),
        ModerationCommand::Action {
            kind,
            text,
            report,
            no_email,
            ..
        } => {
            let kind = ActionKind::parse(kind.trim()).ok_or_else(|| {
                StartError::Other(format!(
                    "{kind:?} is not one of none, sensitive, disable, silence, suspend"
                ))
            })?;
            let report_id = match report {
                None => None,
                Some(r) => Some(
                    r.trim()
                        .parse()
                        .map_err(|_| StartError::Other(format!("{r:?} is not a report id")))?,
                ),
            };
            let req = ActionRequest {
                kind,
                report_id,
                text: text.clone(),
                send_email: !no_email,
            };
            let done = actions.perform(by, id, &req).await.map_err(fail);
            return done.map(|()| format!("{}: {}.\n", account.trim(), kind.as_str()));
        }
    }
    .map_err(fail)?;
    Ok(format!("{} is {done}.\n", account.trim()))
}
