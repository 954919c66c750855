//! Hashtags: their use over time, and the ones users follow. The storage side.
//!
//! Reached through [`crate::Store::tag_store`] and [`crate::Transaction::tags`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Result, TimelinePage};

/// A hashtag, named as first used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: Id,
    pub name: String,
}

/// How much a hashtag was used on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagDay {
    /// Days since the epoch (UTC).
    pub day: i64,
    /// Statuses that used it.
    pub uses: i64,
    /// Accounts that used it.
    pub accounts: i64,
}

/// Reads of hashtags.
#[async_trait]
pub trait TagStore: Send + Sync {
    /// The hashtag with this name (any case).
    async fn tag_by_name(&self, name: &str) -> Result<Option<Tag>>;

    /// The hashtags with these ids (those that exist, in no particular order).
    async fn tags_by_ids(&self, ids: &[Id]) -> Result<Vec<Tag>>;

    /// Its use per day since `since`, by days with any.
    async fn tag_history(&self, tag_id: Id, since: Timestamp) -> Result<Vec<TagDay>>;

    /// The hashtags an account follows, by follow (newest first): `(follow id, tag)`.
    async fn followed_tags(&self, account_id: Id, page: TimelinePage) -> Result<Vec<(Id, Tag)>>;

    /// Which of `tag_ids` the account follows.
    async fn following_tags(&self, account_id: Id, tag_ids: &[Id]) -> Result<Vec<Id>>;

    /// Local accounts following any hashtag of a status.
    async fn tag_followers_of_status(&self, status_id: Id) -> Result<Vec<Id>>;
}

/// Writes of hashtags, inside a [`crate::Transaction`].
#[async_trait]
pub trait TagTx: Send {
    /// The hashtag named `name` (any case), made with `id` if it is new.
    async fn ensure_tag(&mut self, id: Id, name: &str, now: Timestamp) -> Result<Tag>;

    /// Follows a hashtag; `false` if followed already.
    async fn follow_tag(
        &mut self,
        id: Id,
        account_id: Id,
        tag_id: Id,
        now: Timestamp,
    ) -> Result<bool>;

    /// Stops following a hashtag; `false` if it was not followed.
    async fn unfollow_tag(&mut self, account_id: Id, tag_id: Id) -> Result<bool>;
}
