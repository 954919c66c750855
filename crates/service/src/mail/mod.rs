//! E-mail: what Rookery sends and how. Every message is rendered when it is decided (plain
//! text and HTML from the templates in `templates/mail/`) and sent by a [`SendMail`] job on the
//! `mailers` queue, so a slow or refusing SMTP server delays mail, never a web request, and a
//! message that cannot be sent stays visible as a dead job (`rookery admin jobs`).
//!
//! The SMTP client itself lives outside this crate (`rookery-mail`), behind [`MailTransport`].
//! Without one, nothing is mailed: addresses count as confirmed at sign-up and the CLI prints
//! the links mail would carry.

mod templates;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rookery_jobs::{JobError, JobSpec, Queue, RetryPolicy};
use rookery_model::Email;
use rookery_store::Transaction;
use serde::{Deserialize, Serialize};

use crate::{Result, ServiceError, Services};

pub use templates::Message;

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    /// One address (already validated).
    pub to: String,
    /// One line (line breaks are removed before it is sent).
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a message was not sent.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later (connection refused, timeout, a 4xx reply).
    #[error("{0}")]
    Temporary(String),
    /// Will never be accepted as it is (a 5xx reply, an address the server rejects).
    #[error("{0}")]
    Permanent(String),
}

/// What sends mail (SMTP in the binary; something else in tests of this crate).
#[async_trait]
pub trait MailTransport: Send + Sync + 'static {
    async fn send(&self, mail: &OutgoingMail) -> std::result::Result<(), MailError>;
}

/// Sends one rendered message (one that carries no secret: notices and tests; links are made
/// by the jobs that send them). Retried for about half a day, the wait doubling from 30 s up
/// to 2 h (a mail server being down for a few hours is common); then it is dead and visible
/// to operators.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendMail {
    pub mail: OutgoingMail,
}

impl JobSpec for SendMail {
    const KIND: &'static str = "send_mail";
    const QUEUE: Queue = Queue::Mailers;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 14,
            base_delay_ms: 30_000,
            max_delay_ms: 2 * 3600 * 1000,
            timeout: Duration::from_secs(120),
        }
    }
}

/// E-mail, for the other areas and the CLI.
pub struct Mail<'a> {
    s: &'a Services,
}

impl Services {
    /// E-mail.
    pub fn mail(&self) -> Mail<'_> {
        Mail { s: self }
    }

    /// The same use cases sending mail through `transport`.
    pub fn with_mail(mut self, transport: Arc<dyn MailTransport>) -> Self {
        self.mailer = Some(transport);
        self
    }
}

impl Mail<'_> {
    /// Whether this instance sends mail (an SMTP server is configured).
    pub fn enabled(&self) -> bool {
        self.s.mailer.is_some()
    }

    /// Renders `message` for `to` and queues it in `tx` (sent once `tx` commits). Nothing is
    /// queued when mail is off.
    pub(crate) async fn queue(
        &self,
        tx: &mut dyn Transaction,
        to: &Email,
        message: &Message,
    ) -> Result<()> {
        if !self.enabled() {
            return Ok(());
        }
        let mail = message.render(to.as_str(), &self.s.settings.title, self.s.urls.base())?;
        rookery_jobs::enqueue(tx, &self.s.ids, self.s.clock.now(), &SendMail { mail })
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// `rookery admin mail test ADDRESS`: sends a test message now (not through the queue), so
    /// the operator sees at once what the SMTP server answers.
    pub async fn send_test(&self, to: &str) -> Result<()> {
        let Some(transport) = &self.s.mailer else {
            return Err(ServiceError::Unprocessable(
                "mail is off: configure [smtp] first".into(),
            ));
        };
        let to = Email::parse(to).map_err(|e| ServiceError::invalid("address", e.to_string()))?;
        let mail = Message::Test.render(to.as_str(), &self.s.settings.title, self.s.urls.base())?;
        transport
            .send(&mail)
            .await
            .map_err(|e| ServiceError::Unprocessable(format!("the SMTP server refused: {e}")))
    }

    /// Runs a [`SendMail`] job.
    pub(crate) async fn deliver(&self, job: &SendMail) -> std::result::Result<(), JobError> {
        self.transmit(&job.mail).await
    }

    /// Renders `message` for `to` and sends it now (from a job, which retries on failure).
    pub(crate) async fn send_now(
        &self,
        to: &str,
        message: &Message,
    ) -> std::result::Result<(), JobError> {
        let mail = message
            .render(to, &self.s.settings.title, self.s.urls.base())
            .map_err(|e| JobError::Fatal(e.to_string()))?;
        self.transmit(&mail).await
    }

    async fn transmit(&self, mail: &OutgoingMail) -> std::result::Result<(), JobError> {
        let Some(transport) = &self.s.mailer else {
            return Err(JobError::Fatal(
                "mail is off on this process: configure [smtp]".into(),
            ));
        };
        match transport.send(mail).await {
            Ok(()) => {
                tracing::info!(kind = "mail", "mail sent");
                Ok(())
            }
            Err(MailError::Temporary(e)) => Err(JobError::Retry(e)),
            Err(MailError::Permanent(e)) => Err(JobError::Fatal(e)),
        }
    }
}
