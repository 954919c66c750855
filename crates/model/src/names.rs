//! Validated names: usernames, domains, e-mail addresses.

use std::fmt;

/// Why a name was refused. The text is safe to show to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must not be empty")]
    Empty,
    #[error("is too long (at most {0} characters)")]
    TooLong(usize),
    #[error("may only contain letters, numbers and underscores")]
    InvalidUsername,
    #[error("is not a valid domain name")]
    InvalidDomain,
    #[error("is not a valid e-mail address")]
    InvalidEmail,
}

/// A local username: ASCII letters, digits and `_`, 1–30 characters, unique without regard
/// to case (Mastodon's rule). The spelling chosen at sign-up is kept for display.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// The longest username accepted.
    pub const MAX_LEN: usize = 30;

    /// Checks `text` against the rules.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text.len() > Self::MAX_LEN {
            return Err(NameError::TooLong(Self::MAX_LEN));
        }
        if !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(NameError::InvalidUsername);
        }
        Ok(Username(text.to_owned()))
    }

    /// Wraps a username read back from storage (already validated when written).
    pub fn from_trusted(text: String) -> Self {
        Username(text)
    }

    /// As it was typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-case form used for uniqueness and look-ups.
    pub fn canonical(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A host name with an optional port (`example.com`, `localhost:3000`), lower-cased.
/// Only ASCII (IDNA/punycode form) is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain(String);

impl Domain {
    /// Checks `text`: labels of `[a-z0-9-]` separated by dots, an optional `:port`.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text.len() > 253 + 6 {
            return Err(NameError::TooLong(259));
        }
        let lower = text.to_ascii_lowercase();
        let (host, port) = match lower.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (lower.as_str(), None),
        };
        if let Some(port) = port
            && (port.is_empty() || port.len() > 5 || !matches!(port.parse::<u16>(), Ok(p) if p > 0))
        {
            return Err(NameError::InvalidDomain);
        }
        let labels_ok = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        if !labels_ok {
            return Err(NameError::InvalidDomain);
        }
        Ok(Domain(lower))
    }

    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host without the port.
    pub fn host(&self) -> &str {
        self.0.split(':').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, checked for shape only (one `@`, no spaces, a dotted or local domain).
/// Whether it receives mail is proven by confirmation, not by parsing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Checks `text`; surrounding whitespace is trimmed.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text.len() > 254 {
            return Err(NameError::TooLong(254));
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err(NameError::InvalidEmail);
        };
        let ok = !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
            && Domain::parse(domain).is_ok();
        if !ok {
            return Err(NameError::InvalidEmail);
        }
        Ok(Email(text.to_owned()))
    }

    /// Wraps an address read back from storage.
    pub fn from_trusted(text: String) -> Self {
        Email(text)
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_mastodon_rules() {
        assert!(Username::parse("alice").is_ok());
        assert!(Username::parse("Alice_99").is_ok());
        assert_eq!(Username::parse(""), Err(NameError::Empty));
        assert_eq!(
            Username::parse(&"a".repeat(31)),
            Err(NameError::TooLong(30))
        );
        for bad in [
            "al ice",
            "al.ice",
            "al-ice",
            "ålice",
            "alice@x",
            "аlice",
            "a\u{200b}b",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(NameError::InvalidUsername),
                "{bad}"
            );
        }
        assert_eq!(Username::parse("ALICE").unwrap().canonical(), "alice");
    }

    #[test]
    fn domains() {
        assert_eq!(
            Domain::parse("Example.COM").unwrap().as_str(),
            "example.com"
        );
        assert_eq!(Domain::parse("localhost:3000").unwrap().host(), "localhost");
        for bad in [
            "",
            "exa mple.com",
            "-a.com",
            "a..b",
            "ex\u{430}mple.com",
            "a.com:",
            "a.com:0",
            "a.com:99999",
            "a/b",
            "a.com:80:80",
        ] {
            assert!(Domain::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(Email::parse("alice@example.com").is_ok());
        assert_eq!(
            Email::parse(" bob@localhost ").unwrap().as_str(),
            "bob@localhost"
        );
        for bad in [
            "",
            "alice",
            "@x.com",
            "a@",
            "a@b@c",
            "a b@c.com",
            "a@exa mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
