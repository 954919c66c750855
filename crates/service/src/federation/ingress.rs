//! What a received activity does (the `ingress` queue). Handlers are idempotent: a repeated
//! delivery finds its work done. The signer was checked to be the activity's actor before the
//! job was queued. Follows, likes, blocks and undos are here; posts are in `posts.rs`.

use rookery_activitypub::vocab::{Activity, Target};
use rookery_model::{Account, Id};
use rookery_store::{Follow, Interaction, NewRestriction, Restriction};
use serde::{Deserialize, Serialize};

use super::ActivityOutcome;
use crate::{Result, ServiceError, Services};

/// How long a follow renewed by a repeated `Follow` is kept from an `Undo` naming another one.
const FOLLOW_RENEWAL_WINDOW_MS: i64 = 60_000;

/// One received activity, verified, waiting to be processed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ingress {
    /// The account whose key signed the request.
    pub signer: Id,
    /// The activity as received (JSON).
    pub activity: String,
    pub activity_id: String,
}

impl rookery_jobs::JobSpec for Ingress {
    const KIND: &'static str = "ingress";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Ingress;
    fn policy() -> rookery_jobs::RetryPolicy {
        rookery_jobs::RetryPolicy {
            max_attempts: 8,
            base_delay_ms: 30_000,
            max_delay_ms: 3600 * 1000,
            timeout: std::time::Duration::from_secs(120),
        }
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!(
            "ingress:{}",
            crate::crypto::sha256_hex(&self.activity_id)
        ))
    }
}

impl Services {
    /// The `ingress` job.
    pub(crate) async fn process_ingress(&self, job: &Ingress) -> Result<()> {
        let Some(signer) = self.store.account(job.signer).await? else {
            return Ok(()); // deleted meanwhile
        };
        if signer.suspended_at.is_some() {
            return Ok(()); // suspended here: nothing it sends is taken in
        }
        let activity = Activity::parse(job.activity.as_bytes())
            .map_err(|e| ServiceError::invalid("activity", e.to_string()))?;
        if activity.kind == "Flag" {
            self.on_flag(&signer, &activity, job.activity.as_bytes())
                .await?;
            self.federation
                .counters
                .activity("Flag", ActivityOutcome::Processed);
            return Ok(());
        }
        self.process_activity(&signer, &activity).await
    }

    async fn process_activity(&self, actor: &Account, a: &Activity) -> Result<()> {
        let counters = self.federation.counters.clone();
        let handled = !matches!(a.kind.as_str(), "EmojiReact");
        let out = self.apply_activity(actor, a).await;
        if out.is_ok() {
            counters.activity(
                &a.kind,
                if handled {
                    ActivityOutcome::Processed
                } else {
                    ActivityOutcome::Ignored
                },
            );
        }
        out
    }

    async fn apply_activity(&self, actor: &Account, a: &Activity) -> Result<()> {
        match a.kind.as_str() {
            "Follow" => self.on_follow(actor, a).await,
            "Accept" => self.on_accept_or_reject(actor, a, true).await,
            "Reject" => self.on_accept_or_reject(actor, a, false).await,
            "Undo" => self.on_undo(actor, a).await,
            "Create" => self.on_create(actor, a).await,
            "Update" => self.on_update(actor, a).await,
            "Delete" => self.on_delete(actor, a).await,
            "Announce" => self.on_announce(actor, a).await,
            "Like" => self.on_like(actor, a).await,
            "Block" => self.on_block(actor, a).await,
            "Add" => self.on_featured_tag_change(actor, a, true).await,
            "Remove" => self.on_featured_tag_change(actor, a, false).await,
            "Move" => self.on_move(actor, a).await,
            "QuoteRequest" => self.on_quote_request(actor, a).await,
            other => {
                // Counted as `ignored` by `process_activity`.
                tracing::debug!(kind = other, id = %a.id, "activity type not handled");
                Ok(())
            }
        }
    }

    /// The local account an ActivityPub id names, if it is ours and live.
    pub(super) async fn local_target(&self, uri: Option<&str>) -> Result<Option<Account>> {
        let Some(name) = uri.and_then(|u| self.local_username_of(u)) else {
            return Ok(None);
        };
        Ok(self
            .store
            .local_account_by_username(&name)
            .await?
            .map(|l| l.account)
            .filter(|a| a.suspended_at.is_none()))
    }

    async fn on_follow(&self, actor: &Account, a: &Activity) -> Result<()> {
        let Some(target) = self
            .local_target(a.object.as_ref().and_then(Target::id))
            .await?
        else {
            return Ok(());
        };
        let rel = self
            .store
            .relationships(target.id, &[actor.id])
            .await?
            .first()
            .map(|(_, r)| *r)
            .unwrap_or_default();
        // A target that blocks the follower's whole domain refuses it too.
        let domain_blocked = match &actor.domain {
            Some(d) => {
                self.store
                    .user_domain_block_store()
                    .blocks_domain(target.id, &d.to_string())
                    .await?
            }
            None => false,
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if rel.blocking || domain_blocked {
            self.enqueue_answer(tx.as_mut(), &target, actor, &a.id, false)
                .await?;
            return Ok(tx.commit().await?);
        }
        let follow = Follow {
            id: self.ids.next_id(),
            account_id: actor.id,
            target_account_id: target.id,
            show_reblogs: true,
            notify: false,
            uri: Some(a.id.clone()),
            created_at: now,
        };
        if rel.followed_by {
            // Already following (a repeat, their side lost our Accept, or a re-follow applied
            // before the Undo sent ahead of it): accept again, and remember this Follow as the
            // one in force.
            // The follow may have ended since it was read (an Undo applied meanwhile): then
            // it is asked for again, as a request if the account is locked.
            if !tx.renew_follow(actor.id, target.id, &a.id, now).await? {
                if target.locked {
                    if tx.insert_follow_request(&follow).await? {
                        self.enqueue_notify(
                            tx.as_mut(),
                            target.id,
                            actor.id,
                            "follow_request",
                            None,
                        )
                        .await?;
                    }
                    return Ok(tx.commit().await?);
                }
                if tx.insert_follow(&follow).await? {
                    self.enqueue_follow_effects(tx.as_mut(), actor.id, target.id, true)
                        .await?;
                }
            }
            self.enqueue_answer(tx.as_mut(), &target, actor, &a.id, true)
                .await?;
        } else if target.locked {
            if tx.insert_follow_request(&follow).await? {
                self.enqueue_notify(tx.as_mut(), target.id, actor.id, "follow_request", None)
                    .await?;
            }
        } else {
            if tx.insert_follow(&follow).await? {
                self.enqueue_follow_effects(tx.as_mut(), actor.id, target.id, true)
                    .await?;
            }
            self.enqueue_answer(tx.as_mut(), &target, actor, &a.id, true)
                .await?;
        }
        Ok(tx.commit().await?)
    }

    /// `Accept`/`Reject` of a follow (request) one of our accounts sent to `actor`.
    async fn on_accept_or_reject(&self, actor: &Account, a: &Activity, accept: bool) -> Result<()> {
        if self.quote_answered(actor, a, accept).await? {
            return Ok(());
        }
        // A relay's answer to the instance actor's subscription.
        let follow_id = match &a.object {
            Some(Target::Activity(inner)) if inner.kind == "Follow" => Some(inner.id.as_str()),
            Some(Target::Id(uri)) => Some(uri.as_str()),
            _ => None,
        };
        if let Some(id) = follow_id
            && id.starts_with(&self.urls.instance_actor())
            && self.relay_answered(actor, id, accept).await?
        {
            return Ok(());
        }
        let follower = match &a.object {
            Some(Target::Activity(inner)) if inner.kind == "Follow" => {
                self.local_target(Some(&inner.actor)).await?
            }
            Some(Target::Id(uri)) => match self.store.follow_by_uri(uri, true).await? {
                Some(f) => self.store.account(f.account_id).await?,
                None => match self.store.follow_by_uri(uri, false).await? {
                    Some(f) => self.store.account(f.account_id).await?,
                    None => None,
                },
            },
            _ => None,
        };
        let Some(follower) = follower.filter(Account::is_local) else {
            return Ok(());
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let request = tx.take_follow_request(follower.id, actor.id).await?;
        let change = match (accept, request) {
            (true, Some(req)) => {
                let follow = Follow {
                    created_at: now,
                    ..req
                };
                tx.insert_follow(&follow).await?.then_some(true)
            }
            (true, None) => None,
            (false, _) => tx
                .delete_follow(follower.id, actor.id)
                .await?
                .then_some(false),
        };
        if let Some(followed) = change {
            self.enqueue_follow_effects(tx.as_mut(), follower.id, actor.id, followed)
                .await?;
        }
        tx.commit().await?;
        self.publish_relationship_change(follower.id, actor.id);
        Ok(())
    }

    async fn on_undo(&self, actor: &Account, a: &Activity) -> Result<()> {
        let inner = match &a.object {
            Some(Target::Activity(inner)) => inner.as_ref().clone(),
            Some(Target::Id(uri)) => {
                // Only an id: whatever of theirs we recorded under it.
                if let Some(f) = self.store.follow_by_uri(uri, false).await?
                    && f.account_id == actor.id
                {
                    return self.end_follow(actor.id, f.target_account_id, uri).await;
                }
                if let Some(f) = self.store.follow_by_uri(uri, true).await?
                    && f.account_id == actor.id
                {
                    let mut tx = self.store.begin().await?;
                    tx.take_follow_request(actor.id, f.target_account_id)
                        .await?;
                    return Ok(tx.commit().await?);
                }
                if let Some(s) = self.store.status_by_uri(uri).await?
                    && s.account_id == actor.id
                    && s.reblog_of_id.is_some()
                {
                    return self.remove_remote_status(&s).await;
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        if inner.actor != a.actor {
            return Ok(()); // one can only undo one's own
        }
        let object = inner.object.as_ref().and_then(Target::id);
        match inner.kind.as_str() {
            "Follow" => {
                let Some(target) = self.local_target(object).await? else {
                    return Ok(());
                };
                // Activities are applied in parallel: an unfollow and a new follow sent right
                // after it may be applied in the other order, or at the same moment. The Undo
                // of another Follow than the one recorded a moment ago (a minute) does not end
                // it; the delete itself checks this, so a renewal committed concurrently wins.
                // (Later, an Undo ends the follow whatever Follow it names, as Mastodon's
                // does: some servers do not repeat the original id.)
                let mut tx = self.store.begin().await?;
                tx.take_follow_request(actor.id, target.id).await?;
                tx.commit().await?;
                self.end_follow(actor.id, target.id, &inner.id).await
            }
            "Like" => {
                if let Some(status) = self.local_status_of(object).await? {
                    let mut tx = self.store.begin().await?;
                    tx.delete_interaction(Interaction::Favourite, actor.id, status.id)
                        .await?;
                    tx.commit().await?;
                }
                Ok(())
            }
            "Announce" => match self.store.status_by_uri(&inner.id).await? {
                Some(s) if s.account_id == actor.id && s.reblog_of_id.is_some() => {
                    self.remove_remote_status(&s).await
                }
                _ => Ok(()),
            },
            "Block" => {
                let Some(target) = self.local_target(object).await? else {
                    return Ok(());
                };
                let mut tx = self.store.begin().await?;
                tx.unrestrict(Restriction::Block, actor.id, target.id)
                    .await?;
                tx.commit().await?;
                self.publish_relationship_change(actor.id, target.id);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Ends a follow for an `Undo` of the `Follow` activity `follow_uri` (see `on_undo`).
    async fn end_follow(&self, follower: Id, target: Id, follow_uri: &str) -> Result<()> {
        let renewed_before = self.clock.now().plus_millis(-FOLLOW_RENEWAL_WINDOW_MS);
        let mut tx = self.store.begin().await?;
        if tx
            .delete_undone_follow(follower, target, follow_uri, renewed_before)
            .await?
        {
            self.enqueue_follow_effects(tx.as_mut(), follower, target, false)
                .await?;
        }
        tx.commit().await?;
        self.publish_relationship_change(follower, target);
        Ok(())
    }

    async fn on_like(&self, actor: &Account, a: &Activity) -> Result<()> {
        let Some(status) = self
            .local_status_of(a.object.as_ref().and_then(Target::id))
            .await?
        else {
            return Ok(());
        };
        if !self.can_see(Some(actor), &status).await? {
            return Ok(());
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if tx
            .insert_interaction(
                Interaction::Favourite,
                self.ids.next_id(),
                actor.id,
                status.id,
                now,
            )
            .await?
        {
            self.enqueue_notify(
                tx.as_mut(),
                status.account_id,
                actor.id,
                "favourite",
                Some(status.id),
            )
            .await?;
        }
        Ok(tx.commit().await?)
    }

    async fn on_block(&self, actor: &Account, a: &Activity) -> Result<()> {
        let Some(target) = self
            .local_target(a.object.as_ref().and_then(Target::id))
            .await?
        else {
            return Ok(());
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.restrict(&NewRestriction {
            kind: Restriction::Block,
            id: self.ids.next_id(),
            account_id: actor.id,
            target_id: target.id,
            hide_notifications: true,
            expires_at: None,
            created_at: now,
        })
        .await?;
        tx.take_follow_request(actor.id, target.id).await?;
        tx.take_follow_request(target.id, actor.id).await?;
        for (follower, followed) in [(actor.id, target.id), (target.id, actor.id)] {
            if tx.delete_follow(follower, followed).await? {
                self.enqueue_follow_effects(tx.as_mut(), follower, followed, false)
                    .await?;
            }
        }
        tx.commit().await?;
        self.publish_relationship_change(actor.id, target.id);
        Ok(())
    }
}
