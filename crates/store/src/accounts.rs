//! Local accounts with their users, and account searches: the shapes the account reads of
//! [`crate::Store`] return and take.

use rookery_model::{Account, Id, User};

/// A local account together with its user.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalAccount {
    pub account: Account,
    pub user: User,
}

/// Which accounts an account search returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountSearch {
    /// Only accounts this account follows.
    pub followed_by: Option<Id>,
    /// Matches skipped (`offset`).
    pub offset: u32,
    pub limit: u32,
}
