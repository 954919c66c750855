//! Files compiled into the binary.

use axum::http::header;
use axum::response::IntoResponse;

const MISSING_PNG: &[u8] = include_bytes!("../../assets/missing.png");

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
