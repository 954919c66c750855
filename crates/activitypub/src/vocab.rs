//! Incoming ActivityStreams, typed. The fediverse varies: a property may be a value or a list,
//! a reference may be a URI or an embedded object, `@context` may be anything, `type` may be a
//! list, content may come only as `contentMap`. These types accept all of that and reject what
//! is genuinely unusable with a reason ([`ParseError`]); business logic never walks raw JSON.

use std::collections::BTreeMap;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, de};
use serde_json::Value;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("not an object")]
    NotObject,
    #[error("no {0}")]
    Missing(&'static str),
    #[error("unsupported type {0:?}")]
    Type(String),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

/// Zero, one or many values: `x`, `[x, y]`, `null` or absent all deserialize.
#[derive(Debug, Clone, PartialEq)]
pub struct Many<T>(pub Vec<T>);

impl<T> Default for Many<T> {
    fn default() -> Self {
        Many(Vec::new())
    }
}

impl<T> Many<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
    pub fn first(&self) -> Option<&T> {
        self.0.first()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Many<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let items = match v {
            Value::Null => Vec::new(),
            Value::Array(items) => items,
            one => vec![one],
        };
        // Entries that do not fit are skipped (a server's exotic extension in a list of
        // mentions must not cost us the post).
        Ok(Many(
            items
                .into_iter()
                .filter(|v| !v.is_null())
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect(),
        ))
    }
}

/// A link to something: its id as a string, or the thing embedded (`{"id": …, …}`), or a
/// `Link` object (`{"href": …}`).
#[derive(Debug, Clone, PartialEq)]
pub enum Ref<T> {
    Id(String),
    Embedded(Box<T>),
}

impl<T: HasId> Ref<T> {
    /// The referenced id, if there is one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Ref::Id(id) => Some(id),
            Ref::Embedded(t) => t.id(),
        }
    }

    /// The embedded object, if given.
    pub fn embedded(&self) -> Option<&T> {
        match self {
            Ref::Id(_) => None,
            Ref::Embedded(t) => Some(t),
        }
    }
}

/// Things with an `id`.
pub trait HasId {
    fn id(&self) -> Option<&str>;
}

impl<'de, T: DeserializeOwned + HasId> Deserialize<'de> for Ref<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match v {
            Value::String(s) => Ok(Ref::Id(s)),
            Value::Object(ref map) => {
                if let Ok(t) = serde_json::from_value::<T>(v.clone())
                    && t.id().is_some()
                {
                    return Ok(Ref::Embedded(Box::new(t)));
                }
                match map.get("href").or_else(|| map.get("id")) {
                    Some(Value::String(s)) => Ok(Ref::Id(s.clone())),
                    _ => serde_json::from_value::<T>(v)
                        .map(|t| Ref::Embedded(Box::new(t)))
                        .map_err(de::Error::custom),
                }
            }
            other => Err(de::Error::custom(format!(
                "expected a URI or an object, got {other}"
            ))),
        }
    }
}

/// Just an id (what `Ref<Id>` needs when only the URI matters).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Link {
    #[serde(default)]
    pub id: Option<String>,
}

impl HasId for Link {
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

/// `type`: a string, or a list whose first entry we recognise.
fn kind_of(map: &serde_json::Map<String, Value>) -> Option<String> {
    match map.get("type")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(list) => list.iter().find_map(|v| v.as_str().map(str::to_owned)),
        _ => None,
    }
}

fn de_kind<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Array(list) => list
            .into_iter()
            .find_map(|v| v.as_str().map(str::to_owned))
            .ok_or_else(|| de::Error::custom("empty type list")),
        other => Err(de::Error::custom(format!("bad type {other}"))),
    }
}

/// A string, or the first string of a list, or a language map's first value.
fn de_loose_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Array(list) => list.into_iter().find_map(|v| v.as_str().map(str::to_owned)),
        Value::Object(map) => map.values().find_map(|v| v.as_str().map(str::to_owned)),
        _ => None,
    })
}

/// A reference (an id, or an object with one), or nothing when the value is anything else: a
/// malformed quote property drops the property, not the post.
fn de_lenient_ref<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Ref<Link>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(Ref::Id(s)),
        Value::Object(map) => Some(Ref::Embedded(Box::new(Link {
            id: map.get("id").and_then(Value::as_str).map(str::to_owned),
        }))),
        _ => None,
    })
}

/// A string, or nothing when the value is anything else.
fn de_lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// `true`/`false`, also as strings (some servers send `"true"`).
fn de_loose_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// An `href` (Link), a plain URI, or the first of a list of either: `url` on objects.
fn de_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    fn one(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(m) => m
                .get("href")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .filter(|_| {
                    // Prefer text/html links when a list offers several (PeerTube, Lemmy).
                    m.get("mediaType")
                        .and_then(Value::as_str)
                        .is_none_or(|t| t.starts_with("text/html"))
                }),
            _ => None,
        }
    }
    Ok(match Value::deserialize(d)? {
        Value::Array(list) => list.iter().find_map(one).or_else(|| {
            list.iter()
                .find_map(|v| v.get("href").and_then(Value::as_str).map(str::to_owned))
        }),
        v => one(&v).or_else(|| v.get("href").and_then(Value::as_str).map(str::to_owned)),
    })
}

/// A tag on an object or actor.
#[derive(Debug, Clone, PartialEq)]
pub enum Tag {
    /// `{"type":"Mention","href":actor,"name":"@user@host"}`
    Mention { href: String, name: Option<String> },
    /// `{"type":"Hashtag","href":…,"name":"#tag"}`
    Hashtag { name: String, href: Option<String> },
    /// `{"type":"Emoji","name":":blob:","icon":{"url":…}}`
    Emoji {
        name: String,
        url: String,
        id: Option<String>,
    },
    /// Anything else, kept by type name.
    Other(String),
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let map = v
            .as_object()
            .ok_or_else(|| de::Error::custom("tag is not an object"))?;
        let kind = kind_of(map).unwrap_or_default();
        let s = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(match kind.as_str() {
            "Mention" => Tag::Mention {
                href: s("href").ok_or_else(|| de::Error::custom("mention without href"))?,
                name: s("name"),
            },
            "Hashtag" => Tag::Hashtag {
                name: s("name")
                    .map(|n| n.trim_start_matches('#').to_owned())
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| de::Error::custom("hashtag without name"))?,
                href: s("href"),
            },
            "Emoji" => Tag::Emoji {
                name: s("name")
                    .map(|n| n.trim_matches(':').to_owned())
                    .ok_or_else(|| de::Error::custom("emoji without name"))?,
                url: map
                    .get("icon")
                    .and_then(|i| i.get("url").and_then(Value::as_str).or_else(|| i.as_str()))
                    .map(str::to_owned)
                    .ok_or_else(|| de::Error::custom("emoji without icon"))?,
                id: s("id"),
            },
            other => Tag::Other(other.to_owned()),
        })
    }
}

/// A media attachment (`Document`, `Image`, `Video`, `Audio`) or a profile field
/// (`PropertyValue`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(rename = "type", deserialize_with = "de_kind")]
    pub kind: String,
    #[serde(default, deserialize_with = "de_url")]
    pub url: Option<String>,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default, deserialize_with = "de_loose_string")]
    pub name: Option<String>,
    /// `PropertyValue` fields carry `value`.
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub blurhash: Option<String>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    /// Mastodon's focal point `[x, y]`.
    #[serde(default)]
    pub focal_point: Option<Vec<f64>>,
}

/// A poll option (`oneOf` / `anyOf` entries of a `Question`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PollOption {
    #[serde(default, deserialize_with = "de_loose_string")]
    pub name: Option<String>,
    #[serde(default)]
    pub replies: Option<Value>,
}

impl PollOption {
    /// `replies.totalItems`.
    pub fn votes(&self) -> u64 {
        self.replies
            .as_ref()
            .and_then(|r| r.get("totalItems"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }
}

/// An object: `Note`, `Question`, `Article`, `Page`, `Tombstone`, media objects…
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Object {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "type", deserialize_with = "de_kind")]
    pub kind: String,
    #[serde(default)]
    pub attributed_to: Many<Ref<Link>>,
    #[serde(default, deserialize_with = "de_loose_string")]
    pub content: Option<String>,
    #[serde(default)]
    pub content_map: Option<BTreeMap<String, String>>,
    /// Markdown or other source as the author wrote it (Misskey, Pleroma).
    #[serde(default)]
    pub source: Option<Value>,
    #[serde(default, deserialize_with = "de_loose_string")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "de_loose_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de_loose_bool")]
    pub sensitive: Option<bool>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub updated: Option<String>,
    #[serde(default)]
    pub in_reply_to: Option<Ref<Link>>,
    #[serde(default)]
    pub to: Many<Ref<Link>>,
    #[serde(default)]
    pub cc: Many<Ref<Link>>,
    #[serde(default)]
    pub tag: Many<Tag>,
    #[serde(default)]
    pub attachment: Many<Attachment>,
    #[serde(default, deserialize_with = "de_url")]
    pub url: Option<String>,
    #[serde(default)]
    pub conversation: Option<String>,
    #[serde(default)]
    pub one_of: Many<PollOption>,
    #[serde(default)]
    pub any_of: Many<PollOption>,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub closed: Option<Value>,
    #[serde(default)]
    pub voters_count: Option<u64>,
    /// Quotes, under the names servers use (often several at once): `quoteUrl`,
    /// Misskey's `_misskey_quote`, Fedibird's `quoteUri`; see [`Object::quote`].
    #[serde(default, deserialize_with = "de_lenient_string")]
    pub quote_url: Option<String>,
    #[serde(
        default,
        rename = "_misskey_quote",
        deserialize_with = "de_lenient_string"
    )]
    pub misskey_quote: Option<String>,
    #[serde(default, deserialize_with = "de_lenient_string")]
    pub quote_uri: Option<String>,
    /// FEP-044f's quote (Mastodon 4.5): the quoted post, or a `Tombstone` once it is gone.
    #[serde(default, deserialize_with = "de_lenient_ref")]
    pub quote: Option<Ref<Link>>,
    /// FEP-044f: the quoted author's `QuoteAuthorization` of this quote.
    #[serde(default, deserialize_with = "de_lenient_ref")]
    pub quote_authorization: Option<Ref<Link>>,
    /// GoToSocial's interaction policy (`canQuote`, …), read by [`Object::quote_policy`].
    #[serde(default)]
    pub interaction_policy: Option<Value>,
    /// A `QuoteAuthorization`'s quoting post.
    #[serde(default, deserialize_with = "de_lenient_ref")]
    pub interacting_object: Option<Ref<Link>>,
    /// A `QuoteAuthorization`'s quoted post.
    #[serde(default, deserialize_with = "de_lenient_ref")]
    pub interaction_target: Option<Ref<Link>>,
    /// The collection of its replies: its URL, or the collection itself.
    #[serde(default)]
    pub replies: Option<Value>,
}

impl HasId for Object {
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

impl Object {
    /// The author's id (the first `attributedTo` that is an actor reference).
    pub fn author(&self) -> Option<&str> {
        self.attributed_to.iter().find_map(Ref::id)
    }

    /// The HTML content: `content`, else the `contentMap` entry for `lang`, else any.
    pub fn html(&self, lang: Option<&str>) -> Option<&str> {
        if let Some(c) = &self.content {
            return Some(c);
        }
        let map = self.content_map.as_ref()?;
        lang.and_then(|l| map.get(l))
            .or_else(|| map.values().next())
            .map(String::as_str)
    }

    /// The language: the `contentMap` key when there is exactly one.
    pub fn language(&self) -> Option<&str> {
        let map = self.content_map.as_ref()?;
        (map.len() == 1)
            .then(|| map.keys().next().map(String::as_str))
            .flatten()
    }

    /// The quoted post, whichever name carried it (FEP-044f's `quote` first).
    pub fn quote(&self) -> Option<&str> {
        self.quote
            .as_ref()
            .and_then(Ref::id)
            .or(self.misskey_quote.as_deref())
            .or(self.quote_url.as_deref())
            .or(self.quote_uri.as_deref())
    }

    /// Who may quote this post, from `interactionPolicy.canQuote` (Mastodon reads it so):
    /// the public collection, the author's `followers` and `following` collections are
    /// understood, the author themself is ignored, anything else is unsupported. `None`
    /// when the post says nothing.
    pub fn quote_policy(
        &self,
        followers: Option<&str>,
        following: Option<&str>,
    ) -> Option<(u32, u32)> {
        let can_quote = self.interaction_policy.as_ref()?.get("canQuote")?;
        let author = self.author();
        let flags = |key: &str| {
            let list = can_quote.get(key).cloned().unwrap_or(Value::Null);
            let items: Many<Ref<Link>> = serde_json::from_value(list).unwrap_or_default();
            let mut flags = 0u32;
            for uri in items.iter().filter_map(Ref::id).take(100) {
                flags |= if crate::is_public(uri) {
                    2
                } else if Some(uri) == followers {
                    4
                } else if Some(uri) == following {
                    8
                } else if Some(uri) == author {
                    0
                } else {
                    1
                };
            }
            flags
        };
        Some((flags("automaticApproval"), flags("manualApproval")))
    }

    /// Addressing: every id in `to` and `cc`.
    pub fn audience(&self) -> impl Iterator<Item = &str> {
        self.to.iter().chain(self.cc.iter()).filter_map(Ref::id)
    }
}

/// An actor as other servers publish it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteActor {
    pub id: String,
    #[serde(rename = "type", deserialize_with = "de_kind")]
    pub kind: String,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default, deserialize_with = "de_loose_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de_loose_string")]
    pub summary: Option<String>,
    pub inbox: String,
    #[serde(default)]
    pub outbox: Option<String>,
    #[serde(default)]
    pub followers: Option<String>,
    #[serde(default)]
    pub following: Option<String>,
    #[serde(default)]
    pub featured: Option<String>,
    /// Mastodon's `featuredTags`: a collection of the `Hashtag`s the actor features.
    #[serde(default)]
    pub featured_tags: Option<String>,
    #[serde(default)]
    pub endpoints: Option<ActorEndpoints>,
    #[serde(default)]
    pub public_key: Many<RemoteKey>,
    /// FEP-521a keys: `Multikey`s in `assertionMethod` (those of other controllers are dropped
    /// by [`RemoteActor::parse`]).
    #[serde(default)]
    pub assertion_method: Many<Multikey>,
    #[serde(default)]
    pub icon: Many<Attachment>,
    #[serde(default)]
    pub image: Many<Attachment>,
    #[serde(default, deserialize_with = "de_loose_bool")]
    pub manually_approves_followers: Option<bool>,
    #[serde(default, deserialize_with = "de_loose_bool")]
    pub discoverable: Option<bool>,
    #[serde(default, deserialize_with = "de_loose_bool")]
    pub indexable: Option<bool>,
    /// Mastodon 4.4's `attributionDomains`: websites allowed to credit the actor.
    #[serde(default)]
    pub attribution_domains: Many<String>,
    #[serde(default, deserialize_with = "de_url")]
    pub url: Option<String>,
    #[serde(default)]
    pub attachment: Many<Attachment>,
    #[serde(default)]
    pub tag: Many<Tag>,
    #[serde(default)]
    pub moved_to: Option<String>,
    #[serde(default)]
    pub also_known_as: Many<String>,
    #[serde(default)]
    pub published: Option<String>,
}

impl HasId for RemoteActor {
    fn id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// `endpoints` of a remote actor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorEndpoints {
    #[serde(default)]
    pub shared_inbox: Option<String>,
}

/// `publicKey` of a remote actor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteKey {
    pub id: String,
    #[serde(default)]
    pub owner: Option<String>,
    pub public_key_pem: String,
}

/// A FEP-521a `Multikey` (`publicKeyMultibase` is read by `keys::PublicKey::from_multibase`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Multikey {
    pub id: String,
    #[serde(rename = "type", deserialize_with = "de_kind")]
    pub kind: String,
    pub controller: String,
    pub public_key_multibase: String,
}

/// Actor types Rookery federates with.
pub const ACTOR_TYPES: &[&str] = &["Person", "Service", "Group", "Application", "Organization"];

impl RemoteActor {
    /// Parses and checks an actor document (type, inbox, key owner).
    pub fn parse(json: &[u8]) -> Result<RemoteActor, ParseError> {
        let v: Value = serde_json::from_slice(json).map_err(|e| ParseError::Json(e.to_string()))?;
        let map = v.as_object().ok_or(ParseError::NotObject)?;
        let kind = kind_of(map).ok_or(ParseError::Missing("type"))?;
        if !ACTOR_TYPES.contains(&kind.as_str()) {
            return Err(ParseError::Type(kind));
        }
        if !map.contains_key("id") {
            return Err(ParseError::Missing("id"));
        }
        if !map.contains_key("inbox") {
            return Err(ParseError::Missing("inbox"));
        }
        let mut actor: RemoteActor =
            serde_json::from_value(v).map_err(|e| ParseError::Invalid {
                field: "actor",
                reason: e.to_string(),
            })?;
        // Only the actor's own keys, and a handful of them.
        actor
            .assertion_method
            .0
            .retain(|k| k.kind == "Multikey" && k.controller == actor.id);
        actor.assertion_method.0.truncate(4);
        for key in actor.public_key.iter() {
            if key.owner.as_deref().is_some_and(|o| o != actor.id) {
                return Err(ParseError::Invalid {
                    field: "publicKey.owner",
                    reason: "the key belongs to another actor".into(),
                });
            }
        }
        Ok(actor)
    }

    /// The shared inbox, else the actor's own.
    pub fn delivery_inbox(&self) -> &str {
        self.endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_deref())
            .unwrap_or(&self.inbox)
    }

    /// The key with `key_id`, or the first one.
    pub fn key(&self, key_id: &str) -> Option<&RemoteKey> {
        self.public_key
            .iter()
            .find(|k| k.id == key_id)
            .or_else(|| self.public_key.first())
    }
}

mod activity;
pub use activity::{ACTIVITY_TYPES, Activity, NON_ACTIVITY_TYPES, Target};

#[cfg(test)]
mod tests;
