//! `rookery admin …`: operator commands over the same use cases the API uses.

use std::fmt::Write as _;

use rookery_model::Role;
use rookery_service::moderation::Moderator;
use rookery_service::{NewLocalAccount, Services};
use rookery_store::{LocalAccount, Page};

use crate::app::StartError;
use crate::cli::{DomainsCommand, JobsCommand, QueuesCommand};

pub(crate) fn fail(e: rookery_service::ServiceError) -> StartError {
    StartError::Other(match e {
        rookery_service::ServiceError::NotFound(what) => format!("{what} not found"),
        other => other.to_string(),
    })
}

/// `admin accounts create`.
pub async fn create(
    services: &Services,
    username: &str,
    email: &str,
    role: Role,
    password: Option<String>,
) -> Result<String, StartError> {
    let created = services
        .create_local_account(NewLocalAccount {
            username: username.to_owned(),
            email: email.to_owned(),
            password,
            role,
            confirmed: true,
            approved: true,
            send_confirmation: false,
        })
        .await
        .map_err(fail)?;
    let name = &created.local.account.username;
    let mut out = format!(
        "Created @{name}@{} ({role}) with id {}.\n",
        services.settings.domain, created.local.account.id
    );
    if let Some(p) = created.generated_password {
        let _ = writeln!(out, "Password: {p}");
        let _ = writeln!(out, "Sign in at {}/ and change it.", services.urls.base());
    }
    Ok(out)
}

fn line(l: &LocalAccount) -> String {
    format!(
        "{:<20} {:<30} {:<10} {:<10} {}",
        l.account.id,
        l.account.username,
        l.user.role,
        if l.account.suspended_at.is_some() {
            "suspended"
        } else if !l.user.approved {
            "pending"
        } else {
            "active"
        },
        l.user.email
    )
}

/// `admin accounts list`.
pub async fn list(services: &Services, limit: u32) -> Result<String, StartError> {
    let accounts = services
        .list_local_accounts(Page {
            max_id: None,
            limit,
        })
        .await
        .map_err(fail)?;
    let mut out = format!(
        "{:<20} {:<30} {:<10} {:<10} {}\n",
        "ID", "USERNAME", "ROLE", "STATE", "EMAIL"
    );
    for l in &accounts {
        out.push_str(&line(l));
        out.push('\n');
    }
    Ok(out)
}

/// `admin accounts show`.
pub async fn show(services: &Services, username: &str) -> Result<String, StartError> {
    let l = services.local_account(username).await.map_err(fail)?;
    let a = &l.account;
    let u = &l.user;
    let ts = |t: Option<rookery_model::Timestamp>| t.map_or("-".to_owned(), |t| t.to_rfc3339());
    Ok(format!(
        "id:           {}\nusername:     {}\nhandle:       @{}@{}\nactor:        {}\nemail:        {}\n\
         role:         {}\nconfirmed:    {}\napproved:     {}\nsuspended:    {}\ncreated:      {}\n",
        a.id,
        a.username,
        a.username,
        services.settings.domain,
        services.urls.actor(a.username.as_str()),
        u.email,
        u.role,
        ts(u.confirmed_at),
        u.approved,
        ts(a.suspended_at),
        a.created_at.to_rfc3339(),
    ))
}

/// `admin accounts reset-password`.
pub async fn reset_password(
    services: &Services,
    username: &str,
    password: Option<String>,
) -> Result<String, StartError> {
    let generated = services
        .reset_password(username, password)
        .await
        .map_err(fail)?;
    Ok(match generated {
        Some(p) => format!("New password for {username}: {p}\n"),
        None => format!("Password for {username} changed.\n"),
    })
}

/// `admin accounts set-role`.
pub async fn set_role(
    services: &Services,
    username: &str,
    role: Role,
) -> Result<String, StartError> {
    let l = services.set_role(username, role).await.map_err(fail)?;
    Ok(format!("{} is now {}.\n", l.account.username, l.user.role))
}

/// `admin accounts aliases`: adds or removes one, then lists them.
pub async fn aliases(
    services: &Services,
    username: &str,
    add: Option<&str>,
    remove: Option<&str>,
) -> Result<String, StartError> {
    let l = services.local_account(username).await.map_err(fail)?;
    let moves = services.account_moves();
    let list = match (add, remove) {
        (Some(handle), _) => moves.add_alias(&l, handle).await.map_err(fail)?,
        (None, Some(alias)) => moves.remove_alias(&l, alias).await.map_err(fail)?,
        (None, None) => moves.aliases(&l),
    };
    if list.is_empty() {
        return Ok(format!("{} has no aliases.\n", l.account.username));
    }
    Ok(list.iter().map(|a| format!("{a}\n")).collect())
}

/// `admin accounts move`.
pub async fn move_account(
    services: &Services,
    username: &str,
    to: &str,
) -> Result<String, StartError> {
    let l = services.local_account(username).await.map_err(fail)?;
    let target = services
        .account_moves()
        .move_to(&l, to)
        .await
        .map_err(fail)?;
    Ok(format!(
        "{} moved to {}; its followers are being moved.\n",
        l.account.username,
        target.acct()
    ))
}

/// `admin accounts suspend` (or `--undo`).
pub async fn suspend(
    services: &Services,
    username: &str,
    undo: bool,
) -> Result<String, StartError> {
    use rookery_service::moderation::{Moderator, actions::ActionKind};
    // The same action as the admin API's, in the audit log as the operator's.
    let l = services.local_account(username).await.map_err(fail)?;
    let actions = services.account_actions();
    if undo {
        actions
            .unsuspend(Moderator::CLI, l.account.id)
            .await
            .map(drop)
    } else {
        let req = rookery_service::moderation::actions::ActionRequest {
            kind: ActionKind::Suspend,
            report_id: None,
            text: String::new(),
            send_email: false,
        };
        actions.perform(Moderator::CLI, l.account.id, &req).await
    }
    .map_err(fail)?;
    Ok(if undo {
        format!("{} is no longer suspended.\n", l.account.username)
    } else {
        format!("{} is suspended.\n", l.account.username)
    })
}

fn parse_id(text: &str) -> Result<rookery_model::Id, StartError> {
    text.parse()
        .map_err(|_| StartError::Other(format!("{text:?} is not a job id")))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StartError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| StartError::Other(e.to_string()))
}

/// `admin jobs …`.
pub async fn jobs(services: &Services, command: &JobsCommand) -> Result<String, StartError> {
    match command {
        JobsCommand::List {
            queue,
            state,
            limit,
            json: as_json,
        } => {
            let jobs = services
                .list_jobs(queue.as_deref(), state.as_deref(), *limit)
                .await
                .map_err(fail)?;
            if *as_json {
                return json(&jobs);
            }
            let mut out = format!(
                "{:<20} {:<10} {:<24} {:<8} {:>8}  {:<24} {}\n",
                "ID", "QUEUE", "KIND", "STATE", "ATTEMPTS", "RUN AT", "LAST ERROR"
            );
            for j in &jobs {
                let _ = writeln!(
                    out,
                    "{:<20} {:<10} {:<24} {:<8} {:>4}/{:<3}  {:<24} {}",
                    j.id,
                    j.queue,
                    j.kind,
                    j.state,
                    j.attempts,
                    j.max_attempts,
                    j.run_at,
                    j.last_error.as_deref().unwrap_or("")
                );
            }
            Ok(out)
        }
        JobsCommand::Show { id, json: as_json } => {
            let job = services.job(parse_id(id)?).await.map_err(fail)?;
            if *as_json {
                return json(&job);
            }
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            Ok(format!(
                "id:           {}\nqueue:        {}\nkind:         {}\nstate:        {}\n\
                 attempts:     {} of {}\nrun at:       {}\nlocked by:    {}\nlocked until: {}\n\
                 unique key:   {}\ncreated:      {}\nupdated:      {}\nlast error:   {}\npayload:      {}\n",
                job.id,
                job.queue,
                job.kind,
                job.state,
                job.attempts,
                job.max_attempts,
                job.run_at,
                opt(&job.locked_by),
                opt(&job.locked_until),
                opt(&job.unique_key),
                job.created_at,
                job.updated_at,
                opt(&job.last_error),
                job.payload
            ))
        }
        JobsCommand::Retry { id } => {
            services.retry_job(parse_id(id)?).await.map_err(fail)?;
            Ok(format!("Job {id} will run again.\n"))
        }
        JobsCommand::Discard { id } => {
            services.discard_job(parse_id(id)?).await.map_err(fail)?;
            Ok(format!("Job {id} discarded.\n"))
        }
        JobsCommand::Stats { json: as_json } => {
            let stats = services.queue_stats().await.map_err(fail)?;
            if *as_json {
                return json(&stats);
            }
            let mut out = format!(
                "{:<10} {:>8} {:>10} {:>8} {:>8} {:>10}\n",
                "QUEUE", "DUE", "SCHEDULED", "RUNNING", "DEAD", "LAG (s)"
            );
            for q in &stats {
                let _ = writeln!(
                    out,
                    "{:<10} {:>8} {:>10} {:>8} {:>8} {:>10.1}",
                    q.queue, q.due, q.scheduled, q.running, q.dead, q.lag_seconds
                );
            }
            Ok(out)
        }
    }
}

/// `admin queues …`.
pub async fn queues(services: &Services, command: &QueuesCommand) -> Result<String, StartError> {
    match command {
        QueuesCommand::SetConcurrency {
            queue,
            concurrency,
            node,
            clear,
        } => {
            let value = match (concurrency, clear) {
                (_, true) => None,
                (Some(n), false) => Some(*n),
                (None, false) => {
                    return Err(StartError::Other(
                        "give a concurrency (or --clear to remove the override)".into(),
                    ));
                }
            };
            services
                .set_queue_concurrency(queue, value, node)
                .await
                .map_err(fail)?;
            Ok(match value {
                Some(n) => format!(
                    "Queue {queue} on node {node}: concurrency {n} (running workers apply it within seconds).\n"
                ),
                None => format!("Queue {queue} on node {node}: override removed.\n"),
            })
        }
        QueuesCommand::Overrides { node } => {
            let list = services.queue_overrides(node).await.map_err(fail)?;
            if list.is_empty() {
                return Ok(format!("No overrides for node {node}.\n"));
            }
            let mut out = String::new();
            for (q, n) in list {
                let _ = writeln!(out, "{q:<10} {n}");
            }
            Ok(out)
        }
    }
}

/// `admin domains …`.
pub async fn domains(services: &Services, command: &DomainsCommand) -> Result<String, StartError> {
    match command {
        DomainsCommand::Block {
            domain,
            severity,
            reject_media,
            reject_reports,
            comment,
            public_comment,
            obfuscate,
        } => {
            let b = services
                .block_domain(
                    Moderator::CLI,
                    rookery_service::NewDomainBlock {
                        domain: domain.clone(),
                        severity: severity.clone(),
                        reject_media: *reject_media,
                        reject_reports: *reject_reports,
                        private_comment: comment.clone(),
                        public_comment: public_comment.clone(),
                        obfuscate: *obfuscate,
                    },
                )
                .await
                .map_err(fail)?;
            Ok(format!(
                "Blocked {} ({}{}{}).\n",
                b.domain,
                b.severity,
                if b.reject_media { ", reject media" } else { "" },
                if b.reject_reports {
                    ", reject reports"
                } else {
                    ""
                },
            ))
        }
        DomainsCommand::Unblock { domain } => {
            if services
                .unblock_domain(Moderator::CLI, domain)
                .await
                .map_err(fail)?
            {
                Ok(format!("Unblocked {domain}.\n"))
            } else {
                Err(StartError::Other(format!("{domain} is not blocked")))
            }
        }
        DomainsCommand::List { json: as_json } => {
            let blocks = services.domain_blocks().await.map_err(fail)?;
            if *as_json {
                return json(&blocks);
            }
            let mut out = format!(
                "{:<40} {:<8} {:<6} {:<7} {}\n",
                "DOMAIN", "SEVERITY", "MEDIA", "REPORTS", "COMMENT"
            );
            for b in &blocks {
                let _ = writeln!(
                    out,
                    "{:<40} {:<8} {:<6} {:<7} {}",
                    b.domain,
                    b.severity,
                    if b.reject_media { "reject" } else { "" },
                    if b.reject_reports { "reject" } else { "" },
                    b.private_comment
                );
            }
            Ok(out)
        }
    }
}

/// `admin media …`.
pub async fn media(
    services: &Services,
    command: &crate::cli::MediaCommand,
) -> Result<String, StartError> {
    use rookery_service::media::usage_category;
    let categories = [
        "local_uploads",
        "local_avatars_headers",
        "local_emoji",
        "remote_attachments",
        "remote_avatars_headers",
        "remote_emoji",
    ];
    let table = |usage: &[rookery_model::MediaUsage]| {
        categories
            .iter()
            .map(|c| {
                let (files, bytes) = usage
                    .iter()
                    .filter(|u| usage_category(u) == *c)
                    .fold((0i64, 0i64), |(f, b), u| (f + u.files, b + u.bytes));
                (*c, files, bytes)
            })
            .collect::<Vec<_>>()
    };
    let cap = services.settings.media.cache_max_bytes;
    match command {
        crate::cli::MediaCommand::Usage { json } => {
            let usage = services.media_usage().await.map_err(fail)?;
            let rows = table(&usage);
            if *json {
                let v: serde_json::Map<String, serde_json::Value> = rows
                    .iter()
                    .map(|(c, f, b)| ((*c).to_owned(), serde_json::json!({"files": f, "bytes": b})))
                    .collect();
                return Ok(format!(
                    "{}\n",
                    serde_json::json!({"categories": v, "remote_cache_cap_bytes": cap})
                ));
            }
            let mut out = String::new();
            let _ = writeln!(out, "{:<24} {:>10} {:>16}", "CATEGORY", "FILES", "BYTES");
            for (c, f, b) in &rows {
                let _ = writeln!(out, "{c:<24} {f:>10} {:>16}", human(*b));
            }
            let remote: i64 = rows
                .iter()
                .filter(|(c, _, _)| c.starts_with("remote"))
                .map(|(_, _, b)| b)
                .sum();
            let _ = writeln!(
                out,
                "remote cache: {} of {} cap",
                human(remote),
                human(i64::try_from(cap).unwrap_or(i64::MAX))
            );
            Ok(out)
        }
        crate::cli::MediaCommand::Prune { json } => {
            let r = services.prune_media().await.map_err(fail)?;
            if *json {
                return Ok(format!(
                    "{}\n",
                    serde_json::json!({
                        "expired": r.expired,
                        "evicted": r.evicted,
                        "deleted": r.deleted,
                        "bytes_freed": r.bytes_freed,
                        "cache_bytes": r.cache_bytes,
                        "cache_cap_bytes": cap,
                    })
                ));
            }
            Ok(format!(
                "Dropped {} cached copies past the age limit and {} to get under the cap, deleted {} unused uploads; freed {}. Remote cache now {} (cap {}).\n",
                r.expired,
                r.evicted,
                r.deleted,
                human(i64::try_from(r.bytes_freed).unwrap_or(i64::MAX)),
                human(i64::try_from(r.cache_bytes).unwrap_or(i64::MAX)),
                human(i64::try_from(cap).unwrap_or(i64::MAX)),
            ))
        }
    }
}

/// Bytes for people: `1.5 GiB`.
fn human(bytes: i64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < units.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", units[unit])
    }
}
