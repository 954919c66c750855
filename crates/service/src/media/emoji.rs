//! Custom emoji of other servers: remembered from the `Emoji` tags of posts and profiles, their
//! images copied like avatars, shown in statuses' `emojis`.

use std::collections::{BTreeSet, HashMap};

use rookery_activitypub::vocab::Tag;
use rookery_api as api;
use rookery_jobs::{JobError, JobSpec, Queue};
use rookery_model::{
    Account, CustomEmoji, Id, MediaAttachment, MediaKind, MediaPurpose, MediaState,
};
use serde::{Deserialize, Serialize};

use super::RemoteMediaPolicy;
use crate::{Result, ServiceError, Services};

/// Copies a remote custom emoji's image here (the `pull` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CacheEmoji {
    pub emoji_id: Id,
    /// The account whose post or profile carried it (owner of the copy).
    pub account_id: Id,
}

impl JobSpec for CacheEmoji {
    const KIND: &'static str = "cache_emoji";
    const QUEUE: Queue = Queue::Pull;
    fn unique_key(&self) -> Option<String> {
        Some(format!("cache_emoji:{}", self.emoji_id))
    }
}

/// Most emoji read from one post or profile.
const MAX_EMOJI: usize = 50;

/// A shortcode as Mastodon allows them: letters, digits, `_`, at least two.
fn valid_shortcode(s: &str) -> bool {
    CustomEmoji::valid_shortcode(s)
}

/// The `:shortcode:` candidates in a text, deduplicated: colons not touching letters, digits
/// or other colons (so `10:30:00` is no emoji). Linear in the text.
pub(crate) fn shortcodes_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < b.len() && out.len() < MAX_EMOJI {
        let opens =
            b[i] == b':' && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b':'));
        if opens {
            let mut j = i + 1;
            while j < b.len() && j - i <= 65 && word(b[j]) {
                j += 1;
            }
            let closes = j < b.len()
                && b[j] == b':'
                && (j + 1 == b.len() || !(b[j + 1].is_ascii_alphanumeric() || b[j + 1] == b':'));
            if closes && valid_shortcode(&text[i + 1..j]) {
                out.insert(text[i + 1..j].to_owned());
                i = j + 1;
                continue;
            }
            // Nothing closes before `j`: no shortcode can start inside the run.
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    out.into_iter().collect()
}

impl Services {
    /// Remembers the custom emoji among `tags` of `author`'s post or profile, and queues copies
    /// of their images when copies are made on receipt.
    pub(crate) async fn remember_emojis<'t>(
        &self,
        author: &Account,
        tags: impl Iterator<Item = &'t Tag>,
    ) -> Result<()> {
        let Some(domain) = author.domain.as_ref().map(ToString::to_string) else {
            return Ok(());
        };
        let found: Vec<(String, String, Option<String>)> = tags
            .filter_map(|t| match t {
                Tag::Emoji { name, url, id } => {
                    let code = name.trim_matches(':');
                    (valid_shortcode(code) && super::remote::web_url(url))
                        .then(|| (code.to_owned(), url.clone(), id.clone()))
                }
                _ => None,
            })
            .take(MAX_EMOJI)
            .collect();
        if found.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut to_copy = Vec::new();
        for (shortcode, url, uri) in found {
            let stored = tx
                .upsert_custom_emoji(&CustomEmoji {
                    id: self.ids.next_id(),
                    shortcode,
                    domain: Some(domain.clone()),
                    uri: uri.filter(|u| u.len() <= 2048),
                    image_remote_url: Some(url),
                    image_key: None,
                    static_key: None,
                    category: None,
                    visible_in_picker: false,
                    created_at: now,
                    updated_at: now,
                })
                .await?;
            if stored.image_key.is_none() {
                to_copy.push(stored.id);
            }
        }
        // Emoji are small and shown everywhere: copied on receipt unless caching is off.
        if self.settings.media.remote_policy != RemoteMediaPolicy::Never && self.media.is_some() {
            for emoji_id in to_copy {
                let job = CacheEmoji {
                    emoji_id,
                    account_id: author.id,
                };
                rookery_jobs::enqueue(tx.as_mut(), &self.ids, now, &job)
                    .await
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The `cache_emoji` job.
    pub(crate) async fn cache_emoji(&self, job: &CacheEmoji) -> std::result::Result<(), JobError> {
        let retry = |e: ServiceError| JobError::Retry(e.to_string());
        let Some(emoji) = self
            .store
            .custom_emoji(job.emoji_id)
            .await
            .map_err(|e| retry(e.into()))?
        else {
            return Ok(());
        };
        let Some(url) = emoji.image_remote_url.clone() else {
            return Ok(());
        };
        if emoji.image_key.is_some() {
            return Ok(());
        }
        let Some(author) = self
            .store
            .account(job.account_id)
            .await
            .map_err(|e| retry(e.into()))?
        else {
            return Ok(());
        };
        if !self.copies_allowed(&author).await {
            return Ok(());
        }
        let existing = self
            .store
            .remote_media_by_url(job.account_id, MediaPurpose::Emoji, &url)
            .await
            .map_err(|e| retry(e.into()))?;
        if let Some(m) = &existing {
            match m.state {
                MediaState::Processing => return Ok(()),
                MediaState::Ready => {
                    let mut tx = self.store.begin().await.map_err(|e| retry(e.into()))?;
                    tx.set_emoji_media(&url, m.id)
                        .await
                        .map_err(|e| retry(e.into()))?;
                    return tx.commit().await.map_err(|e| retry(e.into()));
                }
                _ if self.failed_lately(m) => return Ok(()),
                MediaState::Failed | MediaState::Remote => {}
            }
        }
        if let Some(c) = self.media_counters() {
            super::MediaCounters::bump(&c.cache_misses);
        }
        let exists = existing.is_some();
        let media = existing.unwrap_or_else(|| {
            MediaAttachment::remote(
                self.ids.next_id(),
                job.account_id,
                MediaPurpose::Emoji,
                MediaKind::Image,
                url.clone(),
                self.clock.now(),
            )
        });
        self.copy_remote(media, exists).await
    }

    /// The CustomEmoji entity: the copy when there is one, else the origin's image. Only
    /// this instance's emoji can be picked.
    pub(crate) fn emoji_entity(&self, e: &CustomEmoji) -> api::CustomEmoji {
        let url = match (&e.image_key, &e.image_remote_url) {
            (Some(k), _) => self.media_url(k),
            (None, Some(u)) => u.clone(),
            (None, None) => String::new(),
        };
        let static_url = e
            .static_key
            .as_deref()
            .map_or_else(|| url.clone(), |k| self.media_url(k));
        api::CustomEmoji {
            shortcode: e.shortcode.clone(),
            static_url,
            url,
            visible_in_picker: e.domain.is_none() && e.visible_in_picker,
            category: e.category.clone(),
        }
    }

    /// Account entities with the custom emoji of their names, bios and fields (one query per
    /// domain, none when no text holds a shortcode).
    pub async fn account_entities(&self, accounts: &[&Account]) -> Result<Vec<api::Account>> {
        let texts: Vec<(Option<String>, String)> = accounts
            .iter()
            .map(|a| {
                let mut text = format!("{} {}", a.display_name, a.note);
                for f in &a.fields {
                    text.push(' ');
                    text.push_str(&f.name);
                    text.push(' ');
                    text.push_str(&f.value);
                }
                (a.domain.as_ref().map(ToString::to_string), text)
            })
            .collect();
        let emojis = self.emojis_in(&texts).await?;
        let mut entities: Vec<api::Account> = accounts
            .iter()
            .zip(emojis)
            .map(|(a, emojis)| api::Account {
                emojis,
                ..self.account_entity(a)
            })
            .collect();
        // Moved accounts show where to (one look-up each; moves are rare).
        for (a, entity) in accounts.iter().zip(entities.iter_mut()) {
            if let Some(to) = a.profile.moved_to_account_id
                && let Some(target) = self.store.account(to).await?
                && target.suspended_at.is_none()
            {
                entity.moved = Some(Box::new(self.account_entity(&target)));
            }
        }
        Ok(entities)
    }

    /// The Account entity with the custom emoji of its name, bio and fields.
    pub async fn account_entity_with_emojis(&self, account: &Account) -> Result<api::Account> {
        self.account_entities(&[account])
            .await?
            .pop()
            .ok_or_else(|| ServiceError::Internal("an account was not rendered".into()))
    }

    /// Account entities of a page of rows, each with the id that pages it.
    pub(crate) async fn paged_account_entities(
        &self,
        rows: Vec<(Id, Account)>,
    ) -> Result<Vec<(String, api::Account)>> {
        let accounts: Vec<&Account> = rows.iter().map(|(_, a)| a).collect();
        let entities = self.account_entities(&accounts).await?;
        Ok(rows
            .iter()
            .zip(entities)
            .map(|((id, _), e)| (id.to_string(), e))
            .collect())
    }

    /// The emoji of each `(domain, text)` — one query per domain.
    pub(crate) async fn emojis_in(
        &self,
        texts: &[(Option<String>, String)],
    ) -> Result<Vec<Vec<api::CustomEmoji>>> {
        let mut wanted: HashMap<Option<String>, BTreeSet<String>> = HashMap::new();
        let codes: Vec<Vec<String>> = texts
            .iter()
            .map(|(domain, text)| {
                let codes = shortcodes_in(text);
                if !codes.is_empty() {
                    wanted
                        .entry(domain.clone())
                        .or_default()
                        .extend(codes.iter().cloned());
                }
                codes
            })
            .collect();
        let mut known: HashMap<(Option<String>, String), CustomEmoji> = HashMap::new();
        for (domain, set) in wanted {
            let list: Vec<String> = set.into_iter().collect();
            for e in self.store.custom_emojis(domain.as_deref(), &list).await? {
                known.insert((domain.clone(), e.shortcode.clone()), e);
            }
        }
        Ok(texts
            .iter()
            .zip(codes)
            .map(|((domain, _), codes)| {
                codes
                    .iter()
                    .filter_map(|c| known.get(&(domain.clone(), c.clone())))
                    .map(|e| self.emoji_entity(e))
                    .collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::shortcodes_in;

    #[test]
    fn shortcodes_are_found_between_colons() {
        assert_eq!(
            shortcodes_in("<p>hi :blobcat: and :blob_fox:, at 10:30:00 :a: :x y: ::no::</p>"),
            vec!["blob_fox".to_owned(), "blobcat".to_owned()]
        );
        assert!(shortcodes_in("no emoji here").is_empty());
        assert!(shortcodes_in(":::::").is_empty());
        assert_eq!(shortcodes_in(&" :ab:".repeat(10_000)).len(), 1);
        assert!(shortcodes_in(&":".repeat(100_000)).is_empty());
        assert!(shortcodes_in(&format!(" :{}", "a".repeat(100_000))).is_empty());
    }
}
