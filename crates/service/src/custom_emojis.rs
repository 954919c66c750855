//! This instance's custom emoji: added, listed, recategorised and removed by operators
//! (`rookery admin emoji …`), offered to apps (`GET /api/v1/custom_emojis`), shown in the
//! `emojis` of local statuses and accounts, and published to other servers as the `Emoji` tags
//! of posts and actors, each answering at its id (`/emojis/:id`).
//!
//! Images are checked and processed like avatars (real type from the first bytes, pixel limits
//! before decoding, re-encoded without metadata, 256×256 worth of pixels at most), at most
//! 256 KiB as Mastodon allows. An animated GIF is kept as uploaded, with a still copy for
//! `static_url`.

use rookery_activitypub::outgoing::{EmojiIcon, EmojiTag, emoji_context};
use rookery_api as api;
use rookery_media::{Kind, sniff};
use rookery_model::{CustomEmoji, Id, MediaPurpose};
use rookery_store::NewLocalEmoji;

use crate::media::keys;
use crate::{Result, ServiceError, Services};

/// Largest image accepted (Mastodon's `MAX_EMOJI_SIZE`).
pub const MAX_IMAGE_BYTES: usize = 256 * 1024;
/// Longest category name.
const MAX_CATEGORY_CHARS: usize = 64;

/// A custom emoji an operator adds.
#[derive(Debug, Clone)]
pub struct NewEmoji {
    /// With or without the surrounding colons.
    pub shortcode: String,
    /// A PNG, GIF or WebP file.
    pub image: Vec<u8>,
    pub category: Option<String>,
    /// `false`: unlisted (not offered by pickers, still shown where its shortcode is typed).
    pub visible_in_picker: bool,
}

/// The local custom emoji area's use cases.
#[derive(Clone, Copy)]
pub struct CustomEmojis<'a> {
    s: &'a Services,
}

impl Services {
    /// This instance's custom emoji.
    pub fn custom_emojis(&self) -> CustomEmojis<'_> {
        CustomEmojis { s: self }
    }

    /// The ActivityPub id of a local emoji.
    fn emoji_uri(&self, id: Id) -> String {
        format!("{}/emojis/{id}", self.urls.base())
    }

    /// A local emoji as Mastodon publishes it (`None` without an image).
    fn emoji_tag(&self, e: &CustomEmoji) -> Option<EmojiTag> {
        let key = e.image_key.as_deref()?;
        Some(EmojiTag {
            context: None,
            id: self.emoji_uri(e.id),
            kind: "Emoji",
            name: format!(":{}:", e.shortcode),
            icon: EmojiIcon {
                kind: "Image",
                media_type: crate::media::mime_of_key(key).to_owned(),
                url: self.media_url(key),
            },
            updated: e.updated_at.to_rfc3339(),
        })
    }

    /// The `Emoji` tags for the local emoji typed in `texts` (a local post or profile).
    pub(crate) async fn local_emoji_tags(&self, texts: &[&str]) -> Result<Vec<EmojiTag>> {
        let codes = crate::media::shortcodes_in(&texts.join(" "));
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .custom_emojis(None, &codes)
            .await?
            .iter()
            .filter_map(|e| self.emoji_tag(e))
            .collect())
    }

    /// The actor document of a local account, with the `Emoji` tags of its name, bio and
    /// fields.
    pub(crate) async fn local_actor_document(
        &self,
        account: &rookery_model::Account,
    ) -> Result<rookery_activitypub::actor::Actor> {
        let mut actor = crate::render::local_actor(account, &self.urls);
        if let Some(to) = account.profile.moved_to_account_id
            && let Some(target) = self.store.account(to).await?
        {
            actor.moved_to = Some(self.actor_url(&target));
        }
        let mut texts: Vec<&str> = vec![&account.display_name, &account.note];
        for f in &account.fields {
            texts.push(&f.name);
            texts.push(&f.value);
        }
        for tag in self.local_emoji_tags(&texts).await? {
            actor.tag.push(
                serde_json::to_value(tag)
                    .map_err(|e| ServiceError::Internal(format!("rendering an emoji: {e}")))?,
            );
        }
        Ok(actor)
    }
}

/// A shortcode as typed (`:blob_cat:` or `blob_cat`), checked as Mastodon checks them.
fn shortcode(raw: &str) -> Result<String> {
    let code = raw.trim();
    let code = code
        .strip_prefix(':')
        .and_then(|c| c.strip_suffix(':'))
        .unwrap_or(code);
    if CustomEmoji::valid_shortcode(code) {
        Ok(code.to_owned())
    } else {
        Err(ServiceError::invalid(
            "shortcode",
            format!("{raw:?} is not valid: use 2 to 64 letters (a-z, A-Z), digits and underscores"),
        ))
    }
}

/// A category as typed: trimmed, blank meaning none.
fn category(raw: Option<&str>) -> Result<Option<String>> {
    let Some(c) = raw.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if c.chars().count() > MAX_CATEGORY_CHARS || c.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            "category",
            format!("must be at most {MAX_CATEGORY_CHARS} characters, on one line"),
        ));
    }
    Ok(Some(c.to_owned()))
}

/// What storing an emoji's image produced.
struct StoredImage {
    file_key: String,
    static_key: Option<String>,
    bytes: i64,
}

impl CustomEmojis<'_> {
    /// The URL an emoji's image is served at.
    pub fn image_url(&self, e: &CustomEmoji) -> Option<String> {
        e.image_key.as_deref().map(|k| self.s.media_url(k))
    }

    /// Checks and processes an image and stores what clients get.
    async fn store_image(&self, id: Id, image: Vec<u8>) -> Result<StoredImage> {
        let runtime = self.s.media_runtime()?;
        if image.is_empty() {
            return Err(ServiceError::invalid("image", "is empty"));
        }
        if image.len() > MAX_IMAGE_BYTES {
            return Err(ServiceError::invalid(
                "image",
                format!(
                    "is too large: {} KiB, the limit is {} KiB",
                    image.len().div_ceil(1024),
                    MAX_IMAGE_BYTES / 1024
                ),
            ));
        }
        let sniffed = sniff(&image)
            .filter(|s| matches!(s.mime, "image/png" | "image/gif" | "image/webp"))
            .ok_or_else(|| ServiceError::invalid("image", "must be a PNG, GIF or WebP image"))?;
        let animated = sniffed.kind == Kind::Gif && rookery_media::gif_is_animated(&image);
        let opts = self.s.image_options(MediaPurpose::Emoji);
        let (processed, image) = tokio::task::spawn_blocking(move || {
            (rookery_media::process_image(&image, &opts), image)
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("processing an emoji: {e}")))?;
        let still = processed
            .map_err(|e| ServiceError::invalid("image", format!("could not be processed: {e}")))?
            .original;
        let put = |key: String, body: Vec<u8>, mime: &'static str| async move {
            runtime
                .storage
                .put(&key, body, mime)
                .await
                .map_err(|e| ServiceError::Unavailable(format!("storing an emoji image: {e}")))
                .map(|()| key)
        };
        let still_size = still.bytes.len() as i64;
        if animated {
            // Clients animate the original and show the still copy where motion is unwanted.
            let size = image.len() as i64 + still_size;
            let file_key = put(keys::original(id, false, "gif"), image, "image/gif").await?;
            let static_key = match put(keys::still(id, still.ext), still.bytes, still.mime).await {
                Ok(k) => k,
                Err(e) => {
                    let _ = runtime.storage.delete(&file_key).await;
                    return Err(e);
                }
            };
            return Ok(StoredImage {
                file_key,
                static_key: Some(static_key),
                bytes: size,
            });
        }
        let file_key = put(
            keys::original(id, false, still.ext),
            still.bytes,
            still.mime,
        )
        .await?;
        Ok(StoredImage {
            file_key,
            static_key: None,
            bytes: still_size,
        })
    }

    /// Deletes an emoji's files (after its row is gone, or when it could not be recorded).
    async fn delete_files(&self, e: &CustomEmoji) {
        let Ok(runtime) = self.s.media_runtime() else {
            return;
        };
        for key in [&e.image_key, &e.static_key].into_iter().flatten() {
            if let Err(err) = runtime.storage.delete(key).await {
                tracing::warn!(%key, error = %err, "emoji image not deleted");
            }
        }
    }

    /// `rookery admin emoji add`: a new local emoji. A shortcode already used is refused.
    pub async fn add(&self, new: NewEmoji) -> Result<CustomEmoji> {
        let code = shortcode(&new.shortcode)?;
        let category = category(new.category.as_deref())?;
        let taken = || ServiceError::Conflict(format!("the shortcode :{code}: is already taken"));
        if !self
            .s
            .store
            .custom_emojis(None, std::slice::from_ref(&code))
            .await?
            .is_empty()
        {
            return Err(taken());
        }
        let id = self.s.ids.next_id();
        let stored = self.store_image(id, new.image).await?;
        let now = self.s.clock.now();
        let emoji = CustomEmoji {
            id,
            shortcode: code.clone(),
            domain: None,
            uri: None,
            image_remote_url: None,
            image_key: Some(stored.file_key),
            static_key: stored.static_key,
            category,
            visible_in_picker: new.visible_in_picker,
            created_at: now,
            updated_at: now,
        };
        let recorded = async {
            let mut tx = self.s.store.begin().await?;
            let inserted = tx
                .custom_emojis()
                .insert_local_emoji(&NewLocalEmoji {
                    emoji: emoji.clone(),
                    file_size: stored.bytes,
                })
                .await?;
            if inserted {
                tx.commit().await?;
            }
            Ok::<_, ServiceError>(inserted)
        }
        .await;
        match recorded {
            Ok(true) => Ok(emoji),
            Ok(false) => {
                self.delete_files(&emoji).await;
                Err(taken())
            }
            Err(e) => {
                self.delete_files(&emoji).await;
                Err(e)
            }
        }
    }

    /// `rookery admin emoji list`: every local emoji, by shortcode.
    pub async fn list(&self) -> Result<Vec<CustomEmoji>> {
        Ok(self
            .s
            .store
            .custom_emoji_store()
            .local_emojis(false)
            .await?)
    }

    /// `rookery admin emoji remove`: the emoji goes (posts using it show its shortcode again)
    /// and so do its files.
    pub async fn remove(&self, raw: &str) -> Result<CustomEmoji> {
        let code = shortcode(raw)?;
        let mut tx = self.s.store.begin().await?;
        let removed = tx
            .custom_emojis()
            .delete_local_emoji(&code)
            .await?
            .ok_or(ServiceError::NotFound("custom emoji"))?;
        tx.commit().await?;
        self.delete_files(&removed).await;
        Ok(removed)
    }

    /// `rookery admin emoji category`: sets (or, with `None`, clears) the picker category.
    pub async fn set_category(&self, raw: &str, to: Option<&str>) -> Result<CustomEmoji> {
        let code = shortcode(raw)?;
        let category = category(to)?;
        let mut tx = self.s.store.begin().await?;
        if !tx
            .custom_emojis()
            .set_local_emoji_category(&code, category.as_deref(), self.s.clock.now())
            .await?
        {
            return Err(ServiceError::NotFound("custom emoji"));
        }
        tx.commit().await?;
        self.s
            .store
            .custom_emojis(None, std::slice::from_ref(&code))
            .await?
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound("custom emoji"))
    }

    /// `GET /api/v1/custom_emojis`: the emoji pickers offer (unlisted ones are left out, as
    /// Mastodon leaves them out), by shortcode.
    pub async fn picker(&self) -> Result<Vec<api::CustomEmoji>> {
        Ok(self
            .s
            .store
            .custom_emoji_store()
            .local_emojis(true)
            .await?
            .iter()
            .map(|e| self.s.emoji_entity(e))
            .collect())
    }

    /// `GET /emojis/:id`: a local emoji as ActivityPub (what its `Emoji` tags point at).
    pub async fn ap_emoji(&self, id: Id) -> Result<EmojiTag> {
        let mut tag = self
            .s
            .store
            .custom_emoji(id)
            .await?
            .filter(|e| e.domain.is_none())
            .and_then(|e| self.s.emoji_tag(&e))
            .ok_or(ServiceError::NotFound("custom emoji"))?;
        tag.context = Some(emoji_context());
        Ok(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcodes_are_checked_as_mastodon_does() {
        assert_eq!(shortcode(" :blob_cat: ").unwrap(), "blob_cat");
        assert_eq!(shortcode("Ab9").unwrap(), "Ab9");
        for bad in [
            "a",
            ":a:",
            "blob-cat",
            "blob cat",
            "ünï",
            "",
            "::",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(
                    shortcode(bad),
                    Err(ServiceError::Invalid {
                        field: "shortcode",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn categories_are_one_short_line() {
        assert_eq!(category(Some(" Blobs ")).unwrap().as_deref(), Some("Blobs"));
        assert_eq!(category(Some("  ")).unwrap(), None);
        assert_eq!(category(None).unwrap(), None);
        assert!(category(Some("a\nb")).is_err());
        assert!(category(Some(&"x".repeat(65))).is_err());
    }
}
