//! Who may quote a status: Mastodon 4.5's quote policy. Each of the two sets (approved
//! automatically, approved by hand) is a set of flags; a status is stored with both packed in
//! one integer, automatic in the high 16 bits, as Mastodon stores it.

/// A part of the policy this server does not understand (only from other servers).
pub const QUOTE_UNSUPPORTED: u32 = 1;
/// Anyone.
pub const QUOTE_PUBLIC: u32 = 2;
/// The author's followers.
pub const QUOTE_FOLLOWERS: u32 = 4;
/// Accounts the author follows.
pub const QUOTE_FOLLOWING: u32 = 8;

/// Who may quote a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotePolicy {
    /// Approved at once.
    pub automatic: u32,
    /// The author decides.
    pub manual: u32,
}

/// What a policy means for one account wanting to quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteDecision {
    Automatic,
    Manual,
    Denied,
    /// The policy names something this server does not understand.
    Unknown,
}

impl QuoteDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteDecision::Automatic => "automatic",
            QuoteDecision::Manual => "manual",
            QuoteDecision::Denied => "denied",
            QuoteDecision::Unknown => "unknown",
        }
    }
}

impl QuotePolicy {
    /// Nobody but the author.
    pub const NOBODY: QuotePolicy = QuotePolicy {
        automatic: 0,
        manual: 0,
    };

    /// The stored integer.
    pub fn bits(self) -> i64 {
        (i64::from(self.automatic & 0xffff) << 16) | i64::from(self.manual & 0xffff)
    }

    /// From the stored integer (anything outside 32 bits is dropped).
    pub fn from_bits(bits: i64) -> QuotePolicy {
        let bits = bits & 0xffff_ffff;
        QuotePolicy {
            automatic: ((bits >> 16) & 0xffff) as u32,
            manual: (bits & 0xffff) as u32,
        }
    }

    /// A choice users and apps make: `public`, `followers` or `nobody`.
    pub fn from_setting(setting: &str) -> Option<QuotePolicy> {
        let automatic = match setting {
            "public" => QUOTE_PUBLIC,
            "followers" => QUOTE_FOLLOWERS,
            "nobody" => 0,
            _ => return None,
        };
        Some(QuotePolicy {
            automatic,
            manual: 0,
        })
    }

    /// The choice this policy is, as users make it (`nobody` for anything narrower).
    pub fn setting(self) -> &'static str {
        if self.automatic & QUOTE_PUBLIC != 0 {
            "public"
        } else if self.automatic & QUOTE_FOLLOWERS != 0 {
            "followers"
        } else {
            "nobody"
        }
    }

    /// A set of flags by Mastodon's names (`public`, `followers`, `following`,
    /// `unsupported_policy`).
    pub fn names(flags: u32) -> Vec<&'static str> {
        [
            (QUOTE_PUBLIC, "public"),
            (QUOTE_FOLLOWERS, "followers"),
            (QUOTE_FOLLOWING, "following"),
            (QUOTE_UNSUPPORTED, "unsupported_policy"),
        ]
        .into_iter()
        .filter(|(f, _)| flags & f != 0)
        .map(|(_, n)| n)
        .collect()
    }

    /// What this policy means for an account other than the author that `follows` the
    /// author, and that the author `followed_by`… follows.
    pub fn decide(self, follows: bool, followed: bool) -> QuoteDecision {
        let matches = |flags: u32| {
            flags & QUOTE_PUBLIC != 0
                || (follows && flags & QUOTE_FOLLOWERS != 0)
                || (followed && flags & QUOTE_FOLLOWING != 0)
        };
        if matches(self.automatic) {
            QuoteDecision::Automatic
        } else if matches(self.manual) {
            QuoteDecision::Manual
        } else if (self.automatic | self.manual) & QUOTE_UNSUPPORTED != 0 {
            QuoteDecision::Unknown
        } else {
            QuoteDecision::Denied
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_and_settings() {
        for s in ["public", "followers", "nobody"] {
            let p = QuotePolicy::from_setting(s).unwrap();
            assert_eq!(QuotePolicy::from_bits(p.bits()), p);
            assert_eq!(p.setting(), s);
        }
        assert_eq!(QuotePolicy::from_setting("public").unwrap().bits(), 2 << 16);
        assert_eq!(QuotePolicy::from_setting("everyone"), None);
        // Stray high bits from another server's value do not leak into the flags.
        assert_eq!(QuotePolicy::from_bits(-1).automatic, 0xffff);
    }

    #[test]
    fn decisions() {
        let followers = QuotePolicy::from_setting("followers").unwrap();
        assert_eq!(followers.decide(true, false), QuoteDecision::Automatic);
        assert_eq!(followers.decide(false, true), QuoteDecision::Denied);
        let manual = QuotePolicy {
            automatic: QUOTE_FOLLOWING,
            manual: QUOTE_PUBLIC,
        };
        assert_eq!(manual.decide(false, true), QuoteDecision::Automatic);
        assert_eq!(manual.decide(false, false), QuoteDecision::Manual);
        let odd = QuotePolicy {
            automatic: QUOTE_UNSUPPORTED,
            manual: 0,
        };
        assert_eq!(odd.decide(true, true), QuoteDecision::Unknown);
        assert_eq!(
            QuotePolicy::NOBODY.decide(true, true),
            QuoteDecision::Denied
        );
        assert_eq!(
            QuotePolicy::names(QUOTE_PUBLIC | QUOTE_FOLLOWERS),
            ["public", "followers"]
        );
    }
}
