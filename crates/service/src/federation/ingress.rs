//! What a received activity does (the `ingress` queue). Handlers are idempotent: a repeated
//! delivery finds its work done. The signer was checked to be the activity's actor before the
//! job was queued.

use rookery_activitypub::vocab::{ACTOR_TYPES, Activity, Object, Tag, Target};
use rookery_model::{Account, Id, Status, Timestamp, Visibility};
use rookery_store::{Follow, Interaction, NewRestriction, Restriction, StatusEdit, StoreError};
use serde::{Deserialize, Serialize};

use super::actors::{ResolveError, same_host};
use super::{is_public, sanitize_html};
use crate::interactions::Notify;
use crate::social::FollowEffects;
use crate::statuses::Fanout;
use crate::{Result, ServiceError, Services};

/// One received activity, verified, waiting to be processed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ingress {
    /// The account whose key signed the request.
    pub signer: Id,
    /// The activity as received (JSON).
    pub activity: String,
    pub activity_id: String,
}

impl rookery_jobs::JobSpec for Ingress {
    const KIND: &'static str = "ingress";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Ingress;
    fn policy() -> rookery_jobs::RetryPolicy {
        rookery_jobs::RetryPolicy {
            max_attempts: 8,
            base_delay_ms: 30_000,
            max_delay_ms: 3600 * 1000,
            timeout: std::time::Duration::from_secs(120),
        }
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!(
            "ingress:{}",
            crate::crypto::sha256_hex(&self.activity_id)
        ))
    }
}

/// Most `tag` entries (mentions, hashtags, emoji) of one post looked at.
const MAX_TAGS: usize = 100;

/// Object types stored as statuses.
const POST_TYPES: &[&str] = &[
    "Note", "Question", "Article", "Page", "Event", "Video", "Audio", "Image",
];

fn enqueue_err(e: rookery_jobs::EnqueueError) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

fn resolve_err(e: ResolveError) -> ServiceError {
    match e {
        ResolveError::Failed(m) => ServiceError::Unavailable(m),
        ResolveError::NotFound | ResolveError::Gone => ServiceError::NotFound("object"),
        other => ServiceError::invalid("object", other.to_string()),
    }
}

/// Text without markup (spoiler texts are plain text).
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

impl Services {
    /// The `ingress` job.
    pub(crate) async fn process_ingress(&self, job: &Ingress) -> Result<()> {
        let Some(signer) = self.store.account(job.signer).await? else {
            return Ok(()); // deleted meanwhile
        };
        if signer.suspended_at.is_some() {
            return Ok(()); // suspended here: nothing it sends is taken in
        }
        let activity = Activity::parse(job.activity.as_bytes())
            .map_err(|e| ServiceError::invalid("activity", e.to_string()))?;
        self.process_activity(&signer, &activity).await
    }

    async fn process_activity(&self, actor: &Account, a: &Activity) -> Result<()> {
        match a.kind.as_str() {
            "Follow" => self.on_follow(actor, a).await,
            "Accept" => self.on_accept_or_reject(actor, a, true).await,
            "Reject" => self.on_accept_or_reject(actor, a, false).await,
            "Undo" => self.on_undo(actor, a).await,
            "Create" => self.on_create(actor, a).await,
            "Update" => self.on_update(actor, a).await,
            "Delete" => self.on_delete(actor, a).await,
            "Announce" => self.on_announce(actor, a).await,
            "Like" => self.on_like(actor, a).await,
            "Block" => self.on_block(actor, a).await,
            other => {
                tracing::debug!(kind = other, id = %a.id, "activity type not handled");
                Ok(())
            }
        }
    }

    /// The local account an ActivityPub id names, if it is ours and live.
    async fn local_target(&self, uri: Option<&str>) -> Result<Option<Account>> {
        let Some(name) = uri.and_then(|u| self.local_username_of(u)) else {
            return Ok(None);
        };
        Ok(self
            .store
            .local_account_by_username(&name)
            .await?
            .map(|l| l.account)
            .filter(|a| a.suspended_at.is_none()))
    }

    async fn on_follow(&self, actor: &Account, a: &Activity) -> Result<()> {
        let Some(target) = self
            .local_target(a.object.as_ref().and_then(Target::id))
            .await?
        else {
            return Ok(());
        };
        let rel = self
            .store
            .relationships(target.id, &[actor.id])
            .await?
            .first()
            .map(|(_, r)| *r)
            .unwrap_or_default();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if rel.blocking {
            self.enqueue_answer(tx.as_mut(), &target, actor, &a.id, false)
                .await?;
            return Ok(tx.commit().await?);
        }
        let follow = Follow {
            id: self.ids.next_id(),
            account_id: actor.id,
            target_account_id: target.id,
            show_reblogs: true,
            notify: false,
            uri: Some(a.id.clone()),
            created_at: now,
        };
        if rel.followed_by {
            // Already following (a repeat, or their side lost our Accept): accept again.
            self.enqueue_answer(tx.as_mut(), &target, actor, &a.id, true)
                .await?;
        } else if target.locked {
            if tx.insert_follow_request(&follow).await? {
                rookery_jobs::enqueue(
                    tx.as_mut(),
                    &self.ids,
                    now,
                    &Notify {
                        account_id: target.id,
                        from_account_id: actor.id,
                        kind: "follow_request".into(),
                        status_id: None,
                    },
                )
                .await
                .map_err(enqueue_err)?;
            }
        } else {
            if tx.insert_follow(&follow).await? {
                rookery_jobs::enqueue(
                    tx.as_mut(),
                    &self.ids,
                    now,
                    &FollowEffects {
                        follower: actor.id,
                        target: target.id,
                        followed: true,
                    },
                )
                .await
                .map_err(enqueue_err)?;
            }
            self.enqueue_answer(tx.as_mut(), &target, actor, &a.id, true)
                .await?;
        }
        Ok(tx.commit().await?)
    }

    /// `Accept`/`Reject` of a follow (request) one of our accounts sent to `actor`.
    async fn on_accept_or_reject(&self, actor: &Account, a: &Activity, accept: bool) -> Result<()> {
        let follower = match &a.object {
            Some(Target::Activity(inner)) if inner.kind == "Follow" => {
                self.local_target(Some(&inner.actor)).await?
            }
            Some(Target::Id(uri)) => match self.store.follow_by_uri(uri, true).await? {
                Some(f) => self.store.account(f.account_id).await?,
                None => match self.store.follow_by_uri(uri, false).await? {
                    Some(f) => self.store.account(f.account_id).await?,
                    None => None,
                },
            },
            _ => None,
        };
        let Some(follower) = follower.filter(Account::is_local) else {
            return Ok(());
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let request = tx.take_follow_request(follower.id, actor.id).await?;
        let change = match (accept, request) {
            (true, Some(req)) => {
                let follow = Follow {
                    created_at: now,
                    ..req
                };
                tx.insert_follow(&follow).await?.then_some(true)
            }
            (true, None) => None,
            (false, _) => tx
                .delete_follow(follower.id, actor.id)
                .await?
                .then_some(false),
        };
        if let Some(followed) = change {
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                now,
                &FollowEffects {
                    follower: follower.id,
                    target: actor.id,
                    followed,
                },
            )
            .await
            .map_err(enqueue_err)?;
        }
        tx.commit().await?;
        self.publish_relationship_change(follower.id, actor.id);
        Ok(())
    }

    async fn on_undo(&self, actor: &Account, a: &Activity) -> Result<()> {
        let inner = match &a.object {
            Some(Target::Activity(inner)) => inner.as_ref().clone(),
            Some(Target::Id(uri)) => {
                // Only an id: whatever of theirs we recorded under it.
                if let Some(f) = self.store.follow_by_uri(uri, false).await?
                    && f.account_id == actor.id
                {
                    return self.end_follow(actor.id, f.target_account_id).await;
                }
                if let Some(f) = self.store.follow_by_uri(uri, true).await?
                    && f.account_id == actor.id
                {
                    let mut tx = self.store.begin().await?;
                    tx.take_follow_request(actor.id, f.target_account_id)
                        .await?;
                    return Ok(tx.commit().await?);
                }
                if let Some(s) = self.store.status_by_uri(uri).await?
                    && s.account_id == actor.id
                    && s.reblog_of_id.is_some()
                {
                    return self.remove_remote_status(&s).await;
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        if inner.actor != a.actor {
            return Ok(()); // one can only undo one's own
        }
        let object = inner.object.as_ref().and_then(Target::id);
        match inner.kind.as_str() {
            "Follow" => {
                let Some(target) = self.local_target(object).await? else {
                    return Ok(());
                };
                let mut tx = self.store.begin().await?;
                tx.take_follow_request(actor.id, target.id).await?;
                tx.commit().await?;
                self.end_follow(actor.id, target.id).await
            }
            "Like" => {
                if let Some(status) = self.local_status_of(object).await? {
                    let mut tx = self.store.begin().await?;
                    tx.delete_interaction(Interaction::Favourite, actor.id, status.id)
                        .await?;
                    tx.commit().await?;
                }
                Ok(())
            }
            "Announce" => match self.store.status_by_uri(&inner.id).await? {
                Some(s) if s.account_id == actor.id && s.reblog_of_id.is_some() => {
                    self.remove_remote_status(&s).await
                }
                _ => Ok(()),
            },
            "Block" => {
                let Some(target) = self.local_target(object).await? else {
                    return Ok(());
                };
                let mut tx = self.store.begin().await?;
                tx.unrestrict(Restriction::Block, actor.id, target.id)
                    .await?;
                tx.commit().await?;
                self.publish_relationship_change(actor.id, target.id);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn end_follow(&self, follower: Id, target: Id) -> Result<()> {
        let mut tx = self.store.begin().await?;
        if tx.delete_follow(follower, target).await? {
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                self.clock.now(),
                &FollowEffects {
                    follower,
                    target,
                    followed: false,
                },
            )
            .await
            .map_err(enqueue_err)?;
        }
        tx.commit().await?;
        self.publish_relationship_change(follower, target);
        Ok(())
    }

    /// A local status named by an ActivityPub id or URL.
    async fn local_status_of(&self, uri: Option<&str>) -> Result<Option<Status>> {
        match uri.and_then(|u| self.local_status_id_of(u)) {
            Some(id) => Ok(self.store.status(id).await?.filter(|s| s.local)),
            None => Ok(None),
        }
    }

    /// A status by ActivityPub id: ours, or a remote one we have.
    async fn known_status(&self, uri: &str) -> Result<Option<Status>> {
        if let Some(s) = self.local_status_of(Some(uri)).await? {
            return Ok(Some(s));
        }
        Ok(self.store.status_by_uri(uri).await?)
    }

    /// The object of a `Create`/`Update`/`Announce`: embedded when it comes from the actor's
    /// own server, else fetched from where its id points (never trusted second-hand).
    async fn object_of(&self, actor_uri: &str, target: &Target) -> Result<Option<Object>> {
        match target {
            Target::Object(o) => match o.id.as_deref() {
                Some(id) if same_host(id, actor_uri) => Ok(Some(o.as_ref().clone())),
                Some(id) => self.fetch_object(id).await.map(Some),
                None => Ok(None),
            },
            Target::Id(id) => self.fetch_object(id).await.map(Some),
            _ => Ok(None),
        }
    }

    /// Fetches an object from its origin; its `id` must be where it was fetched from.
    pub(crate) async fn fetch_object(&self, uri: &str) -> Result<Object> {
        let (_, body) = self.fetch_document(uri).await.map_err(resolve_err)?;
        let object: Object = serde_json::from_slice(&body)
            .map_err(|e| ServiceError::invalid("object", e.to_string()))?;
        if object.id.as_deref() != Some(uri) {
            return Err(ServiceError::invalid(
                "object",
                format!("the document at {uri} has another id"),
            ));
        }
        Ok(object)
    }

    async fn on_create(&self, actor: &Account, a: &Activity) -> Result<()> {
        let actor_uri = actor.uri.clone().unwrap_or_default();
        let Some(target) = &a.object else {
            return Ok(());
        };
        let Some(object) = self.object_of(&actor_uri, target).await? else {
            return Ok(());
        };
        if !POST_TYPES.contains(&object.kind.as_str()) {
            return Ok(());
        }
        self.store_remote_status(actor, &object, false).await?;
        Ok(())
    }

    /// Visibility from addressing, as Mastodon reads it.
    fn visibility_of(author: &Account, to: &[String], cc: &[String]) -> Visibility {
        if to.iter().any(|u| is_public(u)) {
            Visibility::Public
        } else if cc.iter().any(|u| is_public(u)) {
            Visibility::Unlisted
        } else if to.iter().chain(cc).any(|u| {
            author.followers_url.as_deref() == Some(u.as_str()) || u.ends_with("/followers")
        }) {
            Visibility::Private
        } else {
            Visibility::Direct
        }
    }

    /// Stores a remote post by `author` (checked to be its `attributedTo`). `force` stores it
    /// even when nobody here follows, is mentioned or is replied to (a user asked for it).
    pub(crate) async fn store_remote_status(
        &self,
        author: &Account,
        object: &Object,
        force: bool,
    ) -> Result<Option<Status>> {
        let author_uri = author.uri.clone().unwrap_or_default();
        let uri = object
            .id
            .clone()
            .ok_or_else(|| ServiceError::invalid("object", "no id"))?;
        if !same_host(&uri, &author_uri) || object.author() != Some(author_uri.as_str()) {
            return Err(ServiceError::invalid(
                "attributedTo",
                "the object is attributed to someone else than the actor",
            ));
        }
        if let Some(existing) = self.store.status_by_uri(&uri).await? {
            return Ok(Some(existing));
        }
        let ids = |m: &rookery_activitypub::vocab::Many<
            rookery_activitypub::vocab::Ref<rookery_activitypub::vocab::Link>,
        >|
         -> Vec<String> {
            m.iter().filter_map(|r| r.id().map(str::to_owned)).collect()
        };
        let (to, cc) = (ids(&object.to), ids(&object.cc));
        let visibility = Self::visibility_of(author, &to, &cc);
        let parent = match object.in_reply_to.as_ref().and_then(|r| r.id()) {
            Some(p) => self.known_status(p).await?,
            None => None,
        };
        let mut mentioned: Vec<Account> = Vec::new();
        let mut tags: Vec<(Id, String)> = Vec::new();
        // Enough for any real post; a hostile one cannot make us look up thousands of accounts.
        for tag in object.tag.iter().take(MAX_TAGS) {
            match tag {
                Tag::Mention { href, .. } => {
                    let found = match self.local_target(Some(href)).await? {
                        Some(l) => Some(l),
                        None => self.store.account_by_uri(href).await?,
                    };
                    if let Some(a) = found
                        && !mentioned.iter().any(|m| m.id == a.id)
                    {
                        mentioned.push(a);
                    }
                }
                Tag::Hashtag { name, .. } => {
                    let name = name.trim_start_matches('#');
                    if !name.is_empty()
                        && name.len() <= 100
                        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                        && !tags.iter().any(|(_, t)| t.eq_ignore_ascii_case(name))
                    {
                        tags.push((self.ids.next_id(), name.to_owned()));
                    }
                }
                _ => {}
            }
        }
        // Local accounts that block the author are not mentioned by it.
        let mut kept = Vec::new();
        for m in mentioned {
            let blocked = m.is_local()
                && self
                    .store
                    .relationships(m.id, &[author.id])
                    .await?
                    .first()
                    .is_some_and(|(_, r)| r.blocking);
            if !blocked {
                kept.push(m);
            }
        }
        let mentioned = kept;
        let relevant = force
            || parent.as_ref().is_some_and(|p| p.local)
            || mentioned.iter().any(Account::is_local)
            || self.store.has_local_followers(author.id).await?;
        if !relevant {
            return Ok(None);
        }
        let now = self.clock.now();
        let created_at = object
            .published
            .as_deref()
            .and_then(Timestamp::parse_rfc3339)
            .filter(|t| t.as_millis() <= now.as_millis())
            .unwrap_or(now);
        let id = self.ids.next_id();
        let content = sanitize_html(object.html(None).unwrap_or_default());
        let status = Status {
            id,
            account_id: author.id,
            uri: Some(uri.clone()),
            url: object
                .url
                .clone()
                .filter(|u| super::host_of(u).is_some())
                .or(Some(uri)),
            local: false,
            in_reply_to_id: parent.as_ref().map(|p| p.id),
            in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
            reblog_of_id: None,
            conversation_id: Some(
                parent
                    .as_ref()
                    .map_or(id, |p| p.conversation_id.unwrap_or(p.id)),
            ),
            text: String::new(),
            content,
            spoiler_text: object
                .summary
                .as_deref()
                .map(strip_tags)
                .unwrap_or_default()
                .chars()
                .take(1000)
                .collect(),
            visibility,
            sensitive: object.sensitive.unwrap_or(false)
                || object.summary.as_deref().is_some_and(|s| !s.is_empty()),
            language: object.language().map(|l| l.chars().take(10).collect()),
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            edited_at: None,
            pinned_at: None,
            created_at,
            updated_at: now,
        };
        let mention_rows: Vec<(Id, Id)> = mentioned
            .iter()
            .map(|a| (self.ids.next_id(), a.id))
            .collect();
        let mut tx = self.store.begin().await?;
        match tx.insert_status(&status).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                return Ok(self
                    .store
                    .status_by_uri(status.uri.as_deref().unwrap_or_default())
                    .await?);
            }
            Err(e) => return Err(e.into()),
        }
        tx.insert_mentions(status.id, &mention_rows, now).await?;
        tx.tag_status(status.id, &tags, now).await?;
        tx.count_status(author.id, 1, Some(created_at)).await?;
        if let Some(p) = &parent {
            tx.count_reply(p.id, 1).await?;
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
        .map_err(enqueue_err)?;
        tx.commit().await?;
        Ok(Some(status))
    }

    async fn on_update(&self, actor: &Account, a: &Activity) -> Result<()> {
        let actor_uri = actor.uri.clone().unwrap_or_default();
        match &a.object {
            Some(Target::Actor(doc)) if doc.id == actor_uri => {
                // Trust the origin, not the copy: fetch the actor again.
                self.resolve_actor(&actor_uri, true)
                    .await
                    .map_err(resolve_err)?;
                Ok(())
            }
            Some(Target::Id(id)) if *id == actor_uri => {
                self.resolve_actor(&actor_uri, true)
                    .await
                    .map_err(resolve_err)?;
                Ok(())
            }
            Some(target) => {
                let Some(object) = self.object_of(&actor_uri, target).await? else {
                    return Ok(());
                };
                if ACTOR_TYPES.contains(&object.kind.as_str()) {
                    return Ok(());
                }
                self.apply_remote_edit(actor, &object).await
            }
            None => Ok(()),
        }
    }

    async fn apply_remote_edit(&self, author: &Account, object: &Object) -> Result<()> {
        let Some(uri) = object.id.as_deref() else {
            return Ok(());
        };
        let Some(mut status) = self.store.status_by_uri(uri).await? else {
            return Ok(()); // never seen: nothing to edit
        };
        if status.account_id != author.id || object.author() != author.uri.as_deref() {
            return Err(ServiceError::invalid(
                "object",
                "an edit of someone else's post",
            ));
        }
        let edited_at = object
            .updated
            .as_deref()
            .and_then(Timestamp::parse_rfc3339)
            .unwrap_or_else(|| self.clock.now());
        if status
            .edited_at
            .is_some_and(|t| t.as_millis() >= edited_at.as_millis())
        {
            return Ok(()); // an older or repeated edit
        }
        let content = sanitize_html(object.html(None).unwrap_or_default());
        let spoiler = object
            .summary
            .as_deref()
            .map(strip_tags)
            .unwrap_or_default();
        if content == status.content && spoiler == status.spoiler_text {
            return Ok(()); // not an edit (a poll's new tallies, a repeat)
        }
        let now = self.clock.now();
        let first_edit = self.store.status_edits(status.id).await?.is_empty();
        let mut tx = self.store.begin().await?;
        if first_edit {
            tx.insert_status_edit(&StatusEdit {
                id: self.ids.next_id(),
                status_id: status.id,
                text: String::new(),
                content: status.content.clone(),
                spoiler_text: status.spoiler_text.clone(),
                sensitive: status.sensitive,
                created_at: status.created_at,
            })
            .await?;
        }
        status.content = content;
        status.spoiler_text = spoiler;
        status.sensitive = object.sensitive.unwrap_or(false) || !status.spoiler_text.is_empty();
        if let Some(l) = object.language() {
            status.language = Some(l.chars().take(10).collect());
        }
        status.edited_at = Some(edited_at);
        status.updated_at = now;
        tx.update_status_content(&status).await?;
        tx.insert_status_edit(&StatusEdit {
            id: self.ids.next_id(),
            status_id: status.id,
            text: String::new(),
            content: status.content.clone(),
            spoiler_text: status.spoiler_text.clone(),
            sensitive: status.sensitive,
            created_at: edited_at,
        })
        .await?;
        rookery_jobs::enqueue(
            tx.as_mut(),
            &self.ids,
            now,
            &crate::edits::EditNotices {
                status_id: status.id,
            },
        )
        .await
        .map_err(enqueue_err)?;
        Ok(tx.commit().await?)
    }

    async fn on_delete(&self, actor: &Account, a: &Activity) -> Result<()> {
        let Some(object) = a.object.as_ref().and_then(Target::id) else {
            return Ok(());
        };
        if Some(object) == actor.uri.as_deref() {
            let mut tx = self.store.begin().await?;
            tx.delete_remote_account(actor.id).await?;
            tx.commit().await?;
            self.forget_stats();
            return Ok(());
        }
        match self.store.status_by_uri(object).await? {
            Some(s) if s.account_id == actor.id => self.remove_remote_status(&s).await,
            _ => Ok(()),
        }
    }

    /// Deletes a remote status or reblog, with its counts and `delete` events.
    async fn remove_remote_status(&self, status: &Status) -> Result<()> {
        let notice = self.removal_notice(status).await?;
        let mut tx = self.store.begin().await?;
        if tx.delete_status(status.id).await? {
            match status.reblog_of_id {
                Some(original) => tx.count_reblog(original, -1).await?,
                None => {
                    tx.count_status(status.account_id, -1, None).await?;
                    if let Some(parent) = status.in_reply_to_id {
                        tx.count_reply(parent, -1).await?;
                    }
                }
            }
            rookery_jobs::enqueue(tx.as_mut(), &self.ids, self.clock.now(), &notice)
                .await
                .map_err(enqueue_err)?;
        }
        Ok(tx.commit().await?)
    }

    async fn on_announce(&self, actor: &Account, a: &Activity) -> Result<()> {
        if self.store.status_by_uri(&a.id).await?.is_some() {
            return Ok(());
        }
        let Some(object_id) = a.object.as_ref().and_then(Target::id) else {
            return Ok(());
        };
        let original = match self.known_status(object_id).await? {
            Some(s) => s,
            None => {
                // Someone followed here boosted a post we do not have: fetch it from its origin.
                if !self.store.has_local_followers(actor.id).await? {
                    return Ok(());
                }
                let object = self.fetch_object(object_id).await?;
                let Some(author_uri) = object.author().map(str::to_owned) else {
                    return Ok(());
                };
                let author = self
                    .resolve_actor(&author_uri, false)
                    .await
                    .map_err(resolve_err)?;
                match self.store_remote_status(&author, &object, true).await? {
                    Some(s) => s,
                    None => return Ok(()),
                }
            }
        };
        if !matches!(
            original.visibility,
            Visibility::Public | Visibility::Unlisted
        ) || original.reblog_of_id.is_some()
        {
            return Ok(());
        }
        if !original.local && !self.store.has_local_followers(actor.id).await? {
            return Ok(());
        }
        let now = self.clock.now();
        let visibility = Self::visibility_of(actor, &a.to, &a.cc).max(original.visibility);
        let reblog = Status {
            id: self.ids.next_id(),
            account_id: actor.id,
            uri: Some(a.id.clone()),
            url: Some(a.id.clone()),
            local: false,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: Some(original.id),
            conversation_id: None,
            text: String::new(),
            content: String::new(),
            spoiler_text: String::new(),
            visibility,
            sensitive: false,
            language: None,
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            edited_at: None,
            pinned_at: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        match tx.insert_status(&reblog).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Ok(()), // a repeat
            Err(e) => return Err(e.into()),
        }
        tx.count_reblog(original.id, 1).await?;
        rookery_jobs::enqueue(
            tx.as_mut(),
            &self.ids,
            now,
            &Fanout {
                status_id: reblog.id,
            },
        )
        .await
        .map_err(enqueue_err)?;
        if original.local {
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                now,
                &Notify {
                    account_id: original.account_id,
                    from_account_id: actor.id,
                    kind: "reblog".into(),
                    status_id: Some(original.id),
                },
            )
            .await
            .map_err(enqueue_err)?;
        }
        Ok(tx.commit().await?)
    }

    async fn on_like(&self, actor: &Account, a: &Activity) -> Result<()> {
        let Some(status) = self
            .local_status_of(a.object.as_ref().and_then(Target::id))
            .await?
        else {
            return Ok(());
        };
        if !self.can_see(Some(actor), &status).await? {
            return Ok(());
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if tx
            .insert_interaction(
                Interaction::Favourite,
                self.ids.next_id(),
                actor.id,
                status.id,
                now,
            )
            .await?
        {
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                now,
                &Notify {
                    account_id: status.account_id,
                    from_account_id: actor.id,
                    kind: "favourite".into(),
                    status_id: Some(status.id),
                },
            )
            .await
            .map_err(enqueue_err)?;
        }
        Ok(tx.commit().await?)
    }

    async fn on_block(&self, actor: &Account, a: &Activity) -> Result<()> {
        let Some(target) = self
            .local_target(a.object.as_ref().and_then(Target::id))
            .await?
        else {
            return Ok(());
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.restrict(&NewRestriction {
            kind: Restriction::Block,
            id: self.ids.next_id(),
            account_id: actor.id,
            target_id: target.id,
            hide_notifications: true,
            expires_at: None,
            created_at: now,
        })
        .await?;
        tx.take_follow_request(actor.id, target.id).await?;
        tx.take_follow_request(target.id, actor.id).await?;
        for (follower, followed) in [(actor.id, target.id), (target.id, actor.id)] {
            if tx.delete_follow(follower, followed).await? {
                rookery_jobs::enqueue(
                    tx.as_mut(),
                    &self.ids,
                    now,
                    &FollowEffects {
                        follower,
                        target: followed,
                        followed: false,
                    },
                )
                .await
                .map_err(enqueue_err)?;
            }
        }
        tx.commit().await?;
        self.publish_relationship_change(actor.id, target.id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::strip_tags;

    #[test]
    fn spoilers_lose_markup() {
        assert_eq!(strip_tags("<p>cw &amp; <b>more</b></p>"), "cw & more");
    }
}
