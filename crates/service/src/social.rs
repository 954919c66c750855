//! Follows, relationships and account look-ups.

use rookery_api as api;
use rookery_model::{Account, Id, Username, Visibility};
use rookery_store::{
    AccountStatusesFilter, Follow, LocalAccount, NewRestriction, Notification, NotificationKind,
    Relationship, Restriction, TimelinePage,
};
use serde::{Deserialize, Serialize};

use crate::{Result, ServiceError, Services};

/// What follows a follow or unfollow: merging or removing the target's statuses in the
/// follower's home feed, and the `follow` notification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowEffects {
    pub follower: Id,
    pub target: Id,
    /// `true` for a follow, `false` for an unfollow.
    pub followed: bool,
}

impl rookery_jobs::JobSpec for FollowEffects {
    const KIND: &'static str = "follow_effects";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Default;
}

fn relationship_entity(id: Id, r: Relationship) -> api::Relationship {
    api::Relationship {
        id: id.to_string(),
        following: r.following,
        showing_reblogs: r.following && r.showing_reblogs,
        notifying: r.notifying,
        languages: None,
        followed_by: r.followed_by,
        blocking: r.blocking,
        blocked_by: r.blocked_by,
        muting: r.muting,
        muting_notifications: r.muting && r.muting_notifications,
        requested: r.requested,
        requested_by: false,
        domain_blocking: false,
        endorsed: false,
        note: String::new(),
    }
}

/// Deepest `offset` an account search goes (past it, nothing is found).
const MAX_SEARCH_OFFSET: u32 = 10_000;

/// `GET /api/v1/accounts/search` and the accounts of `/api/v2/search`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountSearchQuery {
    pub limit: u32,
    /// Matches skipped, for paging (`offset`).
    pub offset: u32,
    /// Look a full handle up on its server.
    pub resolve: bool,
    /// Only accounts this account follows (`following=true`).
    pub following_of: Option<Id>,
}

impl Services {
    /// Queues, in `tx`, what follows a follow (`followed`) or unfollow of `target` by `follower`.
    pub(crate) async fn enqueue_follow_effects(
        &self,
        tx: &mut dyn rookery_store::Transaction,
        follower: Id,
        target: Id,
        followed: bool,
    ) -> Result<()> {
        rookery_jobs::enqueue(
            tx,
            &self.ids,
            self.clock.now(),
            &FollowEffects {
                follower,
                target,
                followed,
            },
        )
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// An account that exists and is not suspended.
    pub(crate) async fn live_account(&self, id: Id) -> Result<Account> {
        match self.store.account(id).await? {
            Some(a) if a.suspended_at.is_none() => Ok(a),
            _ => Err(ServiceError::NotFound("account")),
        }
    }

    /// `GET /api/v1/accounts/:id`.
    pub async fn get_account(&self, id: Id) -> Result<api::Account> {
        self.account_entity_with_emojis(&self.live_account(id).await?)
            .await
    }

    /// `GET /api/v1/accounts/lookup?acct=`: `user`, `user@our.domain`, or a remote
    /// `user@domain` — with `resolve`, found through WebFinger when not known yet.
    pub async fn lookup_account(&self, acct: &str, resolve: bool) -> Result<api::Account> {
        let acct = acct.trim().trim_start_matches('@');
        let (user, domain) = match acct.split_once('@') {
            Some((u, d)) => (u, Some(d)),
            None => (acct, None),
        };
        if let Some(d) = domain.filter(|d| !d.eq_ignore_ascii_case(self.settings.domain.as_str())) {
            let found = if resolve {
                self.resolve_acct(user, d).await
            } else {
                match self.store.remote_account(user, d).await? {
                    Some(a) => Ok(a),
                    None => Err(crate::federation::ResolveError::NotFound),
                }
            };
            return match found {
                Ok(a) if a.suspended_at.is_none() => self.account_entity_with_emojis(&a).await,
                Ok(_) => Err(ServiceError::NotFound("account")),
                Err(e) => {
                    tracing::debug!(acct, error = %e, "remote account not resolved");
                    Err(ServiceError::NotFound("account"))
                }
            };
        }
        let user = Username::parse(user).map_err(|_| ServiceError::NotFound("account"))?;
        match self.store.local_account_by_username(user.as_str()).await? {
            Some(l) if l.account.suspended_at.is_none() => {
                self.account_entity_with_emojis(&l.account).await
            }
            _ => Err(ServiceError::NotFound("account")),
        }
    }

    /// `GET /api/v1/accounts/search?q=`: accounts by username prefix or display name; with
    /// `resolve`, a full `user@domain` handle is looked up on its server when not known.
    pub async fn search_accounts(
        &self,
        q: &str,
        query: AccountSearchQuery,
    ) -> Result<Vec<api::Account>> {
        let AccountSearchQuery {
            limit,
            offset,
            resolve,
            following_of,
        } = query;
        let q = q.trim().trim_start_matches('@');
        let q = match q.split_once('@') {
            Some((user, domain)) if domain.eq_ignore_ascii_case(self.settings.domain.as_str()) => {
                user
            }
            Some((user, domain)) => {
                let found = if resolve {
                    self.resolve_acct(user, domain).await.ok()
                } else {
                    self.store.remote_account(user, domain).await?
                };
                // One account at most: nothing past the first page; `following` checked.
                let followed = match (&found, following_of) {
                    (Some(a), Some(me)) => self
                        .store
                        .relationships(me, &[a.id])
                        .await?
                        .first()
                        .is_some_and(|(_, r)| r.following),
                    _ => true,
                };
                let found: Vec<&Account> = found
                    .iter()
                    .filter(|a| a.suspended_at.is_none() && offset == 0 && followed)
                    .collect();
                return self.account_entities(&found).await;
            }
            None => q,
        };
        if q.is_empty() || q.chars().count() > 100 || offset > MAX_SEARCH_OFFSET {
            return Ok(Vec::new());
        }
        let found = self
            .store
            .search_accounts(
                q,
                rookery_store::AccountSearch {
                    followed_by: following_of,
                    offset,
                    limit: limit.clamp(1, 80),
                },
            )
            .await?;
        self.account_entities(&found.iter().collect::<Vec<_>>())
            .await
    }

    /// `POST /api/v1/accounts/:id/follow`.
    pub async fn follow(
        &self,
        user: &LocalAccount,
        target_id: Id,
        reblogs: Option<bool>,
        notify: Option<bool>,
    ) -> Result<api::Relationship> {
        let target = self.live_account(target_id).await?;
        if target.id == user.account.id {
            return Err(ServiceError::invalid("account", "cannot follow itself"));
        }
        let rel = self
            .store
            .relationships(user.account.id, &[target.id])
            .await?
            .first()
            .map(|(_, r)| *r)
            .unwrap_or_default();
        if rel.blocking || rel.blocked_by {
            return Err(ServiceError::Forbidden);
        }

        let now = self.clock.now();
        let id = self.ids.next_id();
        let follow = Follow {
            id,
            account_id: user.account.id,
            target_account_id: target.id,
            show_reblogs: reblogs.unwrap_or(true),
            notify: notify.unwrap_or(false),
            uri: Some(self.urls.follow(id)),
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        if rel.following {
            // Following already: the options change (Mastodon's `reblogs=0`, `notify=1`).
            if reblogs.is_some() || notify.is_some() {
                tx.set_follow_options(
                    user.account.id,
                    target.id,
                    reblogs.unwrap_or(rel.showing_reblogs),
                    notify.unwrap_or(rel.notifying),
                )
                .await?;
            }
            tx.commit().await?;
            return self.relationship(user, target.id).await;
        }
        if !target.is_local() {
            // The other server decides: a request until its Accept arrives.
            if !rel.following && !rel.requested && tx.insert_follow_request(&follow).await? {
                let uri = self.urls.follow(id);
                let activity = self.follow_activity(&user.account, &target, &uri);
                let inbox = target.inbox_url.clone().into_iter().collect();
                self.enqueue_federate(tx.as_mut(), &user.account, &activity, false, inbox)
                    .await?;
            }
            tx.commit().await?;
            return self.relationship(user, target.id).await;
        }
        if target.locked {
            // A locked account decides: a request, and a notification for it.
            if !rel.following && tx.insert_follow_request(&follow).await? {
                self.enqueue_notify(
                    tx.as_mut(),
                    target.id,
                    user.account.id,
                    "follow_request",
                    None,
                )
                .await?;
            }
            tx.commit().await?;
            return self.relationship(user, target.id).await;
        }
        if tx.insert_follow(&follow).await? {
            self.enqueue_follow_effects(tx.as_mut(), user.account.id, target.id, true)
                .await?;
        }
        tx.commit().await?;
        self.relationship(user, target.id).await
    }

    /// `POST /api/v1/accounts/:id/unfollow`.
    pub async fn unfollow(&self, user: &LocalAccount, target_id: Id) -> Result<api::Relationship> {
        let target = self
            .store
            .account(target_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let existing = self
            .store
            .follow_between(user.account.id, target.id)
            .await?;
        let mut tx = self.store.begin().await?;
        if let Some(f) = existing.filter(|_| !target.is_local()) {
            let uri = f.uri.clone().unwrap_or_else(|| self.urls.follow(f.id));
            let follow = self.follow_activity(&user.account, &target, &uri);
            let undo = self.undo_activity(&user.account, follow);
            let inbox = target.inbox_url.clone().into_iter().collect();
            self.enqueue_federate(tx.as_mut(), &user.account, &undo, false, inbox)
                .await?;
        }
        // Unfollowing also withdraws a pending request.
        tx.take_follow_request(user.account.id, target.id).await?;
        if tx.delete_follow(user.account.id, target.id).await? {
            // Lists hold followed accounts only: left at once, as in Mastodon (the job's other
            // effects, the home feed, may follow later).
            tx.lists()
                .remove_from_owner_lists(user.account.id, target.id)
                .await?;
            self.enqueue_follow_effects(tx.as_mut(), user.account.id, target.id, false)
                .await?;
        }
        tx.commit().await?;
        self.relationship(user, target.id).await
    }

    async fn relationship(&self, user: &LocalAccount, target: Id) -> Result<api::Relationship> {
        let mut rels = self.relationships(user, &[target]).await?;
        rels.pop().ok_or(ServiceError::NotFound("account"))
    }

    /// `GET /api/v1/accounts/relationships`.
    pub async fn relationships(
        &self,
        user: &LocalAccount,
        ids: &[Id],
    ) -> Result<Vec<api::Relationship>> {
        let mut ids = ids.to_vec();
        ids.truncate(100);
        let rels = self.store.relationships(user.account.id, &ids).await?;
        let rels = rels
            .into_iter()
            .map(|(id, r)| relationship_entity(id, r))
            .collect();
        self.with_endorsements_and_notes(user, rels).await
    }

    /// The `follow_effects` job.
    pub(crate) async fn follow_effects(&self, job: &FollowEffects) -> Result<()> {
        let now = self.clock.now();
        if !job.followed {
            // Followed again before this ran: nothing to undo.
            let again = self
                .store
                .relationships(job.follower, &[job.target])
                .await?
                .first()
                .is_some_and(|(_, r)| r.following);
            if again {
                return Ok(());
            }
            let mut tx = self.store.begin().await?;
            tx.remove_author_from_home_feed(job.follower, job.target)
                .await?;
            // Lists hold followed accounts only (as in Mastodon).
            tx.lists()
                .remove_from_owner_lists(job.follower, job.target)
                .await?;
            return Ok(tx.commit().await?);
        }
        let still = self
            .store
            .relationships(job.follower, &[job.target])
            .await?
            .first()
            .map(|(_, r)| *r)
            .filter(|r| r.following);
        let Some(rel) = still else {
            return Ok(());
        };
        let recent = self
            .store
            .account_statuses(
                job.target,
                &AccountStatusesFilter {
                    visibilities: vec![
                        Visibility::Public,
                        Visibility::Unlisted,
                        Visibility::Private,
                    ],
                    exclude_replies: false,
                    // Boosts only for followers who want them (`reblogs=false`).
                    exclude_reblogs: !rel.showing_reblogs,
                    tagged: None,
                    only_media: false,
                },
                TimelinePage {
                    limit: 40,
                    ..TimelinePage::default()
                },
            )
            .await?;
        let target_is_local = self
            .store
            .account(job.target)
            .await?
            .is_some_and(|a| a.is_local());
        let mut tx = self.store.begin().await?;
        for s in &recent {
            tx.add_to_home_feeds(s.id, s.reblog_of_id, &[job.follower])
                .await?;
        }
        if !target_is_local {
            return Ok(tx.commit().await?);
        }
        let mut notification = Notification {
            id: self.ids.next_id(),
            account_id: job.target,
            from_account_id: job.follower,
            kind: NotificationKind::Follow,
            status_id: None,
            group_key: None,
            created_at: now,
            filtered: false,
        };
        let shown = self
            .store_notification(tx.as_mut(), &mut notification)
            .await?;
        tx.commit().await?;
        if !shown {
            return Ok(());
        }
        if let Err(e) = self.publish_notifications(vec![notification]).await {
            tracing::warn!(error = %e, "streaming notification not published");
        }
        Ok(())
    }

    /// `POST /api/v1/accounts/:id/block`: also ends follows both ways.
    pub async fn block(&self, user: &LocalAccount, target_id: Id) -> Result<api::Relationship> {
        let target = self.live_account(target_id).await?;
        if target.id == user.account.id {
            return Err(ServiceError::invalid("account", "cannot block itself"));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.restrict(&NewRestriction {
            kind: Restriction::Block,
            id: self.ids.next_id(),
            account_id: user.account.id,
            target_id: target.id,
            hide_notifications: true,
            expires_at: None,
            created_at: now,
        })
        .await?;
        if !target.is_local() {
            let activity = self.block_activity(&user.account, &target);
            let inbox = target.inbox_url.clone().into_iter().collect();
            self.enqueue_federate(tx.as_mut(), &user.account, &activity, false, inbox)
                .await?;
        }
        tx.take_follow_request(user.account.id, target.id).await?;
        tx.take_follow_request(target.id, user.account.id).await?;
        for (follower, followed) in [(user.account.id, target.id), (target.id, user.account.id)] {
            if tx.delete_follow(follower, followed).await? {
                self.enqueue_follow_effects(tx.as_mut(), follower, followed, false)
                    .await?;
            }
        }
        tx.commit().await?;
        self.publish_relationship_change(user.account.id, target.id);
        self.relationship(user, target.id).await
    }

    /// `POST /api/v1/accounts/:id/mute` (`notifications` default true; `duration` in seconds,
    /// 0 or none for ever).
    pub async fn mute(
        &self,
        user: &LocalAccount,
        target_id: Id,
        notifications: Option<bool>,
        duration_secs: Option<u64>,
    ) -> Result<api::Relationship> {
        let target = self.live_account(target_id).await?;
        if target.id == user.account.id {
            return Err(ServiceError::invalid("account", "cannot mute itself"));
        }
        let now = self.clock.now();
        let expires = duration_secs
            .filter(|d| *d > 0)
            .map(|d| now.plus_millis(i64::try_from(d.saturating_mul(1000)).unwrap_or(i64::MAX)));
        let mut tx = self.store.begin().await?;
        tx.restrict(&NewRestriction {
            kind: Restriction::Mute,
            id: self.ids.next_id(),
            account_id: user.account.id,
            target_id: target.id,
            hide_notifications: notifications.unwrap_or(true),
            expires_at: expires,
            created_at: now,
        })
        .await?;
        tx.commit().await?;
        self.publish_relationship_change(user.account.id, target.id);
        self.relationship(user, target.id).await
    }

    /// `POST /api/v1/accounts/:id/unblock` and `/unmute`.
    pub async fn unrestrict(
        &self,
        user: &LocalAccount,
        target_id: Id,
        kind: Restriction,
    ) -> Result<api::Relationship> {
        let target = self
            .store
            .account(target_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let mut tx = self.store.begin().await?;
        if tx.unrestrict(kind, user.account.id, target.id).await?
            && kind == Restriction::Block
            && !target.is_local()
        {
            let block = self.block_activity(&user.account, &target);
            let undo = self.undo_activity(&user.account, block);
            let inbox = target.inbox_url.clone().into_iter().collect();
            self.enqueue_federate(tx.as_mut(), &user.account, &undo, false, inbox)
                .await?;
        }
        tx.commit().await?;
        self.publish_relationship_change(user.account.id, target.id);
        self.relationship(user, target.id).await
    }

    /// `GET /api/v1/blocks` and `/api/v1/mutes`, with the row ids that page them.
    pub async fn restricted(
        &self,
        user: &LocalAccount,
        kind: Restriction,
        page: TimelinePage,
    ) -> Result<Vec<(String, api::Account)>> {
        let rows = self
            .store
            .restricted_accounts(user.account.id, kind, page)
            .await?;
        self.paged_account_entities(rows).await
    }

    /// Ids (as API strings) of the accounts whose content `viewer` must not see.
    pub(crate) async fn hidden_for(
        &self,
        viewer: Option<&Account>,
        notifications_only: bool,
    ) -> Result<std::collections::HashSet<String>> {
        let Some(v) = viewer else {
            return Ok(std::collections::HashSet::new());
        };
        Ok(self
            .store
            .hidden_accounts(v.id, self.clock.now(), notifications_only)
            .await?
            .into_iter()
            .map(|id| id.to_string())
            .collect())
    }

    /// How many accounts wait for the user's approval (`source.follow_requests_count`).
    pub async fn follow_request_count(&self, user: &LocalAccount) -> Result<i64> {
        Ok(self.store.follow_request_count(user.account.id).await?)
    }

    /// `GET /api/v1/follow_requests`, with the request ids that page them.
    pub async fn follow_requests(
        &self,
        user: &LocalAccount,
        page: TimelinePage,
    ) -> Result<Vec<(String, api::Account)>> {
        let rows = self.store.follow_requests(user.account.id, page).await?;
        self.paged_account_entities(rows).await
    }

    /// `POST /api/v1/follow_requests/:id/authorize` (`approve`) or `/reject`; returns the
    /// relationship to the requester.
    pub async fn answer_follow_request(
        &self,
        user: &LocalAccount,
        requester: Id,
        approve: bool,
    ) -> Result<api::Relationship> {
        let now = self.clock.now();
        let requester_account = self.store.account(requester).await?;
        let mut tx = self.store.begin().await?;
        let request = tx
            .take_follow_request(requester, user.account.id)
            .await?
            .ok_or(ServiceError::NotFound("follow request"))?;
        if let Some(requester_account) = requester_account
            && !requester_account.is_local()
        {
            let uri = request.uri.clone().unwrap_or_default();
            self.enqueue_answer(
                tx.as_mut(),
                &user.account,
                &requester_account,
                &uri,
                approve,
            )
            .await?;
        }
        if approve {
            let follow = Follow {
                id: self.ids.next_id(),
                created_at: now,
                ..request
            };
            if tx.insert_follow(&follow).await? {
                self.enqueue_follow_effects(tx.as_mut(), requester, user.account.id, true)
                    .await?;
            }
        }
        tx.commit().await?;
        self.relationship(user, requester).await
    }

    /// `GET /api/v1/accounts/:id/followers` (`followers`) and `/following`.
    pub async fn follow_list(
        &self,
        account_id: Id,
        viewer: Option<Id>,
        followers: bool,
        page: TimelinePage,
    ) -> Result<Vec<(String, api::Account)>> {
        let account = self.live_account(account_id).await?;
        // As Mastodon: a hidden list is empty to everyone but its owner.
        if account.profile.hide_collections && viewer != Some(account_id) {
            return Ok(Vec::new());
        }
        let rows = self.store.follow_list(account_id, followers, page).await?;
        self.paged_account_entities(rows).await
    }
}
