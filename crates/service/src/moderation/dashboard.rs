//! The admin dashboard's figures, as Mastodon's `POST /api/v1/admin/measures`,
//! `/dimensions` and `/retention` give them, computed from the database. Unknown keys are
//! left out, as Mastodon does. Admin pages can use the same calls.
//!
//! What Rookery does not record is approximated: `active_users` counts users by the day of
//! their latest activity, retention counts a cohort's users still active in or after a
//! period, and `sources` (sign-up applications) is empty.

use rookery_model::{Permission, Timestamp};
use rookery_store::{DailyMeasure, RankedDimension};
use serde_json::{Value, json};

use super::Moderator;
use crate::{Result, ServiceError, Services};

const DAY_MS: i64 = 86_400_000;

/// Longest period asked about, in days.
const MAX_DAYS: i64 = 3660;
/// Most keys answered in one request (each is a scan of a big table).
const MAX_KEYS: usize = 30;
/// Most periods in a retention table (its size grows with their square).
const MAX_PERIODS: usize = 400;

/// The keys asked for, each once, at most [`MAX_KEYS`] (the rest are ignored, as unknown keys
/// are).
fn keys_of(q: &DashboardQuery) -> Vec<&String> {
    let mut seen = std::collections::HashSet::new();
    q.keys
        .iter()
        .filter(|k| seen.insert(k.as_str()))
        .take(MAX_KEYS)
        .collect()
}

/// A key asked for, with the domain some keys take (`instance_accounts[domain]`).
#[derive(Debug, Clone, Default)]
pub struct DashboardQuery {
    pub keys: Vec<String>,
    /// `instance_*` key → domain.
    pub domains: Vec<(String, String)>,
    pub start_at: String,
    pub end_at: String,
    /// For dimensions: entries per key (Mastodon's default 10).
    pub limit: Option<i64>,
}

/// A day or RFC 3339 time; the day it falls on (UTC).
fn parse_day(field: &'static str, text: &str) -> Result<Timestamp> {
    let text = text.trim();
    let at = Timestamp::parse_rfc3339(text)
        .or_else(|| Timestamp::parse_rfc3339(&format!("{text}T00:00:00Z")))
        .ok_or_else(|| ServiceError::invalid(field, "must be a date (YYYY-MM-DD or RFC 3339)"))?;
    Ok(Timestamp::from_millis(
        at.as_millis().div_euclid(DAY_MS) * DAY_MS,
    ))
}

/// `[from, to)`: whole days from `start_at`'s through `end_at`'s.
fn period(q: &DashboardQuery) -> Result<(Timestamp, Timestamp)> {
    let from = parse_day("start_at", &q.start_at)?;
    let to = parse_day("end_at", &q.end_at)?.plus_millis(DAY_MS);
    if to.as_millis() <= from.as_millis() {
        return Err(ServiceError::invalid(
            "end_at",
            "must not be before start_at",
        ));
    }
    if (to.as_millis() - from.as_millis()) / DAY_MS > MAX_DAYS {
        return Err(ServiceError::invalid(
            "end_at",
            format!("the period may be at most {MAX_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// A domain as given (`chitter.xyz`, `https://chitter.xyz/`), lower-cased host only.
fn bare_domain(text: &str) -> String {
    let t = text.trim().to_ascii_lowercase();
    let t = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .unwrap_or(&t);
    t.split('/').next().unwrap_or("").to_owned()
}

fn human_bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[unit])
    }
}

/// The admin dashboard's figures.
pub struct Dashboard<'a> {
    s: &'a Services,
}

impl Services {
    /// The admin dashboard's figures.
    pub fn dashboard(&self) -> Dashboard<'_> {
        Dashboard { s: self }
    }
}

impl Dashboard<'_> {
    fn domain_of(q: &DashboardQuery, key: &str) -> String {
        q.domains
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, d)| bare_domain(d))
            .unwrap_or_default()
    }

    /// `POST /api/v1/admin/measures`: per key, a total over the period, the total of the
    /// period before it, and the value of each day.
    pub async fn measures(&self, by: Moderator, q: &DashboardQuery) -> Result<Vec<Value>> {
        by.require(Permission::ViewDashboard)?;
        let (from, to) = period(q)?;
        let length = to.as_millis() - from.as_millis();
        let before = Timestamp::from_millis(from.as_millis() - length);
        let store = self.s.store.dashboard_store();
        let mut out = Vec::new();
        for key in keys_of(q) {
            let domain = Self::domain_of(q, key);
            let measure = match key.as_str() {
                "active_users" => DailyMeasure::ActiveUsers,
                "new_users" => DailyMeasure::NewUsers,
                "interactions" => DailyMeasure::Interactions,
                "opened_reports" => DailyMeasure::OpenedReports,
                "resolved_reports" => DailyMeasure::ResolvedReports,
                "instance_accounts" => DailyMeasure::InstanceAccounts(&domain),
                "instance_media_attachments" => DailyMeasure::InstanceMediaBytes(&domain),
                "instance_reports" => DailyMeasure::InstanceReports(&domain),
                "instance_statuses" => DailyMeasure::InstanceStatuses(&domain),
                "instance_follows" => DailyMeasure::InstanceFollows(&domain),
                "instance_followers" => DailyMeasure::InstanceFollowers(&domain),
                _ => continue,
            };
            let days = store.daily(measure, from, to).await?;
            let previous: i64 = store
                .daily(measure, before, from)
                .await?
                .iter()
                .map(|(_, v)| v)
                .sum();
            let total: i64 = days.iter().map(|(_, v)| v).sum();
            let bytes = matches!(measure, DailyMeasure::InstanceMediaBytes(_));
            let data: Vec<Value> = (0..length / DAY_MS)
                .map(|d| {
                    let value = days
                        .iter()
                        .find(|(day, _)| *day == d)
                        .map_or(0, |(_, v)| *v);
                    json!({
                        "date": Timestamp::from_millis(from.as_millis() + d * DAY_MS).to_rfc3339(),
                        "value": value.to_string(),
                    })
                })
                .collect();
            let mut entry = json!({
                "key": key,
                "unit": if bytes { Some("bytes") } else { None },
                "total": total.to_string(),
                "previous_total": previous.to_string(),
                "data": data,
            });
            if bytes {
                entry["human_value"] = json!(human_bytes(total));
            }
            out.push(entry);
        }
        Ok(out)
    }

    /// `POST /api/v1/admin/dimensions`: per key, the largest entries over the period.
    pub async fn dimensions(&self, by: Moderator, q: &DashboardQuery) -> Result<Vec<Value>> {
        by.require(Permission::ViewDashboard)?;
        let (from, to) = period(q)?;
        let limit = u32::try_from(q.limit.unwrap_or(10).clamp(1, 100)).unwrap_or(10);
        let store = self.s.store.dashboard_store();
        let mut out = Vec::new();
        for key in keys_of(q) {
            let domain = Self::domain_of(q, key);
            let dimension = match key.as_str() {
                "languages" => Some(RankedDimension::Languages),
                "servers" => Some(RankedDimension::Servers),
                "instance_accounts" => Some(RankedDimension::InstanceAccounts(&domain)),
                "instance_languages" => Some(RankedDimension::InstanceLanguages(&domain)),
                "sources" | "space_usage" | "software_versions" => None,
                _ => continue,
            };
            let data: Vec<Value> = match (key.as_str(), dimension) {
                (_, Some(d)) => store
                    .ranked(d, from, to, limit)
                    .await?
                    .into_iter()
                    .map(|(k, v)| {
                        let human = match d {
                            RankedDimension::Languages | RankedDimension::InstanceLanguages(_) => {
                                crate::languages::language_name(&k)
                                    .map_or_else(|| k.clone(), str::to_owned)
                            }
                            _ => k.clone(),
                        };
                        json!({ "key": k, "human_key": human, "value": v.to_string() })
                    })
                    .collect(),
                ("space_usage", _) => {
                    let media = store.media_bytes().await?;
                    vec![json!({
                        "key": "media",
                        "human_key": "Media storage",
                        "value": media.to_string(),
                        "unit": "bytes",
                        "human_value": human_bytes(media),
                    })]
                }
                ("software_versions", _) => vec![json!({
                    "key": "rookery",
                    "human_key": "Rookery",
                    "value": env!("CARGO_PKG_VERSION"),
                    "human_value": env!("CARGO_PKG_VERSION"),
                })],
                _ => Vec::new(),
            };
            out.push(json!({ "key": key, "data": data }));
        }
        Ok(out)
    }

    /// `POST /api/v1/admin/retention`: per cohort (users who signed up in a day or month of
    /// the period), how many were still active in each period after.
    pub async fn retention(
        &self,
        by: Moderator,
        start_at: &str,
        end_at: &str,
        frequency: &str,
    ) -> Result<Vec<Value>> {
        by.require(Permission::ViewDashboard)?;
        let monthly = match frequency {
            "day" | "" => false,
            "month" => true,
            _ => {
                return Err(ServiceError::invalid(
                    "frequency",
                    "must be one of day, month",
                ));
            }
        };
        let q = DashboardQuery {
            start_at: start_at.to_owned(),
            end_at: end_at.to_owned(),
            ..DashboardQuery::default()
        };
        let (from, to) = period(&q)?;
        // Period starts: days, or the first of each month.
        let mut starts = Vec::new();
        let mut at = if monthly { month_start(from) } else { from };
        while at.as_millis() < to.as_millis() {
            if starts.len() >= MAX_PERIODS {
                return Err(ServiceError::invalid(
                    "end_at",
                    format!("the table may have at most {MAX_PERIODS} periods: ask by month"),
                ));
            }
            starts.push(at);
            at = if monthly {
                next_month(at)
            } else {
                at.plus_millis(DAY_MS)
            };
        }
        let ends: Vec<Timestamp> = starts
            .iter()
            .skip(1)
            .copied()
            .chain(std::iter::once(at))
            .collect();
        let users = self
            .s
            .store
            .dashboard_store()
            .sign_ups(starts.first().copied().unwrap_or(from), to)
            .await?;
        let frequency = if monthly { "month" } else { "day" };
        Ok(starts
            .iter()
            .zip(&ends)
            .enumerate()
            .map(|(i, (start, end))| {
                let cohort: Vec<_> = users
                    .iter()
                    .filter(|(created, _)| created >= start && created < end)
                    .collect();
                let size = cohort.len();
                let data: Vec<Value> = starts[i..]
                    .iter()
                    .map(|period| {
                        let active = cohort
                            .iter()
                            .filter(|(_, last)| last.is_some_and(|l| l >= *period))
                            .count();
                        let rate = if size == 0 {
                            0.0
                        } else {
                            active as f64 / size as f64
                        };
                        json!({
                            "date": period.to_rfc3339(),
                            "rate": rate,
                            "value": active.to_string(),
                        })
                    })
                    .collect();
                json!({
                    "period": start.to_rfc3339(),
                    "frequency": frequency,
                    "data": data,
                })
            })
            .collect())
    }
}

fn month_start(t: Timestamp) -> Timestamp {
    let date = t.to_date_string();
    let month = date.get(..7).unwrap_or("1970-01");
    Timestamp::parse_rfc3339(&format!("{month}-01T00:00:00Z")).unwrap_or(t)
}

fn next_month(t: Timestamp) -> Timestamp {
    // Any day of the next month is 32 days after the first of this one.
    month_start(month_start(t).plus_millis(32 * DAY_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_months_and_domains() {
        let d = parse_day("start_at", "2020-10-05T13:00:00+00:00").unwrap();
        assert_eq!(d.to_rfc3339(), "2020-10-05T00:00:00.000Z");
        assert!(parse_day("start_at", "yesterday").is_err());
        let m = next_month(parse_day("x", "2020-12-31").unwrap());
        assert_eq!(m.to_date_string(), "2021-01-01");
        assert_eq!(bare_domain("HTTPS://Chitter.xyz/"), "chitter.xyz");
        assert_eq!(human_bytes(2048), "2.00 KB");
    }
}
