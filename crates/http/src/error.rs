//! Errors as HTTP responses, in Mastodon's `{"error": "..."}` shape.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use rookery_api as api;
use rookery_service::ServiceError;

/// An error on its way to the client. The cause of 5xx errors is logged, never sent.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Mastodon's per-field `details`, when there are some.
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    /// An error with this status and client-facing message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            details: None,
        }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// Mastodon's 404.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Record not found")
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        if let Some(cause) = e.log_cause() {
            tracing::error!(error = %cause, "request failed");
        }
        match e {
            ServiceError::Fields(ref fields) => {
                let mut details = serde_json::Map::new();
                for f in fields {
                    if let serde_json::Value::Array(list) = details
                        .entry(f.field)
                        .or_insert_with(|| serde_json::Value::Array(Vec::new()))
                    {
                        list.push(
                            serde_json::json!({"error": f.code, "description": f.description}),
                        );
                    }
                }
                ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    message: format!("Validation failed: {e}"),
                    details: Some(serde_json::Value::Object(details)),
                }
            }
            ServiceError::Invalid { .. } | ServiceError::Conflict(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Validation failed: {e}"),
            ),
            ServiceError::Unprocessable(text) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, text)
            }
            ServiceError::NotFound(_) => ApiError::not_found(),
            ServiceError::Gone(_) => ApiError::new(StatusCode::GONE, "Gone"),
            ServiceError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "This action is not allowed")
            }
            ServiceError::Unavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service temporarily unavailable",
            ),
            ServiceError::Internal(_) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = api::Error::new(self.message);
        body.details = self.details;
        (self.status, Json(body)).into_response()
    }
}
