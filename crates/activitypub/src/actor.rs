//! Actors (`Person`, `Service`, …) as Rookery publishes them, Mastodon-compatible.

use serde::Serialize;
use serde_json::{Value, json};

/// An actor document. Field names follow ActivityStreams and Mastodon's extensions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub following: String,
    pub followers: String,
    pub inbox: String,
    pub outbox: String,
    pub featured: String,
    pub featured_tags: String,
    pub preferred_username: String,
    pub name: String,
    pub summary: String,
    pub url: String,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub indexable: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attribution_domains: Vec<String>,
    /// The account's other accounts, from which it may be moved to (Mastodon's aliases).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_known_as: Vec<String>,
    /// The account it moved to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
    pub published: String,
    pub memorial: bool,
    pub public_key: PublicKey,
    pub tag: Vec<Value>,
    pub attachment: Vec<Value>,
    pub endpoints: Endpoints,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Image>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
}

/// What an actor document shows a request that carries no signature in authorized-fetch mode,
/// as Mastodon's does: enough to check the actor's signatures and reach its inboxes, nothing of
/// the profile. Peers fetch signers' keys this way (Fedify's shared inbox does), so refusing it
/// would make them refuse our deliveries.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorKey {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub preferred_username: String,
    pub inbox: String,
    pub public_key: PublicKey,
    pub endpoints: Endpoints,
}

impl Actor {
    /// The key-only view of this actor ([`ActorKey`]).
    pub fn key_only(self) -> ActorKey {
        ActorKey {
            context: self.context,
            id: self.id,
            kind: self.kind,
            preferred_username: self.preferred_username,
            inbox: self.inbox,
            public_key: self.public_key,
            endpoints: self.endpoints,
        }
    }
}

/// `publicKey` of an actor.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub id: String,
    pub owner: String,
    pub public_key_pem: String,
}

/// `endpoints` of an actor.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: String,
}

/// An `Image` (avatar or header).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    pub url: String,
    /// Its description (alternative text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The `@context` Mastodon sends with actors: ActivityStreams, security, and the `toot:`
/// and schema.org extensions the fields above use.
pub fn actor_context() -> Value {
    json!([
        crate::AS_CONTEXT,
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
            "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
            "movedTo": {"@id": "as:movedTo", "@type": "@id"},
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "attributionDomains": {"@id": "toot:attributionDomains", "@type": "@id"},
            "memorial": "toot:memorial",
            "Emoji": "toot:Emoji",
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}
        }
    ])
}
