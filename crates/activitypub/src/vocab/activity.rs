//! Activities as inboxes receive them: their type, actor, object (an id, an embedded object,
//! actor or activity) and the few other properties Rookery reads.

use serde_json::Value;

use super::{ACTOR_TYPES, Link, Many, Object, ParseError, Ref, RemoteActor, kind_of};

/// Activity types Rookery understands.
pub const ACTIVITY_TYPES: &[&str] = &[
    "Create",
    "Update",
    "Delete",
    "Follow",
    "Accept",
    "Reject",
    "Undo",
    "Announce",
    "Like",
    "Block",
    "Move",
    "Flag",
    "Add",
    "Remove",
    "EmojiReact",
    "QuoteRequest",
];

/// ActivityStreams types that are objects, links or actors, never activities: posted to an
/// inbox they are malformed, not merely unknown.
pub const NON_ACTIVITY_TYPES: &[&str] = &[
    "Object",
    "Note",
    "Article",
    "Question",
    "Image",
    "Video",
    "Audio",
    "Document",
    "Page",
    "Event",
    "Place",
    "Profile",
    "Tombstone",
    "Relationship",
    "Collection",
    "OrderedCollection",
    "CollectionPage",
    "OrderedCollectionPage",
    "Link",
    "Mention",
    "Hashtag",
    "Emoji",
    "Person",
    "Service",
    "Group",
    "Application",
    "Organization",
    "PropertyValue",
];

/// What an activity acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A URI (or an embedded object with only an id).
    Id(String),
    Object(Box<Object>),
    Activity(Box<Activity>),
    Actor(Box<RemoteActor>),
}

impl Target {
    pub fn id(&self) -> Option<&str> {
        match self {
            Target::Id(s) => Some(s),
            Target::Object(o) => o.id.as_deref(),
            Target::Activity(a) => Some(&a.id),
            Target::Actor(a) => Some(&a.id),
        }
    }
}

/// An activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: String,
    pub kind: String,
    pub actor: String,
    pub object: Option<Target>,
    /// `Move`'s destination, `Add`/`Remove`'s collection.
    pub target: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub published: Option<String>,
    /// `content` (reports, emoji reactions).
    pub content: Option<String>,
    /// An `Accept`'s result (FEP-044f: the `QuoteAuthorization`).
    pub result: Option<String>,
    /// A `QuoteRequest`'s quoting post: its id, or the post itself.
    pub instrument: Option<Target>,
}

fn ids(v: Option<&Value>) -> Vec<String> {
    serde_json::from_value::<Many<Ref<Link>>>(v.cloned().unwrap_or(Value::Null))
        .map(|m| m.iter().filter_map(|r| r.id().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn target(v: &Value, depth: usize) -> Result<Target, ParseError> {
    match v {
        Value::String(s) => Ok(Target::Id(s.clone())),
        Value::Array(list) => target(list.first().ok_or(ParseError::Missing("object"))?, depth),
        Value::Object(map) => {
            let kind = kind_of(map);
            match kind.as_deref() {
                Some(k) if ACTIVITY_TYPES.contains(&k) => Ok(Target::Activity(Box::new(
                    Activity::from_value(v, depth + 1)?,
                ))),
                Some(k) if ACTOR_TYPES.contains(&k) => serde_json::from_value(v.clone())
                    .map(|a| Target::Actor(Box::new(a)))
                    .map_err(|e| ParseError::Invalid {
                        field: "object",
                        reason: e.to_string(),
                    }),
                Some(_) => serde_json::from_value(v.clone())
                    .map(|o| Target::Object(Box::new(o)))
                    .map_err(|e| ParseError::Invalid {
                        field: "object",
                        reason: e.to_string(),
                    }),
                None => match map.get("id").and_then(Value::as_str) {
                    Some(id) => Ok(Target::Id(id.to_owned())),
                    None => Err(ParseError::Missing("object id")),
                },
            }
        }
        _ => Err(ParseError::Invalid {
            field: "object",
            reason: "neither a URI nor an object".into(),
        }),
    }
}

/// How deep activities may nest (`Undo` of `Announce` of …).
const MAX_DEPTH: usize = 4;

impl Activity {
    /// Parses an activity from an inbox body.
    pub fn parse(json: &[u8]) -> Result<Activity, ParseError> {
        let v: Value = serde_json::from_slice(json).map_err(|e| ParseError::Json(e.to_string()))?;
        Self::from_value(&v, 0)
    }

    fn from_value(v: &Value, depth: usize) -> Result<Activity, ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError::Invalid {
                field: "object",
                reason: "activities nested too deep".into(),
            });
        }
        let map = v.as_object().ok_or(ParseError::NotObject)?;
        let kind = kind_of(map).ok_or(ParseError::Missing("type"))?;
        if !ACTIVITY_TYPES.contains(&kind.as_str()) {
            return Err(ParseError::Type(kind));
        }
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(ParseError::Missing("id"))?
            .to_owned();
        let actor = ids(map.get("actor"))
            .into_iter()
            .next()
            .ok_or(ParseError::Missing("actor"))?;
        let object = match map.get("object") {
            None | Some(Value::Null) => None,
            Some(o) => Some(target(o, depth)?),
        };
        if object.is_none() && kind != "Flag" {
            return Err(ParseError::Missing("object"));
        }
        let instrument = match map.get("instrument") {
            None | Some(Value::Null) => None,
            Some(i) => target(i, depth).ok(),
        };
        let target = map.get("target").and_then(|t| match t {
            Value::String(s) => Some(s.clone()),
            Value::Object(m) => m.get("id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        });
        Ok(Activity {
            id,
            kind,
            actor,
            object,
            target,
            to: ids(map.get("to")),
            cc: ids(map.get("cc")),
            published: map
                .get("published")
                .and_then(Value::as_str)
                .map(str::to_owned),
            content: map
                .get("content")
                .and_then(Value::as_str)
                .map(str::to_owned),
            result: map.get("result").and_then(|t| match t {
                Value::String(s) => Some(s.clone()),
                Value::Object(m) => m.get("id").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            }),
            instrument,
        })
    }

    /// The embedded object, when the activity carries one.
    pub fn embedded_object(&self) -> Option<&Object> {
        match &self.object {
            Some(Target::Object(o)) => Some(o),
            _ => None,
        }
    }

    /// Checks the rules an inbox enforces before trusting an activity from `signer` (the
    /// actor whose key signed the request): the activity's actor is the signer, and an
    /// embedded object of a `Create`/`Update` is attributed to that actor.
    pub fn check_authorship(&self, signer: &str) -> Result<(), ParseError> {
        if self.actor != signer {
            return Err(ParseError::Invalid {
                field: "actor",
                reason: "the activity's actor did not sign it".into(),
            });
        }
        if matches!(self.kind.as_str(), "Create" | "Update")
            && let Some(o) = self.embedded_object()
            && o.author().is_some_and(|a| a != self.actor)
        {
            return Err(ParseError::Invalid {
                field: "attributedTo",
                reason: "the object is attributed to someone else than the actor".into(),
            });
        }
        Ok(())
    }
}
