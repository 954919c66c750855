//! `rookery admin accounts …`: local accounts from the command line (create, list, roles,
//! passwords, suspension, aliases and moves, moderation).

use clap::Subcommand;
use rookery_model::Role;

use crate::app::StartError;

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create a local account with a generated password (printed once).
    Create {
        username: String,
        #[arg(long)]
        email: String,
        /// user, moderator, admin or owner.
        #[arg(long, default_value = "user")]
        role: Role,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List local accounts, newest first.
    List {
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show one local account.
    Show { username: String },
    /// Set a new generated password (printed once), or one read from standard input.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role: user, moderator, admin or owner.
    SetRole { username: String, role: Role },
    /// Suspend an account (or reinstate it with --undo).
    Suspend {
        username: String,
        #[arg(long)]
        undo: bool,
    },
    /// Print a one-hour password-reset link to hand to the user (when mail is off).
    ResetLink { username: String },
    /// List, add or remove the other accounts an account is also known as (`alsoKnownAs`): an
    /// account can move here only from one of them.
    Aliases {
        username: String,
        /// An account to add: `user@domain` or its actor URL.
        #[arg(long)]
        add: Option<String>,
        /// An alias to remove: `user@domain` or its actor URL.
        #[arg(long)]
        remove: Option<String>,
    },
    /// Move an account to another (which must list it among its aliases): its followers'
    /// servers are told, and its local followers follow the new account.
    Move {
        username: String,
        /// The new account: `user@domain` or its actor URL.
        #[arg(long)]
        to: String,
    },
    #[command(flatten)]
    Moderation(crate::admin_moderation::ModerationCommand),
}

/// The first line of standard input, for `--password-stdin`.
fn read_password(enabled: bool) -> Result<Option<String>, StartError> {
    if !enabled {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| {
        StartError::Other(format!("cannot read the password from standard input: {e}"))
    })?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

pub(crate) async fn accounts(
    services: &rookery_service::Services,
    command: &AccountsCommand,
) -> Result<String, StartError> {
    let out = match command {
        AccountsCommand::Create {
            username,
            email,
            role,
            password_stdin,
        } => {
            let password = read_password(*password_stdin)?;
            crate::admin::create(services, username, email, *role, password).await?
        }
        AccountsCommand::List { limit } => crate::admin::list(services, *limit).await?,
        AccountsCommand::Show { username } => crate::admin::show(services, username).await?,
        AccountsCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let password = read_password(*password_stdin)?;
            crate::admin::reset_password(services, username, password).await?
        }
        AccountsCommand::SetRole { username, role } => {
            crate::admin::set_role(services, username, *role).await?
        }
        AccountsCommand::Suspend { username, undo } => {
            crate::admin::suspend(services, username, *undo).await?
        }
        AccountsCommand::ResetLink { username } => {
            crate::admin_mail::reset_link(services, username).await?
        }
        AccountsCommand::Aliases {
            username,
            add,
            remove,
        } => crate::admin::aliases(services, username, add.as_deref(), remove.as_deref()).await?,
        AccountsCommand::Move { username, to } => {
            crate::admin::move_account(services, username, to).await?
        }
        AccountsCommand::Moderation(command) => {
            crate::admin_moderation::run(services, command).await?
        }
    };
    Ok(out)
}
