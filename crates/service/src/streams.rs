//! What the streaming API hears: use cases publish events on the bus after their changes are
//! committed (from the jobs that fan them out, never inside a request's transaction).
//!
//! Payloads are rendered once, without a viewer (as Mastodon does), and carry the accounts a
//! viewer's blocks and mutes are checked against; each streaming connection filters for its
//! user.

use std::collections::{HashMap, HashSet};

use rookery_api as api;
use rookery_events::{Event, Meta, channel, names};
use rookery_model::{Account, Id, Status, Visibility};
use rookery_store::Notification;
use serde::{Deserialize, Serialize};

use crate::{Result, Services};

/// Tells streaming clients that a status is gone (the `default` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusRemoved {
    pub status_id: Id,
    pub account_id: Id,
    /// `Visibility::as_str`.
    pub visibility: String,
    pub local: bool,
    pub reblog: bool,
    pub mentioned: Vec<Id>,
    pub tags: Vec<String>,
    /// The thread, for direct conversations (absent in jobs queued by older versions).
    #[serde(default)]
    pub conversation_id: Option<Id>,
}

impl rookery_jobs::JobSpec for StatusRemoved {
    const KIND: &'static str = "status_removed";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Default;
}

impl Services {
    /// Local accounts whose home feed gets `status`: local followers of the author (unless it
    /// is direct), followers of its hashtags (when public), and mentioned accounts that follow
    /// the author, never the author. As in Mastodon, someone mentioned by a stranger gets a
    /// notification (as their notification policy says) but not the post in their home.
    pub(crate) async fn feed_recipients(
        &self,
        status: &Status,
        mentioned: &[Id],
    ) -> Result<Vec<Id>> {
        let mut recipients: HashSet<Id> = self
            .store
            .relationships(status.account_id, mentioned)
            .await?
            .into_iter()
            .filter(|(_, r)| r.followed_by)
            .map(|(id, _)| id)
            .collect();
        if status.visibility != Visibility::Direct {
            // Followers who turned off this account's boosts do not get them.
            let boost = status.reblog_of_id.is_some();
            recipients.extend(
                self.store
                    .local_follower_ids(status.account_id, boost)
                    .await?,
            );
        }
        // Public posts reach those who follow one of their hashtags, as in Mastodon.
        if status.visibility == Visibility::Public && status.reblog_of_id.is_none() {
            recipients.extend(
                self.store
                    .tag_store()
                    .tag_followers_of_status(status.id)
                    .await?,
            );
        }
        recipients.remove(&status.account_id);
        let mut out: Vec<Id> = recipients.into_iter().collect();
        out.sort();
        Ok(out)
    }

    /// The public channels a status appears on (public, not a reblog): the federated timeline,
    /// its local or remote half, and its hashtags.
    fn public_channels(&self, local: bool, tags: &[String]) -> Vec<String> {
        let scope = if local {
            channel::Scope::Local
        } else {
            channel::Scope::Remote
        };
        let mut out = vec![channel::public(channel::Scope::All), channel::public(scope)];
        for tag in tags {
            out.push(channel::hashtag(tag, false));
            if local {
                out.push(channel::hashtag(tag, true));
            }
        }
        out
    }

    fn status_tags(&self, status: &Status) -> Vec<String> {
        self.tags_of(&status.text)
            .into_iter()
            .map(|(_, name)| name)
            .collect()
    }

    /// Publishes `event` (`update` or `status.update`) for `status` to its author, the given
    /// home-feed recipients, and the public and hashtag channels when it is public.
    pub(crate) async fn publish_status(
        &self,
        status: &Status,
        event: &str,
        recipients: &[Id],
    ) -> Result<()> {
        self.publish_status_to(status, event, recipients, &[]).await
    }

    /// [`Services::publish_status`], also to the timelines of `lists`.
    pub(crate) async fn publish_status_to(
        &self,
        status: &Status,
        event: &str,
        recipients: &[Id],
        lists: &[Id],
    ) -> Result<()> {
        let Some(entity) = self
            .status_entities(None, std::slice::from_ref(status))
            .await?
            .pop()
        else {
            return Ok(()); // author or original gone
        };
        let mut accounts = vec![status.account_id];
        if let Some(orig) = status.reblog_of_id
            && let Some(o) = self.store.status(orig).await?
        {
            accounts.push(o.account_id);
        }
        let media = !entity.media_attachments.is_empty()
            || entity
                .reblog
                .as_ref()
                .is_some_and(|r| !r.media_attachments.is_empty());
        let payload = serde_json::to_string(&entity)
            .map_err(|e| crate::ServiceError::Internal(format!("rendering an event: {e}")))?;
        let ev = Event {
            event: event.to_owned(),
            payload: Some(payload),
            meta: Meta { accounts, media },
        };
        let mut channels: Vec<String> = Vec::with_capacity(recipients.len() + 4);
        channels.push(channel::user(status.account_id));
        channels.extend(recipients.iter().map(|r| channel::user(*r)));
        channels.extend(lists.iter().map(|l| channel::list(*l)));
        if status.visibility == Visibility::Public && status.reblog_of_id.is_none() {
            channels.extend(self.public_channels(status.local, &self.status_tags(status)));
        }
        for c in &channels {
            self.events.publish(c, ev.clone());
        }
        if status.visibility == Visibility::Direct && event == names::UPDATE {
            // Everyone mentioned takes part, followers or not.
            let participants: Vec<Id> = self
                .store
                .mentions(&[status.id])
                .await?
                .into_iter()
                .map(|(_, a)| a)
                .collect();
            self.publish_conversation(status, &participants).await?;
        }
        Ok(())
    }

    /// `conversation` events on the direct streams of everyone in a direct status.
    async fn publish_conversation(&self, status: &Status, recipients: &[Id]) -> Result<()> {
        let mut participants: Vec<Id> = recipients.to_vec();
        participants.push(status.account_id);
        participants.sort();
        participants.dedup();
        let accounts: HashMap<Id, Account> = self
            .store
            .accounts(&participants)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        for viewer in participants.iter().filter_map(|p| accounts.get(p)) {
            if !viewer.is_local() {
                continue;
            }
            let Some(last) = self
                .status_entities(Some(viewer), std::slice::from_ref(status))
                .await?
                .pop()
            else {
                continue;
            };
            let others = participants
                .iter()
                .filter(|p| **p != viewer.id)
                .filter_map(|p| accounts.get(p))
                .map(|a| self.account_entity(a))
                .collect();
            let conversation = api::Conversation {
                id: status.conversation_id.unwrap_or(status.id).to_string(),
                unread: viewer.id != status.account_id,
                accounts: others,
                last_status: Some(last),
            };
            let payload = serde_json::to_string(&conversation)
                .map_err(|e| crate::ServiceError::Internal(format!("rendering an event: {e}")))?;
            self.events.publish(
                &channel::direct(viewer.id),
                Event {
                    event: names::CONVERSATION.to_owned(),
                    payload: Some(payload),
                    meta: Meta {
                        accounts: vec![status.account_id],
                        media: false,
                    },
                },
            );
        }
        Ok(())
    }

    /// `notification` events for notifications just committed, each rendered for its recipient.
    pub(crate) async fn publish_notifications(&self, list: Vec<Notification>) -> Result<()> {
        // Every notification shown passes here once: those wanted by e-mail are mailed too.
        for n in &list {
            if let Err(e) = self.notification_emails().mail_if_wanted(n).await {
                tracing::warn!(error = ?e.log_cause(), "notification e-mail not queued");
            }
        }
        let mut by_recipient: HashMap<Id, Vec<Notification>> = HashMap::new();
        for n in list {
            by_recipient.entry(n.account_id).or_default().push(n);
        }
        for (recipient, list) in by_recipient {
            let Some(account) = self.store.account(recipient).await? else {
                continue;
            };
            let senders: HashMap<String, Id> = list
                .iter()
                .map(|n| (n.id.to_string(), n.from_account_id))
                .collect();
            for entity in self.notification_entities(&account, list).await? {
                let payload = serde_json::to_string(&entity).map_err(|e| {
                    crate::ServiceError::Internal(format!("rendering an event: {e}"))
                })?;
                let accounts = senders.get(&entity.id).copied().into_iter().collect();
                self.events.publish(
                    &channel::user(recipient),
                    Event {
                        event: names::NOTIFICATION.to_owned(),
                        payload: Some(payload),
                        meta: Meta {
                            accounts,
                            media: false,
                        },
                    },
                );
            }
        }
        Ok(())
    }

    /// Tells the streaming connections of both accounts that a block or mute between them
    /// changed, so they filter with fresh lists.
    pub(crate) fn publish_relationship_change(&self, a: Id, b: Id) {
        for id in [a, b] {
            self.events
                .publish(&channel::user(id), Event::new(names::RELATIONSHIPS, None));
        }
    }

    /// The snapshot a [`StatusRemoved`] job needs, taken before the status is deleted.
    pub(crate) async fn removal_notice(&self, status: &Status) -> Result<StatusRemoved> {
        Ok(StatusRemoved {
            status_id: status.id,
            account_id: status.account_id,
            visibility: status.visibility.as_str().to_owned(),
            local: status.local,
            reblog: status.reblog_of_id.is_some(),
            mentioned: self
                .store
                .mentions(&[status.id])
                .await?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            tags: self.status_tags(status),
            conversation_id: Some(status.conversation_id.unwrap_or(status.id)),
        })
    }

    /// The `status_removed` job: `delete` events wherever the status could have been seen.
    pub(crate) async fn status_removed(&self, job: &StatusRemoved) -> Result<()> {
        let visibility = Visibility::parse(&job.visibility).unwrap_or(Visibility::Direct);
        if let (Visibility::Direct, Some(conversation)) = (visibility, job.conversation_id) {
            let mut tx = self.store.begin().await?;
            tx.conversations()
                .status_left_conversation(conversation, job.status_id)
                .await?;
            tx.commit().await?;
        }
        let mut recipients: HashSet<Id> = job.mentioned.iter().copied().collect();
        if visibility != Visibility::Direct {
            recipients.extend(self.store.local_follower_ids(job.account_id, false).await?);
        }
        recipients.insert(job.account_id);
        let mut channels: Vec<String> = recipients.into_iter().map(channel::user).collect();
        if visibility == Visibility::Public && !job.reblog {
            channels.extend(self.public_channels(job.local, &job.tags));
        }
        if visibility != Visibility::Direct {
            let lists = self
                .store
                .list_store()
                .lists_of_member(job.account_id)
                .await?;
            channels.extend(lists.iter().map(|l| channel::list(l.id)));
        }
        let ev = Event::new(names::DELETE, Some(job.status_id.to_string()));
        for c in &channels {
            self.events.publish(c, ev.clone());
        }
        Ok(())
    }
}
