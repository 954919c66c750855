//! Mail for the use cases: the SMTP client of `rookery-mail` behind the service's
//! [`MailTransport`] trait.

use async_trait::async_trait;
use rookery_mail::{SendError, SmtpMailer};
use rookery_service::mail::{MailError, MailTransport, OutgoingMail};

/// [`MailTransport`] over SMTP.
#[derive(Debug)]
pub struct Smtp(pub SmtpMailer);

#[async_trait]
impl MailTransport for Smtp {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        self.0
            .send(&mail.to, &mail.subject, &mail.text, &mail.html)
            .await
            .map_err(|e| match e {
                SendError::Temporary(e) => MailError::Temporary(e),
                SendError::Permanent(e) => MailError::Permanent(e),
            })
    }
}
