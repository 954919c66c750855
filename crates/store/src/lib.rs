//! The storage interface: repository traits that speak Rookery's domain types.
//!
//! Use cases depend on [`Store`] (reads, each in its own short transaction) and
//! [`Transaction`] (a unit of work that commits or rolls back as a whole). The one
//! implementation lives in `rookery-store-sql` (SQLite and PostgreSQL); nothing here knows
//! about SQL, so the service and HTTP layers cannot either.

mod account_deletion;
mod account_moderation;
mod account_moves;
mod accounts;
mod announcements;
mod appeals;
mod audit_log;
mod conversations;
mod custom_emojis;
mod dashboard;
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
mod quotes;
mod relays;
mod remote_counts;
mod reports;
mod rules;
mod scheduled_statuses;
mod server_policy;
mod settings;
mod severances;
mod sign_in;
mod suggestions;
mod tags;
mod threads;
mod timeline;
mod transaction;
pub mod trends;
mod user_domain_blocks;
mod user_tokens;
mod webhooks;

use async_trait::async_trait;
use rookery_model::{
    Account, CustomEmoji, Id, MediaAttachment, MediaPurpose, MediaUsage, Status, Timestamp,
};

pub use account_deletion::{AccountDeletionStore, AccountDeletionTx};
pub use account_moderation::{
    AccountFilter, AccountModerationStore, AccountModerationTx, AccountOrigin, AccountState,
    AccountWarning,
};
pub use account_moves::AccountMovesTx;
pub use accounts::{AccountSearch, LocalAccount};
pub use announcements::{
    Announcement, AnnouncementStore, AnnouncementTx, ReactOutcome, ReactionCount,
};
pub use appeals::{Appeal, AppealStore, AppealTx};
pub use audit_log::{ActionLog, AuditLogStore, AuditLogTx};
pub use conversations::{AccountConversation, ConversationStore, ConversationTx};
pub use custom_emojis::{CustomEmojiStore, CustomEmojiTx, NewLocalEmoji};
pub use dashboard::{DailyMeasure, DashboardStore, RankedDimension};
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
pub use quotes::{Quote, QuoteState, QuoteStore, QuoteTx};
pub use relays::{Relay, RelayState, RelayStore, RelayTx};
pub use remote_counts::{RemoteCounts, RemoteCountsTx};
pub use reports::{Report, ReportFilter, ReportNote, ReportStore, ReportTx, ReportedPost, Staff};
pub use rules::{Rule, RuleStore, RuleTx};
pub use scheduled_statuses::{ScheduledStatus, ScheduledStatusStore, ScheduledStatusTx};
pub use server_policy::{
    CanonicalEmailBlock, DomainAllow, EmailDomainBlock, IpBlock, IpBlockSeverity,
    ServerPolicyStore, ServerPolicyTx, SignUpDetails,
};
pub use settings::UserSettingsTx;
pub use severances::{
    AccountSeverance, SeveranceEvent, SeveranceKind, SeveranceStore, SeveranceTx, SeveredFollow,
};
pub use sign_in::{SignInStore, SignInTx, TwoFactor, WebSession};
pub use suggestions::{SuggestionSource, SuggestionStore, SuggestionTx};
pub use tags::{Tag, TagDay, TagStore, TagTx};
pub use threads::ThreadTx;
pub use timeline::{
    AccountStatusesFilter, Follow, Interaction, NewRestriction, Relationship, Restriction,
    StatusEdit, TimelinePage, ViewerFlags,
};
pub use transaction::Transaction;
pub use user_domain_blocks::{UserDomainBlockStore, UserDomainBlockTx};
pub use user_tokens::{TokenPurpose, UserToken, UserTokenTx};
pub use webhooks::{Webhook, WebhookStore, WebhookTx};

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

    /// Reports to the moderators.
    fn report_store(&self) -> &dyn ReportStore;

    /// The audit log of moderation actions.
    fn audit_log_store(&self) -> &dyn AuditLogStore;

    /// Webhooks told of events.
    fn webhook_store(&self) -> &dyn WebhookStore;

    /// Moderation actions on accounts.
    fn account_moderation_store(&self) -> &dyn AccountModerationStore;

    /// Appeals of warnings.
    fn appeal_store(&self) -> &dyn AppealStore;

    /// Relationships severed by suspensions and domain blocks.
    fn severance_store(&self) -> &dyn SeveranceStore;

    /// Server-wide moderation policy (domain, e-mail and IP blocks, allowed domains).
    fn server_policy_store(&self) -> &dyn ServerPolicyStore;

    /// The server's rules.
    fn rule_store(&self) -> &dyn RuleStore;

    /// Relays this instance subscribes to.
    fn relay_store(&self) -> &dyn RelayStore;

    /// Quote posts and who may quote what.
    fn quote_store(&self) -> &dyn QuoteStore;

    /// The figures of the admin dashboard.
    fn dashboard_store(&self) -> &dyn DashboardStore;

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
