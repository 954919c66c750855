//! The storage interface: repository traits that speak Rookery's domain types.
//!
//! Use cases depend on [`Store`] (reads, each in its own short transaction) and
//! [`Transaction`] (a unit of work that commits or rolls back as a whole). The one
//! implementation lives in `rookery-store-sql` (SQLite and PostgreSQL); nothing here knows
//! about SQL, so the service and HTTP layers cannot either.

mod account_deletion;
mod accounts;
mod announcements;
mod conversations;
mod custom_emojis;
mod directory;
mod endorsements;
mod error;
mod export;
mod featured_tags;
mod federation;
mod filters;
mod imports;
mod invites;
mod jobs;
mod lists;
mod notification_emails;
mod notification_requests;
mod notifications;
mod oauth;
mod overview;
mod polls;
mod preview_cards;
mod scheduled_statuses;
mod settings;
mod sign_in;
mod suggestions;
mod tags;
mod timeline;
pub mod trends;
mod user_domain_blocks;
mod user_tokens;

use async_trait::async_trait;
use rookery_model::{
    Account, CustomEmoji, Id, MediaAttachment, MediaPurpose, MediaUsage, Role, Status, Timestamp,
    User,
};

pub use account_deletion::{AccountDeletionStore, AccountDeletionTx};
pub use accounts::{AccountSearch, LocalAccount};
pub use announcements::{
    Announcement, AnnouncementStore, AnnouncementTx, ReactOutcome, ReactionCount,
};
pub use conversations::{AccountConversation, ConversationStore, ConversationTx};
pub use custom_emojis::{CustomEmojiStore, CustomEmojiTx, NewLocalEmoji};
pub use directory::{DirectoryOrder, DirectoryStore, WeekActivity};
pub use endorsements::{EndorsementStore, EndorsementTx};
pub use error::StoreError;
pub use export::{
    AccountArchive, ArchiveState, ExportCounts, ExportRow, ExportStore, ExportTx, ExportedAccount,
    ExportedStatus, FollowedAccount, MutedAccount,
};
pub use featured_tags::{FeatureOutcome, FeaturedTag, FeaturedTagStore, FeaturedTagTx};
pub use federation::DeliveryHost;
pub use filters::{
    Filter, FilterAction, FilterContext, FilterKeyword, FilterStatus, FilterStore, FilterTx,
};
pub use imports::{Import, ImportProgress, ImportRow, ImportStore, ImportTx};
pub use invites::{Invite, InviteStore, InviteTx};
pub use jobs::{Job, JobFilter, JobQueue, JobState, NewJob, QueueStats};
pub use lists::{List, ListStore, ListTx, RepliesPolicy};
pub use notification_emails::{NotificationEmailStore, NotificationEmailTx, NotificationMailbox};
pub use notification_requests::{
    NotificationPolicy, NotificationRequest, NotificationRequestStore, NotificationRequestTx,
    PolicyAction, SenderFacts,
};
pub use notifications::{
    GroupStats, Marker, Notification, NotificationKind, NotificationStore, NotificationTx,
};
pub use oauth::{OAuthStore, OAuthTx};
pub use overview::{Engine, InstanceStats, PoolStats, SchemaStatus};
pub use polls::{Poll, PollStore, PollTx};
pub use preview_cards::{PreviewCard, PreviewCardStore, PreviewCardTx};
pub use scheduled_statuses::{ScheduledStatus, ScheduledStatusStore, ScheduledStatusTx};
pub use settings::UserSettingsTx;
pub use sign_in::{SignInStore, SignInTx, TwoFactor, WebSession};
pub use suggestions::{SuggestionSource, SuggestionStore, SuggestionTx};
pub use tags::{Tag, TagDay, TagStore, TagTx};
pub use timeline::{
    AccountStatusesFilter, Follow, Interaction, NewRestriction, Relationship, Restriction,
    StatusEdit, TimelinePage, ViewerFlags,
};
pub use user_domain_blocks::{UserDomainBlockStore, UserDomainBlockTx};
pub use user_tokens::{TokenPurpose, UserToken, UserTokenTx};

/// Results of storage calls.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One page of a keyset-paginated list, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Only rows with an id below this.
    pub max_id: Option<Id>,
    pub limit: u32,
}

/// Reads. Each call sees a consistent snapshot of its own.
#[async_trait]
pub trait Store: JobQueue + Send + Sync + 'static {
    /// The engine behind this store.
    fn engine(&self) -> Engine;

    /// Connection-pool occupancy.
    fn pool_stats(&self) -> PoolStats;

    /// The notifications area (notifications, groups, markers).
    fn notification_store(&self) -> &dyn NotificationStore;

    /// Notification policies and requests.
    fn notification_requests(&self) -> &dyn NotificationRequestStore;

    /// Filters (keywords, statuses, contexts).
    fn filter_store(&self) -> &dyn FilterStore;

    /// Polls and votes.
    fn poll_store(&self) -> &dyn PollStore;

    /// Statuses scheduled for later.
    fn scheduled_status_store(&self) -> &dyn ScheduledStatusStore;

    /// Preview cards of links.
    fn preview_card_store(&self) -> &dyn PreviewCardStore;

    /// Hashtags: use and follows.
    fn tag_store(&self) -> &dyn TagStore;

    /// Hashtags featured on profiles.
    fn featured_tag_store(&self) -> &dyn FeaturedTagStore;

    /// This instance's custom emoji.
    fn custom_emoji_store(&self) -> &dyn CustomEmojiStore;

    /// Announcements to everyone on the instance.
    fn announcement_store(&self) -> &dyn AnnouncementStore;

    /// Web sessions and second factors.
    fn sign_in_store(&self) -> &dyn SignInStore;

    /// Accounts their owners deleted.
    fn account_deletion_store(&self) -> &dyn AccountDeletionStore;

    /// Imports of CSV files.
    fn import_store(&self) -> &dyn ImportStore;

    /// Invite links.
    fn invite_store(&self) -> &dyn InviteStore;

    /// Which notifications users also want by e-mail.
    fn notification_email_store(&self) -> &dyn NotificationEmailStore;

    /// Exports of an account's data and its archives.
    fn export_store(&self) -> &dyn ExportStore;

    /// OAuth applications and tokens.
    fn oauth_store(&self) -> &dyn OAuthStore;

    /// The instance as a whole: activity, peers, the profile directory.
    fn directory_store(&self) -> &dyn DirectoryStore;

    /// Endorsements and notes on accounts.
    fn endorsement_store(&self) -> &dyn EndorsementStore;

    /// Domains users block.
    fn user_domain_block_store(&self) -> &dyn UserDomainBlockStore;

    /// Follow suggestions.
    fn suggestion_store(&self) -> &dyn SuggestionStore;

    /// The lists area (lists, members, list feeds).
    fn list_store(&self) -> &dyn ListStore;

    /// The conversations area (direct threads per user).
    fn conversation_store(&self) -> &dyn ConversationStore;

    /// Trending hashtags, links and statuses, and their review.
    fn trend_store(&self) -> &dyn trends::TrendStore;

    /// Registers `hook`, called with a queue's name after a transaction from [`Store::begin`]
    /// that enqueued jobs on that queue has committed (so workers in this process can start
    /// at once instead of at their next poll). Stores without the notion ignore it.
    fn on_jobs_committed(&self, hook: std::sync::Arc<dyn Fn(&str) + Send + Sync>) {
        let _ = hook;
    }

    /// A round trip to the database.
    async fn ping(&self) -> Result<()>;

    /// Where the schema stands.
    async fn schema_status(&self) -> Result<SchemaStatus>;

    /// Starts a unit of work.
    async fn begin(&self) -> Result<Box<dyn Transaction>>;

    /// An account by id.
    async fn account(&self, id: Id) -> Result<Option<Account>>;

    /// A local account and its user by username (any case).
    async fn local_account_by_username(&self, username: &str) -> Result<Option<LocalAccount>>;

    /// A local account and its user by e-mail address (any case).
    async fn local_account_by_email(&self, email: &str) -> Result<Option<LocalAccount>>;

    /// Local accounts, newest first.
    async fn local_accounts(&self, page: Page) -> Result<Vec<LocalAccount>>;

    /// Counts for the instance entity and NodeInfo, as of `now`.
    async fn instance_stats(&self, now: Timestamp) -> Result<InstanceStats>;

    /// An instance setting stored in the database (set by admins at run time).
    async fn setting(&self, key: &str) -> Result<Option<String>>;

    /// Every domain block, by domain.
    async fn domain_blocks(&self) -> Result<Vec<rookery_model::DomainBlock>>;

    /// The blocks of any of `domains` (callers pass a domain and its parents).
    async fn domain_blocks_matching(
        &self,
        domains: &[String],
    ) -> Result<Vec<rookery_model::DomainBlock>>;

    /// An account (local accounts have none) by its ActivityPub id.
    async fn account_by_uri(&self, uri: &str) -> Result<Option<Account>>;

    /// A remote account by username and domain (any case).
    async fn remote_account(&self, username: &str, domain: &str) -> Result<Option<Account>>;

    /// A remote status (or reblog) by its ActivityPub id.
    async fn status_by_uri(&self, uri: &str) -> Result<Option<Status>>;

    /// The follow (`requests = false`) or follow request recorded with this activity id.
    async fn follow_by_uri(&self, uri: &str, requests: bool) -> Result<Option<Follow>>;

    /// Whether any local account follows `account_id` (one indexed look-up, however many).
    async fn has_local_followers(&self, account_id: Id) -> Result<bool>;

    /// The follow, else the pending follow request, from `account_id` to `target`.
    async fn follow_between(&self, account_id: Id, target: Id) -> Result<Option<Follow>>;

    /// Distinct inboxes of an account's remote followers (shared inboxes where known).
    async fn follower_inboxes(&self, account_id: Id) -> Result<Vec<String>>;

    /// How deliveries to a host have been going, if any were tried.
    async fn delivery_host(&self, host: &str) -> Result<Option<DeliveryHost>>;

    /// Every host deliveries were tried to.
    async fn delivery_hosts(&self) -> Result<Vec<DeliveryHost>>;

    /// Accounts by id (missing ids are skipped).
    async fn accounts(&self, ids: &[Id]) -> Result<Vec<Account>>;

    /// A status by id.
    async fn status(&self, id: Id) -> Result<Option<Status>>;

    /// Statuses by id (missing ids are skipped), in no particular order.
    async fn statuses(&self, ids: &[Id]) -> Result<Vec<Status>>;

    /// Direct replies to a status, oldest first.
    async fn replies(&self, status_id: Id) -> Result<Vec<Status>>;

    /// An account's home feed (materialised by fan-out), newest first.
    async fn home_timeline(&self, account_id: Id, page: TimelinePage) -> Result<Vec<Status>>;

    /// Public statuses (no reblogs), newest first; `local` picks local, remote or both.
    /// `only_media`: only statuses with attachments.
    async fn public_timeline(
        &self,
        local: Option<bool>,
        only_media: bool,
        page: TimelinePage,
    ) -> Result<Vec<Status>>;

    /// An account's statuses, newest first.
    async fn account_statuses(
        &self,
        account_id: Id,
        filter: &AccountStatusesFilter,
        page: TimelinePage,
    ) -> Result<Vec<Status>>;

    /// Accounts mentioned by each status: `(status_id, account_id)` pairs.
    async fn mentions(&self, status_ids: &[Id]) -> Result<Vec<(Id, Id)>>;

    /// How `account_id` stands to each of `targets`.
    async fn relationships(
        &self,
        account_id: Id,
        targets: &[Id],
    ) -> Result<Vec<(Id, Relationship)>>;

    /// Local accounts following `account_id` that asked to be notified of its posts.
    async fn notify_follower_ids(&self, account_id: Id) -> Result<Vec<Id>>;

    /// Local accounts following `account_id` (for fan-out); with `boosts`, only those who
    /// want to see its boosts (`show_reblogs`).
    async fn local_follower_ids(&self, account_id: Id, boosts: bool) -> Result<Vec<Id>>;

    /// Which of `status_ids` the account has favourited, reblogged and bookmarked.
    async fn viewer_flags(&self, account_id: Id, status_ids: &[Id]) -> Result<ViewerFlags>;

    /// The account's reblog of a status, if any.
    async fn reblog_by(&self, account_id: Id, status_id: Id) -> Result<Option<Id>>;

    /// Statuses the account favourited (`Interaction::Favourite`) or bookmarked, newest
    /// interaction first; the page bounds apply to the interaction ids, returned alongside.
    async fn interactions(
        &self,
        account_id: Id,
        kind: Interaction,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Status)>>;

    /// Accounts that favourited or reblogged a status, newest first; page bounds on the
    /// interaction id, returned alongside.
    async fn interacting_accounts(
        &self,
        status_id: Id,
        kind: Interaction,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Account)>>;

    /// The status an earlier request with this `Idempotency-Key` created, if recorded after
    /// `since`.
    async fn idempotent_status(
        &self,
        account_id: Id,
        key: &str,
        since: Timestamp,
    ) -> Result<Option<Id>>;

    /// Accounts whose statuses and notifications `account_id` must not see at `now`: those it
    /// blocks or (unexpired) mutes, those blocking it, and those of domains it blocks. With `notifications_only`, mutes
    /// count only when they hide notifications.
    async fn hidden_accounts(
        &self,
        account_id: Id,
        now: Timestamp,
        notifications_only: bool,
    ) -> Result<Vec<Id>>;

    /// Accounts the user blocks or mutes, newest first, with the row ids that page them.
    async fn restricted_accounts(
        &self,
        account_id: Id,
        kind: Restriction,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Account)>>;

    /// An account's followers (`followers`) or the accounts it follows, newest follow first,
    /// with the follow ids that page them.
    async fn follow_list(
        &self,
        account_id: Id,
        followers: bool,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Account)>>;

    /// How many accounts ask to follow `account_id`.
    async fn follow_request_count(&self, account_id: Id) -> Result<i64>;

    /// Accounts asking to follow `account_id`, newest first, with the request ids that page
    /// them.
    async fn follow_requests(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Account)>>;

    /// Public statuses (no reblogs) carrying a hashtag (any case), newest first; `local` picks
    /// local, remote or both.
    async fn tag_timeline(
        &self,
        tag: &str,
        local: Option<bool>,
        only_media: bool,
        page: TimelinePage,
    ) -> Result<Vec<Status>>;

    /// Accounts whose username starts with, or display name contains, `q` (any case); exact
    /// username matches first.
    async fn search_accounts(&self, q: &str, query: AccountSearch) -> Result<Vec<Account>>;

    /// Which of `conversations` the account has muted.
    async fn muted_conversations(&self, account_id: Id, conversations: &[Id]) -> Result<Vec<Id>>;

    /// An account's pinned statuses, most recently pinned first.
    async fn pinned_statuses(&self, account_id: Id) -> Result<Vec<Status>>;

    /// The recorded versions of a status, oldest first (empty if never edited).
    async fn status_edits(&self, status_id: Id) -> Result<Vec<StatusEdit>>;

    /// A media file by id.
    async fn media(&self, id: Id) -> Result<Option<MediaAttachment>>;

    /// Media files by id (missing ids are skipped), by id.
    async fn media_by_ids(&self, ids: &[Id]) -> Result<Vec<MediaAttachment>>;

    /// The attachments of these statuses, each status's in the order they were attached.
    async fn status_media(&self, status_ids: &[Id]) -> Result<Vec<MediaAttachment>>;

    /// The media row a remote URL is known by for this account and purpose, if any.
    async fn remote_media_by_url(
        &self,
        account_id: Id,
        purpose: MediaPurpose,
        url: &str,
    ) -> Result<Option<MediaAttachment>>;

    /// Storage used, by purpose and by local/remote.
    async fn media_usage(&self) -> Result<Vec<MediaUsage>>;

    /// Cached remote files (with a stored file), least recently used first.
    async fn cached_remote_media(&self, limit: u32) -> Result<Vec<MediaAttachment>>;

    /// Cached remote files fetched before `before`.
    async fn stale_remote_media(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<MediaAttachment>>;

    /// Attachments without a status: local uploads never attached, made before `before`, and
    /// copies of remote attachments whose status is gone.
    async fn unattached_media(&self, before: Timestamp, limit: u32)
    -> Result<Vec<MediaAttachment>>;

    /// Media rows of an account (any purpose), oldest first.
    async fn account_media(&self, account_id: Id, limit: u32) -> Result<Vec<MediaAttachment>>;

    /// Avatars, headers and emoji images nothing points at any more; rows holding no file (a
    /// remembered failure) only once updated before `forget_before`.
    async fn orphaned_account_media(
        &self,
        forget_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<MediaAttachment>>;

    /// Rows still `processing` since before `before` (their job died or was lost).
    async fn stuck_media(&self, before: Timestamp, limit: u32) -> Result<Vec<MediaAttachment>>;

    /// Custom emoji of `domain` (`None`: this instance's) with these shortcodes (exact case).
    async fn custom_emojis(
        &self,
        domain: Option<&str>,
        shortcodes: &[String],
    ) -> Result<Vec<CustomEmoji>>;

    /// A custom emoji by id.
    async fn custom_emoji(&self, id: Id) -> Result<Option<CustomEmoji>>;
}

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

    /// Removes a follow; `false` if there was none. Counts are updated.
    async fn delete_follow(&mut self, account_id: Id, target_account_id: Id) -> Result<bool>;

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
