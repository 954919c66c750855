//! What Rookery publishes about its own posts: `Note`, the `Create` that carries it, and the
//! collections (outbox, followers, following, featured), shaped as Mastodon shapes them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

/// The `@context` of notes and activities: ActivityStreams plus the extensions used.
pub fn note_context() -> Value {
    json!([
        crate::AS_CONTEXT,
        {
            "ostatus": "http://ostatus.org#",
            "atomUri": "ostatus:atomUri",
            "conversation": "ostatus:conversation",
            "sensitive": "as:sensitive",
            "toot": "http://joinmastodon.org/ns#",
            "Hashtag": "as:Hashtag",
            "blurhash": "toot:blurhash",
            "Emoji": "toot:Emoji",
            "votersCount": "toot:votersCount",
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}
        },
        quote_terms()
    ])
}

/// The `@context` terms of quote posts (FEP-044f, with Misskey's and Fedibird's names) and of
/// GoToSocial's interaction policies, which say who may quote.
pub fn quote_terms() -> Value {
    json!({
        "quote": {"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
        "quoteUri": {"@id": "http://fedibird.com/ns#quoteUri", "@type": "@id"},
        "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
        "quoteAuthorization": {"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
        "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
        "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
        "gts": "https://gotosocial.org/ns#",
        "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
        "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
        "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
        "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
        "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
        "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"}
    })
}

/// A mention or hashtag on a note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteTag {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub href: String,
    pub name: String,
}

/// A custom emoji as Mastodon publishes it: a tag of posts and actors, and the document at
/// its `id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmojiTag {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `:shortcode:`
    pub name: String,
    pub icon: EmojiIcon,
    pub updated: String,
}

/// The image of an [`EmojiTag`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmojiIcon {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub media_type: String,
    pub url: String,
}

/// The `@context` of an emoji document.
pub fn emoji_context() -> Value {
    json!([
        crate::AS_CONTEXT,
        {"toot": "http://joinmastodon.org/ns#", "Emoji": "toot:Emoji"}
    ])
}

/// A tag of a post: a mention or hashtag, or a custom emoji.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ObjectTag {
    Link(NoteTag),
    Emoji(EmojiTag),
}

impl From<NoteTag> for ObjectTag {
    fn from(t: NoteTag) -> Self {
        ObjectTag::Link(t)
    }
}

impl From<EmojiTag> for ObjectTag {
    fn from(t: EmojiTag) -> Self {
        ObjectTag::Emoji(t)
    }
}

/// A post.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub summary: Option<String>,
    pub in_reply_to: Option<String>,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub url: String,
    pub attributed_to: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub sensitive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// The collection of its replies (public and unlisted posts only), with its first page
    /// embedded as Mastodon embeds it (peers such as GoToSocial read only an embedded page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies: Option<Value>,
    pub content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_map: Option<BTreeMap<String, String>>,
    pub attachment: Vec<Value>,
    pub tag: Vec<ObjectTag>,
    /// A poll's options (`Question`): `oneOf` for single choice, `anyOf` for multiple.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub question: Option<Question>,
    /// Quote properties (`quote`, `quoteAuthorization`, `interactionPolicy`…).
    #[serde(flatten)]
    pub quote: BTreeMap<String, Value>,
}

/// What makes a `Note` a `Question`, as Mastodon sends it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<PollChoice>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<PollChoice>>,
    pub end_time: Option<String>,
    /// When it ended; absent while it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
    pub voters_count: i64,
}

/// One option of a `Question`: its title and its votes as `replies.totalItems`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollChoice {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    pub replies: Value,
}

impl PollChoice {
    pub fn new(name: &str, votes: i64) -> Self {
        PollChoice {
            kind: "Note",
            name: name.to_owned(),
            replies: json!({"type": "Collection", "totalItems": votes}),
        }
    }
}

/// `Create` or `Announce`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub actor: String,
    pub published: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// The note (`Create`) or the announced object's id (`Announce`).
    pub object: Value,
}

/// An `OrderedCollection`: with `first` (paged) or with its items inline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub total_items: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<Value>>,
}

/// One page of an `OrderedCollection`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub total_items: i64,
    pub part_of: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    pub ordered_items: Vec<Value>,
}
