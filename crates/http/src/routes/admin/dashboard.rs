//! The dashboard's figures: `POST /api/v1/admin/measures`, `/dimensions` and `/retention`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use rookery_model::Permission::ViewDashboard;
use rookery_service::moderation::dashboard::DashboardQuery;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Auth;
use crate::extract::{Body, loose};
use crate::{ApiError, AppState};

const SCOPE: &str = "admin:read";

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FiguresForm {
    #[serde(default, deserialize_with = "loose::string_list")]
    keys: Vec<String>,
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    start_at: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    end_at: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    limit: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    frequency: Option<String>,
    /// `instance_accounts[domain]` and the like.
    #[serde(flatten)]
    rest: HashMap<String, Value>,
}

fn query(form: FiguresForm) -> DashboardQuery {
    let domains = form
        .rest
        .iter()
        .filter_map(|(k, v)| {
            let d = v.get("domain")?.as_str()?;
            Some((k.clone(), d.to_owned()))
        })
        .collect();
    DashboardQuery {
        keys: form.keys,
        domains,
        start_at: form.start_at.unwrap_or_default(),
        end_at: form.end_at.unwrap_or_default(),
        limit: form.limit.and_then(|l| l.trim().parse().ok()),
    }
}

/// `POST /api/v1/admin/measures` — `keys[]`, `start_at`, `end_at`, and
/// `instance_*[domain]` for the keys about one server.
pub(crate) async fn measures(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<FiguresForm>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let by = auth.moderator(SCOPE, ViewDashboard)?;
    let q = query(form);
    Ok(Json(state.services.dashboard().measures(by, &q).await?))
}

/// `POST /api/v1/admin/dimensions` — `keys[]`, `start_at`, `end_at`, `limit`, and
/// `instance_*[domain]`.
pub(crate) async fn dimensions(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<FiguresForm>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let by = auth.moderator(SCOPE, ViewDashboard)?;
    let q = query(form);
    Ok(Json(state.services.dashboard().dimensions(by, &q).await?))
}

/// `POST /api/v1/admin/retention` — `start_at`, `end_at`, `frequency` (`day` or `month`).
pub(crate) async fn retention(
    State(state): State<AppState>,
    auth: Auth,
    Body(form): Body<FiguresForm>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let by = auth.moderator(SCOPE, ViewDashboard)?;
    let cohorts = state
        .services
        .dashboard()
        .retention(
            by,
            form.start_at.as_deref().unwrap_or_default(),
            form.end_at.as_deref().unwrap_or_default(),
            form.frequency.as_deref().unwrap_or("day"),
        )
        .await?;
    Ok(Json(cohorts))
}
