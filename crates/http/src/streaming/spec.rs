//! Stream names as clients ask for them (`user`, `public:local`, `hashtag` + tag, …): which
//! channel each listens to, which events it passes, and who may open it.

use axum::http::StatusCode;
use rookery_events::{Event, channel, names};
use rookery_model::Id;
use rookery_store::FilterContext;

/// Why a stream cannot be opened, with Mastodon's status code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamError {
    pub status: StatusCode,
    pub message: &'static str,
}

impl StreamError {
    /// 400, as Mastodon's streaming server answers (its `RequestError`).
    pub(crate) const UNKNOWN: StreamError = StreamError {
        status: StatusCode::BAD_REQUEST,
        message: "Unknown stream type",
    };
    pub(crate) const NO_TAG: StreamError = StreamError {
        status: StatusCode::BAD_REQUEST,
        message: "Missing tag name parameter",
    };
    pub(crate) const NO_LIST: StreamError = StreamError {
        status: StatusCode::NOT_FOUND,
        message: "List not found",
    };
    pub(crate) const NO_TOKEN: StreamError = StreamError {
        status: StatusCode::UNAUTHORIZED,
        message: "Missing access token",
    };
    pub(crate) const BAD_TOKEN: StreamError = StreamError {
        status: StatusCode::UNAUTHORIZED,
        message: "Invalid access token",
    };
    pub(crate) const SCOPE: StreamError = StreamError {
        status: StatusCode::UNAUTHORIZED,
        message: "Access token does not have the required scopes",
    };
}

/// What a stream is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    UserNotification,
    Public {
        scope: channel::Scope,
        media: bool,
    },
    Hashtag {
        tag: String,
        local: bool,
    },
    Direct,
    /// A list's timeline; whose list it is is checked when it is opened.
    List(Id),
}

/// A parsed stream request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    pub kind: Kind,
    /// The `stream` array of WebSocket events (`["hashtag", "rust"]`).
    pub label: Vec<String>,
}

/// Longest hashtag accepted (Mastodon's limit is lower in practice).
const MAX_TAG_CHARS: usize = 100;

impl Spec {
    /// Parses a stream name with its `tag` / `list` parameters (`only_media` is folded into the
    /// name by callers, as in Mastodon's `public:media`).
    pub(crate) fn parse(
        name: &str,
        tag: Option<&str>,
        list: Option<&str>,
    ) -> Result<Spec, StreamError> {
        let public = |scope, media| Kind::Public { scope, media };
        use channel::Scope::{All, Local, Remote};
        let kind = match name {
            "user" => Kind::User,
            "user:notification" => Kind::UserNotification,
            "public" => public(All, false),
            "public:media" => public(All, true),
            "public:local" => public(Local, false),
            "public:local:media" => public(Local, true),
            "public:remote" => public(Remote, false),
            "public:remote:media" => public(Remote, true),
            "direct" => Kind::Direct,
            "hashtag" | "hashtag:local" => {
                let tag = tag.map(|t| t.trim().trim_start_matches('#')).unwrap_or("");
                if tag.is_empty() {
                    return Err(StreamError::NO_TAG);
                }
                if tag.chars().count() > MAX_TAG_CHARS
                    || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
                {
                    return Err(StreamError::UNKNOWN);
                }
                Kind::Hashtag {
                    tag: tag.to_owned(),
                    local: name == "hashtag:local",
                }
            }
            "list" => match list.map(str::trim).filter(|l| !l.is_empty()) {
                None => {
                    return Err(StreamError {
                        status: StatusCode::BAD_REQUEST,
                        message: "Missing list parameter",
                    });
                }
                Some(l) => Kind::List(l.parse().map_err(|_| StreamError::NO_LIST)?),
            },
            _ => return Err(StreamError::UNKNOWN),
        };
        let mut label = vec![name.to_owned()];
        match &kind {
            Kind::Hashtag { tag, .. } => label.push(tag.clone()),
            Kind::List(id) => label.push(id.to_string()),
            _ => {}
        }
        Ok(Spec { kind, label })
    }

    /// Whether the stream needs a signed-in user (and which scope its token must grant).
    pub(crate) fn required_scope(&self) -> Option<&'static str> {
        match self.kind {
            Kind::User | Kind::Direct | Kind::List(_) => Some("read:statuses"),
            Kind::UserNotification => Some("read:notifications"),
            Kind::Public { .. } | Kind::Hashtag { .. } => None,
        }
    }

    /// The bus channel it listens to (`viewer` is set for the streams that need one).
    pub(crate) fn channel(&self, viewer: Option<Id>) -> Option<String> {
        Some(match &self.kind {
            Kind::User | Kind::UserNotification => channel::user(viewer?),
            Kind::Direct => channel::direct(viewer?),
            Kind::List(id) => channel::list(*id),
            Kind::Public { scope, .. } => channel::public(*scope),
            Kind::Hashtag { tag, local } => channel::hashtag(tag, *local),
        })
    }

    /// The filter context of statuses on this stream (`None`: filters do not apply).
    pub(crate) fn filter_context(&self, event: &str) -> Option<FilterContext> {
        if event == names::NOTIFICATION {
            return Some(FilterContext::Notifications);
        }
        match self.kind {
            Kind::User | Kind::List(_) => Some(FilterContext::Home),
            Kind::Public { .. } | Kind::Hashtag { .. } => Some(FilterContext::Public),
            Kind::UserNotification | Kind::Direct => None,
        }
    }

    /// Whether an event on its channel belongs to this stream.
    pub(crate) fn accepts(&self, e: &Event) -> bool {
        let name = e.event.as_str();
        match &self.kind {
            Kind::User => matches!(
                name,
                names::UPDATE
                    | names::DELETE
                    | names::NOTIFICATION
                    | names::STATUS_UPDATE
                    | names::FILTERS_CHANGED
                    | names::NOTIFICATIONS_MERGED
                    | names::ANNOUNCEMENT
                    | names::ANNOUNCEMENT_REACTION
                    | names::ANNOUNCEMENT_DELETE
            ),
            Kind::UserNotification => {
                matches!(name, names::NOTIFICATION | names::NOTIFICATIONS_MERGED)
            }
            Kind::Direct => name == names::CONVERSATION,
            Kind::Public { media, .. } => match name {
                names::DELETE => true,
                names::UPDATE | names::STATUS_UPDATE => !*media || e.meta.media,
                _ => false,
            },
            Kind::Hashtag { .. } | Kind::List(_) => {
                matches!(name, names::UPDATE | names::DELETE | names::STATUS_UPDATE)
            }
        }
    }

    /// The metrics label for the stream (bounded: never the tag).
    pub(crate) fn metric_name(&self) -> &'static str {
        match &self.kind {
            Kind::User => "user",
            Kind::UserNotification => "user:notification",
            Kind::Direct => "direct",
            Kind::List(_) => "list",
            Kind::Public { scope, .. } => match scope {
                channel::Scope::All => "public",
                channel::Scope::Local => "public:local",
                channel::Scope::Remote => "public:remote",
            },
            Kind::Hashtag { local: false, .. } => "hashtag",
            Kind::Hashtag { local: true, .. } => "hashtag:local",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mastodon_stream_name_parses() {
        for name in [
            "user",
            "user:notification",
            "public",
            "public:media",
            "public:local",
            "public:local:media",
            "public:remote",
            "public:remote:media",
            "direct",
        ] {
            let s = Spec::parse(name, None, None).unwrap();
            assert_eq!(s.label, vec![name.to_owned()]);
        }
        let h = Spec::parse("hashtag:local", Some("#Rust"), None).unwrap();
        assert_eq!(h.label, vec!["hashtag:local".to_owned(), "Rust".to_owned()]);
        assert_eq!(
            h.channel(None).as_deref(),
            Some("timeline:hashtag:rust:local")
        );
    }

    #[test]
    fn bad_names_and_parameters_are_refused_with_reasons() {
        assert_eq!(Spec::parse("nope", None, None), Err(StreamError::UNKNOWN));
        assert_eq!(Spec::parse("", None, None), Err(StreamError::UNKNOWN));
        assert_eq!(Spec::parse("USER", None, None), Err(StreamError::UNKNOWN));
        assert_eq!(Spec::parse("hashtag", None, None), Err(StreamError::NO_TAG));
        assert_eq!(
            Spec::parse("hashtag", Some(" "), None),
            Err(StreamError::NO_TAG)
        );
        assert_eq!(
            Spec::parse("hashtag", Some("a b"), None),
            Err(StreamError::UNKNOWN)
        );
        let long = "x".repeat(101);
        assert_eq!(
            Spec::parse("hashtag", Some(&long), None),
            Err(StreamError::UNKNOWN)
        );
        assert_eq!(
            Spec::parse("list", None, Some("five")),
            Err(StreamError::NO_LIST)
        );
        let l = Spec::parse("list", None, Some("5")).unwrap();
        assert_eq!(l.label, vec!["list".to_owned(), "5".to_owned()]);
        assert_eq!(l.channel(None).as_deref(), Some("timeline:list:5"));
        assert_eq!(l.required_scope(), Some("read:statuses"));
        assert_eq!(
            Spec::parse("list", None, None).map_err(|e| e.status),
            Err(StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn streams_pass_only_their_events() {
        let upd = Event::new(names::UPDATE, Some("{}".into()));
        let note = Event::new(names::NOTIFICATION, Some("{}".into()));
        let user = Spec::parse("user", None, None).unwrap();
        let notes = Spec::parse("user:notification", None, None).unwrap();
        let media = Spec::parse("public:media", None, None).unwrap();
        assert!(user.accepts(&upd) && user.accepts(&note));
        assert!(!notes.accepts(&upd) && notes.accepts(&note));
        assert!(!media.accepts(&upd));
        let mut with_media = upd.clone();
        with_media.meta.media = true;
        assert!(media.accepts(&with_media));
        assert!(media.accepts(&Event::new(names::DELETE, Some("1".into()))));
        assert_eq!(user.required_scope(), Some("read:statuses"));
        assert_eq!(media.required_scope(), None);
        assert_eq!(user.channel(None), None);
    }
}
