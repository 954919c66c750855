//! `/settings/profile`: the public profile (display name, bio, the four profile fields,
//! the account's flags, avatar and header), changed through the same use case as
//! `PATCH /api/v1/accounts/update_credentials` and so with the same limits. The form is
//! multipart, for the images; it is mounted with the upload routes' body limit.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use rookery_model::ActorType;
use rookery_service::{ProfileUpdate, ServiceError};
use rookery_store::LocalAccount;

use super::Site;
use super::session::ClientIp;
use super::settings::{Signed, frame, page, posted, settings_page, signed};
use crate::{ApiError, AppState};

/// How many profile fields an account has (Mastodon's four).
const FIELDS: usize = 4;
/// Text kept of a posted text field: far above every limit, so the use case refuses what is
/// too long rather than this page cutting it silently.
const TEXT_KEPT: usize = 4096;

/// The profile route (`GET` and the multipart `POST`).
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/settings/profile", get(form).post(submit))
}

/// What the form shows: the account's values, or those just posted when they were refused.
#[derive(Default)]
struct Values {
    display_name: String,
    note: String,
    fields: Vec<(String, String)>,
    locked: bool,
    bot: bool,
    discoverable: bool,
    hide_collections: bool,
    indexable: bool,
}

impl Values {
    fn of(local: &LocalAccount) -> Values {
        let a = &local.account;
        let mut fields: Vec<(String, String)> = a
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect();
        fields.resize(FIELDS, (String::new(), String::new()));
        Values {
            display_name: a.display_name.clone(),
            note: a.note.clone(),
            fields,
            locked: a.locked,
            bot: a.actor_type == ActorType::Service,
            discoverable: a.discoverable,
            hide_collections: a.profile.hide_collections,
            indexable: a.profile.indexable,
        }
    }
}

#[derive(Template)]
#[template(path = "settings/profile.html")]
struct ProfilePage {
    site: Site,
    me: String,
    csrf: String,
    section: &'static str,
    notice: Option<String>,
    error: Option<String>,
    values: Values,
    avatar: String,
    header: String,
}

fn profile_page(
    state: &AppState,
    s: &Signed,
    shown: &LocalAccount,
    values: Values,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let entity = state.services.account_entity(&shown.account);
    let mut f = frame(state, s, "profile");
    f.notice = notice;
    f.error = error;
    let body = settings_page!(ProfilePage, f, {
        values: values,
        avatar: entity.avatar,
        header: entity.header,
    });
    page(&body, s, status)
}

/// `GET /settings/profile`.
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Result<Response, ApiError> {
    match signed(&state, &headers, &ip).await? {
        Ok(s) => {
            let values = Values::of(&s.local);
            profile_page(&state, &s, &s.local, values, None, None, StatusCode::OK)
        }
        Err(to) => Ok(to),
    }
}

/// What the form sent.
#[derive(Default)]
struct Posted {
    token: String,
    values: Values,
    avatar: Option<Vec<u8>>,
    header: Option<Vec<u8>>,
}

/// The index of `fields_attributes[i][name|value]`, and whether it is the name.
fn field_slot(name: &str) -> Option<(usize, bool)> {
    let rest = name.strip_prefix("fields_attributes[")?;
    let (index, part) = rest.split_once("][")?;
    let index: usize = index.parse().ok().filter(|i| *i < FIELDS)?;
    match part {
        "name]" => Some((index, true)),
        "value]" => Some((index, false)),
        _ => None,
    }
}

async fn read_form(request: Request, state: &AppState) -> Result<Posted, String> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        format!("The form could not be read: {}", e.body_text())
    };
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| format!("The form could not be read: {}", e.body_text()))?;
    let mut posted = Posted::default();
    posted.values.fields = vec![(String::new(), String::new()); FIELDS];
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(unreadable)?;
        let text = || {
            String::from_utf8_lossy(&bytes)
                .chars()
                .take(TEXT_KEPT)
                .collect::<String>()
        };
        // A checkbox is sent only when ticked.
        let ticked = || matches!(text().as_str(), "1" | "true" | "on");
        let v = &mut posted.values;
        match name.as_str() {
            "authenticity_token" => posted.token = text(),
            "display_name" => v.display_name = text(),
            "note" => v.note = text().replace("\r\n", "\n"),
            "locked" => v.locked = ticked(),
            "bot" => v.bot = ticked(),
            "discoverable" => v.discoverable = ticked(),
            "hide_collections" => v.hide_collections = ticked(),
            "indexable" => v.indexable = ticked(),
            // An empty file part is a file field left alone: no new image.
            "avatar" if !bytes.is_empty() => posted.avatar = Some(bytes.to_vec()),
            "header" if !bytes.is_empty() => posted.header = Some(bytes.to_vec()),
            other => {
                if let Some((i, is_name)) = field_slot(other)
                    && let Some(slot) = v.fields.get_mut(i)
                {
                    if is_name {
                        slot.0 = text();
                    } else {
                        slot.1 = text();
                    }
                }
            }
        }
    }
    Ok(posted)
}

/// `POST /settings/profile` (multipart; `avatar` and `header` are optional files).
pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Result<Response, ApiError> {
    // The body is read whole (within the upload limit) even when the answer is the sign-in
    // page: a response sent before its request is read ends the browser's connection.
    let sent = match read_form(request, &state).await {
        Ok(p) => p,
        Err(message) => {
            // Without a readable form there is no token to check: show the page, change nothing.
            return match signed(&state, &headers, &ip).await? {
                Ok(s) => {
                    let values = Values::of(&s.local);
                    profile_page(
                        &state,
                        &s,
                        &s.local,
                        values,
                        None,
                        Some(message),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                }
                Err(to) => Ok(to),
            };
        }
    };
    let s = match posted(&state, &headers, &ip, &sent.token).await? {
        Ok(s) => s,
        Err(answer) => return Ok(answer),
    };
    let v = &sent.values;
    let update = ProfileUpdate {
        display_name: Some(v.display_name.clone()),
        note: Some(v.note.clone()),
        locked: Some(v.locked),
        bot: Some(v.bot),
        discoverable: Some(v.discoverable),
        hide_collections: Some(v.hide_collections),
        indexable: Some(v.indexable),
        fields: Some(v.fields.clone()),
        avatar: sent.avatar,
        header: sent.header,
        ..ProfileUpdate::default()
    };
    match state.services.update_profile(&s.local, update).await {
        Ok(updated) => {
            let values = Values::of(&updated);
            let notice = Some("Your profile is saved.".to_owned());
            profile_page(&state, &s, &updated, values, notice, None, StatusCode::OK)
        }
        Err(ServiceError::Invalid { field, message }) => {
            let error = Some(format!("The {} {message}.", field.replace('_', " ")));
            let bad = StatusCode::UNPROCESSABLE_ENTITY;
            profile_page(&state, &s, &s.local, sent.values, None, error, bad)
        }
        Err(ServiceError::Unprocessable(e)) => {
            let bad = StatusCode::UNPROCESSABLE_ENTITY;
            profile_page(&state, &s, &s.local, sent.values, None, Some(e), bad)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::field_slot;

    #[test]
    fn field_names_map_to_slots() {
        assert_eq!(field_slot("fields_attributes[0][name]"), Some((0, true)));
        assert_eq!(field_slot("fields_attributes[3][value]"), Some((3, false)));
        assert_eq!(field_slot("fields_attributes[4][name]"), None);
        assert_eq!(field_slot("fields_attributes[x][name]"), None);
        assert_eq!(field_slot("fields_attributes[0][other]"), None);
    }
}
