//! Units of work: the `Transaction` implementation over either engine.

use async_trait::async_trait;

use rookery_model::{Account, Id, Role, Status, Timestamp, User};
use rookery_store::{
    Follow, Interaction, NewJob, NewRestriction, Restriction, Result, Transaction,
};

use crate::db::{Conn, map_err};
use crate::{accounts, interactions, jobs, restrictions, settings, social, statuses};

/// Called with a queue's name after a transaction that enqueued jobs on it committed.
pub type JobsCommitted = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// The callbacks registered with a store (workers in this process waiting for jobs).
#[derive(Clone, Default)]
pub(crate) struct Hooks(std::sync::Arc<std::sync::RwLock<Vec<JobsCommitted>>>);

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hooks")
    }
}

impl Hooks {
    pub(crate) fn add(&self, hook: JobsCommitted) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(hook);
    }

    fn call(&self, queue: &str) {
        let hooks = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for hook in hooks.iter() {
            hook(queue);
        }
    }
}

enum Inner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Pg(sqlx::Transaction<'static, sqlx::Postgres>, bool),
}

/// A unit of work on either engine.
pub(crate) struct SqlTx {
    inner: Inner,
    /// Set for transactions handed out by `Store::begin`: who to tell about new jobs.
    hooks: Option<Hooks>,
    /// Queues this transaction enqueued jobs on.
    queues: Vec<String>,
}

impl SqlTx {
    pub(crate) fn sqlite(tx: sqlx::Transaction<'static, sqlx::Sqlite>) -> Self {
        SqlTx {
            inner: Inner::Sqlite(tx),
            hooks: None,
            queues: Vec::new(),
        }
    }

    pub(crate) fn pg(tx: sqlx::Transaction<'static, sqlx::Postgres>, persistent: bool) -> Self {
        SqlTx {
            inner: Inner::Pg(tx, persistent),
            hooks: None,
            queues: Vec::new(),
        }
    }

    pub(crate) fn with_hooks(mut self, hooks: Hooks) -> Self {
        self.hooks = Some(hooks);
        self
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            Inner::Sqlite(tx) => Conn::Sqlite(tx),
            Inner::Pg(tx, persistent) => Conn::Pg(tx, *persistent),
        }
    }

    /// Commits (`true`) or rolls back. After a commit that enqueued jobs, wakes this process's
    /// workers for those queues (others find the jobs when they next poll).
    pub(crate) async fn finish(self, commit: bool) -> Result<()> {
        match (self.inner, commit) {
            (Inner::Sqlite(tx), true) => tx.commit().await.map_err(map_err)?,
            (Inner::Sqlite(tx), false) => tx.rollback().await.map_err(map_err)?,
            (Inner::Pg(tx, _), true) => tx.commit().await.map_err(map_err)?,
            (Inner::Pg(tx, _), false) => tx.rollback().await.map_err(map_err)?,
        }
        if commit
            && !self.queues.is_empty()
            && let Some(hooks) = &self.hooks
        {
            for q in &self.queues {
                hooks.call(q);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Transaction for SqlTx {
    fn notifications(&mut self) -> &mut dyn rookery_store::NotificationTx {
        self
    }

    fn notification_requests(&mut self) -> &mut dyn rookery_store::NotificationRequestTx {
        self
    }

    fn filters(&mut self) -> &mut dyn rookery_store::FilterTx {
        self
    }

    fn polls(&mut self) -> &mut dyn rookery_store::PollTx {
        self
    }

    fn scheduled_statuses(&mut self) -> &mut dyn rookery_store::ScheduledStatusTx {
        self
    }

    fn preview_cards(&mut self) -> &mut dyn rookery_store::PreviewCardTx {
        self
    }

    fn tags(&mut self) -> &mut dyn rookery_store::TagTx {
        self
    }

    fn featured_tags(&mut self) -> &mut dyn rookery_store::FeaturedTagTx {
        self
    }

    fn custom_emojis(&mut self) -> &mut dyn rookery_store::CustomEmojiTx {
        self
    }

    fn announcements(&mut self) -> &mut dyn rookery_store::AnnouncementTx {
        self
    }

    fn user_tokens(&mut self) -> &mut dyn rookery_store::UserTokenTx {
        self
    }

    fn sign_in(&mut self) -> &mut dyn rookery_store::SignInTx {
        self
    }

    fn account_deletion(&mut self) -> &mut dyn rookery_store::AccountDeletionTx {
        self
    }

    fn imports(&mut self) -> &mut dyn rookery_store::ImportTx {
        self
    }

    fn invites(&mut self) -> &mut dyn rookery_store::InviteTx {
        self
    }

    fn reports(&mut self) -> &mut dyn rookery_store::ReportTx {
        self
    }

    fn audit_log(&mut self) -> &mut dyn rookery_store::AuditLogTx {
        self
    }

    fn webhooks(&mut self) -> &mut dyn rookery_store::WebhookTx {
        self
    }

    fn account_moderation(&mut self) -> &mut dyn rookery_store::AccountModerationTx {
        self
    }

    fn appeals(&mut self) -> &mut dyn rookery_store::AppealTx {
        self
    }

    fn severances(&mut self) -> &mut dyn rookery_store::SeveranceTx {
        self
    }

    fn threads(&mut self) -> &mut dyn rookery_store::ThreadTx {
        self
    }

    fn remote_counts(&mut self) -> &mut dyn rookery_store::RemoteCountsTx {
        self
    }

    fn account_moves(&mut self) -> &mut dyn rookery_store::AccountMovesTx {
        self
    }

    fn relays(&mut self) -> &mut dyn rookery_store::RelayTx {
        self
    }

    fn quotes(&mut self) -> &mut dyn rookery_store::QuoteTx {
        self
    }

    fn server_policy(&mut self) -> &mut dyn rookery_store::ServerPolicyTx {
        self
    }

    fn rules(&mut self) -> &mut dyn rookery_store::RuleTx {
        self
    }

    fn notification_emails(&mut self) -> &mut dyn rookery_store::NotificationEmailTx {
        self
    }

    fn export(&mut self) -> &mut dyn rookery_store::ExportTx {
        self
    }

    fn oauth(&mut self) -> &mut dyn rookery_store::OAuthTx {
        self
    }

    fn endorsements(&mut self) -> &mut dyn rookery_store::EndorsementTx {
        self
    }

    fn user_domain_blocks(&mut self) -> &mut dyn rookery_store::UserDomainBlockTx {
        self
    }

    fn suggestions(&mut self) -> &mut dyn rookery_store::SuggestionTx {
        self
    }

    fn user_settings(&mut self) -> &mut dyn rookery_store::UserSettingsTx {
        self
    }

    fn lists(&mut self) -> &mut dyn rookery_store::ListTx {
        self
    }

    fn conversations(&mut self) -> &mut dyn rookery_store::ConversationTx {
        self
    }

    fn trends(&mut self) -> &mut dyn rookery_store::trends::TrendTx {
        self
    }

    async fn insert_account(&mut self, account: &Account) -> Result<()> {
        accounts::insert_account(self.conn(), account).await
    }

    async fn insert_user(&mut self, user: &User) -> Result<()> {
        accounts::insert_user(self.conn(), user).await
    }

    async fn update_remote_account(&mut self, account: &Account) -> Result<()> {
        crate::federation::update_remote_account(self.conn(), account).await
    }

    async fn delete_remote_account(&mut self, id: Id) -> Result<bool> {
        crate::federation::delete_remote_account(self.conn(), id).await
    }

    async fn delivery_succeeded(&mut self, host: &str, now: Timestamp) -> Result<()> {
        crate::federation::delivery_succeeded(self.conn(), host, now).await
    }

    async fn delivery_failed(
        &mut self,
        host: &str,
        now: Timestamp,
        unavailable_after_ms: i64,
        skip_for_ms: i64,
    ) -> Result<Option<rookery_store::DeliveryHost>> {
        crate::federation::delivery_failed(
            self.conn(),
            host,
            now,
            unavailable_after_ms,
            skip_for_ms,
        )
        .await
    }

    async fn insert_media(&mut self, media: &rookery_model::MediaAttachment) -> Result<()> {
        crate::media::insert(self.conn(), media).await
    }

    async fn update_media(&mut self, media: &rookery_model::MediaAttachment) -> Result<()> {
        crate::media::update(self.conn(), media).await
    }

    async fn complete_media(&mut self, media: &rookery_model::MediaAttachment) -> Result<bool> {
        crate::media::complete(self.conn(), media).await
    }

    async fn claim_remote_media(&mut self, media: &rookery_model::MediaAttachment) -> Result<bool> {
        crate::media::claim_remote(self.conn(), media).await
    }

    async fn describe_attached_media(
        &mut self,
        id: Id,
        status_id: Id,
        description: &str,
        focus: Option<(f64, f64)>,
        now: Timestamp,
    ) -> Result<bool> {
        crate::media::describe_attached(self.conn(), id, status_id, description, focus, now).await
    }

    async fn describe_media(
        &mut self,
        id: Id,
        account_id: Id,
        description: &str,
        focus: Option<(f64, f64)>,
        now: Timestamp,
    ) -> Result<bool> {
        crate::media::describe(self.conn(), id, account_id, description, focus, now).await
    }

    async fn note_media_error(&mut self, id: Id, error: &str, now: Timestamp) -> Result<()> {
        crate::media::note_error(self.conn(), id, error, now).await
    }

    async fn evict_media(&mut self, id: Id, file_key: &str, now: Timestamp) -> Result<bool> {
        crate::media::evict(self.conn(), id, file_key, now).await
    }

    async fn delete_unattached_media(&mut self, id: Id) -> Result<bool> {
        crate::media::delete_unattached(self.conn(), id).await
    }

    async fn attach_media(&mut self, status_id: Id, account_id: Id, ids: &[Id]) -> Result<u64> {
        crate::media::attach(self.conn(), status_id, account_id, ids).await
    }

    async fn set_status_media(&mut self, status_id: Id, account_id: Id, ids: &[Id]) -> Result<u64> {
        crate::media::set_status_media(self.conn(), status_id, account_id, ids).await
    }

    async fn delete_media(&mut self, id: Id) -> Result<bool> {
        crate::media::delete(self.conn(), id).await
    }

    async fn touch_media(&mut self, ids: &[Id], now: Timestamp) -> Result<()> {
        crate::media::touch(self.conn(), ids, now).await
    }

    async fn set_account_image(
        &mut self,
        account_id: Id,
        purpose: rookery_model::MediaPurpose,
        media_id: Option<Id>,
        now: Timestamp,
    ) -> Result<()> {
        crate::media::set_account_image(self.conn(), account_id, purpose, media_id, now).await
    }

    async fn upsert_custom_emoji(
        &mut self,
        emoji: &rookery_model::CustomEmoji,
    ) -> Result<rookery_model::CustomEmoji> {
        crate::emoji::upsert(self.conn(), emoji).await
    }

    async fn set_emoji_media(&mut self, image_remote_url: &str, media_id: Id) -> Result<()> {
        crate::emoji::set_media(self.conn(), image_remote_url, media_id).await
    }

    async fn update_profile(&mut self, account: &Account) -> Result<()> {
        accounts::update_profile(self.conn(), account).await
    }

    async fn set_password_hash(&mut self, user_id: Id, hash: &str, now: Timestamp) -> Result<()> {
        accounts::set_password_hash(self.conn(), user_id, hash, now).await
    }

    async fn set_role(&mut self, user_id: Id, role: Role, now: Timestamp) -> Result<()> {
        accounts::set_role(self.conn(), user_id, role, now).await
    }

    async fn set_suspended(
        &mut self,
        account_id: Id,
        at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        accounts::set_suspended(self.conn(), account_id, at, now).await
    }

    async fn insert_status(&mut self, status: &Status) -> Result<()> {
        statuses::insert(self.conn(), status).await
    }

    async fn insert_mentions(
        &mut self,
        status_id: Id,
        mentions: &[(Id, Id)],
        now: Timestamp,
    ) -> Result<()> {
        statuses::insert_mentions(self.conn(), status_id, mentions, now).await
    }

    async fn add_to_home_feeds(
        &mut self,
        status_id: Id,
        reblog_of_id: Option<Id>,
        account_ids: &[Id],
    ) -> Result<u64> {
        statuses::add_to_feeds(self.conn(), status_id, reblog_of_id, account_ids).await
    }

    async fn insert_interaction(
        &mut self,
        kind: Interaction,
        id: Id,
        account_id: Id,
        status_id: Id,
        now: Timestamp,
    ) -> Result<bool> {
        interactions::insert(self.conn(), kind, id, account_id, status_id, now).await
    }

    async fn delete_interaction(
        &mut self,
        kind: Interaction,
        account_id: Id,
        status_id: Id,
    ) -> Result<bool> {
        interactions::delete(self.conn(), kind, account_id, status_id).await
    }

    async fn count_reblog(&mut self, status_id: Id, delta: i64) -> Result<()> {
        interactions::count(self.conn(), "reblogs_count", status_id, delta).await
    }

    async fn update_status_content(&mut self, status: &Status) -> Result<()> {
        interactions::update_status_content(self.conn(), status).await
    }

    async fn tag_status(
        &mut self,
        status_id: Id,
        tags: &[(Id, String)],
        now: Timestamp,
    ) -> Result<()> {
        interactions::tag_status(self.conn(), status_id, tags, now).await
    }

    async fn set_conversation_mute(
        &mut self,
        account_id: Id,
        conversation_id: Id,
        on: bool,
        now: Timestamp,
    ) -> Result<()> {
        statuses::set_conversation_mute(self.conn(), account_id, conversation_id, on, now).await
    }

    async fn set_pinned(&mut self, status_id: Id, at: Option<Timestamp>) -> Result<()> {
        statuses::set_pinned(self.conn(), status_id, at).await
    }

    async fn insert_status_edit(&mut self, edit: &rookery_store::StatusEdit) -> Result<()> {
        interactions::insert_status_edit(self.conn(), edit).await
    }

    async fn remove_author_from_home_feed(&mut self, account_id: Id, author_id: Id) -> Result<u64> {
        social::unmerge(self.conn(), account_id, author_id).await
    }

    async fn delete_status(&mut self, id: Id) -> Result<bool> {
        statuses::delete(self.conn(), id).await
    }

    async fn count_status(
        &mut self,
        account_id: Id,
        delta: i64,
        at: Option<Timestamp>,
    ) -> Result<()> {
        statuses::count_status(self.conn(), account_id, delta, at).await
    }

    async fn count_reply(&mut self, status_id: Id, delta: i64) -> Result<()> {
        statuses::count_reply(self.conn(), status_id, delta).await
    }

    async fn insert_follow_request(&mut self, request: &Follow) -> Result<bool> {
        restrictions::insert_follow_request(self.conn(), request).await
    }

    async fn take_follow_request(
        &mut self,
        account_id: Id,
        target_account_id: Id,
    ) -> Result<Option<Follow>> {
        let taken =
            restrictions::take_follow_request(self.conn(), account_id, target_account_id).await?;
        if taken.is_some() {
            // The notice of a request goes with it, as in Mastodon (answered, withdrawn,
            // blocked).
            rookery_store::NotificationTx::delete_notifications_from(
                self,
                target_account_id,
                account_id,
                rookery_store::NotificationKind::FollowRequest,
            )
            .await?;
        }
        Ok(taken)
    }

    async fn insert_follow(&mut self, follow: &Follow) -> Result<bool> {
        social::insert_follow(self.conn(), follow).await
    }

    async fn delete_follow(&mut self, account_id: Id, target_account_id: Id) -> Result<bool> {
        social::delete_follow(self.conn(), account_id, target_account_id).await
    }

    async fn delete_undone_follow(
        &mut self,
        account_id: Id,
        target_account_id: Id,
        follow_uri: &str,
        renewed_before: rookery_model::Timestamp,
    ) -> Result<bool> {
        social::delete_undone_follow(
            self.conn(),
            account_id,
            target_account_id,
            follow_uri,
            renewed_before,
        )
        .await
    }

    async fn prune_expired_mutes(&mut self, now: Timestamp) -> Result<u64> {
        crate::db::exec!(
            self.conn(),
            "DELETE FROM mutes WHERE expires_at IS NOT NULL AND expires_at <= $1",
            now.as_millis()
        )
    }

    async fn renew_follow(
        &mut self,
        account_id: Id,
        target_account_id: Id,
        uri: &str,
        at: rookery_model::Timestamp,
    ) -> Result<bool> {
        Ok(crate::db::exec!(
            self.conn(),
            "UPDATE follows SET uri = $3, created_at = $4 \
             WHERE account_id = $1 AND target_account_id = $2",
            account_id.as_i64(),
            target_account_id.as_i64(),
            uri,
            at.as_millis()
        )? == 1)
    }

    async fn set_follow_options(
        &mut self,
        account_id: Id,
        target_account_id: Id,
        show_reblogs: bool,
        notify: bool,
    ) -> Result<bool> {
        Ok(crate::db::exec!(
            self.conn(),
            "UPDATE follows SET show_reblogs = $3, notify = $4 \
             WHERE account_id = $1 AND target_account_id = $2",
            account_id.as_i64(),
            target_account_id.as_i64(),
            show_reblogs,
            notify
        )? == 1)
    }

    async fn record_idempotency(
        &mut self,
        account_id: Id,
        key: &str,
        status_id: Id,
        now: Timestamp,
        expired_before: Timestamp,
    ) -> Result<bool> {
        interactions::record_idempotency(
            self.conn(),
            account_id,
            key,
            status_id,
            now,
            expired_before,
        )
        .await
    }

    async fn restrict(&mut self, r: &NewRestriction) -> Result<bool> {
        restrictions::restrict(self.conn(), r).await
    }

    async fn unrestrict(
        &mut self,
        kind: Restriction,
        account_id: Id,
        target_id: Id,
    ) -> Result<bool> {
        restrictions::unrestrict(self.conn(), kind, account_id, target_id).await
    }

    async fn put_setting_once(&mut self, key: &str, value: &str, now: Timestamp) -> Result<String> {
        settings::put_once(self.conn(), key, value, now).await
    }

    async fn put_setting(&mut self, key: &str, value: &str, now: Timestamp) -> Result<()> {
        settings::put(self.conn(), key, value, now).await
    }

    async fn enqueue(&mut self, job: &NewJob) -> Result<bool> {
        let added = jobs::enqueue(self.conn(), job).await?;
        if added && !self.queues.contains(&job.queue) {
            self.queues.push(job.queue.clone());
        }
        Ok(added)
    }

    async fn claim_period(&mut self, name: &str, period: i64, now: Timestamp) -> Result<bool> {
        jobs::claim_period(self.conn(), name, period, now).await
    }

    async fn prune_expired_tokens(&mut self, before: Timestamp) -> Result<u64> {
        jobs::prune_expired_tokens(self.conn(), before).await
    }

    async fn put_domain_block(&mut self, block: &rookery_model::DomainBlock) -> Result<()> {
        crate::domain_blocks::put(self.conn(), block).await
    }

    async fn delete_domain_block(&mut self, domain: &str) -> Result<bool> {
        crate::domain_blocks::delete(self.conn(), domain).await
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.finish(true).await
    }
}
