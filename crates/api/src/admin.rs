//! Mastodon's admin API entities (docs.joinmastodon.org/entities/Admin_Account and the rest).

use serde::Serialize;

use crate::Account;

/// docs.joinmastodon.org/entities/Role, as the admin API shows a user's role.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminRole {
    pub id: String,
    pub name: String,
    pub color: String,
    /// The permission bits, as a decimal string.
    pub permissions: String,
    pub highlighted: bool,
}

/// docs.joinmastodon.org/entities/Admin_Ip
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminIp {
    pub ip: String,
    pub used_at: String,
}

/// docs.joinmastodon.org/entities/Admin_Account
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdminAccount {
    pub id: String,
    pub username: String,
    /// `None` for local accounts.
    pub domain: Option<String>,
    pub created_at: String,
    /// Empty for remote accounts.
    pub email: String,
    pub ip: Option<String>,
    pub ips: Vec<AdminIp>,
    pub locale: Option<String>,
    /// The reason a sign-up waiting for approval gave.
    pub invite_request: Option<String>,
    pub role: Option<AdminRole>,
    pub confirmed: bool,
    pub approved: bool,
    pub disabled: bool,
    pub silenced: bool,
    pub suspended: bool,
    pub sensitized: bool,
    pub account: Account,
    pub created_by_application_id: Option<String>,
    pub invited_by_account_id: Option<String>,
}
