//! `rookery admin reports …`: the reports queue from the command line, through the same use
//! cases as the admin API (acting as the operator, recorded in the audit log).

use std::fmt::Write as _;

use clap::Subcommand;
use rookery_model::Id;
use rookery_service::Services;
use rookery_service::moderation::Moderator;
use rookery_service::moderation::post_removal::PostRemoval;
use rookery_store::{Report, ReportFilter, TimelinePage};

use crate::admin::fail;
use crate::app::StartError;

#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Unresolved reports, newest first (resolved ones with `--resolved`).
    List {
        #[arg(long)]
        resolved: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// One report in full.
    Show { id: String },
    /// Mark a report resolved.
    Resolve { id: String },
    /// Remove reported posts (all of the report's, or those named with `--status`), warn their
    /// author and resolve the report.
    RemovePosts {
        id: String,
        /// A post of the report to remove (repeatable; none: all of them).
        #[arg(long = "status")]
        statuses: Vec<String>,
        /// Why, shown to the author.
        #[arg(long, default_value = "")]
        text: String,
        /// Also tell the author by e-mail.
        #[arg(long)]
        email: bool,
    },
}

fn parse_id(text: &str) -> Result<Id, StartError> {
    text.trim()
        .parse()
        .map_err(|_| StartError::Other(format!("{text:?} is not a report id")))
}

async fn acct(services: &Services, id: Id) -> String {
    match services.store.account(id).await {
        Ok(Some(a)) => match &a.domain {
            Some(d) => format!("@{}@{d}", a.username),
            None => format!("@{}", a.username),
        },
        _ => format!("account {id}"),
    }
}

async fn describe(services: &Services, r: &Report) -> String {
    let mut out = String::new();
    let state = match r.action_taken_at {
        Some(t) => format!("resolved {}", t.to_rfc3339()),
        None => "unresolved".to_owned(),
    };
    let _ = writeln!(out, "Report {} ({state})", r.id);
    let _ = writeln!(out, "  filed:    {}", r.created_at.to_rfc3339());
    let _ = writeln!(out, "  by:       {}", acct(services, r.account_id).await);
    let _ = writeln!(
        out,
        "  about:    {}",
        acct(services, r.target_account_id).await
    );
    let _ = writeln!(out, "  category: {}", r.category);
    if !r.rule_ids.is_empty() {
        let _ = writeln!(out, "  rules:    {}", r.rule_ids.join(", "));
    }
    if let Some(uri) = &r.uri {
        let _ = writeln!(out, "  from:     {uri}");
    }
    if !r.status_ids.is_empty() {
        let ids: Vec<String> = r.status_ids.iter().map(Id::to_string).collect();
        let _ = writeln!(out, "  posts:    {}", ids.join(", "));
    }
    if !r.comment.is_empty() {
        let _ = writeln!(
            out,
            "  comment:  {}",
            r.comment.replace('\n', "\n            ")
        );
    }
    out
}

/// `admin reports …`.
pub async fn reports(services: &Services, command: &ReportsCommand) -> Result<String, StartError> {
    let reports = services.reports();
    let by = Moderator::CLI;
    match command {
        ReportsCommand::List { resolved, limit } => {
            let filter = ReportFilter {
                resolved: Some(*resolved),
                ..ReportFilter::default()
            };
            let page = TimelinePage {
                max_id: None,
                since_id: None,
                min_id: None,
                limit: (*limit).clamp(1, 1000),
            };
            let list = reports.list(by, &filter, page).await.map_err(fail)?;
            let mut out = format!(
                "{:<20} {:<10} {:<30} {:<30} {}\n",
                "ID", "CATEGORY", "BY", "ABOUT", "COMMENT"
            );
            for r in list {
                let comment: String = r.comment.chars().take(40).collect();
                let _ = writeln!(
                    out,
                    "{:<20} {:<10} {:<30} {:<30} {}",
                    r.id,
                    r.category,
                    acct(services, r.account_id).await,
                    acct(services, r.target_account_id).await,
                    comment.replace('\n', " ")
                );
            }
            Ok(out)
        }
        ReportsCommand::Show { id } => {
            let r = reports.get(by, parse_id(id)?).await.map_err(fail)?;
            Ok(describe(services, &r).await)
        }
        ReportsCommand::Resolve { id } => {
            let r = reports.resolve(by, parse_id(id)?).await.map_err(fail)?;
            Ok(format!("Report {} is resolved.\n", r.id))
        }
        ReportsCommand::RemovePosts {
            id,
            statuses,
            text,
            email,
        } => {
            let mut status_ids = Vec::new();
            for s in statuses {
                let parsed = s
                    .trim()
                    .parse()
                    .map_err(|_| StartError::Other(format!("{s:?} is not a post id")))?;
                status_ids.push(parsed);
            }
            let request = PostRemoval {
                report_id: parse_id(id)?,
                status_ids,
                text: text.clone(),
                send_email: *email,
            };
            let n = services
                .account_actions()
                .remove_reported_posts(by, &request)
                .await
                .map_err(fail)?;
            Ok(format!(
                "{n} post(s) removed; report {} is resolved.\n",
                request.report_id
            ))
        }
    }
}
