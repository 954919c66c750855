//! Route table. One module per endpoint group.

mod accounts;
mod actors;
mod admin;
mod announcements;
mod authorize;
mod conversations;
mod custom_emojis;
mod directory;
mod discovery;
mod domain_blocks;
mod emails;
mod endorsements;
mod featured_tags;
mod federation;
mod filters;
mod health;
mod instance;
mod interactions;
mod lists;
mod media;
mod notification_requests;
mod notifications;
mod oauth;
mod objects;
mod polls;
mod preferences;
mod quotes;
mod reports;
mod scheduled_statuses;
mod static_files;
mod statuses;
mod suggestions;
mod tags;
mod trends;

use axum::Router;
use axum::routing::{delete, get, post, put};

use crate::{ApiError, AppState};

pub(crate) use actors::actor_json;
pub(crate) use federation::{ActorView, SignedIfActivityPub};
pub(crate) use statuses::path_id;

pub(crate) fn ops() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
}

pub(crate) fn router() -> Router<AppState> {
    ops()
        .route("/api/v1/instance", get(instance::v1))
        .route("/api/v1/instance/activity", get(directory::activity))
        .route("/api/v1/instance/peers", get(directory::peers))
        .route(
            "/api/v1/instance/extended_description",
            get(directory::extended_description),
        )
        .route("/api/v1/instance/rules", get(directory::rules))
        .route(
            "/api/v1/instance/privacy_policy",
            get(directory::privacy_policy),
        )
        .route("/api/v1/instance/languages", get(directory::languages))
        .route(
            "/api/v1/instance/terms_of_service",
            get(directory::terms_of_service),
        )
        .route(
            "/api/v1/instance/terms_of_service/{date}",
            get(directory::terms_of_service_on),
        )
        .route(
            "/api/v1/instance/domain_blocks",
            get(directory::domain_blocks),
        )
        .route(
            "/api/v1/instance/translation_languages",
            get(directory::translation_languages),
        )
        .route("/api/v1/custom_emojis", get(custom_emojis::list))
        .route("/emojis/{id}", get(custom_emojis::emoji))
        .route("/api/v1/directory", get(directory::directory))
        .route("/api/v1/trends", get(trends::tags))
        .route("/api/v1/trends/tags", get(trends::tags))
        .route("/api/v1/trends/statuses", get(trends::statuses))
        .route("/api/v1/trends/links", get(trends::links))
        .route("/api/v2/instance", get(instance::v2))
        .route("/api/v2/instance/", get(instance::v2))
        .route("/", get(crate::pages::about))
        .route("/about", get(crate::pages::about))
        .route("/robots.txt", get(crate::pages::robots))
        .route(
            "/auth/confirmation",
            get(crate::pages::confirm).post(crate::pages::confirmation_resend),
        )
        .route(
            "/auth/confirmation/new",
            get(crate::pages::confirmation_new),
        )
        .route(
            "/auth/sign_up",
            get(crate::pages::sign_up_form).post(crate::pages::sign_up),
        )
        .route("/invite/{code}", get(crate::pages::sign_up_invited))
        .route(
            "/auth/sign_in",
            get(crate::pages::sign_in_form).post(crate::pages::sign_in),
        )
        .route(
            "/auth/sign_in/two_factor",
            post(crate::pages::sign_in_two_factor),
        )
        .route("/auth/sign_out", post(crate::pages::sign_out))
        .route("/settings", get(crate::pages::settings))
        .route(
            "/settings/password",
            get(crate::pages::settings_password).post(crate::pages::change_password),
        )
        .route(
            "/settings/two_factor",
            get(crate::pages::settings_two_factor),
        )
        .route(
            "/settings/two_factor/setup",
            post(crate::pages::two_factor_setup),
        )
        .route(
            "/settings/two_factor/enable",
            post(crate::pages::two_factor_enable),
        )
        .route(
            "/settings/two_factor/disable",
            post(crate::pages::two_factor_disable),
        )
        .route("/settings/sessions", get(crate::pages::settings_sessions))
        .route(
            "/settings/notifications",
            get(crate::pages::settings_notifications)
                .post(crate::pages::settings_notifications_submit),
        )
        .route(
            "/settings/email",
            get(crate::pages::settings_email).post(crate::pages::settings_email_submit),
        )
        .merge(reports::routes())
        .merge(crate::pages::export_routes())
        .merge(admin::accounts::routes())
        .merge(crate::pages::strike_routes())
        .merge(crate::pages::migration_routes())
        .merge(crate::pages::severed_routes())
        .merge(crate::pages::preferences_routes())
        .merge(crate::pages::applications_routes())
        .merge(crate::pages::admin_routes())
        .merge(crate::pages::account_list_routes())
        .merge(admin::server_policy_routes())
        .merge(admin::trends_routes())
        .route(
            "/settings/delete",
            get(crate::pages::settings_delete).post(crate::pages::settings_confirm_delete),
        )
        .route(
            "/settings/sessions/{id}/revoke",
            post(crate::pages::revoke_session),
        )
        .route("/auth/password", post(crate::pages::password_create))
        .route("/auth/password/new", get(crate::pages::password_new))
        .route(
            "/auth/password/edit",
            get(crate::pages::password_edit).post(crate::pages::password_update),
        )
        .route("/.well-known/webfinger", get(discovery::webfinger))
        .route("/.well-known/host-meta", get(discovery::host_meta))
        .route(
            "/.well-known/host-meta.json",
            get(discovery::host_meta_json),
        )
        .route("/.well-known/nodeinfo", get(discovery::nodeinfo_links))
        .route("/nodeinfo/2.0", get(discovery::nodeinfo))
        .route("/nodeinfo/2.0.json", get(discovery::nodeinfo))
        .route("/api/v1/apps", post(oauth::create_app))
        .route("/api/v1/apps/verify_credentials", get(oauth::verify_app))
        .route(
            "/api/v1/emails/confirmations",
            post(emails::resend_confirmation),
        )
        .route(
            "/api/v1/emails/check_confirmation",
            get(emails::check_confirmation),
        )
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route(
            "/oauth/authorize",
            get(authorize::form).post(authorize::sign_in),
        )
        .route("/oauth/authorize/decision", post(authorize::decide))
        .route("/oauth/authorize/two_factor", post(authorize::two_factor))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route(
            "/api/v1/accounts/verify_credentials",
            get(accounts::verify_credentials),
        )
        .route(
            "/api/v1/accounts",
            get(accounts::many).post(accounts::register),
        )
        .route("/api/v1/accounts/lookup", get(accounts::lookup))
        .route("/api/v1/accounts/search", get(accounts::search))
        .route(
            "/api/v1/accounts/relationships",
            get(accounts::relationships),
        )
        .route("/api/v1/accounts/{id}", get(accounts::show))
        .route("/api/v1/accounts/{id}/statuses", get(statuses::of_account))
        .route("/api/v1/accounts/{id}/followers", get(accounts::followers))
        .route("/api/v1/accounts/{id}/following", get(accounts::following))
        .route("/api/v1/accounts/{id}/follow", post(accounts::follow))
        .route("/api/v1/accounts/{id}/unfollow", post(accounts::unfollow))
        .route("/api/v1/accounts/{id}/block", post(accounts::block))
        .route("/api/v1/accounts/{id}/unblock", post(accounts::unblock))
        .route("/api/v1/accounts/{id}/mute", post(accounts::mute))
        .route("/api/v1/accounts/{id}/unmute", post(accounts::unmute))
        .route("/api/v1/blocks", get(accounts::blocks))
        .route("/api/v1/follow_requests", get(accounts::follow_requests))
        .route(
            "/api/v1/follow_requests/{id}/authorize",
            post(accounts::authorize_follow),
        )
        .route(
            "/api/v1/follow_requests/{id}/reject",
            post(accounts::reject_follow),
        )
        .route("/api/v1/mutes", get(accounts::mutes))
        .route(
            "/api/v1/statuses",
            get(statuses::many).post(statuses::create),
        )
        .route(
            "/api/v1/statuses/{id}",
            get(statuses::show)
                .put(statuses::edit)
                .delete(statuses::delete),
        )
        .route("/api/v1/announcements", get(announcements::list))
        .route(
            "/api/v1/announcements/{id}/dismiss",
            post(announcements::dismiss),
        )
        .route(
            "/api/v1/announcements/{id}/reactions/{name}",
            put(announcements::react).delete(announcements::unreact),
        )
        .route("/api/v1/scheduled_statuses", get(scheduled_statuses::list))
        .route(
            "/api/v1/scheduled_statuses/{id}",
            get(scheduled_statuses::show)
                .put(scheduled_statuses::update)
                .delete(scheduled_statuses::delete),
        )
        .route("/api/v1/statuses/{id}/card", get(statuses::card))
        .route("/api/v1/statuses/{id}/context", get(statuses::context))
        .route("/api/v1/statuses/{id}/history", get(statuses::history))
        .route("/api/v1/statuses/{id}/pin", post(statuses::pin))
        .route("/api/v1/statuses/{id}/mute", post(statuses::mute))
        .route("/api/v1/statuses/{id}/unmute", post(statuses::unmute))
        .route("/api/v1/statuses/{id}/unpin", post(statuses::unpin))
        .route("/api/v1/statuses/{id}/source", get(statuses::source))
        .route(
            "/api/v1/statuses/{id}/favourite",
            post(interactions::favourite),
        )
        .route(
            "/api/v1/statuses/{id}/unfavourite",
            post(interactions::unfavourite),
        )
        .route("/api/v1/statuses/{id}/reblog", post(interactions::reblog))
        .route(
            "/api/v1/statuses/{id}/unreblog",
            post(interactions::unreblog),
        )
        .route(
            "/api/v1/statuses/{id}/bookmark",
            post(interactions::bookmark),
        )
        .route(
            "/api/v1/statuses/{id}/unbookmark",
            post(interactions::unbookmark),
        )
        .route(
            "/api/v1/statuses/{id}/favourited_by",
            get(interactions::favourited_by),
        )
        .route("/api/v1/statuses/{id}/quotes", get(quotes::index))
        .route(
            "/api/v1/statuses/{id}/quotes/{quoting_status_id}/revoke",
            post(quotes::revoke),
        )
        .route(
            "/api/v1/statuses/{id}/interaction_policy",
            put(quotes::interaction_policy),
        )
        .route(
            "/api/v1/statuses/{id}/reblogged_by",
            get(interactions::reblogged_by),
        )
        .route("/api/v1/favourites", get(interactions::favourites))
        .route("/api/v1/bookmarks", get(interactions::bookmarks))
        .route("/api/v1/timelines/home", get(statuses::home))
        .route("/api/v1/timelines/public", get(statuses::public))
        .route("/api/v1/timelines/tag/{hashtag}", get(statuses::tag))
        .route("/api/v1/timelines/list/{id}", get(lists::timeline))
        .route("/api/v1/conversations", get(conversations::index))
        .route(
            "/api/v1/conversations/{id}",
            axum::routing::delete(conversations::remove),
        )
        .route("/api/v1/conversations/{id}/read", post(conversations::read))
        .route("/api/v1/lists", get(lists::index).post(lists::create))
        .route(
            "/api/v1/lists/{id}",
            get(lists::show).put(lists::update).delete(lists::delete),
        )
        .route(
            "/api/v1/lists/{id}/accounts",
            get(lists::accounts)
                .post(lists::add_accounts)
                .delete(lists::remove_accounts),
        )
        .route("/api/v1/accounts/{id}/lists", get(lists::of_account))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/notifications/clear", post(notifications::clear))
        .route(
            "/api/v1/notifications/unread_count",
            get(notifications::unread_count_v1),
        )
        .route("/api/v2/notifications", get(notifications::grouped))
        .route("/api/v2/notifications/clear", post(notifications::clear))
        .route(
            "/api/v2/notifications/unread_count",
            get(notifications::unread_count_v2),
        )
        .route(
            "/api/v2/notifications/{group_key}",
            get(notifications::group),
        )
        .route(
            "/api/v2/notifications/{group_key}/accounts",
            get(notifications::group_accounts),
        )
        .route(
            "/api/v2/notifications/{group_key}/dismiss",
            post(notifications::dismiss_group),
        )
        .route(
            "/api/v2/notifications/policy",
            // PATCH as documented; PUT too, as Rails routes it (masto sends PUT).
            get(notification_requests::policy)
                .patch(notification_requests::update_policy)
                .put(notification_requests::update_policy),
        )
        .route(
            "/api/v1/notifications/policy",
            get(notification_requests::policy_v1)
                .put(notification_requests::update_policy_v1)
                .patch(notification_requests::update_policy_v1),
        )
        .route(
            "/api/v1/notifications/requests",
            get(notification_requests::requests),
        )
        .route(
            "/api/v1/notifications/requests/merged",
            get(notification_requests::merged),
        )
        .route(
            "/api/v1/notifications/requests/accept",
            post(notification_requests::accept_many),
        )
        .route(
            "/api/v1/notifications/requests/dismiss",
            post(notification_requests::dismiss_many),
        )
        .route(
            "/api/v1/notifications/requests/{id}",
            get(notification_requests::request),
        )
        .route(
            "/api/v1/notifications/requests/{id}/accept",
            post(notification_requests::accept),
        )
        .route(
            "/api/v1/notifications/requests/{id}/dismiss",
            post(notification_requests::dismiss),
        )
        .route("/api/v1/accounts/{id}/pin", post(endorsements::endorse))
        .route("/api/v1/accounts/{id}/endorse", post(endorsements::endorse))
        .route("/api/v1/accounts/{id}/unpin", post(endorsements::unendorse))
        .route(
            "/api/v1/accounts/{id}/unendorse",
            post(endorsements::unendorse),
        )
        .route("/api/v2/suggestions", get(suggestions::v2))
        .route("/api/v1/suggestions", get(suggestions::v1))
        .route("/api/v1/suggestions/{id}", delete(suggestions::dismiss))
        .route("/api/v1/endorsements", get(endorsements::list))
        .route(
            "/api/v1/domain_blocks",
            get(domain_blocks::list)
                .post(domain_blocks::block)
                .delete(domain_blocks::unblock),
        )
        .route("/api/v1/accounts/{id}/note", post(endorsements::note))
        .route(
            "/api/v1/accounts/familiar_followers",
            get(endorsements::familiar_followers),
        )
        .route(
            "/api/v1/accounts/{id}/remove_from_followers",
            post(endorsements::remove_from_followers),
        )
        .route("/api/v1/tags/{name}", get(tags::show))
        .route("/api/v1/tags/{name}/follow", post(tags::follow))
        .route("/api/v1/tags/{name}/unfollow", post(tags::unfollow))
        .route("/api/v1/followed_tags", get(tags::followed))
        .route("/api/v1/tags/{name}/feature", post(featured_tags::feature))
        .route(
            "/api/v1/tags/{name}/unfeature",
            post(featured_tags::unfeature),
        )
        .route(
            "/api/v1/featured_tags",
            get(featured_tags::list).post(featured_tags::create),
        )
        .route(
            "/api/v1/featured_tags/suggestions",
            get(featured_tags::suggestions),
        )
        .route("/api/v1/featured_tags/{id}", delete(featured_tags::delete))
        .route(
            "/api/v1/accounts/{id}/featured_tags",
            get(featured_tags::of_account),
        )
        .route("/tags/{name}", get(crate::pages::tag))
        .route("/@{username}/tagged/{name}", get(crate::pages::account_tag))
        .route("/api/v1/polls/{id}", get(polls::show))
        .route("/api/v1/polls/{id}/votes", post(polls::vote))
        .route("/api/v2/filters", get(filters::list).post(filters::create))
        .route(
            "/api/v2/filters/{id}",
            get(filters::get)
                .put(filters::update)
                .delete(filters::delete),
        )
        .route(
            "/api/v2/filters/{id}/keywords",
            get(filters::keywords).post(filters::add_keyword),
        )
        .route(
            "/api/v2/filters/{id}/statuses",
            get(filters::statuses).post(filters::add_status),
        )
        .route(
            "/api/v2/filters/keywords/{id}",
            get(filters::keyword)
                .put(filters::update_keyword)
                .delete(filters::delete_keyword),
        )
        .route(
            "/api/v2/filters/statuses/{id}",
            get(filters::status).delete(filters::delete_status),
        )
        .route(
            "/api/v1/filters",
            get(filters::list_v1).post(filters::create_v1),
        )
        .route(
            "/api/v1/filters/{id}",
            get(filters::get_v1)
                .put(filters::update_v1)
                .delete(filters::delete_v1),
        )
        .route(
            "/api/v1/markers",
            get(preferences::markers).post(preferences::save_markers),
        )
        .route("/api/v1/preferences", get(preferences::preferences))
        .route("/api/v1/notifications/{id}", get(notifications::show))
        .route(
            "/api/v1/notifications/{id}/dismiss",
            post(notifications::dismiss),
        )
        .route("/inbox", post(federation::shared_inbox))
        .route("/actor", get(federation::instance_actor))
        .route("/actor/inbox", post(federation::shared_inbox))
        .route(
            "/actor/{collection}",
            get(federation::instance_actor_collection),
        )
        .route(
            "/actor/collections/{collection}",
            get(federation::instance_actor_collection),
        )
        .route("/users/{username}/inbox", post(federation::user_inbox))
        .route("/api/v2/search", get(federation::search))
        .route("/users/{username}", get(actors::actor))
        .route("/@{username}", get(crate::pages::profile))
        .route("/@{username}/{id}", get(crate::pages::status))
        .route("/users/{username}/statuses/{id}", get(objects::status))
        .route(
            "/users/{username}/statuses/{id}/activity",
            get(objects::status_activity),
        )
        .route(
            "/users/{username}/statuses/{id}/replies",
            get(objects::replies),
        )
        .route(
            "/users/{username}/quote_authorizations/{id}",
            get(quotes::authorization),
        )
        .route("/users/{username}/outbox", get(objects::outbox))
        .route("/users/{username}/followers", get(objects::followers))
        .route("/users/{username}/following", get(objects::following))
        .route(
            "/users/{username}/collections/featured",
            get(objects::featured),
        )
        .route(
            "/users/{username}/collections/tags",
            get(objects::featured_tags),
        )
        .route("/api/v1/media/{id}", get(media::show).put(media::update))
        .route("/media_proxy/{id}/{variant}", get(media::proxy))
        .route(
            "/media_proxy/accounts/{id}/{which}",
            get(media::account_proxy),
        )
        .route("/instance/thumbnail.png", get(static_files::thumbnail))
        .route(
            "/avatars/original/missing.png",
            get(static_files::missing_image),
        )
        .route(
            "/headers/original/missing.png",
            get(static_files::missing_image),
        )
}

/// The routes that take files, with their own (larger) body limit.
pub(crate) fn upload_routes(limit: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/media", post(media::create_v1))
        .route("/api/v2/media", post(media::create_v2))
        .route(
            "/api/v1/accounts/update_credentials",
            axum::routing::patch(accounts::update_credentials),
        )
        .route(
            "/api/v1/profile/avatar",
            axum::routing::delete(accounts::delete_avatar),
        )
        .route(
            "/api/v1/profile/header",
            axum::routing::delete(accounts::delete_header),
        )
        .merge(crate::pages::profile_settings_routes())
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
}

/// The import page, which takes files larger than other forms.
pub(crate) fn import_routes() -> Router<AppState> {
    let limit = crate::pages::IMPORT_BODY_LIMIT;
    Router::new()
        .route(
            "/settings/import",
            get(crate::pages::settings_import).post(crate::pages::settings_import_submit),
        )
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
}

/// Media files kept on the local disk, under `/system/`.
pub(crate) fn local_files(root: std::path::PathBuf) -> Router<AppState> {
    Router::new()
        .nest_service("/system", tower_http::services::ServeDir::new(root))
        .layer(axum::middleware::from_fn(media::guard_files))
}

/// Anything unrouted: Mastodon's 404.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// A known path asked with a method it does not take: a JSON error like every other (apps
/// read the body of every failed call).
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
    )
}

/// Whether the request asks for ActivityPub JSON.
pub(crate) fn wants_json(headers: &axum::http::HeaderMap) -> bool {
    rookery_activitypub::wants_activity_json(
        headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
    )
}

/// An ActivityPub document, varying by `Accept` and, with authorized fetch, by the request's
/// signature (an unsigned request for an actor gets its key only): no shared cache may give
/// one caller's answer to another.
pub(crate) fn activity_json<T: serde::Serialize>(body: T) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                rookery_activitypub::ACTIVITY_JSON,
            ),
            (
                axum::http::header::VARY,
                "Accept, Signature, Signature-Input, Authorization",
            ),
        ],
        axum::Json(body),
    )
        .into_response()
}
