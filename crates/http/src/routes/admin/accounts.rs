//! The admin accounts API: Mastodon's `/api/v1/admin/accounts` and `/api/v2/admin/accounts`,
//! and the moderation actions on an account.

use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use rookery_api::AdminAccount;
use rookery_model::{Permission, Role};
use rookery_service::moderation::actions::{ActionKind, ActionRequest};
use rookery_store::{AccountFilter, AccountOrigin, AccountState};

use crate::auth::Auth;
use crate::extract::Body;
use crate::extract::loose;
use crate::paging::{LooseQuery, PageParams, Paged};
use crate::routes::path_id;
use crate::{ApiError, AppState};

const READ: &str = "admin:read:accounts";
const WRITE: &str = "admin:write:accounts";

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/accounts", get(list_v1))
        .route("/api/v2/admin/accounts", get(list_v2))
        .route("/api/v1/admin/accounts/{id}", get(show).delete(destroy))
        .route("/api/v1/admin/accounts/{id}/action", post(action))
        .route("/api/v1/admin/accounts/{id}/enable", post(enable))
        .route("/api/v1/admin/accounts/{id}/unsilence", post(unsilence))
        .route("/api/v1/admin/accounts/{id}/unsuspend", post(unsuspend))
        .route("/api/v1/admin/accounts/{id}/unsensitive", post(unsensitive))
        .route("/api/v1/admin/accounts/{id}/approve", post(approve))
        .route("/api/v1/admin/accounts/{id}/reject", post(reject))
}

fn unprocessable(text: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, text.into())
}

/// The text filters both versions share.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TextFilters {
    username: Option<String>,
    display_name: Option<String>,
    by_domain: Option<String>,
    email: Option<String>,
    ip: Option<String>,
}

fn text(v: Option<String>) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > 320 => Err(unprocessable("Filter is too long")),
        other => Ok(other),
    }
}

impl TextFilters {
    fn into_filter(self) -> Result<AccountFilter, ApiError> {
        Ok(AccountFilter {
            username: text(self.username)?,
            display_name: text(self.display_name)?,
            by_domain: text(self.by_domain)?,
            email: text(self.email)?,
            ip: text(self.ip)?,
            ..AccountFilter::default()
        })
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct V1Query {
    #[serde(flatten)]
    page: PageParams,
    #[serde(flatten)]
    text: TextFilters,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    active: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    pending: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    disabled: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    silenced: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    suspended: Option<bool>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    staff: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct V2Query {
    #[serde(flatten)]
    page: PageParams,
    #[serde(flatten)]
    text: TextFilters,
    origin: Option<String>,
    status: Option<String>,
    permissions: Option<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    role_ids: Vec<String>,
    invited_by: Option<String>,
}

async fn respond(
    state: &AppState,
    auth: &Auth,
    uri: &OriginalUri,
    filter: AccountFilter,
    page: &PageParams,
) -> Result<Paged<AdminAccount>, ApiError> {
    let by = auth.moderator(READ, Permission::ManageUsers)?;
    let list = state
        .services
        .account_actions()
        .list(by, &filter, page.page(100, 200)?)
        .await?;
    Ok(Paged::new(
        list,
        |a| a.id.clone(),
        state.services.urls.base(),
        uri,
    ))
}

/// `GET /api/v1/admin/accounts` — Mastodon's v1 filters (`local`, `remote`, `active`,
/// `pending`, `disabled`, `silenced`, `suspended`, `staff`, and the text ones), Link paging.
pub(crate) async fn list_v1(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(q): LooseQuery<V1Query>,
) -> Result<Paged<AdminAccount>, ApiError> {
    let mut filter = q.text.into_filter()?;
    let on = |b: Option<bool>| b == Some(true);
    filter.origin = if on(q.local) {
        Some(AccountOrigin::Local)
    } else if on(q.remote) {
        Some(AccountOrigin::Remote)
    } else {
        None
    };
    filter.state = [
        (q.active, AccountState::Active),
        (q.pending, AccountState::Pending),
        (q.disabled, AccountState::Disabled),
        (q.silenced, AccountState::Silenced),
        (q.suspended, AccountState::Suspended),
    ]
    .into_iter()
    .find(|(b, _)| on(*b))
    .map(|(_, s)| s);
    filter.staff = on(q.staff);
    respond(&state, &auth, &uri, filter, &q.page).await
}

/// `GET /api/v2/admin/accounts` — `origin` (local, remote), `status` (active, pending,
/// disabled, silenced, suspended), `permissions` (staff), `role_ids[]`, `invited_by`, and the
/// text filters; an unknown value answers 422.
pub(crate) async fn list_v2(
    State(state): State<AppState>,
    auth: Auth,
    uri: OriginalUri,
    LooseQuery(q): LooseQuery<V2Query>,
) -> Result<Paged<AdminAccount>, ApiError> {
    let mut filter = q.text.into_filter()?;
    filter.origin = match q.origin.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("local") => Some(AccountOrigin::Local),
        Some("remote") => Some(AccountOrigin::Remote),
        Some(other) => return Err(unprocessable(format!("Unknown origin: {other:.40}"))),
    };
    filter.state = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("active") => Some(AccountState::Active),
        Some("pending") => Some(AccountState::Pending),
        Some("disabled") => Some(AccountState::Disabled),
        Some("silenced") => Some(AccountState::Silenced),
        Some("suspended") => Some(AccountState::Suspended),
        Some(other) => return Err(unprocessable(format!("Unknown status: {other:.40}"))),
    };
    filter.staff = match q.permissions.as_deref().map(str::trim) {
        None | Some("") => false,
        Some("staff") => true,
        Some(other) => return Err(unprocessable(format!("Unknown permissions: {other:.40}"))),
    };
    for id in q.role_ids.iter().take(20) {
        let role = id
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|i| Role::ALL.get(i).copied())
            .ok_or_else(|| unprocessable("Unknown role"))?;
        filter.roles.push(role);
    }
    if let Some(by) = q.invited_by.as_deref().filter(|s| !s.trim().is_empty()) {
        filter.invited_by = Some(path_id(by.trim())?);
    }
    respond(&state, &auth, &uri, filter, &q.page).await
}

/// `GET /api/v1/admin/accounts/:id` — the Admin::Account.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminAccount>, ApiError> {
    let by = auth.moderator(READ, Permission::ManageUsers)?;
    Ok(Json(state.services.admin_account(by, path_id(&id)?).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActionForm {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    report_id: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string_or_number")]
    #[allow(dead_code)]
    warning_preset_id: Option<String>,
    text: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_bool")]
    send_email_notification: Option<bool>,
}

/// `POST /api/v1/admin/accounts/:id/action` — `type` (none, sensitive, disable, silence,
/// suspend), `report_id`, `warning_preset_id`, `text`, `send_email_notification`; answers `{}`.
pub(crate) async fn action(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<ActionForm>,
) -> Result<Json<Value>, ApiError> {
    let by = auth.moderator(WRITE, Permission::ManageUsers)?;
    let id = path_id(&id)?;
    let kind = match form.kind.as_deref().map(str::trim) {
        None | Some("") => ActionKind::None,
        Some(k) => ActionKind::parse(k)
            .ok_or_else(|| unprocessable(format!("Unknown action type: {k:.40}")))?,
    };
    let report_id = match form.report_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => Some(
            r.parse()
                .map_err(|_| unprocessable("report_id is not a valid id"))?,
        ),
    };
    let text = form.text.unwrap_or_default();
    if text.chars().count() > 5000 {
        return Err(unprocessable(
            "Text is too long (maximum is 5000 characters)",
        ));
    }
    let req = ActionRequest {
        kind,
        report_id,
        text,
        send_email: form.send_email_notification.unwrap_or(true),
    };
    state
        .services
        .account_actions()
        .perform(by, id, &req)
        .await?;
    Ok(Json(json!({})))
}

macro_rules! undo {
    ($name:ident, $method:ident, $doc:literal) => {
        #[doc = $doc]
        pub(crate) async fn $name(
            State(state): State<AppState>,
            auth: Auth,
            Path(id): Path<String>,
        ) -> Result<Json<AdminAccount>, ApiError> {
            let by = auth.moderator(WRITE, Permission::ManageUsers)?;
            Ok(Json(
                state
                    .services
                    .account_actions()
                    .$method(by, path_id(&id)?)
                    .await?,
            ))
        }
    };
}

undo!(
    enable,
    enable,
    "`POST /api/v1/admin/accounts/:id/enable` — the login works again."
);
undo!(
    unsilence,
    unsilence,
    "`POST /api/v1/admin/accounts/:id/unsilence` — lifts a limit."
);
undo!(
    unsuspend,
    unsuspend,
    "`POST /api/v1/admin/accounts/:id/unsuspend` — restores a suspended account."
);
undo!(
    unsensitive,
    unsensitive,
    "`POST /api/v1/admin/accounts/:id/unsensitive` — its media is no longer forced sensitive."
);
undo!(
    approve,
    approve,
    "`POST /api/v1/admin/accounts/:id/approve` — a pending sign-up may sign in."
);
undo!(
    reject,
    reject,
    "`POST /api/v1/admin/accounts/:id/reject` — a pending sign-up is deleted."
);

/// `DELETE /api/v1/admin/accounts/:id` — deletes a suspended account's data.
pub(crate) async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<AdminAccount>, ApiError> {
    let by = auth.moderator(WRITE, Permission::DeleteUserData)?;
    Ok(Json(
        state
            .services
            .account_actions()
            .delete(by, path_id(&id)?)
            .await?,
    ))
}
