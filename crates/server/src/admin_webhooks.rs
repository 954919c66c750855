//! `rookery admin webhooks …`: endpoints told of events (new accounts, reports, posts, dead
//! jobs), with signed bodies.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Subcommand;
use rookery_model::Id;
use rookery_service::Services;
use rookery_service::moderation::Moderator;
use rookery_service::webhooks::{EVENTS, WebhookInput};
use rookery_store::Webhook;

use crate::admin::fail;
use crate::app::StartError;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Add a webhook and print its secret (the key of `X-Hub-Signature`).
    Create {
        /// Where events are posted (http or https).
        #[arg(long)]
        url: String,
        /// Comma-separated events: account.approved, account.created, account.updated,
        /// report.created, report.updated, status.created, status.updated, job.dead.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// A file holding the body to send instead of the event's JSON, with
        /// `{{object.…}}` placeholders (e.g. for a Slack-compatible incoming webhook).
        #[arg(long)]
        template_file: Option<PathBuf>,
    },
    /// Every webhook, with its events.
    List,
    /// Change a webhook's URL, events or template (what is not given stays).
    Update {
        id: String,
        #[arg(long)]
        url: Option<String>,
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        #[arg(long)]
        template_file: Option<PathBuf>,
        /// Send the event's JSON again instead of a template.
        #[arg(long, conflicts_with = "template_file")]
        no_template: bool,
    },
    /// Start sending to a webhook again.
    Enable { id: String },
    /// Stop sending to a webhook (it is kept).
    Disable { id: String },
    /// Give a webhook a new secret and print it.
    RotateSecret { id: String },
    /// Remove a webhook.
    Delete { id: String },
}

fn id(text: &str) -> Result<Id, StartError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .map(Id::from_i64)
        .ok_or_else(|| StartError::Other(format!("{text:?} is not a webhook id")))
}

fn read_template(path: &PathBuf) -> Result<String, StartError> {
    std::fs::read_to_string(path)
        .map_err(|e| StartError::Other(format!("cannot read {}: {e}", path.display())))
}

fn line(h: &Webhook) -> String {
    format!(
        "{:<20} {:<9} {:<50} {}{}",
        h.id,
        if h.enabled { "enabled" } else { "disabled" },
        h.url,
        h.events.join(","),
        if h.template.is_some() {
            " (template)"
        } else {
            ""
        }
    )
}

/// `admin webhooks …`.
pub async fn webhooks(
    services: &Services,
    command: &WebhooksCommand,
) -> Result<String, StartError> {
    let hooks = services.webhooks();
    let by = Moderator::CLI;
    match command {
        WebhooksCommand::Create {
            url,
            events,
            template_file,
        } => {
            let input = WebhookInput {
                url: url.clone(),
                events: events.iter().map(|e| e.trim().to_owned()).collect(),
                template: template_file.as_ref().map(read_template).transpose()?,
            };
            let h = hooks.create(by, input).await.map_err(fail)?;
            Ok(format!(
                "Webhook {} sends {} to {}.\nSecret: {}\n",
                h.id,
                h.events.join(", "),
                h.url,
                h.secret
            ))
        }
        WebhooksCommand::List => {
            let mut out = format!("{:<20} {:<9} {:<50} {}\n", "ID", "STATE", "URL", "EVENTS");
            for h in hooks.list(by).await.map_err(fail)? {
                let _ = writeln!(out, "{}", line(&h));
            }
            let _ = writeln!(out, "(events: {})", EVENTS.join(", "));
            Ok(out)
        }
        WebhooksCommand::Update {
            id: which,
            url,
            events,
            template_file,
            no_template,
        } => {
            let wid = id(which)?;
            let old = hooks.get(by, wid).await.map_err(fail)?;
            let template = match (template_file, no_template) {
                (Some(p), _) => Some(read_template(p)?),
                (None, true) => None,
                (None, false) => old.template.clone(),
            };
            let input = WebhookInput {
                url: url.clone().unwrap_or(old.url),
                events: events.clone().unwrap_or(old.events),
                template,
            };
            let h = hooks.update(by, wid, input).await.map_err(fail)?;
            Ok(format!("{}\n", line(&h)))
        }
        WebhooksCommand::Enable { id: which } => {
            let h = hooks
                .set_enabled(by, id(which)?, true)
                .await
                .map_err(fail)?;
            Ok(format!("{}\n", line(&h)))
        }
        WebhooksCommand::Disable { id: which } => {
            let h = hooks
                .set_enabled(by, id(which)?, false)
                .await
                .map_err(fail)?;
            Ok(format!("{}\n", line(&h)))
        }
        WebhooksCommand::RotateSecret { id: which } => {
            let h = hooks.rotate_secret(by, id(which)?).await.map_err(fail)?;
            Ok(format!("Secret: {}\n", h.secret))
        }
        WebhooksCommand::Delete { id: which } => {
            hooks.delete(by, id(which)?).await.map_err(fail)?;
            Ok(format!("Webhook {which} removed.\n"))
        }
    }
}
