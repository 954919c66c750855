//! Announcements operators make to everyone on the instance, their dismissals and reactions.
//! The storage side.
//!
//! Reached through [`crate::Store::announcement_store`] and [`crate::Transaction::announcements`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::Result;

/// An announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub id: Id,
    /// As the operator wrote it (plain text; rendered to HTML when shown).
    pub text: String,
    /// Shown to users.
    pub published: bool,
    /// The time of what is announced is whole days (`starts_at`/`ends_at` are dates).
    pub all_day: bool,
    /// When what is announced begins and ends (both or neither).
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    /// When it was last published.
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The reactions of one name on an announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionCount {
    pub announcement_id: Id,
    /// A Unicode emoji or a local custom emoji's shortcode.
    pub name: String,
    pub count: i64,
    /// Whether the viewer is among those who reacted so.
    pub me: bool,
}

/// What adding a reaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactOutcome {
    /// Added (or there already).
    Added,
    /// Refused: the announcement has `limit` different reactions already, none of this name.
    LimitReached,
}

/// Reads of announcements.
#[async_trait]
pub trait AnnouncementStore: Send + Sync {
    /// One announcement, published or not.
    async fn announcement(&self, id: Id) -> Result<Option<Announcement>>;

    /// Announcements (only published ones with `published_only`), oldest first by the time
    /// they are about (`starts_at`, else when published, else when written), as Mastodon
    /// orders them.
    async fn announcements(&self, published_only: bool) -> Result<Vec<Announcement>>;

    /// Those of `ids` the account dismissed.
    async fn dismissed_announcements(&self, account_id: Id, ids: &[Id]) -> Result<Vec<Id>>;

    /// The reactions on the announcements `ids`, each name counted, in the order they were
    /// first used; `me` for `viewer`.
    async fn announcement_reactions(
        &self,
        ids: &[Id],
        viewer: Option<Id>,
    ) -> Result<Vec<ReactionCount>>;
}

/// Writes of announcements, inside a [`crate::Transaction`].
#[async_trait]
pub trait AnnouncementTx: Send {
    async fn insert_announcement(&mut self, announcement: &Announcement) -> Result<()>;

    /// Publishes (setting `published_at` to `now`) or unpublishes an announcement; `false` if
    /// there is none.
    async fn set_announcement_published(
        &mut self,
        id: Id,
        published: bool,
        now: Timestamp,
    ) -> Result<bool>;

    /// Deletes an announcement with its dismissals and reactions; `false` if there was none.
    async fn delete_announcement(&mut self, id: Id) -> Result<bool>;

    /// Marks an announcement read for an account (again: no change).
    async fn dismiss_announcement(&mut self, account_id: Id, id: Id, now: Timestamp) -> Result<()>;

    /// Adds the account's reaction `name` (as `reaction_id`, which orders reactions), unless
    /// that would make more than `limit` different reactions on the announcement.
    async fn add_announcement_reaction(
        &mut self,
        reaction_id: Id,
        account_id: Id,
        id: Id,
        name: &str,
        limit: i64,
        now: Timestamp,
    ) -> Result<ReactOutcome>;

    /// Removes the account's reaction `name`; `false` if it had none.
    async fn remove_announcement_reaction(
        &mut self,
        account_id: Id,
        id: Id,
        name: &str,
    ) -> Result<bool>;
}
