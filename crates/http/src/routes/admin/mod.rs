//! The admin API (`/api/v1/admin/…`), one module per area.

pub(crate) mod accounts;
mod dashboard;
mod domain_allows;
mod domain_blocks;
mod email_blocks;
mod ip_blocks;
pub(crate) mod reports;
mod trends;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// Server-wide policy (domain, e-mail and IP blocks, allowed domains) and the dashboard.
pub(crate) fn server_policy_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/domain_blocks",
            get(domain_blocks::list).post(domain_blocks::create),
        )
        .route(
            "/api/v1/admin/domain_blocks/{id}",
            get(domain_blocks::show)
                .put(domain_blocks::update)
                .delete(domain_blocks::delete),
        )
        .route(
            "/api/v1/admin/domain_allows",
            get(domain_allows::list).post(domain_allows::create),
        )
        .route(
            "/api/v1/admin/domain_allows/{id}",
            get(domain_allows::show).delete(domain_allows::delete),
        )
        .route(
            "/api/v1/admin/email_domain_blocks",
            get(email_blocks::domains).post(email_blocks::block_domain),
        )
        .route(
            "/api/v1/admin/email_domain_blocks/{id}",
            get(email_blocks::domain).delete(email_blocks::unblock_domain),
        )
        .route(
            "/api/v1/admin/canonical_email_blocks",
            get(email_blocks::canonical).post(email_blocks::block_canonical),
        )
        .route(
            "/api/v1/admin/canonical_email_blocks/test",
            post(email_blocks::test),
        )
        .route(
            "/api/v1/admin/canonical_email_blocks/{id}",
            get(email_blocks::canonical_one).delete(email_blocks::unblock_canonical),
        )
        .route(
            "/api/v1/admin/ip_blocks",
            get(ip_blocks::list).post(ip_blocks::create),
        )
        .route(
            "/api/v1/admin/ip_blocks/{id}",
            get(ip_blocks::show)
                .put(ip_blocks::update)
                .delete(ip_blocks::delete),
        )
        .route("/api/v1/admin/measures", post(dashboard::measures))
        .route("/api/v1/admin/dimensions", post(dashboard::dimensions))
        .route("/api/v1/admin/retention", post(dashboard::retention))
}

/// Staff's review of trends.
pub(crate) fn trends_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/trends/tags", get(trends::tags))
        .route("/api/v1/admin/trends/statuses", get(trends::statuses))
        .route("/api/v1/admin/trends/links", get(trends::links))
        .route(
            "/api/v1/admin/trends/tags/{id}/{decision}",
            post(trends::review_tag),
        )
        .route(
            "/api/v1/admin/trends/statuses/{id}/{decision}",
            post(trends::review_status),
        )
        .route(
            "/api/v1/admin/trends/links/{id}/{decision}",
            post(trends::review_link),
        )
}
