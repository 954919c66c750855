//! The Account entity.

use serde::Serialize;

/// docs.joinmastodon.org/entities/Account
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub url: String,
    pub uri: String,
    pub display_name: String,
    pub note: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub locked: bool,
    pub fields: Vec<Field>,
    pub emojis: Vec<CustomEmoji>,
    pub bot: bool,
    pub group: bool,
    pub discoverable: Option<bool>,
    pub indexable: bool,
    pub noindex: Option<bool>,
    pub hide_collections: Option<bool>,
    /// Alternative text of the avatar and header (Mastodon 4.6).
    pub avatar_description: String,
    pub header_description: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
    pub memorial: bool,
    pub created_at: String,
    /// A date (`2019-11-26`), not a time, or null.
    pub last_status_at: Option<String>,
    pub statuses_count: i64,
    pub followers_count: i64,
    pub following_count: i64,
    pub roles: Vec<AccountRole>,
    /// The account this one moved to (only when it moved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Box<Account>>,
}

/// A profile metadata field.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub verified_at: Option<String>,
}

/// docs.joinmastodon.org/entities/CustomEmoji
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CustomEmoji {
    pub shortcode: String,
    pub url: String,
    pub static_url: String,
    pub visible_in_picker: bool,
    pub category: Option<String>,
}

/// A highlighted role shown on a profile (`Account.roles`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AccountRole {
    pub id: String,
    pub name: String,
    pub color: String,
}
