//! The instance actor (`/actor`): the `Application` whose key signs fetches made for the server
//! as a whole, WebFinger-able as `DOMAIN@DOMAIN` like Mastodon's and GoToSocial's, with every
//! collection it advertises answering (empty: it follows no one and posts nothing).

use std::sync::Arc;

use rookery_activitypub::actor::{Actor, Endpoints, PublicKey, actor_context};
use rookery_activitypub::keys::KeyPair;
use rookery_activitypub::outgoing::OrderedCollection;
use rookery_model::Timestamp;
use serde_json::Value;

use super::signing::Signer;
use crate::{Result, ServiceError, Services};

const SETTING_INSTANCE_KEY: &str = "instance_actor_private_key";

/// The collections the instance actor advertises, by path below `/actor`.
pub const INSTANCE_ACTOR_COLLECTIONS: [&str; 5] = [
    "followers",
    "following",
    "outbox",
    "collections/featured",
    "collections/tags",
];

impl Services {
    /// The key the instance actor signs with (made on first use, kept in the database).
    pub(crate) async fn instance_signer(&self) -> Result<Signer> {
        let cached = self
            .federation
            .instance_key
            .lock()
            .ok()
            .and_then(|k| k.clone());
        let key = match cached {
            Some(k) => k,
            None => {
                let pem = match self.store.setting(SETTING_INSTANCE_KEY).await? {
                    Some(p) => p,
                    None => {
                        let fresh = KeyPair::generate()
                            .and_then(|k| k.private_key_pem())
                            .map_err(|e| ServiceError::Internal(format!("instance key: {e}")))?;
                        let mut tx = self.store.begin().await?;
                        let kept = tx
                            .put_setting_once(SETTING_INSTANCE_KEY, &fresh, self.clock.now())
                            .await?;
                        tx.commit().await?;
                        kept
                    }
                };
                let key = Arc::new(
                    KeyPair::from_private_pem(&pem)
                        .map_err(|e| ServiceError::Internal(format!("instance key: {e}")))?,
                );
                if let Ok(mut slot) = self.federation.instance_key.lock() {
                    *slot = Some(key.clone());
                }
                key
            }
        };
        Ok(Signer {
            key,
            key_id: format!("{}#main-key", self.urls.instance_actor()),
        })
    }

    /// `GET /actor`: the instance actor (an `Application`), whose key signs fetches.
    pub async fn instance_actor(&self) -> Result<Actor> {
        let signer = self.instance_signer().await?;
        let id = self.urls.instance_actor();
        let domain = self.settings.domain.to_string();
        Ok(Actor {
            context: actor_context(),
            id: id.clone(),
            kind: "Application".into(),
            following: format!("{id}/following"),
            followers: format!("{id}/followers"),
            inbox: format!("{id}/inbox"),
            outbox: format!("{id}/outbox"),
            featured: format!("{id}/collections/featured"),
            featured_tags: format!("{id}/collections/tags"),
            preferred_username: domain.clone(),
            name: domain,
            summary: String::new(),
            url: self.urls.about(),
            manually_approves_followers: true,
            discoverable: false,
            indexable: false,
            attribution_domains: Vec::new(),
            also_known_as: Vec::new(),
            moved_to: None,
            published: Timestamp::from_millis(0).to_rfc3339(),
            memorial: false,
            public_key: PublicKey {
                id: signer.key_id.clone(),
                owner: id,
                public_key_pem: signer.key.public_key_pem(),
            },
            tag: Vec::new(),
            attachment: Vec::new(),
            endpoints: Endpoints {
                shared_inbox: self.urls.shared_inbox(),
            },
            icon: None,
            image: None,
        })
    }

    /// `GET /actor/{collection}`: one of [`INSTANCE_ACTOR_COLLECTIONS`], always empty.
    pub fn instance_actor_collection(&self, path: &str) -> Result<Value> {
        if !INSTANCE_ACTOR_COLLECTIONS.contains(&path) {
            return Err(ServiceError::NotFound("collection"));
        }
        let collection = OrderedCollection {
            context: Value::String(rookery_activitypub::AS_CONTEXT.into()),
            id: format!("{}/{path}", self.urls.instance_actor()),
            kind: "OrderedCollection",
            total_items: 0,
            first: None,
            last: None,
            ordered_items: Some(Vec::new()),
        };
        serde_json::to_value(collection)
            .map_err(|e| ServiceError::Internal(format!("rendering: {e}")))
    }
}
