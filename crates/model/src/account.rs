//! Accounts (local and remote actors) and users (the people who sign in to local accounts).

use std::fmt;
use std::str::FromStr;

use crate::id::Id;
use crate::names::{Domain, Email, Username};
use crate::time::Timestamp;

/// The ActivityStreams actor type of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorType {
    Person,
    Service,
    Group,
    Application,
    Organization,
}

impl ActorType {
    /// The ActivityStreams name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Person => "Person",
            ActorType::Service => "Service",
            ActorType::Group => "Group",
            ActorType::Application => "Application",
            ActorType::Organization => "Organization",
        }
    }

    /// Reads an ActivityStreams actor type; unknown types are refused.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "Person" => ActorType::Person,
            "Service" => ActorType::Service,
            "Group" => ActorType::Group,
            "Application" => ActorType::Application,
            "Organization" => ActorType::Organization,
            _ => return None,
        })
    }
}

/// An actor: a local account (`domain == None`) or a remote one.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: Id,
    pub username: Username,
    /// `None` for local accounts.
    pub domain: Option<Domain>,
    pub display_name: String,
    /// Profile text: HTML for remote accounts, plain text source for local ones.
    pub note: String,
    /// The ActivityPub id of a remote actor; `None` for local accounts (derived from the domain).
    pub uri: Option<String>,
    /// The profile page of a remote actor.
    pub url: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    /// A remote actor's followers collection (addressing of followers-only posts).
    pub followers_url: Option<String>,
    /// A remote actor's avatar and header images, as published.
    pub avatar_remote_url: Option<String>,
    pub header_remote_url: Option<String>,
    /// Storage keys of the account's avatar and header files (local uploads, or cached copies
    /// of the remote images); read-only here, set through the media use cases.
    pub avatar_key: Option<String>,
    pub header_key: Option<String>,
    pub actor_type: ActorType,
    pub public_key_pem: String,
    /// Only local accounts have one.
    pub private_key_pem: Option<String>,
    /// Follow requests must be approved.
    pub locked: bool,
    pub discoverable: bool,
    /// Image descriptions and the collection/search choices of the profile.
    pub profile: ProfileExtras,
    /// Profile metadata: up to four name/value pairs (plain text for local accounts).
    pub fields: Vec<ProfileField>,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<Timestamp>,
    pub suspended_at: Option<Timestamp>,
    /// Moderators limited it (Mastodon's silence): hidden from public timelines and from the
    /// notifications of people who do not follow it.
    pub silenced_at: Option<Timestamp>,
    /// Moderators marked its media sensitive.
    pub sensitized_at: Option<Timestamp>,
    /// When a remote actor's document was last fetched (`None` for local accounts).
    pub fetched_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Account {
    /// Whether this account lives on this instance.
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }

    /// Whether it is a bot (an automated `Service` or `Application` actor).
    pub fn is_bot(&self) -> bool {
        matches!(self.actor_type, ActorType::Service | ActorType::Application)
    }

    /// `username` for local accounts, `username@domain` for remote ones (Mastodon's `acct`).
    pub fn acct(&self) -> String {
        match &self.domain {
            None => self.username.to_string(),
            Some(d) => format!("{}@{}", self.username, d),
        }
    }
}

/// The parts of a profile that only some software sends or shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileExtras {
    /// Alternative text of the avatar and of the header image.
    pub avatar_description: String,
    pub header_description: String,
    /// Followers and follows are not listed to others (the counts stay).
    pub hide_collections: bool,
    /// Public posts may be found by full-text search by anyone.
    pub indexable: bool,
    /// Websites allowed to credit the account as author (`fediverse:creator`).
    pub attribution_domains: Vec<String>,
    /// Actor URIs of the account's other accounts (`alsoKnownAs`): a move from one of them to
    /// this one is accepted.
    pub also_known_as: Vec<String>,
    /// The account it moved to, and when.
    pub moved_to_account_id: Option<crate::Id>,
    pub moved_at: Option<crate::Timestamp>,
}

/// A profile metadata field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileField {
    pub name: String,
    pub value: String,
}

/// What a user may do on this instance. Ordered: each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    User,
    Moderator,
    Admin,
    Owner,
}

impl Role {
    /// All roles, least to most privileged.
    pub const ALL: [Role; 4] = [Role::User, Role::Moderator, Role::Admin, Role::Owner];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Mastodon's display name for the role.
    pub fn display_name(self) -> &'static str {
        match self {
            Role::User => "",
            Role::Moderator => "Moderator",
            Role::Admin => "Admin",
            Role::Owner => "Owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of the role names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected one of: user, moderator, admin, owner)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A person who signs in to a local account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Id,
    pub account_id: Id,
    pub email: Email,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    /// `None` until the e-mail address is confirmed.
    pub confirmed_at: Option<Timestamp>,
    /// `false` while a registration waits for a moderator's approval.
    pub approved: bool,
    /// Sign-in refused (set by moderators).
    pub disabled: bool,
    /// Signing in takes a TOTP code (or a recovery code) besides the password.
    pub two_factor: bool,
    pub locale: Option<String>,
    /// What a post gets when the app does not say (`source[privacy]` etc.).
    pub posting: PostingDefaults,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A user's defaults for new posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostingDefaults {
    pub visibility: crate::Visibility,
    pub sensitive: bool,
    /// An ISO 639 code, or `None` to leave posts without a language.
    pub language: Option<String>,
    /// Who may quote new posts (`public`, `followers` or `nobody`).
    pub quote_policy: crate::QuotePolicy,
}

impl Default for PostingDefaults {
    /// Mastodon's: public, not sensitive, no language, anyone may quote.
    fn default() -> Self {
        PostingDefaults {
            visibility: crate::Visibility::default(),
            sensitive: false,
            language: None,
            quote_policy: crate::QuotePolicy {
                automatic: crate::QUOTE_PUBLIC,
                manual: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_order() {
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Moderator);
    }

    #[test]
    fn actor_types() {
        for t in ["Person", "Service", "Group", "Application", "Organization"] {
            assert_eq!(ActorType::parse(t).map(|a| a.as_str()), Some(t));
        }
        assert_eq!(ActorType::parse("person"), None);
    }
}
