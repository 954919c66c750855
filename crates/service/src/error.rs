//! Use-case errors: what the client may be told, kept apart from the cause that is logged.

use rookery_store::StoreError;

/// Why a use case did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input was refused; `field` names what was wrong, `message` says why (client-safe).
    #[error("{field} {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Several fields were refused at once (a sign-up), each with Mastodon's error code.
    #[error("{}", describe_fields(.0))]
    Fields(Vec<crate::FieldError>),
    /// Input was refused with a text the client sees as it is (Mastodon's own wording, with
    /// no "Validation failed" before it).
    #[error("{0}")]
    Unprocessable(String),
    /// The thing asked for does not exist (or may not be seen).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// It existed and was deleted for good (an account its owner deleted): peers drop it.
    #[error("{0} gone")]
    Gone(&'static str),
    /// Not allowed for this user (Mastodon's 403 "This action is not allowed").
    #[error("This action is not allowed")]
    Forbidden,
    /// It already exists; the text is client-safe.
    #[error("{0}")]
    Conflict(String),
    /// A backend is down; retrying may help. The cause is for the log.
    #[error("service unavailable")]
    Unavailable(String),
    /// A bug or broken data; the cause is for the log.
    #[error("internal error")]
    Internal(String),
}

impl ServiceError {
    /// An [`ServiceError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The cause to log, if it differs from what the client sees.
    pub fn log_cause(&self) -> Option<&str> {
        match self {
            ServiceError::Unavailable(c) | ServiceError::Internal(c) => Some(c),
            _ => None,
        }
    }
}

/// `Username is reserved, Password can't be blank`, as Mastodon words a failed validation.
fn describe_fields(errors: &[crate::FieldError]) -> String {
    errors
        .iter()
        .map(|e| {
            let mut name = e.field.replace('_', " ");
            if let Some(first) = name.get(..1).map(str::to_ascii_uppercase) {
                name.replace_range(..1, &first);
            }
            format!("{name} {}", e.description)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(c) => ServiceError::Unavailable(c),
            StoreError::Conflict(c) => ServiceError::Conflict(format!("already exists ({c})")),
            StoreError::NotFound(_) => ServiceError::NotFound("record"),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}
