//! Announcements: operators write them (`rookery admin announcements …`), users read them
//! (`GET /api/v1/announcements`), dismiss them (marking them read) and react to them with an
//! emoji, as on Mastodon.
//!
//! As Mastodon: every published announcement is listed, oldest first by the time it is about
//! (`starts_at`, else when it was published), dismissed ones included with `read: true`;
//! `starts_at`/`ends_at` are the time of what is announced, shown beside it, not a window in
//! which it is shown. The text is rendered to HTML when shown, like a status: links, hashtags,
//! `@mentions` of accounts known here (never looked up elsewhere) and `:custom_emoji:`.
//!
//! `user` streams hear of announcements published (`announcement`), unpublished or removed
//! (`announcement.delete`) — through a job written with the change, so that a change made from
//! the command line reaches the servers' streams — and of reactions (`announcement.reaction`).

use std::collections::{HashMap, HashSet};

use rookery_api as api;
use rookery_events::{Event, channel, names};
use rookery_model::{Account, CustomEmoji, Id, Timestamp};
use rookery_store::{Announcement, LocalAccount, ReactOutcome, ReactionCount, Transaction};
use serde::{Deserialize, Serialize};

use crate::format::{Token, render, tokenize};
use crate::{Result, ServiceError, Services};

/// Different reactions an announcement may have (Mastodon's `ReactionValidator::LIMIT`).
pub const REACTION_LIMIT: i64 = 8;

/// Tells `user` streams that an announcement was published (`announcement`) or is no longer
/// shown (`announcement.delete`), as it is when the job runs (the `default` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnnouncementChanged {
    pub id: Id,
}

impl rookery_jobs::JobSpec for AnnouncementChanged {
    const KIND: &'static str = "announcement_changed";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Default;
}

/// The payload of `announcement.reaction`, as Mastodon sends it.
#[derive(Debug, Serialize)]
struct ReactionEvent<'a> {
    name: &'a str,
    count: i64,
    announcement_id: String,
}

/// An announcement an operator writes.
#[derive(Debug, Clone, Default)]
pub struct NewAnnouncement {
    /// Plain text.
    pub text: String,
    /// When what is announced begins and ends: both or neither.
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    /// `starts_at`/`ends_at` are whole days.
    pub all_day: bool,
    /// Shown at once (`false`: kept until published).
    pub published: bool,
}

/// The announcements area's use cases.
#[derive(Clone, Copy)]
pub struct Announcements<'a> {
    s: &'a Services,
}

impl Services {
    /// Announcements to everyone on the instance.
    pub fn announcements(&self) -> Announcements<'_> {
        Announcements { s: self }
    }
}

/// Whether `name` is one Unicode emoji (a single one, possibly a sequence joined by ZWJ, with
/// variation selectors, skin tones, keycaps or a flag's tags), as reactions accept.
pub fn is_unicode_emoji(name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    if chars.is_empty() || chars.len() > 16 {
        return false;
    }
    let regional = |c: char| ('\u{1F1E6}'..='\u{1F1FF}').contains(&c);
    if chars.iter().all(|c| regional(*c)) {
        return chars.len() == 2;
    }
    // Keycaps: 0-9, # or * with (optionally) U+FE0F and U+20E3.
    if let [first, rest @ ..] = chars.as_slice()
        && (first.is_ascii_digit() || *first == '#' || *first == '*')
    {
        return matches!(rest, ['\u{20E3}'] | ['\u{FE0F}', '\u{20E3}']);
    }
    let mut want_base = true;
    for c in chars {
        if want_base {
            if !pictographic(c) {
                return false;
            }
            want_base = false;
            continue;
        }
        match c {
            '\u{200D}' => want_base = true,
            '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}' => {}
            '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}' => {}
            _ => return false,
        }
    }
    !want_base
}

/// Code points that are emoji by themselves (Unicode's `Extended_Pictographic` blocks).
fn pictographic(c: char) -> bool {
    matches!(c,
        '\u{00A9}' | '\u{00AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}'
        | '\u{2194}'..='\u{21AA}' | '\u{231A}'..='\u{23FF}' | '\u{24C2}'
        | '\u{25AA}'..='\u{25FE}' | '\u{2600}'..='\u{27BF}' | '\u{2934}' | '\u{2935}'
        | '\u{2B05}'..='\u{2B55}' | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{1F000}'..='\u{1FAFF}')
        && !('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

impl Announcements<'_> {
    /// `rookery admin announcements add`.
    pub async fn add(&self, new: NewAnnouncement) -> Result<Announcement> {
        let text = new.text.trim().to_owned();
        if text.is_empty() {
            return Err(ServiceError::invalid("Text", "can't be blank"));
        }
        match (new.starts_at, new.ends_at) {
            (Some(start), Some(end)) if end < start => {
                return Err(ServiceError::invalid(
                    "Ends at",
                    "must not be before starts at",
                ));
            }
            (Some(_), None) => return Err(ServiceError::invalid("Ends at", "can't be blank")),
            (None, Some(_)) => return Err(ServiceError::invalid("Starts at", "can't be blank")),
            _ => {}
        }
        let now = self.s.clock.now();
        let announcement = Announcement {
            id: self.s.ids.next_id(),
            text,
            published: new.published,
            all_day: new.all_day,
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            published_at: new.published.then_some(now),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.s.store.begin().await?;
        tx.announcements()
            .insert_announcement(&announcement)
            .await?;
        if announcement.published {
            self.enqueue_changed(tx.as_mut(), announcement.id).await?;
        }
        tx.commit().await?;
        Ok(announcement)
    }

    /// `rookery admin announcements list`: all of them, published or not.
    pub async fn list(&self) -> Result<Vec<Announcement>> {
        Ok(self
            .s
            .store
            .announcement_store()
            .announcements(false)
            .await?)
    }

    /// `rookery admin announcements publish` / `unpublish`.
    pub async fn set_published(&self, id: Id, published: bool) -> Result<Announcement> {
        let mut tx = self.s.store.begin().await?;
        if !tx
            .announcements()
            .set_announcement_published(id, published, self.s.clock.now())
            .await?
        {
            return Err(ServiceError::NotFound("announcement"));
        }
        self.enqueue_changed(tx.as_mut(), id).await?;
        tx.commit().await?;
        self.s
            .store
            .announcement_store()
            .announcement(id)
            .await?
            .ok_or(ServiceError::NotFound("announcement"))
    }

    /// `rookery admin announcements remove`: with its dismissals and reactions.
    pub async fn remove(&self, id: Id) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        if !tx.announcements().delete_announcement(id).await? {
            return Err(ServiceError::NotFound("announcement"));
        }
        self.enqueue_changed(tx.as_mut(), id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn enqueue_changed(&self, tx: &mut dyn Transaction, id: Id) -> Result<()> {
        rookery_jobs::enqueue(
            tx,
            &self.s.ids,
            self.s.clock.now(),
            &AnnouncementChanged { id },
        )
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// Runs [`AnnouncementChanged`]: the announcement as everyone sees it when published,
    /// else its removal.
    pub(crate) async fn changed(&self, job: &AnnouncementChanged) -> Result<()> {
        let found = self
            .s
            .store
            .announcement_store()
            .announcement(job.id)
            .await?
            .filter(|a| a.published);
        let event = match found {
            Some(a) => {
                let entity = self
                    .entities(std::slice::from_ref(&a), None)
                    .await?
                    .pop()
                    .ok_or(ServiceError::NotFound("announcement"))?;
                let json = serde_json::to_string(&entity).map_err(|e| {
                    ServiceError::Internal(format!("rendering an announcement: {e}"))
                })?;
                Event::new(names::ANNOUNCEMENT, Some(json))
            }
            None => Event::new(names::ANNOUNCEMENT_DELETE, Some(job.id.to_string())),
        };
        self.s.events.publish(&channel::announcements(), event);
        Ok(())
    }

    /// Tells `user` streams how many reactions `name` has on the announcement now.
    async fn publish_reaction(&self, id: Id, name: &str) -> Result<()> {
        let count = self
            .s
            .store
            .announcement_store()
            .announcement_reactions(&[id], None)
            .await?
            .into_iter()
            .find(|r| r.name == name)
            .map_or(0, |r| r.count);
        let payload = serde_json::to_string(&ReactionEvent {
            name,
            count,
            announcement_id: id.to_string(),
        })
        .map_err(|e| ServiceError::Internal(format!("rendering a reaction: {e}")))?;
        self.s.events.publish(
            &channel::announcements(),
            Event::new(names::ANNOUNCEMENT_REACTION, Some(payload)),
        );
        Ok(())
    }

    /// A published announcement (hidden ones are not found).
    async fn published(&self, id: Id) -> Result<Announcement> {
        self.s
            .store
            .announcement_store()
            .announcement(id)
            .await?
            .filter(|a| a.published)
            .ok_or(ServiceError::NotFound("announcement"))
    }

    /// `GET /api/v1/announcements`: every published announcement, `read` for the viewer.
    pub async fn for_user(&self, viewer: &LocalAccount) -> Result<Vec<api::Announcement>> {
        let store = self.s.store.announcement_store();
        let list = store.announcements(true).await?;
        let ids: Vec<Id> = list.iter().map(|a| a.id).collect();
        let read: HashSet<Id> = store
            .dismissed_announcements(viewer.account.id, &ids)
            .await?
            .into_iter()
            .collect();
        let mut out = self.entities(&list, Some(viewer.account.id)).await?;
        for (entity, a) in out.iter_mut().zip(&list) {
            entity.read = Some(read.contains(&a.id));
        }
        Ok(out)
    }

    /// `POST /api/v1/announcements/:id/dismiss`.
    pub async fn dismiss(&self, viewer: &LocalAccount, id: Id) -> Result<()> {
        self.published(id).await?;
        let mut tx = self.s.store.begin().await?;
        tx.announcements()
            .dismiss_announcement(viewer.account.id, id, self.s.clock.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `PUT /api/v1/announcements/:id/reactions/:name`: a Unicode emoji or a local custom
    /// emoji's shortcode; at most [`REACTION_LIMIT`] different ones on an announcement.
    pub async fn react(&self, viewer: &LocalAccount, id: Id, name: &str) -> Result<()> {
        self.published(id).await?;
        let known = is_unicode_emoji(name)
            || (CustomEmoji::valid_shortcode(name)
                && self
                    .local_emojis(std::slice::from_ref(&name.to_owned()))
                    .await?
                    .contains_key(name));
        if !known {
            return Err(ServiceError::invalid("Name", "is not a recognized emoji"));
        }
        let mut tx = self.s.store.begin().await?;
        let outcome = tx
            .announcements()
            .add_announcement_reaction(
                self.s.ids.next_id(),
                viewer.account.id,
                id,
                name,
                REACTION_LIMIT,
                self.s.clock.now(),
            )
            .await?;
        if outcome == ReactOutcome::LimitReached {
            return Err(ServiceError::Conflict(
                "Maximum number of different reactions reached".to_owned(),
            ));
        }
        tx.commit().await?;
        self.publish_reaction(id, name).await
    }

    /// `DELETE /api/v1/announcements/:id/reactions/:name`: not found if the viewer has no
    /// such reaction.
    pub async fn unreact(&self, viewer: &LocalAccount, id: Id, name: &str) -> Result<()> {
        self.published(id).await?;
        let mut tx = self.s.store.begin().await?;
        if !tx
            .announcements()
            .remove_announcement_reaction(viewer.account.id, id, name)
            .await?
        {
            return Err(ServiceError::NotFound("reaction"));
        }
        tx.commit().await?;
        self.publish_reaction(id, name).await
    }

    /// Local custom emoji with images, by shortcode.
    async fn local_emojis(&self, codes: &[String]) -> Result<HashMap<String, CustomEmoji>> {
        let codes: Vec<String> = codes
            .iter()
            .filter(|c| CustomEmoji::valid_shortcode(c))
            .cloned()
            .collect();
        if codes.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self
            .s
            .store
            .custom_emojis(None, &codes)
            .await?
            .into_iter()
            .filter(|e| e.image_key.is_some())
            .map(|e| (e.shortcode.clone(), e))
            .collect())
    }

    /// The accounts `@mentioned` in a text that are known here, keyed as [`mention_key`] keys
    /// them. Never asks other servers.
    async fn mentioned(&self, tokens: &[Token]) -> Result<HashMap<String, Account>> {
        let mut out = HashMap::new();
        for t in tokens {
            let Token::Mention { user, domain } = t else {
                continue;
            };
            let key = self.mention_key(user, domain.as_deref());
            if out.contains_key(&key) || out.len() >= 50 {
                continue;
            }
            let found = match domain
                .as_deref()
                .filter(|d| !d.eq_ignore_ascii_case(self.s.settings.domain.as_str()))
            {
                None => self
                    .s
                    .store
                    .local_account_by_username(user)
                    .await?
                    .map(|l| l.account),
                Some(d) => self.s.store.remote_account(user, d).await?,
            };
            if let Some(a) = found.filter(|a| a.suspended_at.is_none()) {
                out.insert(key, a);
            }
        }
        Ok(out)
    }

    fn mention_key(&self, user: &str, domain: Option<&str>) -> String {
        match domain.filter(|d| !d.eq_ignore_ascii_case(self.s.settings.domain.as_str())) {
            None => user.to_ascii_lowercase(),
            Some(d) => format!("{user}@{d}").to_ascii_lowercase(),
        }
    }

    /// Announcements as clients get them (`read` left out); reactions' `me` for `viewer`.
    async fn entities(
        &self,
        list: &[Announcement],
        viewer: Option<Id>,
    ) -> Result<Vec<api::Announcement>> {
        let ids: Vec<Id> = list.iter().map(|a| a.id).collect();
        let reactions = self
            .s
            .store
            .announcement_store()
            .announcement_reactions(&ids, viewer)
            .await?;
        let mut codes: Vec<String> = reactions.iter().map(|r| r.name.clone()).collect();
        for a in list {
            codes.extend(crate::media::shortcodes_in(&a.text));
        }
        codes.sort();
        codes.dedup();
        let emojis = self.local_emojis(&codes).await?;
        let mut by_announcement: HashMap<Id, Vec<&ReactionCount>> = HashMap::new();
        for r in &reactions {
            by_announcement
                .entry(r.announcement_id)
                .or_default()
                .push(r);
        }
        let mut out = Vec::with_capacity(list.len());
        for a in list {
            let reactions = by_announcement.remove(&a.id).unwrap_or_default();
            out.push(
                self.entity(a, &reactions, &emojis, viewer.is_some())
                    .await?,
            );
        }
        Ok(out)
    }

    async fn entity(
        &self,
        a: &Announcement,
        reactions: &[&ReactionCount],
        emojis: &HashMap<String, CustomEmoji>,
        with_viewer: bool,
    ) -> Result<api::Announcement> {
        let tokens = tokenize(&a.text);
        let mentioned = self.mentioned(&tokens).await?;
        let base = self.s.urls.base();
        let content = render(
            &tokens,
            |tag| format!("{base}/tags/{}", tag.to_lowercase()),
            |user, domain| {
                mentioned
                    .get(&self.mention_key(user, domain))
                    .map(|m| (self.s.account_entity(m).url, m.username.as_str().to_owned()))
            },
        );
        let mut mentions: Vec<&Account> = mentioned.values().collect();
        mentions.sort_by_key(|m| m.id);
        let mut tags: Vec<String> = Vec::new();
        for t in &tokens {
            if let Token::Tag(t) = t {
                let t = t.to_lowercase();
                if !tags.contains(&t) {
                    tags.push(t);
                }
            }
        }
        let mut text_emojis: Vec<api::CustomEmoji> = crate::media::shortcodes_in(&a.text)
            .iter()
            .filter_map(|c| emojis.get(c))
            .map(|e| self.s.emoji_entity(e))
            .collect();
        text_emojis.sort_by(|x, y| x.shortcode.cmp(&y.shortcode));
        Ok(api::Announcement {
            id: a.id.to_string(),
            content,
            starts_at: a.starts_at.map(Timestamp::to_rfc3339),
            ends_at: a.ends_at.map(Timestamp::to_rfc3339),
            all_day: a.all_day,
            published_at: a.published_at.unwrap_or(a.created_at).to_rfc3339(),
            updated_at: a.updated_at.to_rfc3339(),
            read: None,
            mentions: mentions
                .into_iter()
                .map(|m| api::AnnouncementAccount {
                    id: m.id.to_string(),
                    username: m.username.to_string(),
                    url: self.s.account_entity(m).url,
                    acct: m.acct(),
                })
                .collect(),
            statuses: Vec::new(),
            tags: tags
                .into_iter()
                .map(|t| api::StatusTag {
                    url: format!("{base}/tags/{t}"),
                    name: t,
                })
                .collect(),
            emojis: text_emojis,
            reactions: reactions
                .iter()
                .map(|r| {
                    let custom = emojis.get(&r.name).map(|e| self.s.emoji_entity(e));
                    api::Reaction {
                        name: r.name.clone(),
                        count: r.count,
                        me: with_viewer.then_some(r.me),
                        url: custom.as_ref().map(|e| e.url.clone()),
                        static_url: custom.map(|e| e.static_url),
                    }
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_unicode_emoji;

    #[test]
    fn unicode_emoji_are_recognised() {
        for ok in [
            "🤔",
            "👍",
            "👍🏽",
            "❤️",
            "❤",
            "🇫🇷",
            "1️⃣",
            "#⃣",
            "👩‍💻",
            "🏳️‍🌈",
            "👨‍👩‍👧‍👦",
            "☕",
        ] {
            assert!(is_unicode_emoji(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "ab",
            ":blobcat:",
            "🤔🤔x",
            "1",
            "🇫",
            "🇫🇷🇩",
            "👍 ",
            "<b>",
            "🏽",
            "‍👍",
        ] {
            assert!(!is_unicode_emoji(bad), "{bad:?}");
        }
    }
}
