//! Uploads: what a web process does with a file — size and real-type checks, the raw bytes
//! into storage, a row and a `media` job. Processing happens in the queue.

use rookery_api as api;
use rookery_media::{Kind, sniff};
use rookery_model::{Account, Id, MediaAttachment, MediaKind, MediaMeta, MediaPurpose, MediaState};

use super::{ProcessMedia, keys};
use crate::{Result, ServiceError, Services};

/// An uploaded file with what the client said about it.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub description: Option<String>,
    /// `x,y`, each in -1.0..=1.0.
    pub focus: Option<String>,
}

/// `PUT /api/v1/media/:id`.
#[derive(Debug, Clone, Default)]
pub struct MediaUpdate {
    pub description: Option<String>,
    pub focus: Option<String>,
}

/// Largest avatar or header upload (Mastodon's limit).
const ACCOUNT_IMAGE_MAX_BYTES: u64 = 2 * 1024 * 1024;

/// Reads a focal point: `x,y` with both in -1.0..=1.0.
pub(crate) fn parse_focus(text: &str) -> Result<Option<(f64, f64)>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || ServiceError::invalid("focus", "must be two numbers between -1.0 and 1.0: x,y");
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    if !(-1.0..=1.0).contains(&x) || !(-1.0..=1.0).contains(&y) {
        return Err(bad());
    }
    Ok(Some((x, y)))
}

impl Services {
    pub(crate) fn check_description(&self, d: Option<String>) -> Result<Option<String>> {
        let Some(d) = d else { return Ok(None) };
        let limit = self.settings.media.description_limit;
        if d.chars().count() > limit {
            return Err(ServiceError::invalid(
                "description",
                format!("is too long (maximum is {limit} characters)"),
            ));
        }
        if d.contains('\0') {
            return Err(ServiceError::invalid("description", "contains a NUL byte"));
        }
        Ok(Some(d.trim().to_owned()))
    }

    /// Checks a file cheaply (size, real type from its first bytes) and returns the kind it
    /// will become and its declared type.
    fn check_upload(&self, bytes: &[u8], images_only: bool) -> Result<(MediaKind, &'static str)> {
        if bytes.is_empty() {
            return Err(ServiceError::invalid("file", "can't be blank"));
        }
        let sniffed = sniff(bytes).ok_or_else(|| {
            ServiceError::invalid(
                "file",
                "has a type that is not supported (images: JPEG, PNG, GIF, WebP; video: MP4, \
                 WebM, MOV; audio: MP3, Ogg, WAV, FLAC, M4A)",
            )
        })?;
        let media = &self.settings.media;
        let (kind, limit) = match sniffed.kind {
            Kind::Image => (MediaKind::Image, media.image_max_bytes),
            Kind::Gif => (
                MediaKind::Image,
                media.image_max_bytes.max(media.video_max_bytes),
            ),
            Kind::Video => (MediaKind::Video, media.video_max_bytes),
            Kind::Audio => (MediaKind::Audio, media.video_max_bytes),
        };
        if images_only && !matches!(sniffed.kind, Kind::Image | Kind::Gif) {
            return Err(ServiceError::invalid("file", "must be an image"));
        }
        let limit = if images_only {
            limit.min(ACCOUNT_IMAGE_MAX_BYTES)
        } else {
            limit
        };
        if bytes.len() as u64 > limit {
            return Err(ServiceError::invalid(
                "file",
                format!("is too large (the limit is {} MB)", limit / (1024 * 1024)),
            ));
        }
        Ok((kind, sniffed.mime))
    }

    /// Stores the raw file and queues its processing; returns the new row.
    async fn store_upload(
        &self,
        owner: &Account,
        purpose: MediaPurpose,
        upload: Upload,
        images_only: bool,
    ) -> Result<MediaAttachment> {
        let runtime = self.media_runtime()?;
        let description = self.check_description(upload.description)?;
        let focus = match upload.focus.as_deref() {
            Some(f) => parse_focus(f)?,
            None => None,
        };
        let (kind, mime) = self.check_upload(&upload.bytes, images_only)?;
        let id = self.ids.next_id();
        let key = keys::upload(id, self.random.next_u64());
        let size = upload.bytes.len() as i64;
        runtime
            .storage
            .put(&key, upload.bytes, mime)
            .await
            .map_err(|e| ServiceError::Unavailable(format!("storing an upload: {e}")))?;
        let now = self.clock.now();
        let media = MediaAttachment {
            id,
            account_id: owner.id,
            status_id: None,
            purpose,
            kind,
            state: MediaState::Processing,
            content_type: Some(mime.to_owned()),
            file_key: None,
            file_size: size,
            preview_key: None,
            preview_size: 0,
            upload_key: Some(key.clone()),
            remote_url: None,
            preview_remote_url: None,
            description: description.unwrap_or_default(),
            blurhash: None,
            meta: MediaMeta {
                focus,
                ..MediaMeta::default()
            },
            error: None,
            last_used_at: None,
            fetched_at: None,
            created_at: now,
            updated_at: now,
        };
        let written = async {
            let mut tx = self.store.begin().await?;
            tx.insert_media(&media).await?;
            rookery_jobs::enqueue(tx.as_mut(), &self.ids, now, &ProcessMedia { media_id: id })
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        if let Err(e) = written {
            // Nothing points at the raw file: do not leave it behind.
            let _ = runtime.storage.delete(&key).await;
            return Err(e);
        }
        Ok(media)
    }

    /// Waits (up to the configured time) for the `media` queue to finish a file.
    async fn wait_processed(&self, id: Id) -> Result<MediaAttachment> {
        let deadline = std::time::Instant::now()
            + std::time::Duration::from_millis(self.settings.media.upload_wait_ms);
        loop {
            let m = self
                .store
                .media(id)
                .await?
                .ok_or(ServiceError::NotFound("media"))?;
            if m.state != MediaState::Processing || std::time::Instant::now() >= deadline {
                return Ok(m);
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// `POST /api/v2/media` (and v1): the attachment, and whether it is processed already
    /// (200) or still processing (202).
    pub async fn upload_media(
        &self,
        owner: &Account,
        upload: Upload,
    ) -> Result<(api::MediaAttachment, bool)> {
        let media = self
            .store_upload(owner, MediaPurpose::Attachment, upload, false)
            .await?;
        let media = self.wait_processed(media.id).await?;
        if media.state == MediaState::Failed {
            // Known before answering: say so now (like Mastodon), not with a 200 for a file
            // that can never be posted.
            return Err(ServiceError::invalid(
                "file",
                format!(
                    "could not be processed: {}",
                    media.error.as_deref().unwrap_or("unknown error")
                ),
            ));
        }
        Ok((
            self.attachment_entity(&media),
            media.state != MediaState::Processing,
        ))
    }

    /// The caller's own attachment.
    async fn own_media(&self, owner: &Account, id: Id) -> Result<MediaAttachment> {
        self.store
            .media(id)
            .await?
            // Posted attachments change through a status edit (which keeps the history and
            // federates): like Mastodon, they are not found here.
            .filter(|m| {
                m.account_id == owner.id
                    && m.purpose == MediaPurpose::Attachment
                    && m.status_id.is_none()
            })
            .ok_or(ServiceError::NotFound("media"))
    }

    /// `GET /api/v1/media/:id`: the attachment and whether processing is over.
    pub async fn get_media(
        &self,
        owner: &Account,
        id: Id,
    ) -> Result<(api::MediaAttachment, MediaState)> {
        let m = self.own_media(owner, id).await?;
        Ok((self.attachment_entity(&m), m.state))
    }

    /// `PUT /api/v1/media/:id`: alt text and focal point (until the status is posted; after
    /// that, Mastodon changes them through a status edit).
    pub async fn update_media(
        &self,
        owner: &Account,
        id: Id,
        update: MediaUpdate,
    ) -> Result<api::MediaAttachment> {
        let mut m = self.own_media(owner, id).await?;
        if let Some(d) = self.check_description(update.description)? {
            m.description = d;
        }
        if let Some(f) = update.focus.as_deref() {
            m.meta.focus = parse_focus(f)?;
        }
        m.updated_at = self.clock.now();
        // Only these two columns: processing may be finishing the same row right now.
        let mut tx = self.store.begin().await?;
        let changed = tx
            .describe_media(m.id, owner.id, &m.description, m.meta.focus, m.updated_at)
            .await?;
        tx.commit().await?;
        if !changed {
            return Err(ServiceError::NotFound("media"));
        }
        let fresh = self
            .store
            .media(m.id)
            .await?
            .ok_or(ServiceError::NotFound("media"))?;
        Ok(self.attachment_entity(&fresh))
    }

    /// Checks `media_ids` for a new status: at most the instance limit, each the author's own,
    /// processed, and not attached elsewhere nor held by a scheduled status other than
    /// `holder`. Returns them deduplicated, in the given order.
    pub(crate) async fn media_for_status(
        &self,
        owner: &Account,
        ids: &[Id],
        holder: Option<Id>,
    ) -> Result<Vec<Id>> {
        let mut wanted: Vec<Id> = Vec::with_capacity(ids.len());
        for id in ids {
            if !wanted.contains(id) {
                wanted.push(*id);
            }
        }
        let max = self.settings.max_media_attachments as usize;
        if wanted.len() > max {
            return Err(ServiceError::invalid(
                "media_ids",
                format!("can contain at most {max} attachments"),
            ));
        }
        if wanted.is_empty() {
            return Ok(wanted);
        }
        let found = self.store.media_by_ids(&wanted).await?;
        let held = self
            .store
            .scheduled_status_store()
            .held_media(&wanted)
            .await?;
        // Another's, not an attachment, attached already or held by another scheduled
        // status: Mastodon's one answer for all of them.
        let missing: Vec<Id> = wanted
            .iter()
            .filter(|id| {
                let usable = found.iter().any(|m| {
                    m.id == **id
                        && m.account_id == owner.id
                        && m.purpose == MediaPurpose::Attachment
                        && m.status_id.is_none()
                });
                let held_elsewhere = held.iter().any(|(m, by)| m == *id && Some(*by) != holder);
                !usable || held_elsewhere
            })
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(media_not_found(&missing));
        }
        for m in found.iter().filter(|m| wanted.contains(&m.id)) {
            match m.state {
                MediaState::Ready => {}
                MediaState::Processing => {
                    return Err(ServiceError::invalid(
                        "media_ids",
                        "cannot attach files that have not finished processing. Try again in a \
                         moment!",
                    ));
                }
                MediaState::Failed | MediaState::Remote => {
                    return Err(ServiceError::invalid(
                        "media_ids",
                        format!("{} could not be processed", m.id),
                    ));
                }
            }
        }
        Ok(wanted)
    }

    /// A new avatar or header (from `update_credentials`): stored and queued; the account
    /// shows it once processed. Waits for processing like uploads do.
    pub async fn upload_account_image(
        &self,
        owner: &Account,
        purpose: MediaPurpose,
        bytes: Vec<u8>,
    ) -> Result<()> {
        let field = match purpose {
            MediaPurpose::Avatar => "avatar",
            _ => "header",
        };
        let upload = Upload {
            bytes,
            ..Upload::default()
        };
        let media = match self.store_upload(owner, purpose, upload, true).await {
            Err(ServiceError::Invalid { message, .. }) => {
                return Err(ServiceError::Invalid { field, message });
            }
            other => other?,
        };
        let media = self.wait_processed(media.id).await?;
        if media.state == MediaState::Failed {
            return Err(ServiceError::invalid(
                field,
                media
                    .error
                    .unwrap_or_else(|| "could not be processed".to_owned()),
            ));
        }
        Ok(())
    }

    /// Removes an account's avatar or header (back to the default image).
    pub async fn clear_account_image(&self, owner: &Account, purpose: MediaPurpose) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.set_account_image(owner.id, purpose, None, self.clock.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Mastodon's 422 for uploads that are unknown, or attached to (or held for) another post.
pub(crate) fn media_not_found(ids: &[Id]) -> ServiceError {
    let ids: Vec<String> = ids.iter().map(Id::to_string).collect();
    ServiceError::Unprocessable(format!(
        "Media {} not found or already attached to another post",
        ids.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_focus;

    #[test]
    fn focal_points_are_two_numbers_in_range() {
        assert!(matches!(parse_focus("0.5,-0.25"), Ok(Some((x, y))) if x == 0.5 && y == -0.25));
        assert!(matches!(parse_focus(" "), Ok(None)));
        for bad in ["1.5,0", "0", "a,b", "0,0,0", "NaN,0", "inf,0", "-1.01,0"] {
            assert!(parse_focus(bad).is_err(), "{bad}");
        }
    }
}
