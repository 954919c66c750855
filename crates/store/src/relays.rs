//! Relays this instance subscribes to: the storage side.
//!
//! Reached through [`crate::Store::relay_store`] and [`crate::Transaction::relays`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// Where a subscription to a relay stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayState {
    /// The Follow is sent; no answer yet.
    Pending,
    Accepted,
    Rejected,
}

impl RelayState {
    pub fn as_str(self) -> &'static str {
        match self {
            RelayState::Pending => "pending",
            RelayState::Accepted => "accepted",
            RelayState::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<RelayState> {
        Some(match text {
            "pending" => RelayState::Pending,
            "accepted" => RelayState::Accepted,
            "rejected" => RelayState::Rejected,
            _ => return None,
        })
    }
}

/// A relay, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    pub id: Id,
    pub inbox_url: String,
    /// The id of the `Follow` sent to it (its answer names it).
    pub follow_activity_id: String,
    pub state: RelayState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Relays: reads.
#[async_trait]
pub trait RelayStore: Send + Sync {
    /// Every relay, oldest first.
    async fn relays(&self) -> Result<Vec<Relay>>;

    /// The relay a `Follow` was sent to.
    async fn relay_by_follow(&self, follow_activity_id: &str) -> Result<Option<Relay>>;
}

/// Relays, in a transaction.
#[async_trait]
pub trait RelayTx: Send {
    /// Inserts `relay`; false (and nothing written) when its inbox is there already.
    async fn insert_relay(&mut self, relay: &Relay) -> Result<bool>;

    /// Sets a relay's state; false when there is no such relay.
    async fn set_relay_state(&mut self, id: Id, state: RelayState, now: Timestamp) -> Result<bool>;

    /// Removes a relay; false when there was none.
    async fn delete_relay(&mut self, id: Id) -> Result<bool>;
}
