//! `/settings/preferences`: the defaults new posts get — visibility, language, who may quote
//! them, media marked sensitive — as `source[privacy|language|sensitive]` of `update_credentials` sets them and
//! `GET /api/v1/preferences` reads them.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use rookery_service::languages::LANGUAGES;
use rookery_service::{PostingUpdate, ProfileUpdate, ServiceError};
use rookery_store::LocalAccount;

use super::Site;
use super::session::ClientIp;
use super::settings::{Signed, frame, page, posted, settings_page, signed};
use crate::{ApiError, AppState};

/// The preferences route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/settings/preferences", get(form).post(submit))
}

/// The visibilities offered as a default (`direct` is chosen post by post), as Mastodon.
const VISIBILITIES: [(&str, &str); 3] = [
    ("public", "Public: everyone, shown in public timelines"),
    (
        "unlisted",
        "Unlisted: everyone, kept out of public timelines",
    ),
    ("private", "Followers only"),
];

/// Who may quote new posts, as `source[quote_policy]` sets it.
const QUOTE_POLICIES: [(&str, &str); 3] = [
    ("public", "Anyone"),
    ("followers", "Followers only"),
    ("nobody", "Just me"),
];

#[derive(Template)]
#[template(path = "settings/preferences.html")]
struct PreferencesPage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    visibilities: [(&'static str, &'static str); 3],
    languages: &'static [(&'static str, &'static str)],
    quote_policies: [(&'static str, &'static str); 3],
    visibility: String,
    language: String,
    quote_policy: &'static str,
    sensitive: bool,
    /// A stored language the list lacks (one with a region, set by an app), kept selectable.
    other_language: Option<String>,
}

fn preferences_page(
    state: &AppState,
    s: &Signed,
    shown: &LocalAccount,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let posting = &shown.user.posting;
    let language = posting.language.clone().unwrap_or_default();
    let other_language = (!language.is_empty() && !LANGUAGES.iter().any(|(c, _)| *c == language))
        .then(|| language.clone());
    let mut f = frame(state, s, "preferences");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(PreferencesPage, f, {
        visibilities: VISIBILITIES,
        languages: LANGUAGES,
        quote_policies: QUOTE_POLICIES,
        visibility: posting.visibility.as_str().to_owned(),
        language: language,
        quote_policy: posting.quote_policy.setting(),
        sensitive: posting.sensitive,
        other_language: other_language,
    });
    page(&body, s, status)
}

/// `GET /settings/preferences`.
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => preferences_page(&state, &s, &s.local, None, None, StatusCode::OK),
        Err(to) => Ok(to),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PreferencesForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    privacy: String,
    #[serde(default)]
    language: String,
    /// Absent from forms older than the choice: then left as it is.
    #[serde(default)]
    quote_policy: Option<String>,
    /// A checkbox: present only when ticked.
    #[serde(default)]
    sensitive: Option<String>,
}

/// `POST /settings/preferences`.
pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<PreferencesForm>,
) -> Result<Response, ApiError> {
    let s = match posted(&state, &headers, &ip, &form.authenticity_token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let update = ProfileUpdate {
        posting: PostingUpdate {
            privacy: Some(form.privacy),
            language: Some(form.language),
            sensitive: Some(form.sensitive.is_some_and(|v| v != "0" && v != "false")),
            quote_policy: form.quote_policy,
        },
        ..ProfileUpdate::default()
    };
    match state.services.update_profile(&s.local, update).await {
        Ok(updated) => {
            let notice = Some("Your preferences are saved.".to_owned());
            preferences_page(&state, &s, &updated, notice, None, StatusCode::OK)
        }
        Err(ServiceError::Invalid { message, .. }) => {
            let error = Some(format!("That default {message}."));
            let bad = StatusCode::UNPROCESSABLE_ENTITY;
            preferences_page(&state, &s, &s.local, None, error, bad)
        }
        Err(e) => Err(e.into()),
    }
}
