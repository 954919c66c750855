//! Moderation: who may moderate, and the audit log every moderation action is recorded in.
//!
//! Each area of moderation (reports, actions on accounts, server-wide policy, webhooks) is a
//! module of its own beside this one; they share the [`Moderator`] that acts and
//! [`audit`]'s record of what it did.

pub mod account_admin;
pub mod accounts_view;
pub mod actions;
pub mod appeals;
pub mod audit;
pub mod dashboard;
pub mod domain_allows;
pub mod domain_blocks;
pub mod email_blocks;
pub mod ip_blocks;
mod limits;
pub mod overview;
pub mod post_removal;
mod report_entities;
mod report_forward;
pub mod report_notes;
pub mod reports;
pub mod rules;
pub mod sign_ups;
pub mod suspensions;
pub mod trends;
mod warnings;

use rookery_model::{Id, Permission, Role};
use rookery_store::LocalAccount;

use crate::{Result, ServiceError};

/// Who takes a moderation action: a staff member (checked for the permission the action
/// needs), or the operator at the command line (`account_id` `None`, allowed everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moderator {
    pub account_id: Option<Id>,
    pub role: Role,
}

impl Moderator {
    /// The operator at the command line.
    pub const CLI: Moderator = Moderator {
        account_id: None,
        role: Role::Owner,
    };

    /// A signed-in user acting as a moderator, if their role grants `permission`
    /// (`Forbidden` otherwise, before anything is read or changed).
    pub fn of(user: &LocalAccount, permission: Permission) -> Result<Moderator> {
        let m = Moderator {
            account_id: Some(user.account.id),
            role: user.user.role,
        };
        m.require(permission)?;
        Ok(m)
    }

    /// `Forbidden` unless this moderator's role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }
}
