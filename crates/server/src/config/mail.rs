//! `[smtp]`: outgoing mail. Without `host`, mail is off: addresses count as confirmed at
//! sign-up, and `rookery admin accounts reset-link` hands out password-reset links.

use std::time::Duration;

use rookery_mail::{Security, SmtpSettings};
use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// The SMTP server (a provider's relay, or a local MTA). Unset: mail is off.
    pub host: Option<String>,
    /// Default: 587 with `starttls`, 465 with `tls`, 25 with `none`.
    pub port: Option<u16>,
    /// `starttls` (required, the default), `tls` (implicit TLS) or `none`.
    pub security: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender: `address` or `Name <address>`. Default: `notifications@DOMAIN` (without a
    /// port).
    pub from: Option<String>,
    /// Connecting and each SMTP command give up after this many seconds.
    pub timeout_seconds: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: None,
            port: None,
            security: "starttls".into(),
            username: None,
            password: None,
            from: None,
            timeout_seconds: 30,
        }
    }
}

fn is_local(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `notifications@` the domain without its port (`localhost` for a test instance on an IP
/// address, which is no mail domain).
fn default_from(domain: &str) -> String {
    let host = match domain.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => domain,
    };
    let host = host.trim_matches(['[', ']']);
    if host.parse::<std::net::IpAddr>().is_ok() {
        "notifications@localhost".to_owned()
    } else {
        format!("notifications@{host}")
    }
}

impl SmtpConfig {
    /// The checked settings, or `None` when mail is off.
    pub fn resolve(&self, domain: &str) -> Result<Option<SmtpSettings>, ConfigError> {
        let Some(host) = self
            .host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            return Ok(None);
        };
        let security = match self.security.as_str() {
            "starttls" => Security::StartTls,
            "tls" => Security::Tls,
            "none" => Security::None,
            other => {
                return Err(ConfigError::new(
                    "smtp.security",
                    format!("{other:?} is not one of starttls, tls, none"),
                ));
            }
        };
        let credentials = match (&self.username, &self.password) {
            (Some(u), Some(p)) => Some((u.clone(), p.clone())),
            (None, None) => None,
            _ => {
                return Err(ConfigError::new(
                    "smtp.username",
                    "smtp.username and smtp.password go together",
                ));
            }
        };
        if credentials.is_some() && security == Security::None && !is_local(host) {
            return Err(ConfigError::new(
                "smtp.security",
                "\"none\" would send the SMTP password unencrypted to another machine: use \
                 starttls or tls",
            ));
        }
        if self.timeout_seconds == 0 || self.timeout_seconds > 600 {
            return Err(ConfigError::new(
                "smtp.timeout_seconds",
                "must be between 1 and 600",
            ));
        }
        let port = self.port.unwrap_or(match security {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        });
        let settings = SmtpSettings {
            host: host.to_owned(),
            port,
            security,
            credentials,
            from: self.from.clone().unwrap_or_else(|| default_from(domain)),
            timeout: Duration::from_secs(self.timeout_seconds),
        };
        // The sender and TLS names are checked now, so a mistake stops start-up.
        rookery_mail::SmtpMailer::new(&settings)
            .map_err(|e| ConfigError::new("smtp.from", e.to_string()))?;
        Ok(Some(settings))
    }
}
