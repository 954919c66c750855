//! `rookery admin mail …` and `rookery admin accounts reset-link`: checking the mail settings,
//! and handing out a password-reset link when mail is off.

use clap::Subcommand;
use rookery_service::Services;

use crate::admin::fail;
use crate::app::StartError;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send a test message to ADDRESS now, through the configured SMTP server, and say what
    /// it answered.
    Test { address: String },
}

/// `admin mail …`.
pub async fn mail(services: &Services, command: &MailCommand) -> Result<String, StartError> {
    match command {
        MailCommand::Test { address } => {
            services.mail().send_test(address).await.map_err(fail)?;
            Ok(format!(
                "Test message accepted by the SMTP server for {address}.\n"
            ))
        }
    }
}

/// `admin accounts reset-link USERNAME`.
pub async fn reset_link(services: &Services, username: &str) -> Result<String, StartError> {
    let link = services
        .account_links()
        .reset_link(username)
        .await
        .map_err(fail)?;
    Ok(format!(
        "Password-reset link for {username} (works once, for one hour):\n{link}\n"
    ))
}
