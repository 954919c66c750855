//! Instance-wide domain blocks, as moderators set them.

use crate::{Domain, Id, Timestamp};

/// What a domain block does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockSeverity {
    /// Nothing but the flags (`reject_media`, `reject_reports`).
    Noop,
    /// Posts hidden from public timelines; follows need approval.
    Silence,
    /// Nothing in, nothing out: activities dropped, no deliveries, no fetches.
    Suspend,
}

impl BlockSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockSeverity::Noop => "noop",
            BlockSeverity::Silence => "silence",
            BlockSeverity::Suspend => "suspend",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "noop" => Some(BlockSeverity::Noop),
            "silence" => Some(BlockSeverity::Silence),
            "suspend" => Some(BlockSeverity::Suspend),
            _ => None,
        }
    }
}

/// A block of a remote domain (and its subdomains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainBlock {
    pub id: Id,
    pub domain: Domain,
    pub severity: BlockSeverity,
    /// Remote media from the domain is not fetched or stored.
    pub reject_media: bool,
    /// Reports from the domain are ignored.
    pub reject_reports: bool,
    /// Shown to moderators only.
    pub private_comment: String,
    /// May be shown publicly.
    pub public_comment: String,
    /// Shown in the public list with some letters starred out.
    pub obfuscate: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The domain and its parents, most specific first (`a.b.example` → `a.b.example`,
/// `b.example`, `example`): a block applies to subdomains too.
pub fn domain_and_parents(host: &str) -> Vec<String> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = host.split(':').next().unwrap_or("").to_owned();
    let mut out = Vec::new();
    let mut rest = host.as_str();
    while !rest.is_empty() {
        out.push(rest.to_owned());
        match rest.split_once('.') {
            Some((_, parent)) => rest = parent,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_are_listed_most_specific_first() {
        assert_eq!(
            domain_and_parents("A.b.Example.com."),
            ["a.b.example.com", "b.example.com", "example.com", "com"]
        );
        assert_eq!(domain_and_parents("localhost:3000"), ["localhost"]);
        assert!(domain_and_parents("").is_empty());
    }

    #[test]
    fn severities_round_trip() {
        for s in [
            BlockSeverity::Noop,
            BlockSeverity::Silence,
            BlockSeverity::Suspend,
        ] {
            assert_eq!(BlockSeverity::parse(s.as_str()), Some(s));
        }
        assert_eq!(BlockSeverity::parse("SUSPEND"), None);
    }
}
