//! `rookery admin trends …`: what trends, and the operator's review of it (with
//! `trends.review`, only approved items are shown; rejected ones never are).

use std::fmt::Write as _;

use clap::Subcommand;

use rookery_service::{ServiceError, Services};
use rookery_store::trends::TrendKind;

use crate::app::StartError;

#[derive(Debug, Subcommand)]
pub enum TrendsCommand {
    /// What trends now, best first, with each item's review (approved, rejected, pending).
    List {
        /// Only this kind: tag, link or status.
        kind: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Let an item trend (with `trends.review`, only approved items are shown).
    Approve {
        /// tag, link or status.
        kind: String,
        /// A hashtag's name, a link's URL, or a status's id.
        name: String,
    },
    /// Keep an item out of the trends for good.
    Reject {
        /// tag, link or status.
        kind: String,
        /// A hashtag's name, a link's URL, or a status's id.
        name: String,
    },
}

fn kind(text: &str) -> Result<TrendKind, StartError> {
    TrendKind::parse(text.trim())
        .ok_or_else(|| StartError::Other(format!("{text:?} is not one of tag, link, status")))
}

/// Operator-facing text for a refusal.
fn message(e: ServiceError, kind: TrendKind, name: &str) -> String {
    match e {
        ServiceError::NotFound(_) => format!("there is no {} {name:?}", kind.as_str()),
        ServiceError::Unavailable(cause) => cause,
        ServiceError::Internal(cause) => format!("internal error: {cause}"),
        other => other.to_string(),
    }
}

/// `admin trends …`.
pub async fn trends(services: &Services, command: &TrendsCommand) -> Result<String, StartError> {
    let area = services.trends();
    match command {
        TrendsCommand::List { kind: k, json } => {
            let k = k.as_deref().map(kind).transpose()?;
            let list = area
                .list(k)
                .await
                .map_err(|e| StartError::Other(message(e, k.unwrap_or(TrendKind::Tag), "")))?;
            if *json {
                let text = serde_json::to_string(&list)
                    .map_err(|e| StartError::Other(format!("internal error: {e}")))?;
                return Ok(format!("{text}\n"));
            }
            if list.is_empty() {
                return Ok("Nothing trends.\n".to_owned());
            }
            let mut out = String::new();
            for t in &list {
                let _ = writeln!(
                    out,
                    "{:<6} {:<8} {:>10.2}  {}  (id {})",
                    t.kind, t.review, t.score, t.name, t.id
                );
            }
            Ok(out)
        }
        TrendsCommand::Approve { kind: k, name } | TrendsCommand::Reject { kind: k, name } => {
            let approve = matches!(command, TrendsCommand::Approve { .. });
            let k = kind(k)?;
            let id = area
                .review(k, name, approve)
                .await
                .map_err(|e| StartError::Other(message(e, k, name)))?;
            Ok(format!(
                "{} {} {name} (id {id}).\n",
                if approve { "Approved" } else { "Rejected" },
                k.as_str()
            ))
        }
    }
}
