//! Posting, reading and deleting statuses; context; visibility rules. Timelines are in
//! `timelines.rs`.

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::{Account, Id, Status, Visibility};
use rookery_store::{FilterContext, LocalAccount, Transaction};
use serde::{Deserialize, Serialize};

use crate::format::{Token, render, tokenize};
use crate::{Result, ServiceError, Services};

/// What a client sends to post.
#[derive(Debug, Clone, Default)]
pub struct NewStatus {
    pub text: String,
    pub in_reply_to_id: Option<Id>,
    /// `None`: the author's default.
    pub sensitive: Option<bool>,
    pub spoiler_text: String,
    pub visibility: Option<String>,
    pub language: Option<String>,
    /// Attachments uploaded beforehand (`POST /api/v2/media`).
    pub media_ids: Vec<Id>,
    /// The `Idempotency-Key` header: a retry with the same key returns the first status.
    pub idempotency_key: Option<String>,
    /// A poll to attach (not with media).
    pub poll: Option<crate::polls::PollInput>,
    /// The post it quotes.
    pub quoted_status_id: Option<Id>,
    /// Who may quote it (`public`, `followers`, `nobody`); `None`: the author's default.
    pub quote_approval_policy: Option<String>,
}

/// A new status that passed the checks of posting.
pub(crate) struct CheckedStatus {
    pub text: String,
    pub media_ids: Vec<Id>,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub parent: Option<Status>,
    pub sensitive: bool,
    /// The post it quotes.
    pub quote: Option<crate::quotes::QuoteTarget>,
    pub quote_policy: rookery_model::QuotePolicy,
}

/// How long an `Idempotency-Key` is remembered (Mastodon: one hour).
pub(crate) const IDEMPOTENCY_TTL_MS: i64 = 3600 * 1000;

/// Fan-out of a new status to followers' and mentioned accounts' home feeds, and mention
/// notifications (the `default` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fanout {
    pub status_id: Id,
}

impl rookery_jobs::JobSpec for Fanout {
    const KIND: &'static str = "fanout";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Default;
    fn unique_key(&self) -> Option<String> {
        Some(format!("fanout:{}", self.status_id))
    }
}

impl Services {
    /// Whether `viewer` may see `status` (Mastodon's rules: public and unlisted to all, private
    /// to followers and mentioned accounts, direct to mentioned accounts; always to the author).
    pub async fn can_see(&self, viewer: Option<&Account>, status: &Status) -> Result<bool> {
        if matches!(status.visibility, Visibility::Public | Visibility::Unlisted) {
            return Ok(true);
        }
        let Some(viewer) = viewer else {
            return Ok(false);
        };
        if viewer.id == status.account_id {
            return Ok(true);
        }
        let mentioned = self
            .store
            .mentions(&[status.id])
            .await?
            .iter()
            .any(|(_, a)| *a == viewer.id);
        if mentioned {
            return Ok(true);
        }
        if status.visibility == Visibility::Private {
            let rel = self
                .store
                .relationships(viewer.id, &[status.account_id])
                .await?;
            return Ok(rel.first().is_some_and(|(_, r)| r.following));
        }
        Ok(false)
    }

    /// Formats a status's text: links, hashtags, and `@mentions` resolved to local accounts
    /// (remote ones once federation resolves them). Returns the HTML and the mentioned accounts.
    pub(crate) async fn format_text(
        &self,
        text: &str,
    ) -> Result<(String, HashMap<String, Account>)> {
        // Mentions resolve to local accounts (remote ones once federation resolves them).
        let tokens = tokenize(text);
        // Keyed by `user` for local accounts and `user@domain` for remote ones (lower case).
        let mut mentioned: HashMap<String, Account> = HashMap::new();
        let key = |user: &str, domain: Option<&str>| match domain
            .filter(|d| !d.eq_ignore_ascii_case(self.settings.domain.as_str()))
        {
            None => user.to_ascii_lowercase(),
            Some(d) => format!("{user}@{d}").to_ascii_lowercase(),
        };
        for t in &tokens {
            if let Token::Mention { user, domain } = t {
                let k = key(user, domain.as_deref());
                if mentioned.contains_key(&k) || mentioned.len() >= 50 {
                    continue;
                }
                let found = if k.contains('@') {
                    // Remote: known, else asked for through WebFinger.
                    let d = domain.as_deref().unwrap_or_default();
                    match self.resolve_acct(user, d).await {
                        Ok(a) => Some(a),
                        Err(e) => {
                            tracing::debug!(mention = %k, error = %e, "mention not resolved");
                            None
                        }
                    }
                } else {
                    self.store
                        .local_account_by_username(user)
                        .await?
                        .map(|l| l.account)
                };
                if let Some(a) = found.filter(|a| a.suspended_at.is_none()) {
                    mentioned.insert(k, a);
                }
            }
        }
        let content = render(
            &tokens,
            |tag| format!("{}/tags/{}", self.urls.base(), tag.to_lowercase()),
            |user, domain| {
                mentioned.get(&key(user, domain)).map(|a| {
                    let url = if a.is_local() {
                        self.urls.profile(a.username.as_str())
                    } else {
                        a.url.clone().or_else(|| a.uri.clone()).unwrap_or_default()
                    };
                    (url, a.username.to_string())
                })
            },
        );

        Ok((content, mentioned))
    }

    /// The distinct hashtags of a text (any case), each with a fresh id for the tags table.
    pub(crate) fn tags_of(&self, text: &str) -> Vec<(Id, String)> {
        let mut tags: Vec<String> = tokenize(text)
            .into_iter()
            .filter_map(|t| match t {
                Token::Tag(t) => Some(t),
                _ => None,
            })
            .collect();
        tags.sort_by_key(|t| t.to_lowercase());
        tags.dedup_by_key(|t| t.to_lowercase());
        tags.into_iter().map(|t| (self.ids.next_id(), t)).collect()
    }

    /// `POST /api/v1/statuses`.
    pub async fn post_status(&self, author: &LocalAccount, new: NewStatus) -> Result<api::Status> {
        self.post_status_now(author, new, None).await
    }

    /// Checks a new status as posting it would (text, media, poll, length, visibility,
    /// language, the status replied to): for posting now and for scheduling. `holder`: the
    /// scheduled status whose held media may be used.
    pub(crate) async fn check_new_status(
        &self,
        author: &LocalAccount,
        new: &NewStatus,
        holder: Option<Id>,
    ) -> Result<CheckedStatus> {
        let text = new.text.trim_end().to_owned();
        let media_ids = self
            .media_for_status(&author.account, &new.media_ids, holder)
            .await?;
        if text.trim().is_empty() && media_ids.is_empty() {
            return Err(ServiceError::invalid("text", "can't be blank"));
        }
        if let Some(poll) = &new.poll {
            // Media may come with a poll (Mastodon 4.5 allows it; apps that know older
            // versions simply never send both).
            crate::polls::check_poll(poll, self.clock.now())?;
        }
        let length = text.chars().count() + new.spoiler_text.chars().count();
        let max = self.settings.max_characters as usize;
        if length > max {
            return Err(ServiceError::invalid(
                "text",
                format!("character limit of {max} exceeded"),
            ));
        }
        let defaults = &author.user.posting;
        let mut visibility = match new.visibility.as_deref().map(str::trim) {
            None | Some("") => defaults.visibility,
            Some(v) => Visibility::parse(v).ok_or_else(|| {
                ServiceError::invalid("visibility", format!("{v:?} is not a valid visibility"))
            })?,
        };
        let language = match new
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            None => defaults.language.clone(),
            Some(l) if crate::preferences::language_code(l).is_some() => {
                crate::preferences::language_code(l)
            }
            Some(l) => {
                return Err(ServiceError::invalid(
                    "language",
                    format!("{l:?} is not a language code"),
                ));
            }
        };
        let parent = match new.in_reply_to_id {
            None => None,
            Some(id) => {
                let p = self
                    .store
                    .status(id)
                    .await?
                    .ok_or(ServiceError::NotFound("status"))?;
                if !self.can_see(Some(&author.account), &p).await? {
                    return Err(ServiceError::NotFound("status"));
                }
                Some(p)
            }
        };
        let quote = match new.quoted_status_id {
            None => None,
            Some(id) => Some(self.quotes().check(author, id, &mut visibility).await?),
        };
        let quote_policy =
            self.quotes()
                .policy_for(author, new.quote_approval_policy.as_deref(), visibility)?;
        // Moderators may force the media of an account sensitive.
        let forced_sensitive = author.account.sensitized_at.is_some() && !media_ids.is_empty();
        Ok(CheckedStatus {
            text,
            media_ids,
            visibility,
            language,
            parent,
            sensitive: new.sensitive.unwrap_or(defaults.sensitive)
                || !new.spoiler_text.trim().is_empty()
                || forced_sensitive,
            quote,
            quote_policy,
        })
    }

    /// Posts a status now; `scheduled`: the scheduled status it publishes, removed in the
    /// same transaction (so it is published once, and not at all if cancelled meanwhile).
    pub(crate) async fn post_status_now(
        &self,
        author: &LocalAccount,
        new: NewStatus,
        scheduled: Option<Id>,
    ) -> Result<api::Status> {
        let key = new
            .idempotency_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| k.chars().take(200).collect::<String>());
        let since = self.clock.now().plus_millis(-IDEMPOTENCY_TTL_MS);
        if let Some(k) = &key
            && let Some(earlier) = self
                .store
                .idempotent_status(author.account.id, k, since)
                .await?
        {
            return self.get_status(Some(&author.account), earlier).await;
        }
        let CheckedStatus {
            text,
            media_ids,
            visibility,
            language,
            parent,
            sensitive,
            quote,
            quote_policy,
        } = self.check_new_status(author, &new, scheduled).await?;

        let (mut content, mentioned) = self.format_text(&text).await?;
        if let Some(q) = &quote {
            content = self.quotes().with_fallback(q, &text, content);
        }
        let now = self.clock.now();
        let id = self.ids.next_id();
        let status = Status {
            id,
            account_id: author.account.id,
            uri: None,
            url: None,
            local: true,
            in_reply_to_id: parent.as_ref().map(|p| p.id),
            in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
            reblog_of_id: None,
            conversation_id: Some(match &parent {
                Some(p) => p.conversation_id.unwrap_or(p.id),
                None => id,
            }),
            text,
            content,
            spoiler_text: new.spoiler_text.trim().to_owned(),
            visibility,
            sensitive,
            language,
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            edited_at: None,
            pinned_at: None,
            created_at: now,
            updated_at: now,
        };
        let mention_rows: Vec<(Id, Id)> = mentioned
            .values()
            .map(|a| (self.ids.next_id(), a.id))
            .collect();
        let mut tx = self.store.begin().await?;
        tx.insert_status(&status).await?;
        tx.quotes()
            .set_quote_policy(status.id, quote_policy)
            .await?;
        if let Some(q) = &quote {
            self.quotes()
                .record_local(tx.as_mut(), &author.account, &status, q)
                .await?;
        }
        if let Some(id) = scheduled
            && !tx
                .scheduled_statuses()
                .take_due_scheduled_status(author.account.id, id, now)
                .await?
        {
            return Err(ServiceError::NotFound("scheduled status"));
        }
        if !media_ids.is_empty()
            && tx
                .attach_media(status.id, author.account.id, &media_ids)
                .await?
                != media_ids.len() as u64
        {
            // Attached to another status, or held by a scheduled one, meanwhile.
            return Err(crate::media::upload::media_not_found(&media_ids));
        }
        if let Some(poll) = &new.poll {
            self.insert_poll(tx.as_mut(), status.id, author.account.id, poll)
                .await?;
        }
        tx.insert_mentions(status.id, &mention_rows, now).await?;
        tx.tag_status(status.id, &self.tags_of(&status.text), now)
            .await?;
        tx.count_status(author.account.id, 1, Some(now)).await?;
        if let Some(p) = &parent {
            tx.count_reply(p.id, 1).await?;
        }
        tx.add_to_home_feeds(status.id, None, &[author.account.id])
            .await?;
        if let Some(k) = &key
            && !tx
                .record_idempotency(author.account.id, k, status.id, now, since)
                .await?
        {
            // A concurrent retry with the same key got there first: return its status.
            drop(tx);
            if let Some(earlier) = self
                .store
                .idempotent_status(author.account.id, k, since)
                .await?
            {
                return self.get_status(Some(&author.account), earlier).await;
            }
            return Err(ServiceError::Conflict(
                "a request with this Idempotency-Key is in progress".into(),
            ));
        }
        rookery_jobs::enqueue(
            tx.as_mut(),
            &self.ids,
            now,
            &Fanout {
                status_id: status.id,
            },
        )
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.webhooks()
            .emit(
                tx.as_mut(),
                "status.created",
                crate::webhooks::WebhookObject::Status(status.id),
            )
            .await?;
        tx.commit().await?;
        self.forget_stats();
        let mut out = self
            .status_entities(Some(&author.account), &[status])
            .await?;
        out.pop()
            .ok_or(ServiceError::Internal("rendering a new status".into()))
    }

    /// The `fanout` job: home feeds and mention notifications.
    pub(crate) async fn fanout(&self, status_id: Id) -> Result<()> {
        let Some(status) = self.store.status(status_id).await? else {
            return Ok(()); // deleted meanwhile
        };
        let mentioned: Vec<Id> = self
            .store
            .mentions(&[status.id])
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        let followers = self.feed_recipients(&status, &mentioned).await?;
        let lists = self.list_fanout(&status, &followers).await?;
        // Members of an exclusive list stay out of its owner's home (unless they mention them).
        let recipients: Vec<Id> = followers
            .into_iter()
            .filter(|r| !lists.exclusive_owners.contains(r) || mentioned.contains(r))
            .collect();
        let outgoing = self.new_status_outgoing(&status).await?;
        let now = self.clock.now();
        let mut notifications = Vec::new();
        let conversation = status.conversation_id.unwrap_or(status.id);
        let mut muted_thread = Vec::new();
        for a in &mentioned {
            if !self
                .store
                .muted_conversations(*a, &[conversation])
                .await?
                .is_empty()
            {
                muted_thread.push(*a);
            }
        }
        // Everything read before the transaction: holding it while waiting for a second
        // connection could starve a PostgreSQL pool under load.
        let notify_followers =
            if status.reblog_of_id.is_none() && status.visibility != Visibility::Direct {
                self.store.notify_follower_ids(status.account_id).await?
            } else {
                Vec::new()
            };
        let conversations = self.conversation_entries(&status, &mentioned).await?;
        let mut tx = self.store.begin().await?;
        tx.add_to_home_feeds(status.id, status.reblog_of_id, &recipients)
            .await?;
        tx.lists()
            .add_to_list_feeds(status.id, status.reblog_of_id, &lists.lists)
            .await?;
        for entry in &conversations {
            tx.conversations().add_to_conversation(entry).await?;
        }
        // Followers who asked to hear about this account's posts.
        for follower in notify_followers {
            if mentioned.contains(&follower) {
                continue; // the mention says it already
            }
            notifications.push(rookery_store::Notification {
                id: self.ids.next_id(),
                account_id: follower,
                from_account_id: status.account_id,
                kind: rookery_store::NotificationKind::Status,
                status_id: Some(status.id),
                group_key: None,
                created_at: now,
                filtered: false,
            });
        }
        for account_id in mentioned
            .iter()
            .filter(|a| **a != status.account_id && !muted_thread.contains(a))
        {
            notifications.push(rookery_store::Notification {
                id: self.ids.next_id(),
                account_id: *account_id,
                from_account_id: status.account_id,
                kind: rookery_store::NotificationKind::Mention,
                status_id: Some(status.id),
                group_key: None,
                created_at: now,
                filtered: false,
            });
        }
        let mut shown = Vec::with_capacity(notifications.len());
        for mut n in notifications {
            if self.store_notification(tx.as_mut(), &mut n).await? {
                shown.push(n);
            }
        }
        // Other servers' copies go out with the same commit (never twice, never not at all).
        if let Some(out) = outgoing {
            out.enqueue(self, tx.as_mut()).await?;
        }
        tx.commit().await?;
        // Committed: now tell connected clients. A failure here must not redo the fan-out.
        if let Err(e) = self
            .publish_status_to(
                &status,
                rookery_events::names::UPDATE,
                &recipients,
                &lists.lists,
            )
            .await
        {
            tracing::warn!(status = %status.id, error = %e, "streaming update not published");
        }
        if let Err(e) = self.publish_notifications(shown).await {
            tracing::warn!(status = %status.id, error = %e, "streaming notifications not published");
        }
        // After `update`, so streams hear of the card (`status.update`) second.
        let queued = async {
            let mut tx = self.store.begin().await?;
            self.queue_card(tx.as_mut(), &status, false).await?;
            Ok::<_, ServiceError>(tx.commit().await?)
        };
        if let Err(e) = queued.await {
            tracing::warn!(status = %status.id, error = %e, "preview card not queued");
        }
        Ok(())
    }

    /// A status `viewer` may see; `NotFound` otherwise (existence is never leaked).
    pub async fn visible_status(&self, viewer: Option<&Account>, id: Id) -> Result<Status> {
        let status = self
            .store
            .status(id)
            .await?
            .ok_or(ServiceError::NotFound("status"))?;
        if !self.can_see(viewer, &status).await? {
            return Err(ServiceError::NotFound("status"));
        }
        // An author who blocks the viewer is invisible to them.
        if let Some(v) = viewer
            && v.id != status.account_id
            && self
                .store
                .relationships(v.id, &[status.account_id])
                .await?
                .first()
                .is_some_and(|(_, r)| r.blocked_by)
        {
            return Err(ServiceError::NotFound("status"));
        }
        Ok(status)
    }

    /// `GET /api/v1/statuses/:id`.
    pub async fn get_status(&self, viewer: Option<&Account>, id: Id) -> Result<api::Status> {
        let status = self.visible_status(viewer, id).await?;
        let mut out = self.status_entities(viewer, &[status]).await?;
        out.pop().ok_or(ServiceError::NotFound("status"))
    }

    /// `DELETE /api/v1/statuses/:id`: the author's own status; returns it with `text` for
    /// redrafting.
    pub async fn delete_status(
        &self,
        author: &LocalAccount,
        id: Id,
        delete_media: bool,
    ) -> Result<api::Status> {
        let status = self
            .store
            .status(id)
            .await?
            .ok_or(ServiceError::NotFound("status"))?;
        if status.account_id != author.account.id {
            return Err(ServiceError::NotFound("status"));
        }
        let mut entity = self
            .status_entities(Some(&author.account), std::slice::from_ref(&status))
            .await?
            .pop()
            .ok_or(ServiceError::NotFound("status"))?;
        entity.text = Some(status.text.clone());
        // Kept for a redraft unless asked otherwise (they expire with other unattached media).
        let media = if delete_media {
            self.store.status_media(&[id]).await?
        } else {
            Vec::new()
        };
        let removal = self.status_removal(&author.account, &status).await?;
        let mut tx = self.store.begin().await?;
        removal.apply(self, tx.as_mut()).await?;
        tx.commit().await?;
        self.forget_stats();
        // The status is gone either way; files left behind expire with unattached media.
        if !media.is_empty()
            && let Err(e) = self.release_media_now(media).await
        {
            tracing::warn!(status = %id, error = %e, "attachments of a deleted status not deleted");
        }
        Ok(entity)
    }

    /// What deleting `status` (by `author`) takes, read before the transaction that applies it:
    /// the `delete` events to send and, for a local status, the `Delete` (or `Undo` of a
    /// boost) for other servers.
    pub(crate) async fn status_removal(
        &self,
        author: &Account,
        status: &Status,
    ) -> Result<StatusRemoval> {
        Ok(StatusRemoval {
            status: status.clone(),
            notice: self.removal_notice(status).await?,
            outgoing: self.removal_outgoing(author, status).await?,
        })
    }

    /// `GET /api/v1/statuses/:id/context`: visible ancestors (oldest first) and descendants.
    pub async fn context(
        &self,
        viewer: Option<&Account>,
        id: Id,
    ) -> Result<(Vec<api::Status>, Vec<api::Status>)> {
        let status = self.visible_status(viewer, id).await?;
        // A remote thread fills in from its origin for the next look.
        if viewer.is_some() {
            self.refresh_replies_later(&status).await;
        }
        // Bounded by posts looked at, not posts shown, and never twice the same post: a thread
        // of hidden posts, or a loop a hostile server made, cannot keep this going.
        let mut seen = std::collections::HashSet::from([status.id]);
        let mut ancestors = Vec::new();
        let mut next = status.in_reply_to_id;
        let mut steps = 0;
        while let Some(pid) = next {
            steps += 1;
            if ancestors.len() >= 40 || steps > 200 || !seen.insert(pid) {
                break;
            }
            let Some(p) = self.store.status(pid).await? else {
                break;
            };
            next = p.in_reply_to_id;
            if self.can_see(viewer, &p).await? {
                ancestors.push(p);
            }
        }
        ancestors.reverse();
        let mut descendants = Vec::new();
        let mut frontier = vec![status.id];
        let mut steps = 0;
        while let Some(pid) = frontier.pop() {
            steps += 1;
            if descendants.len() >= 60 || steps > 400 {
                break;
            }
            for r in self.store.replies(pid).await?.into_iter().rev() {
                if !seen.insert(r.id) {
                    continue;
                }
                frontier.push(r.id);
                if self.can_see(viewer, &r).await? {
                    descendants.push(r);
                }
            }
        }
        descendants.sort_by_key(|s| s.id);
        let thread = |mut list: Vec<api::Status>| {
            list.retain(|s| !crate::filters::hidden_by_filters(s, FilterContext::Thread));
            list
        };
        Ok((
            thread(self.status_entities(viewer, &ancestors).await?),
            thread(self.status_entities(viewer, &descendants).await?),
        ))
    }

    /// Drops statuses (and reblogs of statuses) by accounts the viewer must not see.
    pub(crate) async fn without_hidden(
        &self,
        viewer: Option<&Account>,
        context: Option<FilterContext>,
        mut list: Vec<api::Status>,
    ) -> Result<Vec<api::Status>> {
        if let Some(c) = context {
            list.retain(|s| !crate::filters::hidden_by_filters(s, c));
        }
        let hidden = self.hidden_for(viewer, false).await?;
        if !hidden.is_empty() {
            list.retain(|s| {
                !hidden.contains(&s.account.id)
                    && s.reblog
                        .as_ref()
                        .is_none_or(|r| !hidden.contains(&r.account.id))
            });
        }
        Ok(list)
    }
}

/// A status deletion prepared by [`Services::status_removal`].
pub(crate) struct StatusRemoval {
    status: Status,
    notice: crate::streams::StatusRemoved,
    outgoing: Option<crate::federation::Outgoing>,
}

impl StatusRemoval {
    /// Deletes the status inside `tx` with its counts, queues its `delete` events and tells
    /// other servers of a local one; `false` when it was already gone.
    pub(crate) async fn apply(self, s: &Services, tx: &mut dyn Transaction) -> Result<bool> {
        let status = &self.status;
        if !tx.delete_status(status.id).await? {
            return Ok(false);
        }
        if let Some(out) = self.outgoing {
            out.enqueue(s, tx).await?;
        }
        match status.reblog_of_id {
            Some(original) => tx.count_reblog(original, -1).await?,
            None => {
                tx.count_status(status.account_id, -1, None).await?;
                if let Some(parent) = status.in_reply_to_id {
                    tx.count_reply(parent, -1).await?;
                }
            }
        }
        rookery_jobs::enqueue(tx, &s.ids, s.clock.now(), &self.notice)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(true)
    }
}
