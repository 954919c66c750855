//! `rookery admin relays …`: the relays this instance subscribes to (Mastodon's admin relays).

use std::fmt::Write as _;

use clap::Subcommand;
use rookery_service::Services;

use crate::admin::fail;
use crate::app::StartError;

#[derive(Debug, Subcommand)]
pub enum RelaysCommand {
    /// The relays, with whether each accepted this instance.
    List,
    /// Subscribe to a relay: its inbox URL (for example https://relay.example/inbox). Public
    /// posts go to it once it accepts; the posts it relays appear in the federated timeline.
    Add { inbox_url: String },
    /// Unsubscribe from a relay (by its inbox URL).
    Remove { inbox_url: String },
}

/// Runs a `rookery admin relays` command; what it prints.
pub async fn relays(services: &Services, command: &RelaysCommand) -> Result<String, StartError> {
    let relays = services.relays();
    Ok(match command {
        RelaysCommand::List => {
            let list = relays.list().await.map_err(fail)?;
            if list.is_empty() {
                return Ok("No relays.\n".into());
            }
            let mut out = String::new();
            for r in list {
                let _ = writeln!(out, "{:<9} {}", r.state.as_str(), r.inbox_url);
            }
            out
        }
        RelaysCommand::Add { inbox_url } => {
            let relay = relays.add(inbox_url).await.map_err(fail)?;
            format!(
                "Subscribing to {}: it is sent a Follow; `rookery admin relays list` shows its answer.\n",
                relay.inbox_url
            )
        }
        RelaysCommand::Remove { inbox_url } => {
            if relays.remove(inbox_url).await.map_err(fail)? {
                format!("Unsubscribed from {inbox_url}.\n")
            } else {
                return Err(StartError::Other(format!(
                    "no relay with inbox {inbox_url}"
                )));
            }
        }
    })
}
