//! Trends: hashtags, links and statuses that are being shared more than usual, as the periodic
//! refresh scored them, and the operator's review of each. The storage side.
//!
//! Reached through [`crate::Store::trend_store`] and [`crate::Transaction::trends`].

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};

use crate::{Result, TagDay};

/// What trends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrendKind {
    /// A hashtag (item: the tag id).
    Tag,
    /// A link with a preview card (item: the card id).
    Link,
    /// A status (item: the status id).
    Status,
}

impl TrendKind {
    pub const ALL: [TrendKind; 3] = [TrendKind::Tag, TrendKind::Link, TrendKind::Status];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrendKind::Tag => "tag",
            TrendKind::Link => "link",
            TrendKind::Status => "status",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "tag" => Some(TrendKind::Tag),
            "link" => Some(TrendKind::Link),
            "status" => Some(TrendKind::Status),
            _ => None,
        }
    }
}

/// How many distinct accounts shared an item in two windows: `recent` (from the split on)
/// and `earlier` (before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendUse {
    pub item_id: Id,
    pub recent: i64,
    pub earlier: i64,
}

/// A recent status eligible to trend, with its favourites and boosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusInteractions {
    pub status_id: Id,
    pub interactions: i64,
    pub created_at: Timestamp,
}

/// A scored item. Scores are kept in millionths (whole numbers on both engines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trend {
    pub kind: TrendKind,
    pub item_id: Id,
    /// The score now (decayed), in millionths.
    pub score: i64,
    /// The highest score reached in the cooldown window, and when.
    pub max_score: i64,
    pub max_score_at: Timestamp,
    /// The operator's review: approved (`Some(true)`), rejected (`Some(false)`) or none.
    pub review: Option<bool>,
}

/// Which trends a read returns, by review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewFilter {
    /// Every scored item.
    All,
    /// Items not rejected (trends without review).
    NotRejected,
    /// Approved items only (trends under review).
    Approved,
}

/// Reads of trends and of the activity they are computed from.
#[async_trait]
pub trait TrendStore: Send + Sync {
    /// Hashtags used since `since` in public, original statuses by accounts neither suspended
    /// nor silenced (nor on a silenced or suspended domain): distinct accounts on each side of
    /// `split`.
    async fn tag_uses(&self, since: Timestamp, split: Timestamp) -> Result<Vec<TrendUse>>;

    /// Preview cards of links shared (posted or boosted) since `since` in public statuses
    /// that are neither sensitive nor behind a content warning, by accounts as for
    /// [`Self::tag_uses`]: distinct accounts on each side of `split`.
    async fn link_uses(&self, since: Timestamp, split: Timestamp) -> Result<Vec<TrendUse>>;

    /// Public statuses posted since `since` that are not replies, not sensitive, without a
    /// content warning, by discoverable accounts as for [`Self::tag_uses`], with at least one
    /// favourite or boost.
    async fn status_interactions(&self, since: Timestamp) -> Result<Vec<StatusInteractions>>;

    /// The scored items of a kind, highest score first.
    async fn trends(
        &self,
        kind: TrendKind,
        filter: ReviewFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Trend>>;

    /// A link's use per day since `since` (statuses and distinct accounts), by days with any.
    async fn link_history(&self, card_id: Id, since: Timestamp) -> Result<Vec<TagDay>>;

    /// Every review of a kind: `(item id, approved)`.
    async fn reviews(&self, kind: TrendKind) -> Result<Vec<(Id, bool)>>;

    /// The review of one item: approved (`Some(true)`), rejected (`Some(false)`) or none.
    async fn review(&self, kind: TrendKind, item_id: Id) -> Result<Option<bool>>;
}

/// Writes of trends, inside a [`crate::Transaction`].
#[async_trait]
pub trait TrendTx: Send {
    /// Replaces the scored items of a kind with `trends` (their `review` is ignored).
    async fn replace_trends(
        &mut self,
        kind: TrendKind,
        trends: &[Trend],
        now: Timestamp,
    ) -> Result<()>;

    /// Records the operator's review of an item (replacing an earlier one).
    async fn set_review(
        &mut self,
        kind: TrendKind,
        item_id: Id,
        approved: bool,
        now: Timestamp,
    ) -> Result<()>;
}
