//! Files compiled into the binary.

use axum::http::header;
use axum::response::IntoResponse;

const MISSING_PNG: &[u8] = include_bytes!("../../assets/missing.png");
const THUMBNAIL_PNG: &[u8] = include_bytes!("../../assets/thumbnail.png");

/// `GET /instance/thumbnail.png` — the instance's picture in link previews and app server
/// pickers (600×315).
pub(crate) async fn thumbnail() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        THUMBNAIL_PNG,
    )
}

/// `GET /avatars/original/missing.png` and `GET /headers/original/missing.png` — the image
/// shown for accounts without an avatar or header.
pub(crate) async fn missing_image() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        MISSING_PNG,
    )
}
