//! Outgoing mail over SMTP. One [`SmtpMailer`] per process opens a connection per message (mail
//! is rare: confirmations, resets, notices; no background task keeps connections open);
//! [`SmtpMailer::send`] builds a multipart message (plain text and HTML) and tells a failure
//! worth retrying (anything the server or the network did) from one that is not (a message
//! that cannot be built, such as a malformed address).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or network.
    None,
}

/// Where and how to send mail.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User name and password, when the server wants them.
    pub credentials: Option<(String, String)>,
    /// `Name <address>` or `address`.
    pub from: String,
    /// Connecting and each command give up after this long.
    pub timeout: Duration,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later.
    #[error("{0}")]
    Temporary(String),
    /// Will never be sent as it is.
    #[error("{0}")]
    Permanent(String),
}

/// Why the settings cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

/// Sends mail through one SMTP server.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.email.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `settings` (nothing is connected yet).
    pub fn new(settings: &SmtpSettings) -> Result<Self, SettingsError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| SettingsError(format!("from: {e}")))?;
        let tls = || {
            TlsParameters::new(settings.host.clone())
                .map_err(|e| SettingsError(format!("tls: {e}")))
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
                .port(settings.port)
                .timeout(Some(settings.timeout));
        builder = match settings.security {
            Security::StartTls => builder.tls(Tls::Required(tls()?)),
            Security::Tls => builder.tls(Tls::Wrapper(tls()?)),
            Security::None => builder.tls(Tls::None),
        };
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }

    /// The sender's address.
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// Sends one message to `to`.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<(), SendError> {
        let message = build(&self.from, to, subject, text, html)?;
        // Every refusal by the server is worth retrying: a 5xx answer to AUTH or MAIL FROM is
        // a setting to fix, after which the queued mail should still go out.
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendError::Temporary(describe(&e)))
    }

    /// Connects and says hello (and authenticates), to check the settings.
    pub async fn check(&self) -> Result<(), SendError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError::Temporary(
                "the server did not answer as expected".into(),
            )),
            Err(e) => Err(SendError::Temporary(describe(&e))),
        }
    }
}

/// The error with its causes, on one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The message: a subject on one line (control characters removed, so nothing can add a
/// header), and both parts.
fn build(
    from: &Mailbox,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<Message, SendError> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| SendError::Permanent(format!("recipient {to:?}: {e}")))?;
    let subject: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject.trim())
        .multipart(MultiPart::alternative_plain_html(
            text.to_owned(),
            html.to_owned(),
        ))
        .map_err(|e| SendError::Permanent(format!("building the message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(to: &str, subject: &str) -> Result<String, SendError> {
        let from: Mailbox = "Rookery <rookery@example.test>".parse().unwrap();
        let m = build(&from, to, subject, "plain", "<p>html</p>")?;
        Ok(String::from_utf8_lossy(&m.formatted()).into_owned())
    }

    #[test]
    fn line_breaks_cannot_add_headers() {
        let text = formatted("eve@example.test", "Hi\r\nBcc: victim@example.test").unwrap();
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert!(text.contains("multipart/alternative"));
    }

    #[test]
    fn recipients_with_line_breaks_are_refused() {
        for bad in [
            "eve@example.test\r\nBcc: x@example.test",
            "not an address",
            "",
        ] {
            assert!(matches!(formatted(bad, "s"), Err(SendError::Permanent(_))));
        }
    }
}
