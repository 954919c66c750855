//! The crate's one error type.

/// Why media could not be processed.
///
/// `Display` is written for operators (it may include ffmpeg's last stderr lines); use
/// [`MediaError::client_message`] for the text shown to the uploader.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Not a format we accept (decided from the bytes, never from a name or a Content-Type).
    #[error("unsupported media type")]
    Unsupported,
    /// Truncated or corrupt input, or input without the streams it needs.
    #[error("invalid media: {0}")]
    Invalid(String),
    /// Over a size, pixel or duration limit.
    #[error("media too large: {0}")]
    TooLarge(String),
    /// ffmpeg or ffprobe ran past its time limit and was killed.
    #[error("media processing took too long and was stopped")]
    Timeout,
    /// ffmpeg or ffprobe failed; holds the last lines of its stderr.
    #[error("media conversion failed: {0}")]
    Failed(String),
    /// ffmpeg or ffprobe could not be started; says which package to install.
    #[error("{0}")]
    NotInstalled(String),
    /// Encoding the output failed (a bug or an exotic pixel format, not the uploader's fault).
    #[error("could not encode image: {0}")]
    Encode(String),
    /// Reading or writing a local file, or talking to a subprocess, failed.
    #[error("media I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl MediaError {
    /// Text that is safe to show to the uploader: no paths, no ffmpeg output.
    #[must_use]
    pub fn client_message(&self) -> &'static str {
        match self {
            Self::Unsupported => "This file type is not supported",
            Self::Invalid(_) => "This file could not be read; it may be corrupt or truncated",
            Self::TooLarge(_) => "This file is too large",
            Self::Timeout => "This file took too long to process",
            Self::Failed(_) | Self::NotInstalled(_) | Self::Encode(_) | Self::Io(_) => {
                "This file could not be processed"
            }
        }
    }

    /// Whether the uploader's file is most likely at fault (answer 422) rather than the server
    /// (answer 500). ffmpeg failing counts as the file's fault: it is almost always a broken file.
    #[must_use]
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Self::Unsupported
                | Self::Invalid(_)
                | Self::TooLarge(_)
                | Self::Timeout
                | Self::Failed(_)
        )
    }
}
