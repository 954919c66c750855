//! Local posts and collections as ActivityPub documents: the `Note` of a status, its `Create`,
//! an actor's outbox, followers, following and featured collections.
//!
//! Only what anyone may see is served here: public and unlisted posts. (Followers-only and
//! direct posts reach their audience by delivery, and by signed fetches once authorized fetch
//! exists.)

use std::collections::BTreeMap;
use std::collections::HashMap;

use rookery_activitypub::PUBLIC;
use rookery_activitypub::outgoing::{
    Activity, Note, NoteTag, ObjectTag, OrderedCollection, OrderedCollectionPage, note_context,
};
use rookery_model::{Account, Id, Status, Visibility};
use rookery_store::{AccountStatusesFilter, LocalAccount, TimelinePage};
use serde_json::Value;

use crate::{Result, ServiceError, Services};

/// Items per collection page (Mastodon's outbox uses 20).
const PAGE: u32 = 20;

/// Which page of a collection to show.
#[derive(Debug, Clone, Copy, Default)]
pub struct CollectionPage {
    /// `?page=true`: a page rather than the collection summary.
    pub page: bool,
    pub max_id: Option<Id>,
    pub min_id: Option<Id>,
}

impl Services {
    /// A local account that is not suspended; `Gone` for one its owner deleted, `NotFound`
    /// for any other.
    pub(crate) async fn live_local(&self, username: &str) -> Result<LocalAccount> {
        match self.local_account(username).await {
            Ok(local) if local.account.suspended_at.is_none() => Ok(local),
            Ok(_) | Err(ServiceError::NotFound(_)) => {
                Err(if self.account_deletions().was_deleted(username).await? {
                    ServiceError::Gone("account")
                } else {
                    ServiceError::NotFound("account")
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The ActivityPub id of `account` (local or remote).
    fn actor_id(&self, account: &Account) -> String {
        if account.is_local() {
            self.urls.actor(account.username.as_str())
        } else {
            account.uri.clone().unwrap_or_default()
        }
    }

    fn status_id(&self, author: &Account, status: &Status) -> String {
        if status.local {
            self.urls.status(author.username.as_str(), status.id)
        } else {
            status.uri.clone().unwrap_or_default()
        }
    }

    /// `to` and `cc` of a post, as Mastodon addresses them.
    fn addressing(
        &self,
        author: &Account,
        visibility: Visibility,
        mentioned: &[String],
    ) -> (Vec<String>, Vec<String>) {
        let followers = self.urls.actor_path(author.username.as_str(), "followers");
        let (mut to, mut cc) = match visibility {
            Visibility::Public => (vec![PUBLIC.to_owned()], vec![followers]),
            Visibility::Unlisted => (vec![followers], vec![PUBLIC.to_owned()]),
            Visibility::Private => (vec![followers], Vec::new()),
            Visibility::Direct => (Vec::new(), Vec::new()),
        };
        if visibility == Visibility::Direct {
            to.extend(mentioned.iter().cloned());
        } else {
            cc.extend(mentioned.iter().cloned());
        }
        to.dedup();
        cc.dedup();
        (to, cc)
    }

    /// Builds the `Note` of a local status (any visibility; callers decide who may see it).
    pub(crate) async fn note(&self, author: &Account, status: &Status) -> Result<Note> {
        let mentions = self.store.mentions(&[status.id]).await?;
        let mentioned_ids: Vec<Id> = mentions.iter().map(|(_, a)| *a).collect();
        let accounts: HashMap<Id, Account> = self
            .store
            .accounts(&mentioned_ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut tag = Vec::new();
        let mut mentioned_uris = Vec::new();
        for id in &mentioned_ids {
            let Some(a) = accounts.get(id) else { continue };
            let href = self.actor_id(a);
            mentioned_uris.push(href.clone());
            let domain = a
                .domain
                .as_ref()
                .map_or_else(|| self.settings.domain.to_string(), ToString::to_string);
            tag.push(NoteTag {
                kind: "Mention",
                href,
                name: format!("@{}@{domain}", a.username),
            });
        }
        for (_, name) in self.tags_of(&status.text) {
            tag.push(NoteTag {
                kind: "Hashtag",
                href: format!("{}/tags/{}", self.urls.base(), name.to_lowercase()),
                name: format!("#{name}"),
            });
        }
        let mut tag: Vec<ObjectTag> = tag.into_iter().map(ObjectTag::from).collect();
        tag.extend(
            self.local_emoji_tags(&[&status.spoiler_text, &status.text])
                .await?
                .into_iter()
                .map(ObjectTag::from),
        );
        let (to, cc) = self.addressing(author, status.visibility, &mentioned_uris);
        let in_reply_to = match status.in_reply_to_id {
            None => None,
            Some(parent) => match self.store.status(parent).await? {
                Some(p) => {
                    let parent_author = self.store.account(p.account_id).await?;
                    parent_author.map(|a| self.status_id(&a, &p))
                }
                None => None,
            },
        };
        let content_map = status
            .language
            .as_ref()
            .map(|l| BTreeMap::from([(l.clone(), status.content.clone())]));
        let question = self.question_of(status).await?;
        let quote = self
            .note_quote_fields(author, status)
            .await?
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        Ok(Note {
            context: None,
            id: self.status_id(author, status),
            kind: if question.is_some() {
                "Question"
            } else {
                "Note"
            },
            summary: (!status.spoiler_text.is_empty()).then(|| status.spoiler_text.clone()),
            in_reply_to,
            published: status.created_at.to_rfc3339(),
            updated: status.edited_at.map(|t| t.to_rfc3339()),
            url: self.urls.status_page(author.username.as_str(), status.id),
            attributed_to: self.actor_id(author),
            to,
            cc,
            sensitive: status.sensitive,
            conversation: None,
            replies: (status.local
                && matches!(status.visibility, Visibility::Public | Visibility::Unlisted))
            .then(|| crate::federation::replies_collection(&self.status_id(author, status))),
            content: status.content.clone(),
            content_map,
            attachment: self
                .store
                .status_media(&[status.id])
                .await?
                .iter()
                .filter_map(|m| self.attachment_document(m))
                .collect(),
            tag,
            question,
            quote,
        })
    }

    /// A public or unlisted original post of `username`; `NotFound` for anything else.
    pub(crate) async fn published_status(
        &self,
        username: &str,
        id: Id,
    ) -> Result<(LocalAccount, Status)> {
        let local = self.live_local(username).await?;
        let status = self
            .store
            .status(id)
            .await?
            .filter(|s| {
                s.account_id == local.account.id
                    && s.reblog_of_id.is_none()
                    && matches!(s.visibility, Visibility::Public | Visibility::Unlisted)
            })
            .ok_or(ServiceError::NotFound("status"))?;
        Ok((local, status))
    }

    /// `GET /users/:name/statuses/:id` as ActivityPub.
    pub async fn ap_note(&self, username: &str, id: Id) -> Result<Note> {
        let (local, status) = self.published_status(username, id).await?;
        let mut note = self.note(&local.account, &status).await?;
        note.context = Some(note_context());
        Ok(note)
    }

    pub(crate) async fn activity_of(
        &self,
        author: &Account,
        status: &Status,
    ) -> Result<Option<Activity>> {
        let actor = self.actor_id(author);
        if let Some(original) = status.reblog_of_id {
            let Some(o) = self.store.status(original).await? else {
                return Ok(None);
            };
            let Some(o_author) = self.store.account(o.account_id).await? else {
                return Ok(None);
            };
            let (to, cc) = self.addressing(author, status.visibility, &[self.actor_id(&o_author)]);
            return Ok(Some(Activity {
                context: None,
                id: format!("{}/activity", self.status_id(author, status)),
                kind: "Announce",
                actor,
                published: status.created_at.to_rfc3339(),
                to,
                cc,
                object: Value::String(self.status_id(&o_author, &o)),
            }));
        }
        let note = self.note(author, status).await?;
        Ok(Some(Activity {
            context: None,
            id: format!("{}/activity", note.id),
            kind: "Create",
            actor,
            published: note.published.clone(),
            to: note.to.clone(),
            cc: note.cc.clone(),
            object: serde_json::to_value(note)
                .map_err(|e| ServiceError::Internal(format!("rendering a note: {e}")))?,
        }))
    }

    /// `GET /users/:name/statuses/:id/activity`: the `Create` of a post.
    pub async fn ap_create(&self, username: &str, id: Id) -> Result<Activity> {
        let (local, status) = self.published_status(username, id).await?;
        let mut activity = self
            .activity_of(&local.account, &status)
            .await?
            .ok_or(ServiceError::NotFound("status"))?;
        activity.context = Some(note_context());
        Ok(activity)
    }

    /// `GET /users/:name/outbox`: the summary, or (`page`) 20 `Create`/`Announce` activities
    /// of public and unlisted posts, newest first.
    pub async fn ap_outbox(&self, username: &str, page: CollectionPage) -> Result<Value> {
        let local = self.live_local(username).await?;
        let id = self.urls.actor_path(username, "outbox");
        if !page.page {
            return to_value(&OrderedCollection {
                context: Value::String(rookery_activitypub::AS_CONTEXT.into()),
                id: id.clone(),
                kind: "OrderedCollection",
                total_items: local.account.statuses_count,
                first: Some(format!("{id}?page=true")),
                last: Some(format!("{id}?min_id=0&page=true")),
                ordered_items: None,
            });
        }
        let statuses = self
            .store
            .account_statuses(
                local.account.id,
                &AccountStatusesFilter {
                    visibilities: vec![Visibility::Public, Visibility::Unlisted],
                    exclude_replies: false,
                    exclude_reblogs: false,
                    tagged: None,
                    only_media: false,
                },
                TimelinePage {
                    max_id: page.max_id,
                    min_id: page.min_id,
                    since_id: None,
                    limit: PAGE,
                },
            )
            .await?;
        let mut items = Vec::with_capacity(statuses.len());
        for s in &statuses {
            if let Some(a) = self.activity_of(&local.account, s).await? {
                items.push(
                    serde_json::to_value(a)
                        .map_err(|e| ServiceError::Internal(format!("rendering: {e}")))?,
                );
            }
        }
        let query = |p: &str, v: Id| format!("{id}?{p}={v}&page=true");
        to_value(&OrderedCollectionPage {
            context: note_context(),
            id: match (page.max_id, page.min_id) {
                (Some(m), _) => query("max_id", m),
                (None, Some(m)) => query("min_id", m),
                (None, None) => format!("{id}?page=true"),
            },
            kind: "OrderedCollectionPage",
            total_items: local.account.statuses_count,
            part_of: id.clone(),
            next: statuses.last().map(|s| query("max_id", s.id)),
            prev: statuses.first().map(|s| query("min_id", s.id)),
            ordered_items: items,
        })
    }

    /// `GET /users/:name/followers` and `/following`: counts, and pages of actor ids.
    pub async fn ap_follows(
        &self,
        username: &str,
        followers: bool,
        page: CollectionPage,
    ) -> Result<Value> {
        let local = self.live_local(username).await?;
        let id = self
            .urls
            .actor_path(username, if followers { "followers" } else { "following" });
        let total = if followers {
            local.account.followers_count
        } else {
            local.account.following_count
        };
        // A hidden collection shows its size only, as Mastodon's does.
        let hidden = local.account.profile.hide_collections;
        if !page.page || hidden {
            return to_value(&OrderedCollection {
                context: Value::String(rookery_activitypub::AS_CONTEXT.into()),
                id: id.clone(),
                kind: "OrderedCollection",
                total_items: total,
                first: Some(format!("{id}?page=1")).filter(|_| !hidden),
                last: None,
                ordered_items: None,
            });
        }
        let rows = self
            .store
            .follow_list(
                local.account.id,
                followers,
                TimelinePage {
                    max_id: page.max_id,
                    min_id: page.min_id,
                    since_id: None,
                    limit: 40,
                },
            )
            .await?;
        to_value(&OrderedCollectionPage {
            context: Value::String(rookery_activitypub::AS_CONTEXT.into()),
            id: match page.max_id {
                Some(m) => format!("{id}?max_id={m}&page=1"),
                None => format!("{id}?page=1"),
            },
            kind: "OrderedCollectionPage",
            total_items: total,
            part_of: id.clone(),
            next: (rows.len() == 40)
                .then(|| {
                    rows.last()
                        .map(|(rid, _)| format!("{id}?max_id={rid}&page=1"))
                })
                .flatten(),
            prev: None,
            ordered_items: rows
                .iter()
                .map(|(_, a)| Value::String(self.actor_id(a)))
                .collect(),
        })
    }

    /// `GET /users/:name/collections/featured`: pinned public and unlisted posts, inline.
    pub async fn ap_featured(&self, username: &str) -> Result<Value> {
        let local = self.live_local(username).await?;
        let mut items = Vec::new();
        for s in self.store.pinned_statuses(local.account.id).await? {
            if matches!(s.visibility, Visibility::Public | Visibility::Unlisted) {
                let note = self.note(&local.account, &s).await?;
                items.push(
                    serde_json::to_value(note)
                        .map_err(|e| ServiceError::Internal(format!("rendering: {e}")))?,
                );
            }
        }
        let v = OrderedCollection {
            context: note_context(),
            id: self.urls.actor_path(username, "collections/featured"),
            kind: "OrderedCollection",
            total_items: i64::try_from(items.len()).unwrap_or(i64::MAX),
            first: None,
            last: None,
            ordered_items: Some(items),
        };
        serde_json::to_value(v).map_err(|e| ServiceError::Internal(format!("rendering: {e}")))
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| ServiceError::Internal(format!("rendering: {e}")))
}
