//! Preview cards: what a post's first link shows (OpenGraph title, description, image),
//! fetched once per URL and shared by every status linking it. The storage side.
//!
//! Reached through [`crate::Store::preview_card_store`] and [`crate::Transaction::preview_cards`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// A link's card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewCard {
    pub id: Id,
    /// The link as posted (the key).
    pub url: String,
    pub title: String,
    pub description: String,
    /// `link`, `photo`, `video` or `rich`.
    pub kind: String,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    /// The page's image, where it lives.
    pub image_remote_url: Option<String>,
    /// The copy of the image here (a media row), once fetched.
    pub media_id: Option<Id>,
    pub language: Option<String>,
    pub fetched_at: Timestamp,
}

/// Reads of preview cards.
#[async_trait]
pub trait PreviewCardStore: Send + Sync {
    /// The card of a URL, if fetched before.
    async fn card_by_url(&self, url: &str) -> Result<Option<PreviewCard>>;

    /// `(status id, card)` for those of `status_ids` that have one.
    async fn cards_of_statuses(&self, status_ids: &[Id]) -> Result<Vec<(Id, PreviewCard)>>;

    /// The cards with these ids (those that exist, in no particular order).
    async fn cards_by_ids(&self, ids: &[Id]) -> Result<Vec<PreviewCard>>;
}

/// Writes of preview cards, inside a [`crate::Transaction`].
#[async_trait]
pub trait PreviewCardTx: Send {
    /// Stores the card of its URL (replacing an older one of the same URL, keeping its id);
    /// returns the stored id.
    async fn upsert_card(&mut self, card: &PreviewCard) -> Result<Id>;

    /// Shows `card_id` on a status (replacing its card).
    async fn attach_card(&mut self, status_id: Id, card_id: Id) -> Result<()>;

    /// Takes the card off a status (its link is gone, or gives no card any more).
    async fn detach_card(&mut self, status_id: Id) -> Result<()>;
}
