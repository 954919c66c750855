//! `GET /admin`: the dashboard — people, posts, queues and dead jobs, storage.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use rookery_model::Permission;

use super::{admin_frame, admin_page, staff};
use crate::pages::Site;
use crate::pages::session::ClientIp;
use crate::pages::settings::settings_page;
use crate::{ApiError, AppState};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin", get(dashboard))
}

struct QueueRow {
    queue: String,
    due: i64,
    scheduled: i64,
    running: i64,
    dead: i64,
    lag: String,
}

struct StorageRow {
    what: String,
    files: i64,
    size: String,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    users: i64,
    active_month: i64,
    statuses: i64,
    domains: i64,
    dead_jobs: i64,
    queues: Vec<QueueRow>,
    storage: Vec<StorageRow>,
}

/// Bytes as a person reads them.
fn size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    match b {
        b if b >= 1024.0 * 1024.0 * 1024.0 => format!("{:.1} GiB", b / (1024.0 * 1024.0 * 1024.0)),
        b if b >= 1024.0 * 1024.0 => format!("{:.1} MiB", b / (1024.0 * 1024.0)),
        b if b >= 1024.0 => format!("{:.1} KiB", b / 1024.0),
        b => format!("{b} B"),
    }
}

/// `GET /admin`.
async fn dashboard(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    let staff = match staff(&state, &headers, &ip, Permission::ViewDashboard).await? {
        Ok(s) => s,
        Err(to) => return Ok(to),
    };
    let o = state.services.admin_overview(staff.moderator).await?;
    let queues: Vec<QueueRow> = o
        .queues
        .iter()
        .map(|q| QueueRow {
            queue: q.queue.clone(),
            due: q.due,
            scheduled: q.scheduled,
            running: q.running,
            dead: q.dead,
            lag: format!("{:.1} s", q.lag_seconds),
        })
        .collect();
    let storage = o
        .storage
        .iter()
        .map(|u| StorageRow {
            what: format!(
                "{}{}",
                u.purpose.as_str(),
                if u.remote { " (remote cache)" } else { "" }
            ),
            files: u.files,
            size: size(u.bytes),
        })
        .collect();
    let body = settings_page!(Dashboard, admin_frame(&state, &staff, "dashboard"), {
        users: o.stats.local_users,
        active_month: o.stats.active_month,
        statuses: o.stats.local_statuses,
        domains: o.stats.known_domains,
        dead_jobs: o.queues.iter().map(|q| q.dead).sum(),
        queues: queues,
        storage: storage,
    });
    admin_page(&body, &staff, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(super::size(512), "512 B");
        assert_eq!(super::size(1536), "1.5 KiB");
        assert_eq!(super::size(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(super::size(-1), "0 B");
    }
}
