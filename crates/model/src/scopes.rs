//! OAuth scopes, with Mastodon's rules for which scope covers which.

use std::collections::BTreeSet;
use std::fmt;

/// Every scope Mastodon defines (top-level and granular).
pub const KNOWN_SCOPES: &[&str] = &[
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
    "admin:read",
    "admin:write",
    "admin:read:accounts",
    "admin:read:reports",
    "admin:read:domain_allows",
    "admin:read:domain_blocks",
    "admin:read:ip_blocks",
    "admin:read:email_domain_blocks",
    "admin:read:canonical_email_blocks",
    "admin:write:accounts",
    "admin:write:reports",
    "admin:write:domain_allows",
    "admin:write:domain_blocks",
    "admin:write:ip_blocks",
    "admin:write:email_domain_blocks",
    "admin:write:canonical_email_blocks",
];

/// A scope was not one Mastodon defines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}")]
pub struct UnknownScope(pub String);

/// A set of granted scopes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses a space- (or `+`/comma-) separated list. Empty means `read` (Mastodon's default).
    pub fn parse(text: &str) -> Result<Scopes, UnknownScope> {
        let mut set = BTreeSet::new();
        for s in text.split([' ', '+', ',']).filter(|s| !s.is_empty()) {
            if !KNOWN_SCOPES.contains(&s) {
                return Err(UnknownScope(s.to_owned()));
            }
            set.insert(s.to_owned());
        }
        if set.is_empty() {
            set.insert("read".to_owned());
        }
        Ok(Scopes(set))
    }

    /// Whether `required` (e.g. `read:statuses`) is granted, directly or by a broader scope:
    /// `read` covers `read:*`, `write` covers `write:*`, `admin:read` covers `admin:read:*`,
    /// and the legacy `follow` covers reading and writing follows, blocks and mutes.
    pub fn allows(&self, required: &str) -> bool {
        if self.0.contains(required) {
            return true;
        }
        let mut parent = required;
        while let Some((head, _)) = parent.rsplit_once(':') {
            if self.0.contains(head) {
                return true;
            }
            parent = head;
        }
        self.0.contains("follow")
            && matches!(
                required,
                "read:follows"
                    | "write:follows"
                    | "read:blocks"
                    | "write:blocks"
                    | "read:mutes"
                    | "write:mutes"
            )
    }

    /// Whether every scope of `self` is within `granted` (a token may ask for less than its
    /// application has, never more).
    pub fn is_subset_of(&self, granted: &Scopes) -> bool {
        self.0.iter().all(|s| granted.allows(s))
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined: Vec<&str> = self.iter().collect();
        f.write_str(&joined.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broader_scopes_cover_narrower_ones() {
        let s = Scopes::parse("read write:statuses follow").unwrap();
        assert!(s.allows("read"));
        assert!(s.allows("read:notifications"));
        assert!(s.allows("write:statuses"));
        assert!(!s.allows("write"));
        assert!(!s.allows("write:media"));
        assert!(s.allows("write:follows") && s.allows("read:blocks"));
        assert!(!s.allows("admin:read:accounts"));
        let admin = Scopes::parse("admin:read").unwrap();
        assert!(admin.allows("admin:read:reports") && !admin.allows("admin:write:reports"));
        assert!(!admin.allows("read"));
    }

    #[test]
    fn parsing() {
        assert_eq!(Scopes::parse("").unwrap().to_string(), "read");
        assert_eq!(
            Scopes::parse("write+read").unwrap().to_string(),
            "read write"
        );
        assert!(Scopes::parse("read sudo").is_err());
        let app = Scopes::parse("read write").unwrap();
        assert!(Scopes::parse("read:statuses").unwrap().is_subset_of(&app));
        assert!(!Scopes::parse("follow").unwrap().is_subset_of(&app));
    }
}
