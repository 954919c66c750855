//! SQLite and PostgreSQL storage for Rookery: implements `rookery-store` and owns the schema.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rookery_store::Store;
//! use rookery_store_sql::{DbOptions, SqlStore};
//! let opts = DbOptions::new("sqlite://data/rookery.db");
//! SqlStore::migrate(&opts, 0).await?;
//! let store = SqlStore::connect(&opts).await?;
//! assert!(store.schema_status().await?.is_current());
//! # Ok(()) }
//! ```
//!
//! Queries are written once, in SQL both engines accept; the few differences live in `db.rs`.
//! PostgreSQL works directly or through pgBouncer in transaction pooling mode
//! ([`DbOptions::pgbouncer`]).

mod account_deletion;
mod account_moderation;
mod account_moves;
mod accounts;
mod announcements;
mod appeals;
mod audit_log;
mod connect;
mod conversations;
mod custom_emojis;
mod dashboard;
mod db;
mod directory;
mod domain_blocks;
mod emoji;
mod endorsements;
mod export;
mod featured_tags;
mod federation;
mod filters;
mod imports;
mod interactions;
mod invites;
mod jobs;
mod lists;
mod media;
mod migrate;
mod notification_emails;
mod notification_requests;
mod notifications;
mod oauth;
mod paging;
mod polls;
mod preview_cards;
mod quotes;
mod relays;
mod remote_counts;
mod reports;
mod restrictions;
mod rules;
mod scheduled_statuses;
mod server_policy;
mod settings;
mod severances;
mod sign_in;
mod social;
mod statuses;
mod suggestions;
mod tags;
mod threads;
mod transaction;
mod trends;
mod user_domain_blocks;
mod user_settings;
mod user_tokens;
mod webhooks;

use async_trait::async_trait;

use rookery_model::{Account, Id, Status, Timestamp};
use rookery_store::{
    AccountStatusesFilter, Engine, InstanceStats, Interaction, LocalAccount, Page, PoolStats,
    Relationship, Restriction, Result, SchemaStatus, Store, TimelinePage, Transaction, ViewerFlags,
};

pub use crate::connect::{DbOptions, SqlStore, engine_of, redact_url};
use crate::db::{Pools, map_err, read};
pub use crate::migrate::{MIGRATIONS, MigrateError, expected_version};

#[async_trait]
impl Store for SqlStore {
    fn on_jobs_committed(&self, hook: std::sync::Arc<dyn Fn(&str) + Send + Sync>) {
        self.hooks.add(hook);
    }

    fn notification_store(&self) -> &dyn rookery_store::NotificationStore {
        self
    }

    fn notification_requests(&self) -> &dyn rookery_store::NotificationRequestStore {
        self
    }

    fn filter_store(&self) -> &dyn rookery_store::FilterStore {
        self
    }

    fn poll_store(&self) -> &dyn rookery_store::PollStore {
        self
    }

    fn scheduled_status_store(&self) -> &dyn rookery_store::ScheduledStatusStore {
        self
    }

    fn preview_card_store(&self) -> &dyn rookery_store::PreviewCardStore {
        self
    }

    fn tag_store(&self) -> &dyn rookery_store::TagStore {
        self
    }

    fn featured_tag_store(&self) -> &dyn rookery_store::FeaturedTagStore {
        self
    }

    fn custom_emoji_store(&self) -> &dyn rookery_store::CustomEmojiStore {
        self
    }

    fn announcement_store(&self) -> &dyn rookery_store::AnnouncementStore {
        self
    }

    fn sign_in_store(&self) -> &dyn rookery_store::SignInStore {
        self
    }

    fn account_deletion_store(&self) -> &dyn rookery_store::AccountDeletionStore {
        self
    }

    fn import_store(&self) -> &dyn rookery_store::ImportStore {
        self
    }

    fn invite_store(&self) -> &dyn rookery_store::InviteStore {
        self
    }

    fn report_store(&self) -> &dyn rookery_store::ReportStore {
        self
    }

    fn audit_log_store(&self) -> &dyn rookery_store::AuditLogStore {
        self
    }

    fn webhook_store(&self) -> &dyn rookery_store::WebhookStore {
        self
    }

    fn account_moderation_store(&self) -> &dyn rookery_store::AccountModerationStore {
        self
    }

    fn appeal_store(&self) -> &dyn rookery_store::AppealStore {
        self
    }

    fn severance_store(&self) -> &dyn rookery_store::SeveranceStore {
        self
    }

    fn server_policy_store(&self) -> &dyn rookery_store::ServerPolicyStore {
        self
    }

    fn rule_store(&self) -> &dyn rookery_store::RuleStore {
        self
    }

    fn relay_store(&self) -> &dyn rookery_store::RelayStore {
        self
    }

    fn quote_store(&self) -> &dyn rookery_store::QuoteStore {
        self
    }

    fn dashboard_store(&self) -> &dyn rookery_store::DashboardStore {
        self
    }

    fn notification_email_store(&self) -> &dyn rookery_store::NotificationEmailStore {
        self
    }

    fn export_store(&self) -> &dyn rookery_store::ExportStore {
        self
    }

    fn oauth_store(&self) -> &dyn rookery_store::OAuthStore {
        self
    }

    fn directory_store(&self) -> &dyn rookery_store::DirectoryStore {
        self
    }

    fn endorsement_store(&self) -> &dyn rookery_store::EndorsementStore {
        self
    }

    fn user_domain_block_store(&self) -> &dyn rookery_store::UserDomainBlockStore {
        self
    }

    fn suggestion_store(&self) -> &dyn rookery_store::SuggestionStore {
        self
    }

    fn list_store(&self) -> &dyn rookery_store::ListStore {
        self
    }

    fn conversation_store(&self) -> &dyn rookery_store::ConversationStore {
        self
    }

    fn trend_store(&self) -> &dyn rookery_store::trends::TrendStore {
        self
    }

    fn engine(&self) -> Engine {
        match self.pools {
            Pools::Sqlite { .. } => Engine::Sqlite,
            Pools::Postgres { .. } => Engine::Postgres,
        }
    }

    fn pool_stats(&self) -> PoolStats {
        let stats = |size: u32, idle: usize| PoolStats {
            in_use: size.saturating_sub(u32::try_from(idle).unwrap_or(u32::MAX)),
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
        };
        match &self.pools {
            Pools::Sqlite { writer, reader } => {
                let w = stats(writer.size(), writer.num_idle());
                let r = stats(reader.size(), reader.num_idle());
                PoolStats {
                    in_use: w.in_use + r.in_use,
                    idle: w.idle + r.idle,
                }
            }
            Pools::Postgres { pool, .. } => stats(pool.size(), pool.num_idle()),
        }
    }

    async fn ping(&self) -> Result<()> {
        read!(&self.pools, |c| {
            db::with_conn!(c, |e, p| {
                sqlx::query("SELECT 1")
                    .persistent(p)
                    .execute(&mut *e)
                    .await
                    .map_err(map_err)
                    .map(|_| ())
            })
        })
    }

    async fn schema_status(&self) -> Result<SchemaStatus> {
        read!(&self.pools, |c| migrate::status(c).await)
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>> {
        let tx = match &self.pools {
            // IMMEDIATE: the write lock is taken at the start and waited for (busy_timeout), so
            // a transaction that reads before it writes cannot fail with SQLITE_BUSY when another
            // process (the admin CLI, a worker) wrote in between.
            Pools::Sqlite { writer, .. } => SqlTx::sqlite(
                writer
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(map_err)?,
            ),
            Pools::Postgres { pool, persistent } => {
                SqlTx::pg(pool.begin().await.map_err(map_err)?, *persistent)
            }
        };
        Ok(Box::new(tx.with_hooks(self.hooks.clone())))
    }

    async fn account(&self, id: Id) -> Result<Option<Account>> {
        read!(&self.pools, |c| accounts::by_id(c, id).await)
    }

    async fn local_account_by_username(&self, username: &str) -> Result<Option<LocalAccount>> {
        read!(&self.pools, |c| accounts::local_by_username(c, username)
            .await)
    }

    async fn local_account_by_email(&self, email: &str) -> Result<Option<LocalAccount>> {
        read!(&self.pools, |c| accounts::local_by_email(c, email).await)
    }

    async fn local_accounts(&self, page: Page) -> Result<Vec<LocalAccount>> {
        read!(&self.pools, |c| accounts::local_list(c, page).await)
    }

    async fn instance_stats(&self, now: Timestamp) -> Result<InstanceStats> {
        read!(&self.pools, |c| accounts::instance_stats(c, now).await)
    }

    async fn account_by_uri(&self, uri: &str) -> Result<Option<Account>> {
        read!(&self.pools, |c| federation::account_by_uri(c, uri).await)
    }

    async fn remote_account(&self, username: &str, domain: &str) -> Result<Option<Account>> {
        read!(&self.pools, |c| federation::remote_account(
            c, username, domain
        )
        .await)
    }

    async fn status_by_uri(&self, uri: &str) -> Result<Option<Status>> {
        read!(&self.pools, |c| federation::status_by_uri(c, uri).await)
    }

    async fn follow_by_uri(
        &self,
        uri: &str,
        requests: bool,
    ) -> Result<Option<rookery_store::Follow>> {
        read!(&self.pools, |c| federation::follow_by_uri(c, uri, requests)
            .await)
    }

    async fn has_local_followers(&self, account_id: Id) -> Result<bool> {
        read!(&self.pools, |c| federation::has_local_followers(
            c, account_id
        )
        .await)
    }

    async fn follow_between(
        &self,
        account_id: Id,
        target: Id,
    ) -> Result<Option<rookery_store::Follow>> {
        read!(&self.pools, |c| federation::follow_between(
            c, account_id, target
        )
        .await)
    }

    async fn follower_inboxes(&self, account_id: Id) -> Result<Vec<String>> {
        read!(&self.pools, |c| federation::follower_inboxes(c, account_id)
            .await)
    }

    async fn delivery_host(&self, host: &str) -> Result<Option<rookery_store::DeliveryHost>> {
        read!(&self.pools, |c| federation::delivery_host(c, host).await)
    }

    async fn delivery_hosts(&self) -> Result<Vec<rookery_store::DeliveryHost>> {
        read!(&self.pools, |c| federation::delivery_hosts(c).await)
    }

    async fn domain_blocks(&self) -> Result<Vec<rookery_model::DomainBlock>> {
        read!(&self.pools, |c| domain_blocks::list(c).await)
    }

    async fn domain_blocks_matching(
        &self,
        domains: &[String],
    ) -> Result<Vec<rookery_model::DomainBlock>> {
        read!(&self.pools, |c| domain_blocks::matching(c, domains).await)
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        read!(&self.pools, |c| settings::get(c, key).await)
    }

    async fn accounts(&self, ids: &[Id]) -> Result<Vec<Account>> {
        read!(&self.pools, |c| statuses::accounts_by_ids(c, ids).await)
    }

    async fn status(&self, id: Id) -> Result<Option<Status>> {
        read!(&self.pools, |c| statuses::by_ids(c, &[id]).await).map(|mut v| v.pop())
    }

    async fn statuses(&self, ids: &[Id]) -> Result<Vec<Status>> {
        read!(&self.pools, |c| statuses::by_ids(c, ids).await)
    }

    async fn media(&self, id: Id) -> Result<Option<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::by_id(c, id).await)
    }

    async fn media_by_ids(&self, ids: &[Id]) -> Result<Vec<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::by_ids(c, ids).await)
    }

    async fn status_media(&self, status_ids: &[Id]) -> Result<Vec<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::of_statuses(c, status_ids).await)
    }

    async fn remote_media_by_url(
        &self,
        account_id: Id,
        purpose: rookery_model::MediaPurpose,
        url: &str,
    ) -> Result<Option<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::remote_by_url(
            c, account_id, purpose, url
        )
        .await)
    }

    async fn media_usage(&self) -> Result<Vec<rookery_model::MediaUsage>> {
        read!(&self.pools, |c| media::usage(c).await)
    }

    async fn cached_remote_media(&self, limit: u32) -> Result<Vec<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::cached_lru(c, limit).await)
    }

    async fn stale_remote_media(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::stale_cached(c, before, limit).await)
    }

    async fn unattached_media(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::unattached(c, before, limit).await)
    }

    async fn account_media(
        &self,
        account_id: Id,
        limit: u32,
    ) -> Result<Vec<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::of_account(c, account_id, limit)
            .await)
    }

    async fn orphaned_account_media(
        &self,
        forget_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::orphaned_account_media(
            c,
            forget_before,
            limit
        )
        .await)
    }

    async fn stuck_media(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| media::stuck(c, before, limit).await)
    }

    async fn custom_emojis(
        &self,
        domain: Option<&str>,
        shortcodes: &[String],
    ) -> Result<Vec<rookery_model::CustomEmoji>> {
        read!(&self.pools, |c| emoji::by_shortcodes(c, domain, shortcodes)
            .await)
    }

    async fn custom_emoji(&self, id: Id) -> Result<Option<rookery_model::CustomEmoji>> {
        read!(&self.pools, |c| emoji::by_id(c, id).await)
    }

    async fn replies(&self, status_id: Id) -> Result<Vec<Status>> {
        read!(&self.pools, |c| statuses::replies(c, status_id).await)
    }

    async fn home_timeline(&self, account_id: Id, page: TimelinePage) -> Result<Vec<Status>> {
        read!(&self.pools, |c| statuses::home(c, account_id, page).await)
    }

    async fn public_timeline(
        &self,
        local: Option<bool>,
        only_media: bool,
        page: TimelinePage,
    ) -> Result<Vec<Status>> {
        read!(&self.pools, |c| statuses::public(
            c, local, only_media, page
        )
        .await)
    }

    async fn account_statuses(
        &self,
        account_id: Id,
        filter: &AccountStatusesFilter,
        page: TimelinePage,
    ) -> Result<Vec<Status>> {
        read!(&self.pools, |c| statuses::of_account(
            c, account_id, filter, page
        )
        .await)
    }

    async fn mentions(&self, status_ids: &[Id]) -> Result<Vec<(Id, Id)>> {
        read!(&self.pools, |c| statuses::mentions(c, status_ids).await)
    }

    async fn relationships(
        &self,
        account_id: Id,
        targets: &[Id],
    ) -> Result<Vec<(Id, Relationship)>> {
        read!(&self.pools, |c| social::relationships(
            c, account_id, targets
        )
        .await)
    }

    async fn notify_follower_ids(&self, account_id: Id) -> Result<Vec<Id>> {
        read!(&self.pools, |c| social::notify_follower_ids(c, account_id)
            .await)
    }

    async fn local_follower_ids(&self, account_id: Id, boosts: bool) -> Result<Vec<Id>> {
        read!(&self.pools, |c| social::local_follower_ids(
            c, account_id, boosts
        )
        .await)
    }

    async fn follow_list(
        &self,
        account_id: Id,
        followers: bool,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Account)>> {
        read!(&self.pools, |c| social::follow_list(
            c, account_id, followers, page
        )
        .await)
    }

    async fn viewer_flags(&self, account_id: Id, status_ids: &[Id]) -> Result<ViewerFlags> {
        read!(&self.pools, |c| interactions::viewer_flags(
            c, account_id, status_ids
        )
        .await)
    }

    async fn reblog_by(&self, account_id: Id, status_id: Id) -> Result<Option<Id>> {
        read!(&self.pools, |c| interactions::reblog_by(
            c, account_id, status_id
        )
        .await)
    }

    async fn interactions(
        &self,
        account_id: Id,
        kind: Interaction,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Status)>> {
        read!(&self.pools, |c| interactions::statuses(
            c, account_id, kind, page
        )
        .await)
    }

    async fn interacting_accounts(
        &self,
        status_id: Id,
        kind: Interaction,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Account)>> {
        read!(&self.pools, |c| interactions::accounts(
            c, status_id, kind, page
        )
        .await)
    }

    async fn idempotent_status(
        &self,
        account_id: Id,
        key: &str,
        since: Timestamp,
    ) -> Result<Option<Id>> {
        read!(&self.pools, |c| interactions::idempotent_status(
            c, account_id, key, since
        )
        .await)
    }

    async fn hidden_accounts(
        &self,
        account_id: Id,
        now: Timestamp,
        notifications_only: bool,
    ) -> Result<Vec<Id>> {
        read!(&self.pools, |c| restrictions::hidden(
            c,
            account_id,
            now,
            notifications_only
        )
        .await)
    }

    async fn restricted_accounts(
        &self,
        account_id: Id,
        kind: Restriction,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Account)>> {
        read!(&self.pools, |c| restrictions::listed(
            c, account_id, kind, page
        )
        .await)
    }

    async fn follow_request_count(&self, account_id: Id) -> Result<i64> {
        read!(&self.pools, |c| restrictions::follow_request_count(
            c, account_id
        )
        .await)
    }

    async fn follow_requests(
        &self,
        account_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<(Id, Account)>> {
        read!(&self.pools, |c| restrictions::follow_requests(
            c, account_id, page
        )
        .await)
    }

    async fn tag_timeline(
        &self,
        tag: &str,
        local: Option<bool>,
        only_media: bool,
        page: TimelinePage,
    ) -> Result<Vec<Status>> {
        read!(&self.pools, |c| interactions::tag_timeline(
            c, tag, local, only_media, page
        )
        .await)
    }

    async fn search_accounts(
        &self,
        q: &str,
        query: rookery_store::AccountSearch,
    ) -> Result<Vec<Account>> {
        read!(&self.pools, |c| statuses::search_accounts(c, q, query)
            .await)
    }

    async fn muted_conversations(&self, account_id: Id, conversations: &[Id]) -> Result<Vec<Id>> {
        read!(&self.pools, |c| statuses::muted_conversations(
            c,
            account_id,
            conversations
        )
        .await)
    }

    async fn pinned_statuses(&self, account_id: Id) -> Result<Vec<Status>> {
        read!(&self.pools, |c| statuses::pinned(c, account_id).await)
    }

    async fn status_edits(&self, status_id: Id) -> Result<Vec<rookery_store::StatusEdit>> {
        read!(&self.pools, |c| interactions::status_edits(c, status_id)
            .await)
    }
}

pub(crate) use crate::transaction::SqlTx;
