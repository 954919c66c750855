//! Read markers (`/api/v1/markers`): where a user stopped reading their home timeline and
//! notifications, shared by all their apps.

use std::collections::BTreeMap;

use rookery_api as api;
use rookery_model::Id;
use rookery_store::{LocalAccount, Marker};

use crate::{Result, ServiceError, Services};

/// The timelines that have markers.
pub const TIMELINES: [&str; 2] = ["home", "notifications"];

/// The markers area's use cases.
#[derive(Clone, Copy)]
pub struct Markers<'a> {
    s: &'a Services,
}

impl Services {
    /// Read markers.
    pub fn markers(&self) -> Markers<'_> {
        Markers { s: self }
    }
}

fn entity(m: &Marker) -> api::Marker {
    api::Marker {
        last_read_id: m.last_read_id.to_string(),
        version: m.version,
        updated_at: m.updated_at.to_rfc3339(),
    }
}

impl Markers<'_> {
    /// `GET /api/v1/markers?timeline[]=…`: the markers asked for that exist (unknown names
    /// are ignored).
    pub async fn get(
        &self,
        user: &LocalAccount,
        timelines: &[String],
    ) -> Result<BTreeMap<String, api::Marker>> {
        Ok(self
            .s
            .store
            .notification_store()
            .markers(user.account.id)
            .await?
            .iter()
            .filter(|m| timelines.contains(&m.timeline))
            .map(|m| (m.timeline.clone(), entity(m)))
            .collect())
    }

    /// `POST /api/v1/markers`: `(timeline, last_read_id)` pairs; other timelines are ignored,
    /// as Mastodon ignores them. Returns the markers written. The write is one atomic upsert,
    /// so concurrent saves never conflict (the later one wins, and each bumps the version).
    pub async fn save(
        &self,
        user: &LocalAccount,
        updates: &[(String, Option<String>)],
    ) -> Result<BTreeMap<String, api::Marker>> {
        let mut checked = Vec::new();
        for (timeline, last_read) in updates {
            if !TIMELINES.contains(&timeline.as_str()) {
                continue;
            }
            let id = match last_read.as_deref().map(str::trim) {
                None | Some("") => {
                    return Err(ServiceError::invalid("last_read_id", "can't be blank"));
                }
                Some(raw) => raw.parse::<Id>().map_err(|_| {
                    ServiceError::invalid("last_read_id", format!("{raw:?} is not an id"))
                })?,
            };
            checked.push((timeline.clone(), id));
        }
        let now = self.s.clock.now();
        let mut out = BTreeMap::new();
        let mut tx = self.s.store.begin().await?;
        for (timeline, id) in checked {
            let m = tx
                .notifications()
                .save_marker(user.account.id, &timeline, id, now)
                .await?;
            out.insert(timeline, entity(&m));
        }
        tx.commit().await?;
        Ok(out)
    }
}
