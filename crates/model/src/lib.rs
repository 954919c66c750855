//! Rookery's domain types and the rules that belong to them.
//!
//! This crate owns identifiers ([`Id`], [`IdGenerator`]), time ([`Timestamp`], [`Clock`]),
//! validated names ([`Username`], [`Domain`], [`Email`]), and the records the rest of the system
//! talks about ([`Account`], [`User`], [`Role`]). It performs no I/O: the clock and the random
//! source are traits that the binary implements and tests replace.
//!
//! ```
//! use rookery_model::{Username, Id};
//! let name = Username::parse("Alice_1").unwrap();
//! assert_eq!(name.canonical(), "alice_1");
//! assert_eq!(Id::from_i64(110_000_000_000_000_000).to_string(), "110000000000000000");
//! ```

mod account;
mod domain_block;
mod id;
mod media;
mod names;
mod oauth;
mod permission;
mod quote;
mod scopes;
mod status;
mod time;

pub use account::{Account, ActorType, PostingDefaults, ProfileExtras, ProfileField, Role, User};
pub use domain_block::{BlockSeverity, DomainBlock, domain_and_parents};
pub use id::{Id, IdGenerator, Random};
pub use media::{
    CustomEmoji, MediaAttachment, MediaKind, MediaMeta, MediaPurpose, MediaState, MediaUsage,
};
pub use names::{Domain, Email, NameError, Username};
pub use oauth::{AccessToken, AuthorizationCode, OAuthApp};
pub use permission::Permission;
pub use quote::{
    QUOTE_FOLLOWERS, QUOTE_FOLLOWING, QUOTE_PUBLIC, QUOTE_UNSUPPORTED, QuoteDecision, QuotePolicy,
};
pub use scopes::{KNOWN_SCOPES, Scopes, UnknownScope};
pub use status::{Status, Visibility};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};
