//! Server-rendered HTML pages (about, profiles, posts, hashtags, the OAuth sign-in and consent)
//! and RSS feeds. Templates live in `crates/http/templates/`, are compiled into the binary by
//! `askama`, and escape everything they render; every page is sent with the same security
//! headers. Pages show only what an anonymous visitor may see.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use rookery_service::{ServiceError, Services};

use crate::ApiError;

mod about;
mod account_lists;
mod admin;
mod applications;
mod auth;
mod email;
mod export;
mod feed;
mod import;
mod migration;
mod notification_settings;
pub(crate) mod oauth;
mod preferences_settings;
mod profile;
mod profile_settings;
mod session;
mod settings;
mod severed;
mod sign_up;
mod status;
mod strikes;
mod tags;
mod view;

pub(crate) use about::about;
pub(crate) use account_lists::routes as account_list_routes;
pub(crate) use admin::routes as admin_routes;
pub(crate) use applications::routes as applications_routes;
pub(crate) use auth::{
    confirm, confirmation_new, confirmation_resend, password_create, password_edit, password_new,
    password_update,
};
pub(crate) use email::{form as settings_email, submit as settings_email_submit};
pub(crate) use export::routes as export_routes;
pub(crate) use import::{
    IMPORT_BODY_LIMIT, form as settings_import, submit as settings_import_submit,
};
pub(crate) use migration::routes as migration_routes;
pub(crate) use notification_settings::{
    form as settings_notifications, submit as settings_notifications_submit,
};
pub(crate) use preferences_settings::routes as preferences_routes;
pub(crate) use profile::profile;
pub(crate) use profile_settings::routes as profile_settings_routes;
pub(crate) use session::{
    ClientIp, sign_in, sign_in_form, sign_out, two_factor as sign_in_two_factor,
};
pub(crate) use settings::{
    change_password, confirm_delete_account as settings_confirm_delete,
    delete_account as settings_delete, overview as settings, password as settings_password,
    revoke_session, sessions as settings_sessions, two_factor as settings_two_factor,
    two_factor_disable, two_factor_enable, two_factor_setup,
};
pub(crate) use severed::routes as severed_routes;
pub(crate) use sign_up::{form as sign_up_form, invited as sign_up_invited, submit as sign_up};
pub(crate) use status::status;
pub(crate) use strikes::routes as strike_routes;
pub(crate) use tags::{account_tag, tag};

/// What every page shows around its content.
pub(crate) struct Site {
    pub title: String,
    pub domain: String,
    pub source_url: String,
    pub version: &'static str,
}

impl Site {
    pub(crate) fn of(services: &Services) -> Site {
        let settings = &services.settings;
        Site {
            title: settings.title.clone(),
            domain: settings.domain.to_string(),
            source_url: settings.source_url.clone(),
            version: rookery_service::VERSION,
        }
    }
}

/// Renders a template to text.
pub(crate) fn html(page: &impl Template) -> Result<String, ApiError> {
    page.render()
        .map_err(|e| ApiError::from(ServiceError::Internal(format!("rendering a page: {e}"))))
}

/// Renders `page` with the headers every page carries: no framing, no scripts, no sniffing,
/// no referrer beyond this origin, and forms posted to this server only.
pub(crate) fn render(page: &impl Template) -> Result<Response, ApiError> {
    let mut response = (StatusCode::OK, Html(html(page)?)).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    Ok(response)
}

/// Keeps search engines from indexing and archiving a page (for accounts that are not
/// discoverable).
pub(crate) fn noindex(response: &mut Response) {
    response.headers_mut().insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, noarchive"),
    );
}

/// `GET /robots.txt`: crawlers may read the public pages, not the API, the sign-in pages or
/// media; AI training crawlers that honour it are turned away, as Mastodon does. Accounts that
/// are not discoverable are kept out of indexes by `X-Robots-Tag` on their pages.
pub(crate) async fn robots() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "User-agent: GPTBot\nDisallow: /\n\n\
         User-agent: *\nDisallow: /api/\nDisallow: /oauth/\nDisallow: /auth/\nDisallow: /settings/\n\
         Disallow: /system/\nDisallow: /media_proxy/\n",
    )
        .into_response()
}

/// Gives every HTML response the page headers it lacks: a policy with no scripts and no
/// framing, `X-Frame-Options: DENY`, `nosniff` and a same-origin referrer. (A page may set a
/// policy of its own first; the OAuth pages leave out `form-action`, as the consent form's
/// answer redirects to the app, which `form-action 'self'` would block in browsers that apply
/// it to redirects.)
pub(crate) async fn secure_pages(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(req).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return response;
    }
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; \
                 base-uri 'none'; frame-ancestors 'none'",
            ),
        );
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    response
}
