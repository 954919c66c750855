//! `rookery admin invites …`: invite links, for instances whose sign-ups are closed or
//! reviewed.

use std::fmt::Write as _;

use clap::Subcommand;
use rookery_service::Services;
use rookery_service::invites::{NewInvite, describe_expiry};

use crate::admin::fail;
use crate::app::StartError;

#[derive(Debug, Subcommand)]
pub enum InvitesCommand {
    /// Make an invite link and print it.
    Create {
        /// How many sign-ups it allows (default: any number).
        #[arg(long)]
        uses: Option<i64>,
        /// How long it works: `30m`, `12h`, `7d`, … (default: until revoked).
        #[arg(long)]
        expires: Option<String>,
        /// A note for yourself (who it is for).
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// The newest invite links and how much they were used.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Withdraw an invite link.
    Revoke { code: String },
}

/// `30m`, `12h`, `7d`, `2w` as seconds.
fn duration_secs(text: &str) -> Result<i64, StartError> {
    let bad = || {
        StartError::Other(format!(
            "{text:?} is not a duration: write a number and m, h, d or w (e.g. 7d)"
        ))
    };
    let text = text.trim();
    let unit = text.chars().last().ok_or_else(bad)?;
    let n: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let per = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(bad()),
    };
    if n <= 0 {
        return Err(bad());
    }
    n.checked_mul(per).ok_or_else(bad)
}

/// `admin invites …`.
pub async fn invites(services: &Services, command: &InvitesCommand) -> Result<String, StartError> {
    let invites = services.invites();
    match command {
        InvitesCommand::Create {
            uses,
            expires,
            comment,
        } => {
            let new = NewInvite {
                max_uses: *uses,
                expires_in_secs: expires.as_deref().map(duration_secs).transpose()?,
                comment: comment.clone(),
            };
            let invite = invites.create(new, None).await.map_err(fail)?;
            let uses = invite
                .max_uses
                .map_or("any number of sign-ups".to_owned(), |m| {
                    format!("{m} sign-up{}", if m == 1 { "" } else { "s" })
                });
            let expiry = describe_expiry(&invite, services.clock.now());
            Ok(format!(
                "{}\n(for {uses}; {expiry})\n",
                invites.url(&invite.code)
            ))
        }
        InvitesCommand::List { limit } => {
            let now = services.clock.now();
            let mut out = format!("{:<14} {:>9}  {:<34} {}\n", "CODE", "USES", "STATE", "NOTE");
            for i in invites.list(*limit).await.map_err(fail)? {
                let uses = match i.max_uses {
                    Some(m) => format!("{}/{m}", i.uses),
                    None => i.uses.to_string(),
                };
                let state = if i.revoked_at.is_some() {
                    "revoked".to_owned()
                } else if i.usable(now) {
                    describe_expiry(&i, now)
                } else if i.max_uses.is_some_and(|m| i.uses >= m) {
                    "used up".to_owned()
                } else {
                    "expired".to_owned()
                };
                let _ = writeln!(
                    out,
                    "{:<14} {:>9}  {:<34} {}",
                    i.code, uses, state, i.comment
                );
            }
            Ok(out)
        }
        InvitesCommand::Revoke { code } => {
            invites.revoke(code).await.map_err(fail)?;
            Ok(format!("Invite {code} is withdrawn.\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duration_secs;

    #[test]
    fn durations() {
        assert_eq!(duration_secs("30m").ok(), Some(1800));
        assert_eq!(duration_secs("7d").ok(), Some(604_800));
        assert_eq!(duration_secs("2w").ok(), Some(1_209_600));
        for bad in ["", "d", "7", "-1d", "0h", "7y", "99999999999999999w", "١d"] {
            assert!(duration_secs(bad).is_err(), "{bad}");
        }
    }
}
