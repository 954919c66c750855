//! Hashtags an account features on its profile. The storage side.
//!
//! Reached through [`crate::Store::featured_tag_store`] and [`crate::Transaction::featured_tags`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Result, Tag};

/// A hashtag featured on a profile, with the account's use of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeaturedTag {
    pub id: Id,
    pub account_id: Id,
    pub tag_id: Id,
    /// The name as the account typed it when featuring it.
    pub name: String,
    /// The account's public and unlisted statuses with the hashtag.
    pub statuses_count: i64,
    /// When the newest of those was posted.
    pub last_status_at: Option<Timestamp>,
}

/// What featuring a hashtag came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureOutcome {
    /// Featured now.
    Featured(FeaturedTag),
    /// The account features this hashtag already (this one).
    AlreadyFeatured(FeaturedTag),
    /// The account features as many hashtags as it may.
    LimitReached,
}

/// Reads of featured hashtags.
#[async_trait]
pub trait FeaturedTagStore: Send + Sync {
    /// The hashtags an account features, most used first (then in the order featured).
    async fn featured_tags(&self, account_id: Id) -> Result<Vec<FeaturedTag>>;

    /// Which of `tag_ids` the account features.
    async fn featuring_tags(&self, account_id: Id, tag_ids: &[Id]) -> Result<Vec<Id>>;

    /// The hashtags of the account's newest `recent` statuses that it does not feature, most
    /// used first (then most recently used), at most `limit`.
    async fn featured_tag_suggestions(
        &self,
        account_id: Id,
        recent: u32,
        limit: u32,
    ) -> Result<Vec<Tag>>;
}

/// Writes of featured hashtags, inside a [`crate::Transaction`].
#[async_trait]
pub trait FeaturedTagTx: Send {
    /// Features `tag` as `name` (with `id`), unless the account features it already or
    /// features `limit` hashtags. Concurrent calls for one account are serialised.
    async fn feature_tag(
        &mut self,
        id: Id,
        account_id: Id,
        tag: &Tag,
        name: &str,
        limit: u32,
        now: Timestamp,
    ) -> Result<FeatureOutcome>;

    /// Stops featuring the featured tag `id` of the account; `false` if it has none such.
    async fn unfeature_tag(&mut self, account_id: Id, id: Id) -> Result<bool>;

    /// Stops featuring `tag_id`; `false` if the account did not feature it.
    async fn unfeature_tag_by_tag(&mut self, account_id: Id, tag_id: Id) -> Result<bool>;
}
