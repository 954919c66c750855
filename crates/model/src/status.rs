//! Statuses (posts) and who may see them.

use std::fmt;

use crate::id::Id;
use crate::time::Timestamp;

/// Who may see a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Visibility {
    /// Everyone, listed in public timelines.
    #[default]
    Public,
    /// Everyone, but not in public timelines.
    Unlisted,
    /// Followers (and mentioned accounts).
    Private,
    /// Mentioned accounts only.
    Direct,
}

impl Visibility {
    /// The API and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }

    /// Reads a name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "public" => Visibility::Public,
            "unlisted" => Visibility::Unlisted,
            "private" => Visibility::Private,
            "direct" => Visibility::Direct,
            _ => return None,
        })
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status (a post, or a reblog of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub id: Id,
    pub account_id: Id,
    /// ActivityPub id of a remote status; `None` for local ones.
    pub uri: Option<String>,
    pub url: Option<String>,
    pub local: bool,
    pub in_reply_to_id: Option<Id>,
    pub in_reply_to_account_id: Option<Id>,
    pub reblog_of_id: Option<Id>,
    /// The thread it belongs to (the id of the thread's first status).
    pub conversation_id: Option<Id>,
    /// What the author typed (local statuses).
    pub text: String,
    /// Sanitised HTML.
    pub content: String,
    pub spoiler_text: String,
    pub visibility: Visibility,
    pub sensitive: bool,
    pub language: Option<String>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub edited_at: Option<Timestamp>,
    /// When the author pinned it to their profile.
    pub pinned_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Status {
    /// A reblog of `original` by `account_id`, made at `now` (local; callers set `uri`, `url`
    /// and `local` for a remote one).
    pub fn reblog(
        id: Id,
        account_id: Id,
        original: &Status,
        visibility: Visibility,
        now: Timestamp,
    ) -> Status {
        Status {
            id,
            account_id,
            uri: None,
            url: None,
            local: true,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: Some(original.id),
            conversation_id: None,
            text: String::new(),
            content: String::new(),
            spoiler_text: String::new(),
            visibility,
            sensitive: false,
            language: None,
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            edited_at: None,
            pinned_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_names() {
        for v in [
            Visibility::Public,
            Visibility::Unlisted,
            Visibility::Private,
            Visibility::Direct,
        ] {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
        assert_eq!(Visibility::parse("limited"), None);
    }
}
