//! The unit of work: writes (and the reads they depend on) that commit together, with each
//! area's writes reached through it.

use async_trait::async_trait;
use rookery_model::{
    Account, CustomEmoji, Id, MediaAttachment, MediaPurpose, Role, Status, Timestamp, User,
};

use crate::{
    AccountDeletionTx, AnnouncementTx, AuditLogTx, ConversationTx, CustomEmojiTx, DeliveryHost,
    EndorsementTx, ExportTx, FeaturedTagTx, FilterTx, Follow, ImportTx, Interaction, InviteTx,
    ListTx, NewJob, NewRestriction, NotificationEmailTx, NotificationRequestTx, NotificationTx,
    OAuthTx, PollTx, PreviewCardTx, Restriction, Result, ScheduledStatusTx, SignInTx, StatusEdit,
    SuggestionTx, TagTx, UserDomainBlockTx, UserSettingsTx, UserTokenTx, WebhookTx, trends,
};

/// Writes (and the reads they depend on) that commit together or not at all.
/// Dropping a transaction without [`Transaction::commit`] rolls it back.
#[async_trait]
pub trait Transaction: Send {
    /// The notifications area's writes, in this transaction.
    fn notifications(&mut self) -> &mut dyn NotificationTx;

    /// Notification policies and requests, in this transaction.
    fn notification_requests(&mut self) -> &mut dyn NotificationRequestTx;

    /// Filters, in this transaction.
    fn filters(&mut self) -> &mut dyn FilterTx;

    /// Polls and votes, in this transaction.
    fn polls(&mut self) -> &mut dyn PollTx;

    /// Statuses scheduled for later, in this transaction.
    fn scheduled_statuses(&mut self) -> &mut dyn ScheduledStatusTx;

    /// Preview cards, in this transaction.
    fn preview_cards(&mut self) -> &mut dyn PreviewCardTx;

    /// Hashtags, in this transaction.
    fn tags(&mut self) -> &mut dyn TagTx;

    /// Featured hashtags, in this transaction.
    fn featured_tags(&mut self) -> &mut dyn FeaturedTagTx;

    /// This instance's custom emoji, in this transaction.
    fn custom_emojis(&mut self) -> &mut dyn CustomEmojiTx;

    /// Announcements, in this transaction.
    fn announcements(&mut self) -> &mut dyn AnnouncementTx;

    /// One-time mailed links and account security, in this transaction.
    fn user_tokens(&mut self) -> &mut dyn UserTokenTx;

    /// Web sessions and second factors, in this transaction.
    fn sign_in(&mut self) -> &mut dyn SignInTx;

    /// Accounts their owners deleted, in this transaction.
    fn account_deletion(&mut self) -> &mut dyn AccountDeletionTx;

    /// Imports of CSV files, in this transaction.
    fn imports(&mut self) -> &mut dyn ImportTx;

    /// Invite links, in this transaction.
    fn invites(&mut self) -> &mut dyn InviteTx;

    /// Reports, in this transaction.
    fn reports(&mut self) -> &mut dyn crate::ReportTx;

    /// The audit log, in this transaction.
    fn audit_log(&mut self) -> &mut dyn AuditLogTx;

    /// Webhooks, in this transaction.
    fn webhooks(&mut self) -> &mut dyn WebhookTx;

    /// Moderation actions on accounts, in this transaction.
    fn account_moderation(&mut self) -> &mut dyn crate::AccountModerationTx;

    /// Appeals of warnings, in this transaction.
    fn appeals(&mut self) -> &mut dyn crate::AppealTx;

    /// Severed relationships, in this transaction.
    fn severances(&mut self) -> &mut dyn crate::SeveranceTx;

    /// Thread links made after the fact, in this transaction.
    fn threads(&mut self) -> &mut dyn crate::ThreadTx;

    /// Remote accounts' counts as their servers publish them, in this transaction.
    fn remote_counts(&mut self) -> &mut dyn crate::RemoteCountsTx;

    /// Aliases and account moves, in this transaction.
    fn account_moves(&mut self) -> &mut dyn crate::AccountMovesTx;

    /// Relays, in this transaction.
    fn relays(&mut self) -> &mut dyn crate::RelayTx;

    /// Quotes, in this transaction.
    fn quotes(&mut self) -> &mut dyn crate::QuoteTx;

    /// Server-wide moderation policy, in this transaction.
    fn server_policy(&mut self) -> &mut dyn crate::ServerPolicyTx;

    /// The server's rules, in this transaction.
    fn rules(&mut self) -> &mut dyn crate::RuleTx;

    /// Notification e-mail settings, in this transaction.
    fn notification_emails(&mut self) -> &mut dyn NotificationEmailTx;

    /// Account archives, in this transaction.
    fn export(&mut self) -> &mut dyn ExportTx;

    /// OAuth applications and tokens, in this transaction.
    fn oauth(&mut self) -> &mut dyn OAuthTx;

    /// Endorsements and notes, in this transaction.
    fn endorsements(&mut self) -> &mut dyn EndorsementTx;

    /// Domains users block, in this transaction.
    fn user_domain_blocks(&mut self) -> &mut dyn UserDomainBlockTx;

    /// Follow suggestions, in this transaction.
    fn suggestions(&mut self) -> &mut dyn SuggestionTx;

    /// A user's own settings, in this transaction.
    fn user_settings(&mut self) -> &mut dyn UserSettingsTx;

    /// The lists area's writes, in this transaction.
    fn lists(&mut self) -> &mut dyn ListTx;

    /// The conversations area's writes, in this transaction.
    fn conversations(&mut self) -> &mut dyn ConversationTx;

    /// Trends and their review, in this transaction.
    fn trends(&mut self) -> &mut dyn trends::TrendTx;

    /// Inserts an account. [`StoreError::Conflict`] if the username (any case) or URI is taken.
    async fn insert_account(&mut self, account: &Account) -> Result<()>;

    /// Inserts a user. [`StoreError::Conflict`] if the e-mail (any case) is taken.
    async fn insert_user(&mut self, user: &User) -> Result<()>;

    /// Saves the profile fields of an account (display name, note, locked, discoverable,
    /// actor type, metadata fields, updated_at).
    async fn update_profile(&mut self, account: &Account) -> Result<()>;

    /// Replaces a user's password hash.
    async fn set_password_hash(&mut self, user_id: Id, hash: &str, now: Timestamp) -> Result<()>;

    /// Changes a user's role.
    async fn set_role(&mut self, user_id: Id, role: Role, now: Timestamp) -> Result<()>;

    /// Suspends (`Some(time)`) or unsuspends (`None`) an account.
    async fn set_suspended(
        &mut self,
        account_id: Id,
        at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()>;

    /// Writes a job; it exists if and only if this transaction commits. `false` (and nothing
    /// written) if a job with the same unique key exists.
    async fn enqueue(&mut self, job: &NewJob) -> Result<bool>;

    /// Records that periodic job `name` was enqueued for `period`. `false` if it already was
    /// for this or a later period (so a period is never enqueued twice, whoever asks).
    async fn claim_period(&mut self, name: &str, period: i64, now: Timestamp) -> Result<bool>;

    /// Deletes OAuth tokens and authorization codes that expired or were revoked before `before`,
    /// and `Idempotency-Key` records made before it. Returns how many rows went.
    async fn prune_expired_tokens(&mut self, before: Timestamp) -> Result<u64>;

    /// Deletes mutes whose `expires_at` is at or before `now` (timed mutes that ended).
    /// Returns how many.
    async fn prune_expired_mutes(&mut self, now: Timestamp) -> Result<u64>;

    /// Inserts a status.
    async fn insert_status(&mut self, status: &Status) -> Result<()>;

    /// Records who a status mentions: `(mention id, account id)` pairs.
    async fn insert_mentions(
        &mut self,
        status_id: Id,
        mentions: &[(Id, Id)],
        now: Timestamp,
    ) -> Result<()>;

    /// Puts a status into these accounts' home feeds (idempotent).
    async fn add_to_home_feeds(
        &mut self,
        status_id: Id,
        reblog_of_id: Option<Id>,
        account_ids: &[Id],
    ) -> Result<u64>;

    /// Records a favourite or bookmark (`id` is the row's id); `false` if it exists. A
    /// favourite adds to the status's count.
    async fn insert_interaction(
        &mut self,
        kind: Interaction,
        id: Id,
        account_id: Id,
        status_id: Id,
        now: Timestamp,
    ) -> Result<bool>;

    /// Removes a favourite or bookmark; `false` if there was none.
    async fn delete_interaction(
        &mut self,
        kind: Interaction,
        account_id: Id,
        status_id: Id,
    ) -> Result<bool>;

    /// Adds `delta` to a status's reblog count.
    async fn count_reblog(&mut self, status_id: Id, delta: i64) -> Result<()>;

    /// Removes an author's statuses from an account's home feed (after an unfollow).
    async fn remove_author_from_home_feed(&mut self, account_id: Id, author_id: Id) -> Result<u64>;

    /// Saves an edit: the status's text, content, spoiler, sensitivity, language and edited_at.
    async fn update_status_content(&mut self, status: &Status) -> Result<()>;

    /// Links a status to hashtags (created as needed; `(new tag id, name)` pairs — the id is
    /// used only when the tag is new).
    async fn tag_status(
        &mut self,
        status_id: Id,
        tags: &[(Id, String)],
        now: Timestamp,
    ) -> Result<()>;

    /// Mutes (`on`) or unmutes a conversation for an account.
    async fn set_conversation_mute(
        &mut self,
        account_id: Id,
        conversation_id: Id,
        on: bool,
        now: Timestamp,
    ) -> Result<()>;

    /// Pins (`Some(time)`) or unpins a status.
    async fn set_pinned(&mut self, status_id: Id, at: Option<Timestamp>) -> Result<()>;

    /// Records a version of a status.
    async fn insert_status_edit(&mut self, edit: &StatusEdit) -> Result<()>;

    /// Deletes a status (its mentions, feed entries, favourites and reblogs go with it).
    async fn delete_status(&mut self, id: Id) -> Result<bool>;

    /// Adds `delta` to an account's status count and sets its last status time.
    async fn count_status(
        &mut self,
        account_id: Id,
        delta: i64,
        at: Option<Timestamp>,
    ) -> Result<()>;

    /// Adds `delta` to a status's reply count.
    async fn count_reply(&mut self, status_id: Id, delta: i64) -> Result<()>;

    /// Records a follow request to a locked account; `false` if one exists.
    async fn insert_follow_request(&mut self, request: &Follow) -> Result<bool>;

    /// Removes a follow request and returns it, if there was one; its `follow_request`
    /// notification goes with it.
    async fn take_follow_request(
        &mut self,
        account_id: Id,
        target_account_id: Id,
    ) -> Result<Option<Follow>>;

    /// Creates a follow; `false` if it exists already. Counts are updated.
    async fn insert_follow(&mut self, follow: &Follow) -> Result<bool>;

    /// Changes an existing follow's `show_reblogs` and `notify`; `false` if there is none.
    async fn set_follow_options(
        &mut self,
        account_id: Id,
        target_account_id: Id,
        show_reblogs: bool,
        notify: bool,
    ) -> Result<bool>;

    /// Records that an existing follow was asked for again by the `Follow` activity `uri` at
    /// `at` (a repeat, or a re-follow applied before the `Undo` sent ahead of it); `false` if
    /// there is no such follow.
    async fn renew_follow(
        &mut self,
        account_id: Id,
        target_account_id: Id,
        uri: &str,
        at: rookery_model::Timestamp,
    ) -> Result<bool>;

    /// Removes a follow; `false` if there was none. Counts are updated.
    async fn delete_follow(&mut self, account_id: Id, target_account_id: Id) -> Result<bool>;

    /// Removes a follow for an `Undo` of the `Follow` activity `follow_uri`: only if the follow
    /// was recorded by that activity, by none, or before `renewed_before` (a re-follow applied
    /// at the same moment as the Undo sent ahead of it must survive). The condition is checked
    /// by the delete itself. `false` if nothing was removed. Counts are updated.
    async fn delete_undone_follow(
        &mut self,
        account_id: Id,
        target_account_id: Id,
        follow_uri: &str,
        renewed_before: rookery_model::Timestamp,
    ) -> Result<bool>;

    /// Records the status an `Idempotency-Key` created; `false` if the key was taken (a
    /// concurrent retry won). Keys older than `expired_before` are dropped first.
    async fn record_idempotency(
        &mut self,
        account_id: Id,
        key: &str,
        status_id: Id,
        now: Timestamp,
        expired_before: Timestamp,
    ) -> Result<bool>;

    /// Blocks or mutes (a repeated mute updates its options). `false` if a block existed
    /// already.
    async fn restrict(&mut self, r: &NewRestriction) -> Result<bool>;

    /// Removes a block or mute; `false` if there was none.
    async fn unrestrict(
        &mut self,
        kind: Restriction,
        account_id: Id,
        target_id: Id,
    ) -> Result<bool>;

    /// Stores an instance setting only if it is not set yet; returns the value in force.
    async fn put_setting_once(&mut self, key: &str, value: &str, now: Timestamp) -> Result<String>;

    /// Stores an instance setting.
    async fn put_setting(&mut self, key: &str, value: &str, now: Timestamp) -> Result<()>;

    /// Adds or replaces a domain block (its creation time is kept on replace).
    async fn put_domain_block(&mut self, block: &rookery_model::DomainBlock) -> Result<()>;

    /// Removes a domain block; whether there was one.
    async fn delete_domain_block(&mut self, domain: &str) -> Result<bool>;

    /// Saves what a remote actor's document says (username, profile, inboxes, key, images,
    /// fetched_at, updated_at). [`StoreError::NotFound`] unless it is a known remote account.
    async fn update_remote_account(&mut self, account: &Account) -> Result<()>;

    /// Deletes a remote account and everything it made; `false` if there was none.
    async fn delete_remote_account(&mut self, id: Id) -> Result<bool>;

    /// Records a successful delivery to `host` (it is available again).
    async fn delivery_succeeded(&mut self, host: &str, now: Timestamp) -> Result<()>;

    /// Records a failed delivery to `host`. Once failures have lasted `unavailable_after_ms`
    /// without a success, the host is marked unavailable for `skip_for_ms`. Returns the record.
    async fn delivery_failed(
        &mut self,
        host: &str,
        now: Timestamp,
        unavailable_after_ms: i64,
        skip_for_ms: i64,
    ) -> Result<Option<DeliveryHost>>;

    /// Inserts a media row.
    async fn insert_media(&mut self, media: &MediaAttachment) -> Result<()>;

    /// Saves a media row (everything but its id, owner and creation time).
    /// [`StoreError::NotFound`] if there is none.
    async fn update_media(&mut self, media: &MediaAttachment) -> Result<()>;

    /// Saves what processing produced (kind, state, files, sizes, blurhash, meta, error, cache
    /// times) if the row is still `processing`; `false` if it is not (or is gone). The
    /// uploader's description, focus and status are never touched.
    async fn complete_media(&mut self, media: &MediaAttachment) -> Result<bool>;

    /// A fetched remote file waits for processing (upload key, content type, size), if the row
    /// is still `remote`; `false` otherwise.
    async fn claim_remote_media(&mut self, media: &MediaAttachment) -> Result<bool>;

    /// Sets the alt text and focal point of an unattached upload of `account_id`; `false` if
    /// there is no such upload.
    async fn describe_media(
        &mut self,
        id: Id,
        account_id: Id,
        description: &str,
        focus: Option<(f64, f64)>,
        now: Timestamp,
    ) -> Result<bool>;

    /// The same for an attachment of `status_id` (changed by an edit of the status).
    async fn describe_attached_media(
        &mut self,
        id: Id,
        status_id: Id,
        description: &str,
        focus: Option<(f64, f64)>,
        now: Timestamp,
    ) -> Result<bool>;

    /// Remembers why a remote file could not be copied.
    async fn note_media_error(&mut self, id: Id, error: &str, now: Timestamp) -> Result<()>;

    /// Drops a cached copy (the row becomes a link to its origin) if its file is still
    /// `file_key`; `false` otherwise.
    async fn evict_media(&mut self, id: Id, file_key: &str, now: Timestamp) -> Result<bool>;

    /// Deletes an attachment only if no status has it; `false` otherwise.
    async fn delete_unattached_media(&mut self, id: Id) -> Result<bool>;

    /// Attaches the account's unattached attachments `ids` to a status; returns how many were.
    async fn attach_media(&mut self, status_id: Id, account_id: Id, ids: &[Id]) -> Result<u64>;

    /// Makes `ids`, in this order, the attachments of an edited status: those it has stay,
    /// the account's unattached ones are attached, the others it had are let go. Returns how
    /// many of `ids` it has now (fewer: one was not the account's to attach).
    async fn set_status_media(&mut self, status_id: Id, account_id: Id, ids: &[Id]) -> Result<u64>;

    /// Deletes a media row; `false` if there was none.
    async fn delete_media(&mut self, id: Id) -> Result<bool>;

    /// Marks cached files used at `now` (the cache keeps recently used files longest).
    async fn touch_media(&mut self, ids: &[Id], now: Timestamp) -> Result<()>;

    /// Points an account's avatar or header at a media row (`None`: back to the default).
    async fn set_account_image(
        &mut self,
        account_id: Id,
        purpose: MediaPurpose,
        media_id: Option<Id>,
        now: Timestamp,
    ) -> Result<()>;

    /// Records a custom emoji (by shortcode and domain); an existing one keeps its id and,
    /// when its image URL changed, forgets its cached image. Returns the emoji as stored.
    async fn upsert_custom_emoji(&mut self, emoji: &CustomEmoji) -> Result<CustomEmoji>;

    /// Points the emoji using the image at `image_remote_url` at a stored copy.
    async fn set_emoji_media(&mut self, image_remote_url: &str, media_id: Id) -> Result<()>;

    /// Makes every write in this unit durable.
    async fn commit(self: Box<Self>) -> Result<()>;
}
