//! Invite links: the storage side.
//!
//! Reached through [`crate::Store::invite_store`] and [`crate::Transaction::invites`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// An invite link, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: Id,
    pub code: String,
    /// Who made it; `None` for an administrator at the command line.
    pub user_id: Option<Id>,
    /// `None`: any number of sign-ups.
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<Timestamp>,
    pub comment: String,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl Invite {
    /// Whether a sign-up may use it at `now`.
    pub fn usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none()
            && self.expires_at.is_none_or(|t| t > now)
            && self.max_uses.is_none_or(|m| self.uses < m)
    }
}

/// Invites: reads.
#[async_trait]
pub trait InviteStore: Send + Sync {
    /// The invite with this code.
    async fn invite_by_code(&self, code: &str) -> Result<Option<Invite>>;

    /// The newest invites.
    async fn invites(&self, limit: u32) -> Result<Vec<Invite>>;
}

/// Invites, in a transaction.
#[async_trait]
pub trait InviteTx: Send {
    async fn insert_invite(&mut self, invite: &Invite) -> Result<()>;

    /// Takes one use of the invite if it is still usable at `now`; false if not.
    async fn use_invite(&mut self, id: Id, now: Timestamp) -> Result<bool>;

    /// Gives back a use taken by a sign-up that did not go through.
    async fn give_back_invite(&mut self, id: Id) -> Result<()>;

    /// Revokes the invite with this code; false when there is none (or it was revoked).
    async fn revoke_invite(&mut self, code: &str, now: Timestamp) -> Result<bool>;
}
