//! `rookery admin rules …`: the server's rules, as the admin page keeps them (the `rules`
//! table; `instance.rules` in the configuration only seeds it once).

use std::fmt::Write as _;

use clap::Subcommand;
use rookery_model::Id;
use rookery_service::Services;
use rookery_service::moderation::Moderator;
use rookery_service::moderation::rules::RuleChange;
use rookery_store::Rule;

use crate::admin::fail;
use crate::app::StartError;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// The rules, in the order they are shown, with their ids.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a rule (after the others unless --priority says otherwise).
    Add {
        /// The rule, at most 300 characters.
        text: String,
        /// A longer explanation.
        #[arg(long, default_value = "")]
        hint: String,
        /// Rules are shown lowest priority first.
        #[arg(long)]
        priority: Option<i64>,
    },
    /// Change a rule's text, hint or priority (what is not given stays).
    Update {
        id: String,
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        hint: Option<String>,
        #[arg(long)]
        priority: Option<i64>,
    },
    /// Delete a rule: no longer shown or citable; reports that cite it still show it.
    Delete { id: String },
}

fn id(text: &str) -> Result<Id, StartError> {
    text.trim()
        .parse::<Id>()
        .map_err(|_| StartError::Other(format!("{text:?} is not a rule id")))
}

fn line(r: &Rule) -> String {
    let mut out = format!("{:<20} {:>4}  {}", r.id, r.priority, r.text);
    if !r.hint.is_empty() {
        let _ = write!(out, "\n{:<26}{}", "", r.hint);
    }
    out
}

/// `admin rules …`.
pub async fn rules(services: &Services, command: &RulesCommand) -> Result<String, StartError> {
    let area = services.rules();
    let by = Moderator::CLI;
    match command {
        RulesCommand::List { json } => {
            let list = area.list(by).await.map_err(fail)?;
            if *json {
                let entities: Vec<_> = list
                    .iter()
                    .map(rookery_service::moderation::rules::rule_entity)
                    .collect();
                let text = serde_json::to_string(&entities)
                    .map_err(|e| StartError::Other(format!("internal error: {e}")))?;
                return Ok(format!("{text}\n"));
            }
            if list.is_empty() {
                return Ok("No rules.\n".to_owned());
            }
            let mut out = format!("{:<20} {:>4}  {}\n", "ID", "PRIO", "TEXT");
            for r in &list {
                let _ = writeln!(out, "{}", line(r));
            }
            Ok(out)
        }
        RulesCommand::Add {
            text,
            hint,
            priority,
        } => {
            let r = area.create(by, text, hint, *priority).await.map_err(fail)?;
            Ok(format!("Rule {} added.\n", r.id))
        }
        RulesCommand::Update {
            id: which,
            text,
            hint,
            priority,
        } => {
            let change = RuleChange {
                text: text.clone(),
                hint: hint.clone(),
                priority: *priority,
            };
            let r = area.update(by, id(which)?, change).await.map_err(fail)?;
            Ok(format!("{}\n", line(&r)))
        }
        RulesCommand::Delete { id: which } => {
            area.delete(by, id(which)?).await.map_err(fail)?;
            Ok(format!("Rule {which} deleted.\n"))
        }
    }
}
