//! Bearer-token authentication and scope checks, with Mastodon's error texts.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use rookery_service::Authenticated;
use rookery_store::LocalAccount;

use crate::{ApiError, AppState};

/// The request's token, if it carried a valid one. As in Mastodon, an invalid token makes the
/// request anonymous: endpoints that need a token answer 401, public ones still answer.
#[derive(Debug, Clone)]
pub struct Auth(pub Option<Authenticated>);

fn invalid_token() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "The access token is invalid")
}

/// The bearer token of a request: `Authorization: Bearer …`, else `?access_token=`.
pub(crate) fn bearer(parts: &Parts) -> Option<String> {
    if let Some(h) = parts.headers.get(AUTHORIZATION) {
        let h = h.to_str().ok()?;
        let (scheme, token) = h.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already checked by the rate limiter.
        if let Some(auth) = parts.extensions.get::<Auth>() {
            return Ok(auth.clone());
        }
        let Some(token) = bearer(parts) else {
            return Ok(Auth(None));
        };
        Ok(Auth(authenticate(state, &token).await?))
    }
}

/// The token's owner; a token whose user's login a moderator disabled gets Mastodon's 403.
pub(crate) async fn authenticate(
    state: &AppState,
    token: &str,
) -> Result<Option<rookery_service::Authenticated>, ApiError> {
    let found = state.services.authenticate(token).await?;
    if found.is_none() && state.services.login_disabled(token).await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Your login is currently disabled",
        ));
    }
    Ok(found)
}

impl Auth {
    /// The token, which must grant `scope` (401 without a token, 403 without the scope).
    pub fn scope(&self, scope: &str) -> Result<&Authenticated, ApiError> {
        let a = self.0.as_ref().ok_or_else(invalid_token)?;
        if a.token.scopes.allows(scope) {
            Ok(a)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "This action is outside the authorized scopes",
            ))
        }
    }

    /// The signed-in user behind a token granting `scope`. A user whose sign-up still waits for
    /// approval gets Mastodon's 403.
    pub fn user(&self, scope: &str) -> Result<&LocalAccount, ApiError> {
        signed_in_user(self.scope(scope)?)
    }

    /// The user behind a token granting `scope`, whether or not their address is confirmed
    /// and their sign-up approved (to ask for the confirmation mail again).
    pub fn any_user(&self, scope: &str) -> Result<&LocalAccount, ApiError> {
        self.scope(scope)?.user.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This method requires an authenticated user",
            )
        })
    }

    /// The signed-in user behind a token of any scope (where Mastodon asks for a user and no
    /// particular scope).
    pub fn signed_in(&self) -> Result<&LocalAccount, ApiError> {
        signed_in_user(self.0.as_ref().ok_or_else(invalid_token)?)
    }
}

/// The token's user, whose address must be confirmed and whose sign-up approved.
fn signed_in_user(auth: &Authenticated) -> Result<&LocalAccount, ApiError> {
    let user = auth.user.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This method requires an authenticated user",
        )
    })?;
    if user.user.confirmed_at.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Your login is missing a confirmed e-mail address",
        ));
    }
    if !user.user.approved {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Your login is currently pending approval",
        ));
    }
    Ok(user)
}

impl Auth {
    /// A staff member acting through the admin API: the token must grant `scope` and the
    /// user's role `permission` (403 "This action is not allowed" otherwise, as Mastodon).
    pub fn moderator(
        &self,
        scope: &str,
        permission: rookery_model::Permission,
    ) -> Result<rookery_service::moderation::Moderator, ApiError> {
        let user = self.user(scope)?;
        Ok(rookery_service::moderation::Moderator::of(
            user, permission,
        )?)
    }
}
