//! Operational endpoints: liveness, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::AppState;

/// `GET /health` — the process is alive.
pub(crate) async fn health() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "OK")
}

/// `GET /ready` — the database answers and the schema is current; 503 with the reasons if not.
pub(crate) async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let report = state.services.ready(state.lag.as_deref()).await;
    let check = |r: &Result<(), String>| match r {
        Ok(()) => json!("ok"),
        Err(e) => json!(e),
    };
    let mut checks = json!({
        "database": check(&report.database),
        "schema": check(&report.schema),
    });
    if let Some(q) = &report.queues {
        checks["queues"] = check(q);
    }
    if let Some(b) = &report.event_bus {
        checks["event_bus"] = check(b);
    }
    let body = json!({
        "status": if report.is_ready() { "ready" } else { "unavailable" },
        "checks": checks,
    });
    let status = if report.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// `GET /metrics` — Prometheus text format.
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let pool = state.services.store.pool_stats();
    state.metrics.set_pool(pool.in_use, pool.idle);
    state.metrics.set_bus(&state.services.events.status());
    state
        .metrics
        .set_federation(&state.services.federation_counters());
    if let Some(media) = state.services.media_counters() {
        state.metrics.set_media(&media);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}
