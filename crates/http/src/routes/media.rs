//! Media: uploads (`/api/v1/media`, `/api/v2/media`), their state and alt text, the files
//! themselves when stored on the local disk (`/system/…`), and `/media_proxy` for other
//! servers' files.

use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use rookery_api::MediaAttachment as MediaEntity;
use rookery_model::MediaState;
use rookery_service::media::{MediaUpdate, Upload};

use super::statuses::path_id;
use crate::auth::Auth;
use crate::extract::{Body, WithFiles};
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MediaForm {
    description: Option<String>,
    focus: Option<String>,
}

/// Checks the token, then reads the body: a client that may not upload is refused before a
/// byte of its (possibly 100 MB) file is read, and whatever its body looks like.
async fn upload(
    state: &AppState,
    auth: &Auth,
    req: Request,
) -> Result<(MediaEntity, bool), ApiError> {
    let user = auth.user("write:media")?;
    let WithFiles { form, files } = WithFiles::<MediaForm>::from_request(req, state).await?;
    // `thumbnail` (a custom preview) is not supported; the file is what counts.
    let Some((_, bytes)) = files.into_iter().find(|(name, _)| name == "file") else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: File can't be blank",
        ));
    };
    Ok(state
        .services
        .upload_media(
            &user.account,
            Upload {
                bytes,
                description: form.description,
                focus: form.focus,
            },
        )
        .await?)
}

/// `POST /api/v2/media` — 200 when processed in time, 202 while the `media` queue works.
pub(crate) async fn create_v2(
    State(state): State<AppState>,
    auth: Auth,
    req: Request,
) -> Result<Response, ApiError> {
    let (entity, done) = upload(&state, &auth, req).await?;
    let status = if done {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(entity)).into_response())
}

/// `POST /api/v1/media` — the same, always 200 (older apps; `url` is `null` until processed).
pub(crate) async fn create_v1(
    State(state): State<AppState>,
    auth: Auth,
    req: Request,
) -> Result<Json<MediaEntity>, ApiError> {
    Ok(Json(upload(&state, &auth, req).await?.0))
}

/// `GET /api/v1/media/:id` — 200 when processed, 206 while processing, 422 if it failed.
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let user = auth.user("write:media")?;
    let (entity, media_state) = state
        .services
        .get_media(&user.account, path_id(&id)?)
        .await?;
    Ok(match media_state {
        MediaState::Processing => (StatusCode::PARTIAL_CONTENT, Json(entity)).into_response(),
        MediaState::Failed => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "There was an error processing the media attachment",
        )
        .into_response(),
        MediaState::Ready | MediaState::Remote => Json(entity).into_response(),
    })
}

/// `PUT /api/v1/media/:id` — alt text and focal point.
pub(crate) async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Body(form): Body<MediaForm>,
) -> Result<Json<MediaEntity>, ApiError> {
    let user = auth.user("write:media")?;
    Ok(Json(
        state
            .services
            .update_media(
                &user.account,
                path_id(&id)?,
                MediaUpdate {
                    description: form.description,
                    focus: form.focus,
                },
            )
            .await?,
    ))
}

fn redirect(url: &str) -> Response {
    let mut r = Redirect::to(url).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /media_proxy/:id/original|small` — a remote attachment from the cache, or from its
/// server while a copy is made.
pub(crate) async fn proxy(
    State(state): State<AppState>,
    Path((id, variant)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let small = match variant.as_str() {
        "original" => false,
        "small" => true,
        _ => return Err(ApiError::not_found()),
    };
    let target = state.services.media_proxy(path_id(&id)?, small).await?;
    Ok(redirect(&target.url))
}

/// `GET /media_proxy/accounts/:id/avatar|header` — the same for account images.
pub(crate) async fn account_proxy(
    State(state): State<AppState>,
    Path((id, which)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let header = match which.as_str() {
        "avatar" => false,
        "header" => true,
        _ => return Err(ApiError::not_found()),
    };
    let target = state
        .services
        .account_image_proxy(path_id(&id)?, header)
        .await?;
    Ok(redirect(&target.url))
}

/// Locally stored files: never the raw uploads (they still carry their metadata), and with
/// headers that let browsers and CDNs keep them forever (keys are never reused).
pub(crate) async fn guard_files(req: Request, next: axum::middleware::Next) -> Response {
    if reaches_uploads(req.uri().path()) {
        return ApiError::not_found().into_response();
    }
    let mut response = next.run(req).await;
    let ok = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    if ok {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}

/// Whether a request path names anything under `uploads/`. The file server percent-decodes
/// the path (`%75ploads`, `uploads%2F…` are `uploads/…` to it), so the check looks at the
/// decoded segments; a path that does not decode is refused too.
fn reaches_uploads(path: &str) -> bool {
    let Some(decoded) = percent_decode(path) else {
        return true;
    };
    decoded.split(['/', '\\']).any(|segment| {
        // Raw uploads keep their metadata; account archives are sent only to their owner.
        segment.eq_ignore_ascii_case("uploads") || segment.eq_ignore_ascii_case("backups")
    })
}

/// `%XX` escapes decoded; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::reaches_uploads;

    #[test]
    fn every_spelling_of_uploads_is_caught() {
        for path in [
            "/system/uploads/1-ab",
            "/system//uploads/1-ab",
            "/system/./uploads/1-ab",
            "/system/%75ploads/1-ab",
            "/system/%55ploads/1-ab",
            "/system/uploads%2F1-ab",
            "/system/uploads%2f1-ab",
            "/system/media/%2e%2e/uploads/1-ab",
            "/system/%zz/x",
            "/system/%ff/x",
        ] {
            assert!(reaches_uploads(path), "{path}");
        }
        for path in ["/system/media/1/original.png", "/system/cache/2/small.jpg"] {
            assert!(!reaches_uploads(path), "{path}");
        }
    }
}
