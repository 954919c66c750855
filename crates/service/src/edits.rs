//! Editing statuses: `PUT /api/v1/statuses/:id`, its history and its source.

use rookery_api as api;
use rookery_model::{Account, Id, Visibility};
use rookery_store::{LocalAccount, StatusEdit};

use crate::{Result, ServiceError, Services};

/// Tells those who interacted with a status that it was edited (the `default` queue).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EditNotices {
    pub status_id: Id,
}

impl rookery_jobs::JobSpec for EditNotices {
    const KIND: &'static str = "edit_notices";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Default;
}

/// What an edit may change.
#[derive(Debug, Clone, Default)]
pub struct StatusUpdate {
    pub text: String,
    pub spoiler_text: Option<String>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    /// The attachments as they should be after the edit, in order: the status's own to keep
    /// and the author's new uploads to add (those left out are let go). Empty: unchanged.
    pub media_ids: Vec<Id>,
    /// New alt text and focal points of the status's attachments (`media_attributes[]`).
    pub media_attributes: Vec<MediaEdit>,
    /// The poll as edited; `None` removes the status's poll, as in Mastodon.
    pub poll: Option<crate::polls::PollInput>,
}

/// One of `media_attributes[]` of an edit.
#[derive(Debug, Clone)]
pub struct MediaEdit {
    pub id: Id,
    pub description: Option<String>,
    /// `x,y`, each in -1.0..=1.0.
    pub focus: Option<String>,
}

impl Services {
    /// `PUT /api/v1/statuses/:id`: the author edits text, spoiler, sensitivity, language,
    /// attachment descriptions or the poll.
    /// The first edit records the original version too, so the history is complete.
    pub async fn edit_status(
        &self,
        user: &LocalAccount,
        id: Id,
        update: StatusUpdate,
    ) -> Result<api::Status> {
        let mut status = self
            .store
            .status(id)
            .await?
            .ok_or(ServiceError::NotFound("status"))?;
        if status.account_id != user.account.id || status.reblog_of_id.is_some() {
            return Err(ServiceError::NotFound("status"));
        }
        let text = update.text.trim_end().to_owned();
        let current = self.store.status_media(&[status.id]).await?;
        let attached: Vec<Id> = current.iter().map(|m| m.id).collect();
        // The attachments as sent, in their order; none sent keeps them as they are.
        let mut wanted: Vec<Id> = Vec::with_capacity(update.media_ids.len());
        for id in &update.media_ids {
            if !wanted.contains(id) {
                wanted.push(*id);
            }
        }
        let new_media = if wanted.is_empty() || wanted == attached {
            None
        } else {
            // Added ones must be the author's own unattached uploads, as when posting.
            let added: Vec<Id> = wanted
                .iter()
                .filter(|id| !attached.contains(id))
                .copied()
                .collect();
            self.media_for_status(&user.account, &added, None).await?;
            let max = self.settings.max_media_attachments as usize;
            if wanted.len() > max {
                return Err(ServiceError::invalid(
                    "media_ids",
                    format!("can contain at most {max} attachments"),
                ));
            }
            Some(wanted)
        };
        let media = match &new_media {
            None => current,
            Some(ids) => self.store.media_by_ids(ids).await?,
        };
        if text.trim().is_empty() && media.is_empty() {
            return Err(ServiceError::invalid("text", "can't be blank"));
        }
        let mut described = Vec::with_capacity(update.media_attributes.len());
        for edit in update.media_attributes {
            let Some(m) = media.iter().find(|m| m.id == edit.id) else {
                return Err(ServiceError::invalid(
                    "media_attributes",
                    format!("{} is not an attachment of this status", edit.id),
                ));
            };
            let description = self
                .check_description(edit.description)?
                .unwrap_or_else(|| m.description.clone());
            let focus = match edit.focus.as_deref() {
                Some(f) => crate::media::upload::parse_focus(f)?,
                None => m.meta.focus,
            };
            described.push((m.id, description, focus));
        }
        let spoiler = update
            .spoiler_text
            .map_or(status.spoiler_text.clone(), |s| s.trim().to_owned());
        let max = self.settings.max_characters as usize;
        if text.chars().count() + spoiler.chars().count() > max {
            return Err(ServiceError::invalid(
                "text",
                format!("character limit of {max} exceeded"),
            ));
        }
        if let Some(l) = update
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if l.len() > 10 || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(ServiceError::invalid(
                    "language",
                    format!("{l:?} is not a language code"),
                ));
            }
            status.language = Some(l.to_ascii_lowercase());
        }
        let old_poll = self.poll_of_status(id).await?;
        if let Some(input) = &update.poll {
            crate::polls::check_poll(input, self.clock.now())?;
        }
        let (content, _mentioned) = self.format_text(&text).await?;
        // A quote keeps its `RE:` line.
        let content = match self.quotes().target_of(id).await? {
            Some(target) => self.quotes().with_fallback(&target, &text, content),
            None => content,
        };
        let now = self.clock.now();
        let first_edit = self.store.status_edits(id).await?.is_empty();
        let mut tx = self.store.begin().await?;
        if first_edit {
            tx.insert_status_edit(&StatusEdit {
                id: self.ids.next_id(),
                status_id: id,
                text: status.text.clone(),
                content: status.content.clone(),
                spoiler_text: status.spoiler_text.clone(),
                sensitive: status.sensitive,
                created_at: status.created_at,
            })
            .await?;
        }
        status.text = text;
        status.content = content;
        // Media of an account moderators marked sensitive stays sensitive.
        status.sensitive = update.sensitive.unwrap_or(status.sensitive)
            || !spoiler.is_empty()
            || (user.account.sensitized_at.is_some() && !media.is_empty());
        status.spoiler_text = spoiler;
        status.edited_at = Some(now);
        status.updated_at = now;
        tx.update_status_content(&status).await?;
        if let Some(ids) = &new_media
            && tx.set_status_media(id, user.account.id, ids).await? != ids.len() as u64
        {
            // Attached elsewhere, or held by a scheduled status, meanwhile.
            return Err(crate::media::upload::media_not_found(ids));
        }
        for (media_id, description, focus) in &described {
            tx.describe_attached_media(*media_id, id, description, *focus, now)
                .await?;
        }
        self.edit_poll(
            tx.as_mut(),
            id,
            status.account_id,
            old_poll,
            update.poll.as_ref(),
        )
        .await?;
        tx.tag_status(id, &self.tags_of(&status.text), now).await?;
        tx.insert_status_edit(&StatusEdit {
            id: self.ids.next_id(),
            status_id: id,
            text: status.text.clone(),
            content: status.content.clone(),
            spoiler_text: status.spoiler_text.clone(),
            sensitive: status.sensitive,
            created_at: now,
        })
        .await?;
        rookery_jobs::enqueue(tx.as_mut(), &self.ids, now, &EditNotices { status_id: id })
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        // The link may have changed: its card is read again (or taken away).
        self.queue_card(tx.as_mut(), &status, true).await?;
        self.webhooks()
            .emit(
                tx.as_mut(),
                "status.updated",
                crate::webhooks::WebhookObject::Status(id),
            )
            .await?;
        tx.commit().await?;
        self.get_status(Some(&user.account), id).await
    }

    /// The `edit_notices` job: `update` notifications to local accounts that favourited or
    /// boosted the edited status.
    pub(crate) async fn edit_notices(&self, job: &EditNotices) -> Result<()> {
        let Some(status) = self.store.status(job.status_id).await? else {
            return Ok(());
        };
        self.federate_edit(&status).await?;
        let page = rookery_store::TimelinePage {
            limit: 200,
            ..Default::default()
        };
        let mut recipients = Vec::new();
        for kind in [
            rookery_store::Interaction::Favourite,
            rookery_store::Interaction::Reblog,
        ] {
            for (_, a) in self
                .store
                .interacting_accounts(status.id, kind, page)
                .await?
            {
                if a.is_local()
                    && a.id != status.account_id
                    && !recipients.contains(&a.id)
                    && !self.thread_muted(a.id, Some(status.id)).await?
                {
                    recipients.push(a.id);
                }
            }
        }
        let now = self.clock.now();
        let notifications: Vec<rookery_store::Notification> = recipients
            .into_iter()
            .map(|account_id| rookery_store::Notification {
                id: self.ids.next_id(),
                account_id,
                from_account_id: status.account_id,
                kind: rookery_store::NotificationKind::Update,
                status_id: Some(status.id),
                group_key: None,
                created_at: now,
                filtered: false,
            })
            .collect();
        let mut tx = self.store.begin().await?;
        let mut shown = Vec::with_capacity(notifications.len());
        for mut n in notifications {
            if self.store_notification(tx.as_mut(), &mut n).await? {
                shown.push(n);
            }
        }
        tx.commit().await?;
        let mentioned: Vec<Id> = self
            .store
            .mentions(&[status.id])
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        let feed = self.feed_recipients(&status, &mentioned).await?;
        if let Err(e) = self
            .publish_status(&status, rookery_events::names::STATUS_UPDATE, &feed)
            .await
        {
            tracing::warn!(status = %status.id, error = %e, "streaming status.update not published");
        }
        if let Err(e) = self.publish_notifications(shown).await {
            tracing::warn!(status = %status.id, error = %e, "streaming notifications not published");
        }
        Ok(())
    }

    /// `GET /api/v1/statuses/:id/history`: every version, oldest first (just the current one if
    /// never edited).
    pub async fn status_history(
        &self,
        viewer: Option<&Account>,
        id: Id,
    ) -> Result<Vec<api::StatusEdit>> {
        let status = self.visible_status(viewer, id).await?;
        let author = self
            .store
            .account(status.account_id)
            .await?
            .ok_or(ServiceError::NotFound("status"))?;
        let account = self.account_entity(&author);
        let mut edits = self.store.status_edits(id).await?;
        if edits.is_empty() {
            edits.push(StatusEdit {
                id: status.id,
                status_id: status.id,
                text: status.text.clone(),
                content: status.content.clone(),
                spoiler_text: status.spoiler_text.clone(),
                sensitive: status.sensitive,
                created_at: status.created_at,
            });
        }
        Ok(edits
            .into_iter()
            .map(|e| api::StatusEdit {
                content: e.content,
                spoiler_text: e.spoiler_text,
                sensitive: e.sensitive,
                created_at: e.created_at.to_rfc3339(),
                account: account.clone(),
                poll: None,
                media_attachments: Vec::new(),
                emojis: Vec::new(),
            })
            .collect())
    }

    /// `GET /api/v1/statuses/:id/source`: what the author typed.
    pub async fn status_source(&self, user: &LocalAccount, id: Id) -> Result<api::StatusSource> {
        // Anyone who may see the status may read its source, as in Mastodon.
        let status = self.visible_status(Some(&user.account), id).await?;
        Ok(api::StatusSource {
            id: status.id.to_string(),
            text: status.text,
            spoiler_text: status.spoiler_text,
        })
    }
}

/// Most statuses an account may pin (Mastodon's limit).
const MAX_PINNED: usize = 5;

impl Services {
    /// `POST /api/v1/statuses/:id/pin` and `/unpin`: one's own public, unlisted or private
    /// statuses, at most five.
    pub async fn pin(&self, user: &LocalAccount, id: Id, pin: bool) -> Result<api::Status> {
        let status = self
            .store
            .status(id)
            .await?
            .ok_or(ServiceError::NotFound("status"))?;
        if status.account_id != user.account.id {
            return Err(ServiceError::NotFound("status"));
        }
        if pin && status.pinned_at.is_none() {
            if status.reblog_of_id.is_some() || status.visibility == Visibility::Direct {
                return Err(ServiceError::invalid("status", "cannot be pinned"));
            }
            if self.store.pinned_statuses(user.account.id).await?.len() >= MAX_PINNED {
                return Err(ServiceError::invalid(
                    "status",
                    format!("cannot be pinned: at most {MAX_PINNED} posts may be pinned"),
                ));
            }
        }
        if pin != status.pinned_at.is_some() {
            let mut tx = self.store.begin().await?;
            tx.set_pinned(id, pin.then(|| self.clock.now())).await?;
            // Followers' servers are told, as Mastodon tells them (the featured collection
            // shows public and unlisted posts only).
            if matches!(status.visibility, Visibility::Public | Visibility::Unlisted) {
                self.federate_pin(tx.as_mut(), &user.account, &status, pin)
                    .await?;
            }
            tx.commit().await?;
        }
        self.get_status(Some(&user.account), id).await
    }

    /// `GET /api/v1/accounts/:id/statuses?pinned=true`.
    pub async fn pinned_statuses(
        &self,
        viewer: Option<&Account>,
        account_id: Id,
    ) -> Result<Vec<api::Status>> {
        let mut visible = Vec::new();
        for s in self.store.pinned_statuses(account_id).await? {
            if self.can_see(viewer, &s).await? {
                visible.push(s);
            }
        }
        self.status_entities(viewer, &visible).await
    }
}

impl Services {
    /// `POST /api/v1/statuses/:id/mute` and `/unmute`: no notifications from the thread. Only
    /// for its participants (the author, or an account it mentions).
    pub async fn mute_conversation(
        &self,
        user: &LocalAccount,
        id: Id,
        on: bool,
    ) -> Result<api::Status> {
        let status = self.visible_status(Some(&user.account), id).await?;
        let mentioned = self
            .store
            .mentions(&[status.id])
            .await?
            .iter()
            .any(|(_, a)| *a == user.account.id);
        if status.account_id != user.account.id && !mentioned {
            return Err(ServiceError::Forbidden);
        }
        let conversation = status.conversation_id.unwrap_or(status.id);
        let mut tx = self.store.begin().await?;
        tx.set_conversation_mute(user.account.id, conversation, on, self.clock.now())
            .await?;
        tx.commit().await?;
        self.get_status(Some(&user.account), id).await
    }

    /// Whether `account_id` muted the thread of `status_id` (notifications about it are dropped).
    pub(crate) async fn thread_muted(&self, account_id: Id, status_id: Option<Id>) -> Result<bool> {
        let Some(sid) = status_id else {
            return Ok(false);
        };
        let Some(status) = self.store.status(sid).await? else {
            return Ok(false);
        };
        let conversation = status.conversation_id.unwrap_or(status.id);
        Ok(!self
            .store
            .muted_conversations(account_id, &[conversation])
            .await?
            .is_empty())
    }
}
