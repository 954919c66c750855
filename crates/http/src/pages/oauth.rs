//! The pages of the browser side of OAuth (`/oauth/authorize`): the sign-in form, the consent
//! form, and the messages that end the flow (an error, a denial, an out-of-band code). The
//! flow itself is in `routes/authorize.rs`; these only render. They carry no policy of their
//! own: the page headers add one without `form-action` (see [`super::secure_pages`]).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use rookery_service::Services;

use super::{Site, html};
use crate::ApiError;

#[derive(Template)]
#[template(path = "oauth_sign_in.html")]
struct SignIn<'a> {
    site: Site,
    heading: String,
    app: &'a str,
    /// The app's request, carried through the form.
    fields: Vec<(&'a str, &'a str)>,
    csrf: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "oauth_consent.html")]
struct Consent<'a> {
    site: Site,
    username: &'a str,
    app: &'a str,
    scopes: Vec<&'a str>,
    ticket: &'a str,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "oauth_two_factor.html")]
struct TwoFactor<'a> {
    site: Site,
    app: &'a str,
    ticket: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "oauth_message.html")]
struct Message<'a> {
    site: Site,
    heading: &'a str,
    message: &'a str,
    code: Option<&'a str>,
}

/// The sign-in form for `app`.
pub(crate) fn sign_in(
    services: &Services,
    app: &str,
    fields: Vec<(&str, &str)>,
    csrf: &str,
    error: Option<&str>,
) -> Result<String, ApiError> {
    let site = Site::of(services);
    html(&SignIn {
        heading: format!("Sign in to {}", site.title),
        site,
        app,
        fields,
        csrf,
        error,
    })
}

/// The consent form: what `app` asks of `username`'s account.
pub(crate) fn consent(
    services: &Services,
    username: &str,
    app: &str,
    scopes: Vec<&str>,
    ticket: &str,
    csrf: &str,
) -> Result<String, ApiError> {
    html(&Consent {
        site: Site::of(services),
        username,
        app,
        scopes,
        ticket,
        csrf,
    })
}

/// The second step of signing in, for an account with two-factor authentication.
pub(crate) fn two_factor(
    services: &Services,
    app: &str,
    ticket: &str,
    csrf: &str,
    error: Option<&str>,
) -> Result<String, ApiError> {
    html(&TwoFactor {
        site: Site::of(services),
        app,
        ticket,
        csrf,
        error,
    })
}

/// The code to paste into an app that cannot receive a redirect.
pub(crate) fn code(services: &Services, code: &str) -> Result<String, ApiError> {
    html(&Message {
        site: Site::of(services),
        heading: "Authorization code",
        message: "",
        code: Some(code),
    })
}

/// Why the flow stopped, with `status`.
pub(crate) fn error(services: &Services, status: StatusCode, message: &str) -> Response {
    let page = html(&Message {
        site: Site::of(services),
        heading: "Authorization failed",
        message,
        code: None,
    });
    match page {
        Ok(page) => (status, Html(page)).into_response(),
        Err(e) => e.into_response(),
    }
}
