//! Scheduled statuses.

use serde::Serialize;

use crate::MediaAttachment;

/// docs.joinmastodon.org/entities/ScheduledStatus
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScheduledStatus {
    pub id: String,
    pub scheduled_at: String,
    pub params: ScheduledStatusParams,
    pub media_attachments: Vec<MediaAttachment>,
}

/// The `params` of a ScheduledStatus: what was asked for (`null` where it was not), as
/// Mastodon keeps them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScheduledStatusParams {
    pub text: String,
    pub poll: Option<ScheduledPoll>,
    pub media_ids: Option<Vec<String>>,
    pub sensitive: Option<bool>,
    pub spoiler_text: Option<String>,
    pub visibility: Option<String>,
    /// An integer in Mastodon's rendering.
    pub in_reply_to_id: Option<i64>,
    pub language: Option<String>,
    pub application_id: Option<i64>,
    /// Always `null`: the status is scheduled once.
    pub scheduled_at: Option<String>,
    pub idempotency: Option<String>,
    pub with_rate_limit: bool,
}

/// `params[poll]` of a ScheduledStatus.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScheduledPoll {
    pub options: Vec<String>,
    pub expires_in: i64,
    pub multiple: bool,
    pub hide_totals: bool,
}
