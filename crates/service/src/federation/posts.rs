//! Posts from other servers: `Create`, `Update`, `Delete` and `Announce` of notes (and the
//! other object types stored as statuses), objects fetched from their origin, and the statuses
//! they become. Called by the `ingress` dispatcher.

use rookery_activitypub::vocab::{ACTOR_TYPES, Activity, Object, Tag, Target};
use rookery_model::{Account, Id, Status, Timestamp, Visibility};
use rookery_store::{StatusEdit, StoreError};

use super::actors::{ResolveError, same_host};
use super::{is_public, sanitize_html};
use crate::statuses::Fanout;
use crate::{Result, ServiceError, Services};

/// Most `tag` entries (mentions, hashtags, emoji) of one post looked at.
const MAX_TAGS: usize = 100;

/// Object types stored as statuses.
pub(super) const POST_TYPES: &[&str] = &[
    "Note", "Question", "Article", "Page", "Event", "Video", "Audio", "Image",
];

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

/// How far a post being stored is from what was received: levels of ancestors fetched to
/// complete a thread, and quoted posts fetched to complete a quote (each counted on its own).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Reach {
    pub ancestors: u32,
    pub quotes: u32,
}

pub(super) fn resolve_err(e: ResolveError) -> ServiceError {
    match e {
        ResolveError::Failed(m) => ServiceError::Unavailable(m),
        ResolveError::NotFound | ResolveError::Gone => ServiceError::NotFound("object"),
        other => ServiceError::invalid("object", other.to_string()),
    }
}

fn enqueue_err(e: rookery_jobs::EnqueueError) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

impl Services {
    /// A local status named by an ActivityPub id or URL.
    pub(super) async fn local_status_of(&self, uri: Option<&str>) -> Result<Option<Status>> {
        match uri.and_then(|u| self.local_status_id_of(u)) {
            Some(id) => Ok(self.store.status(id).await?.filter(|s| s.local)),
            None => Ok(None),
        }
    }

    /// A status by ActivityPub id: ours, or a remote one we have.
    pub(super) async fn known_status(&self, uri: &str) -> Result<Option<Status>> {
        if let Some(s) = self.local_status_of(Some(uri)).await? {
            return Ok(Some(s));
        }
        Ok(self.store.status_by_uri(uri).await?)
    }

    /// The object of a `Create`/`Update`/`Announce`: embedded when it comes from the actor's
    /// own server, else fetched from where its id points (never trusted second-hand).
    pub(super) async fn object_of(
        &self,
        actor_uri: &str,
        target: &Target,
    ) -> Result<Option<Object>> {
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

    pub(super) async fn on_create(&self, actor: &Account, a: &Activity) -> Result<()> {
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
        if object.kind == "Note" && self.receive_poll_vote(actor, &object).await? {
            return Ok(());
        }
        self.store_remote_status(actor, &object, false).await?;
        Ok(())
    }

    /// Visibility from addressing, as Mastodon reads it.
    pub(super) fn visibility_of(author: &Account, to: &[String], cc: &[String]) -> Visibility {
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
    /// even when nobody here follows, is mentioned or is replied to (a user asked for it). A
    /// reply whose parent is not here gets it fetched (see [`super::threads`]).
    pub(crate) async fn store_remote_status(
        &self,
        author: &Account,
        object: &Object,
        force: bool,
    ) -> Result<Option<Status>> {
        self.store_remote_status_at(author, object, force, Reach::default())
            .await
    }

    /// [`Services::store_remote_status`] for a post fetched to complete a thread or a quote:
    /// `reach.ancestors` levels above the reply that was received (ancestors are fetched up to
    /// [`super::MAX_ANCESTORS`] levels), `reach.quotes` quotes away from the post that quoted
    /// it (quoted posts are fetched up to [`super::quotes::MAX_QUOTE_DEPTH`] away).
    pub(super) async fn store_remote_status_at(
        &self,
        author: &Account,
        object: &Object,
        force: bool,
        reach: Reach,
    ) -> Result<Option<Status>> {
        let depth = reach.ancestors;
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
        // Quotes of this post that arrived before it.
        let waiting = self.store.quote_store().quotes_of_uri(&uri).await?;
        let ids = |m: &rookery_activitypub::vocab::Many<
            rookery_activitypub::vocab::Ref<rookery_activitypub::vocab::Link>,
        >|
         -> Vec<String> {
            m.iter().filter_map(|r| r.id().map(str::to_owned)).collect()
        };
        let (to, cc) = (ids(&object.to), ids(&object.cc));
        let visibility = Self::visibility_of(author, &to, &cc);
        let parent_uri = object
            .in_reply_to
            .as_ref()
            .and_then(|r| r.id())
            .filter(|p| super::host_of(p).is_some());
        let parent = match parent_uri {
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
            || object
                .quote()
                .is_some_and(|q| self.local_status_id_of(q).is_some())
            || mentioned.iter().any(Account::is_local)
            || self.store.has_local_followers(author.id).await?;
        if !relevant {
            return Ok(None);
        }
        if let Err(e) = self.remember_emojis(author, object.tag.iter()).await {
            tracing::debug!(%uri, error = %e, "custom emoji not recorded");
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
            // Media of an account moderators marked sensitive is sensitive here too.
            sensitive: object.sensitive.unwrap_or(false)
                || object.summary.as_deref().is_some_and(|s| !s.is_empty())
                || (author.sensitized_at.is_some() && object.attachment.iter().next().is_some()),
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
        let fetch = self.copy_on_receipt(author).await;
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
        self.record_remote_quote(tx.as_mut(), author, object, &status, reach.quotes)
            .await?;
        tx.quotes()
            .link_quoted(
                &status.uri.clone().unwrap_or_default(),
                status.id,
                author.id,
            )
            .await?;
        self.quoted_post_arrived(tx.as_mut(), &waiting, &status)
            .await?;
        if object.kind == "Question" {
            self.insert_remote_poll(tx.as_mut(), object, &status)
                .await?;
        }
        let attachments: Vec<_> = object.attachment.iter().collect();
        self.add_remote_attachments(tx.as_mut(), author, status.id, &attachments, fetch, now)
            .await?;
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
        if let Some(uri) = parent_uri.filter(|_| parent.is_none())
            && depth < super::MAX_ANCESTORS
        {
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                now,
                &super::FetchParent {
                    reply: status.id,
                    parent_uri: uri.to_owned(),
                    depth: depth + 1,
                },
            )
            .await
            .map_err(enqueue_err)?;
        }
        tx.commit().await?;
        Ok(Some(status))
    }

    pub(super) async fn on_update(&self, actor: &Account, a: &Activity) -> Result<()> {
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
                if let Some(id) = object.id.as_deref()
                    && let Some(status) = self.store.status_by_uri(id).await?
                    && status.account_id == actor.id
                {
                    self.remote_quote_edited(actor, &status, &object).await?;
                }
                if object.kind == "Question" {
                    self.refresh_remote_poll(actor, &object).await?;
                } else {
                    self.drop_remote_poll(actor, &object).await?;
                }
                self.apply_remote_edit(actor, &object).await
            }
            None => Ok(()),
        }
    }

    pub(super) async fn apply_remote_edit(&self, author: &Account, object: &Object) -> Result<()> {
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
        self.queue_card(tx.as_mut(), &status, true).await?;
        Ok(tx.commit().await?)
    }

    pub(super) async fn on_delete(&self, actor: &Account, a: &Activity) -> Result<()> {
        let Some(object) = a.object.as_ref().and_then(Target::id) else {
            return Ok(());
        };
        if Some(object) == actor.uri.as_deref() {
            self.release_account_media(actor.id).await?;
            let mut tx = self.store.begin().await?;
            tx.delete_remote_account(actor.id).await?;
            tx.commit().await?;
            self.forget_stats();
            return Ok(());
        }
        if self.quote_authorization_deleted(actor, object).await? {
            return Ok(());
        }
        match self.store.status_by_uri(object).await? {
            Some(s) if s.account_id == actor.id => self.remove_remote_status(&s).await,
            _ => Ok(()),
        }
    }

    /// Deletes a remote status or reblog, with its counts and `delete` events.
    pub(super) async fn remove_remote_status(&self, status: &Status) -> Result<()> {
        let Some(author) = self.store.account(status.account_id).await? else {
            return Ok(());
        };
        let removal = self.status_removal(&author, status).await?;
        let mut tx = self.store.begin().await?;
        removal.apply(self, tx.as_mut()).await?;
        Ok(tx.commit().await?)
    }

    /// A post a relay announces: the post itself is stored (from its origin) and shown in the
    /// federated timeline; the relay's `Announce` is not a boost.
    async fn on_relayed(&self, a: &Activity) -> Result<()> {
        let Some(object_id) = a.object.as_ref().and_then(Target::id) else {
            return Ok(());
        };
        if self.known_status(object_id).await?.is_some() {
            return Ok(());
        }
        let object = self.fetch_object(object_id).await?;
        // Only public posts are relayed.
        if !POST_TYPES.contains(&object.kind.as_str()) || !object.audience().any(is_public) {
            return Ok(());
        }
        let Some(author_uri) = object.author().map(str::to_owned) else {
            return Ok(());
        };
        let author = self
            .resolve_actor(&author_uri, false)
            .await
            .map_err(resolve_err)?;
        if !author.is_local() {
            self.store_remote_status(&author, &object, true).await?;
        }
        Ok(())
    }

    pub(super) async fn on_announce(&self, actor: &Account, a: &Activity) -> Result<()> {
        if self.store.status_by_uri(&a.id).await?.is_some() {
            return Ok(());
        }
        if self.is_relay(actor).await? {
            return self.on_relayed(a).await;
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
            uri: Some(a.id.clone()),
            url: Some(a.id.clone()),
            local: false,
            ..Status::reblog(self.ids.next_id(), actor.id, &original, visibility, now)
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
            self.enqueue_notify(
                tx.as_mut(),
                original.account_id,
                actor.id,
                "reblog",
                Some(original.id),
            )
            .await?;
        }
        Ok(tx.commit().await?)
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
