//! `rookery admin announcements …`: announcements to everyone on the instance, shown by apps
//! (`GET /api/v1/announcements`) until they are unpublished or removed.

use std::fmt::Write as _;

use rookery_model::{Id, Timestamp};
use rookery_service::announcements::NewAnnouncement;
use rookery_service::{ServiceError, Services};
use rookery_store::Announcement;

use crate::app::StartError;
use crate::cli::AnnouncementsCommand;

/// Operator-facing text for a refusal.
fn message(e: ServiceError, id: &str) -> StartError {
    StartError::Other(match e {
        ServiceError::NotFound(_) => format!("there is no announcement {id}"),
        ServiceError::Unavailable(cause) => cause,
        ServiceError::Internal(cause) => format!("internal error: {cause}"),
        other => other.to_string(),
    })
}

/// A time as typed: RFC 3339 (any offset), or a date alone (midnight UTC).
fn time(flag: &str, raw: Option<&str>) -> Result<Option<Timestamp>, StartError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    Timestamp::parse_rfc3339(raw)
        .or_else(|| Timestamp::parse_rfc3339(&format!("{raw}T00:00:00Z")))
        .map(Some)
        .ok_or_else(|| {
            StartError::Other(format!(
                "{flag} {raw:?} is not a time: use RFC 3339 (2026-05-01T18:00:00Z) or a date \
                 (2026-05-01)"
            ))
        })
}

fn id(raw: &str) -> Result<Id, StartError> {
    raw.trim()
        .parse()
        .map_err(|_| StartError::Other(format!("there is no announcement {raw}")))
}

fn state(a: &Announcement) -> &'static str {
    if a.published {
        "published"
    } else {
        "unpublished"
    }
}

/// One line of text for the listing: the first line, cut at 60 characters.
fn summary(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut out: String = line.chars().take(60).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn json(a: &Announcement) -> serde_json::Value {
    serde_json::json!({
        "id": a.id.to_string(),
        "text": a.text,
        "published": a.published,
        "all_day": a.all_day,
        "starts_at": a.starts_at.map(Timestamp::to_rfc3339),
        "ends_at": a.ends_at.map(Timestamp::to_rfc3339),
        "published_at": a.published_at.map(Timestamp::to_rfc3339),
    })
}

/// `admin announcements …`.
pub async fn announcements(
    services: &Services,
    command: &AnnouncementsCommand,
) -> Result<String, StartError> {
    let area = services.announcements();
    match command {
        AnnouncementsCommand::Add {
            text,
            starts_at,
            ends_at,
            all_day,
            unpublished,
        } => {
            let added = area
                .add(NewAnnouncement {
                    text: text.clone(),
                    starts_at: time("--starts-at", starts_at.as_deref())?,
                    ends_at: time("--ends-at", ends_at.as_deref())?,
                    all_day: *all_day,
                    published: !unpublished,
                })
                .await
                .map_err(|e| message(e, ""))?;
            Ok(format!(
                "Added announcement {} ({}).\n",
                added.id,
                state(&added)
            ))
        }
        AnnouncementsCommand::List { json: as_json } => {
            let list = area.list().await.map_err(|e| message(e, ""))?;
            if *as_json {
                let rows: Vec<serde_json::Value> = list.iter().map(json).collect();
                return Ok(format!("{}\n", serde_json::Value::Array(rows)));
            }
            let mut out = format!(
                "{:<20} {:<11} {:<24} {:<24} {}\n",
                "ID", "STATE", "STARTS", "ENDS", "TEXT"
            );
            for a in &list {
                let _ = writeln!(
                    out,
                    "{:<20} {:<11} {:<24} {:<24} {}",
                    a.id,
                    state(a),
                    a.starts_at.map_or("-".to_owned(), Timestamp::to_rfc3339),
                    a.ends_at.map_or("-".to_owned(), Timestamp::to_rfc3339),
                    summary(&a.text)
                );
            }
            Ok(out)
        }
        AnnouncementsCommand::Publish { id: raw } => {
            let a = area
                .set_published(id(raw)?, true)
                .await
                .map_err(|e| message(e, raw))?;
            Ok(format!("Published announcement {}.\n", a.id))
        }
        AnnouncementsCommand::Unpublish { id: raw } => {
            let a = area
                .set_published(id(raw)?, false)
                .await
                .map_err(|e| message(e, raw))?;
            Ok(format!("Unpublished announcement {}.\n", a.id))
        }
        AnnouncementsCommand::Remove { id: raw } => {
            area.remove(id(raw)?).await.map_err(|e| message(e, raw))?;
            Ok(format!("Removed announcement {raw}.\n"))
        }
    }
}
