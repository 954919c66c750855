//! `[email_domain_blocks]`: how sign-ups check the mail exchangers (MX records) of an address's
//! domain against the e-mail domain blocks (see docs/moderation-policy.md).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use rookery_dns::DnsSettings;
use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailDomainBlocksConfig {
    /// Look up the MX records of a signing-up address's domain and refuse the address when an
    /// exchanger is at a blocked domain.
    pub check_mx: bool,
    /// The DNS server to ask (`IP` or `IP:port`). Unset: the system's resolvers
    /// (`/etc/resolv.conf`).
    pub dns_server: Option<String>,
    /// Seconds a lookup may take before the sign-up goes on without it.
    pub dns_timeout_seconds: u64,
}

impl Default for EmailDomainBlocksConfig {
    fn default() -> Self {
        EmailDomainBlocksConfig {
            check_mx: true,
            dns_server: None,
            dns_timeout_seconds: 5,
        }
    }
}

impl EmailDomainBlocksConfig {
    /// The DNS settings of the MX lookups, or `None` when they are off.
    pub fn resolve(&self) -> Result<Option<DnsSettings>, ConfigError> {
        if self.dns_timeout_seconds == 0 || self.dns_timeout_seconds > 30 {
            return Err(ConfigError::new(
                "email_domain_blocks.dns_timeout_seconds",
                "must be between 1 and 30 (a sign-up waits for the lookup)",
            ));
        }
        let server = match self
            .dns_server
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(text) => Some(parse_server(text).ok_or_else(|| {
                ConfigError::new(
                    "email_domain_blocks.dns_server",
                    format!("{text:?} is not an IP address, or an IP address and port"),
                )
            })?),
        };
        if !self.check_mx {
            return Ok(None);
        }
        Ok(Some(DnsSettings {
            server,
            timeout: Duration::from_secs(self.dns_timeout_seconds),
        }))
    }
}

/// `IP:port`, `[IPv6]:port`, or an address alone (port 53).
fn parse_server(text: &str) -> Option<SocketAddr> {
    text.parse::<SocketAddr>().ok().or_else(|| {
        text.trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_parse_with_or_without_a_port() {
        assert_eq!(
            parse_server("127.0.0.1:5353"),
            Some(SocketAddr::from(([127, 0, 0, 1], 5353)))
        );
        assert_eq!(
            parse_server("9.9.9.9"),
            Some(SocketAddr::from(([9, 9, 9, 9], 53)))
        );
        assert_eq!(parse_server("[::1]:53").map(|a| a.port()), Some(53));
        assert_eq!(parse_server("::1").map(|a| a.port()), Some(53));
        assert_eq!(parse_server("dns.example"), None);
        assert_eq!(parse_server("1.2.3.4:x"), None);
    }
}
