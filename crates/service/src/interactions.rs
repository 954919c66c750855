//! Favourites, reblogs and bookmarks, and the notifications they cause.

use rookery_api as api;
use rookery_model::{Account, Id, Status, Visibility};
use rookery_store::{Interaction, LocalAccount, Notification, NotificationKind, TimelinePage};
use serde::{Deserialize, Serialize};

use crate::statuses::Fanout;
use crate::{Result, ServiceError, Services};

/// Creates one notification (the `default` queue), so requests never write them inline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notify {
    pub account_id: Id,
    pub from_account_id: Id,
    pub kind: String,
    pub status_id: Option<Id>,
}

impl rookery_jobs::JobSpec for Notify {
    const KIND: &'static str = "notify";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Default;
}

fn enqueue_error(e: rookery_jobs::EnqueueError) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

impl Services {
    /// Queues, in `tx`, a notification of `kind` for `account_id` about `from_account_id`.
    pub(crate) async fn enqueue_notify(
        &self,
        tx: &mut dyn rookery_store::Transaction,
        account_id: Id,
        from_account_id: Id,
        kind: &str,
        status_id: Option<Id>,
    ) -> Result<()> {
        let job = Notify {
            account_id,
            from_account_id,
            kind: kind.to_owned(),
            status_id,
        };
        rookery_jobs::enqueue(tx, &self.ids, self.clock.now(), &job)
            .await
            .map_err(enqueue_error)?;
        Ok(())
    }

    /// The `notify` job: local recipients only, never oneself.
    pub(crate) async fn notify(&self, job: &Notify) -> Result<()> {
        if job.account_id == job.from_account_id {
            return Ok(());
        }
        let kind = NotificationKind::parse(&job.kind).ok_or_else(|| {
            ServiceError::invalid("kind", format!("{:?} is not a notification type", job.kind))
        })?;
        let Some(recipient) = self.store.account(job.account_id).await? else {
            return Ok(());
        };
        if !recipient.is_local() || self.thread_muted(job.account_id, job.status_id).await? {
            return Ok(());
        }
        let mut notification = Notification {
            id: self.ids.next_id(),
            account_id: job.account_id,
            from_account_id: job.from_account_id,
            kind,
            status_id: job.status_id,
            group_key: None,
            created_at: self.clock.now(),
            filtered: false,
        };
        let mut tx = self.store.begin().await?;
        let shown = self
            .store_notification(tx.as_mut(), &mut notification)
            .await?;
        tx.commit().await?;
        if kind == NotificationKind::FollowRequest
            && !self
                .request_pending(job.from_account_id, job.account_id)
                .await?
        {
            // Answered or withdrawn before this job ran: the request's notification goes
            // with it, as when it is answered later.
            let mut tx = self.store.begin().await?;
            tx.notifications()
                .delete_notifications(job.account_id, Some(notification.id))
                .await?;
            tx.commit().await?;
            return Ok(());
        }
        if !shown {
            return Ok(());
        }
        if let Err(e) = self.publish_notifications(vec![notification]).await {
            tracing::warn!(error = %e, "streaming notification not published");
        }
        Ok(())
    }

    /// Whether `from` still asks to follow `to`.
    async fn request_pending(&self, from: Id, to: Id) -> Result<bool> {
        Ok(self
            .store
            .relationships(from, &[to])
            .await?
            .into_iter()
            .any(|(_, r)| r.requested))
    }

    async fn rendered(&self, user: &LocalAccount, id: Id) -> Result<api::Status> {
        self.get_status(Some(&user.account), id).await
    }

    /// `POST /api/v1/statuses/:id/favourite` (and `bookmark`): idempotent.
    pub async fn interact(
        &self,
        user: &LocalAccount,
        id: Id,
        kind: Interaction,
        on: bool,
    ) -> Result<api::Status> {
        let status = self.visible_status(Some(&user.account), id).await?;
        // Favouriting a reblog favourites the original, as in Mastodon.
        let target = status.reblog_of_id.unwrap_or(status.id);
        let now = self.clock.now();
        // Read first: a transaction waiting for a second connection can starve the pool.
        let target_status = self.store.status(target).await?;
        let remote_author = match target_status.as_ref().filter(|t| !t.local) {
            Some(t) if kind == Interaction::Favourite => self.store.account(t.account_id).await?,
            _ => None,
        };
        let like = match (&target_status, &remote_author) {
            (Some(t), Some(_)) => Some(self.like_activity(&user.account, t).await?),
            _ => None,
        };
        let mut tx = self.store.begin().await?;
        let changed = if on {
            tx.insert_interaction(kind, self.ids.next_id(), user.account.id, target, now)
                .await?
        } else {
            tx.delete_interaction(kind, user.account.id, target).await?
        };
        if changed && let (Some(like), Some(author)) = (like, &remote_author) {
            // Favourites of remote posts are sent to their author's server.
            let activity = if on {
                like
            } else {
                self.undo_activity(&user.account, like)
            };
            let inbox = author.inbox_url.clone().into_iter().collect();
            self.enqueue_federate(tx.as_mut(), &user.account, &activity, false, inbox)
                .await?;
        }
        if changed && on && kind == Interaction::Favourite {
            let author = target_status.map_or(status.account_id, |s| s.account_id);
            self.enqueue_notify(
                tx.as_mut(),
                author,
                user.account.id,
                "favourite",
                Some(target),
            )
            .await?;
        }
        tx.commit().await?;
        self.rendered(user, target).await
    }

    /// `POST /api/v1/statuses/:id/reblog`: public and unlisted statuses (and one's own private
    /// ones, to followers) may be reblogged; the reblog is returned, wrapping the original.
    pub async fn reblog(
        &self,
        user: &LocalAccount,
        id: Id,
        visibility: Option<&str>,
    ) -> Result<api::Status> {
        let status = self.visible_status(Some(&user.account), id).await?;
        let original = match status.reblog_of_id {
            Some(o) => self.visible_status(Some(&user.account), o).await?,
            None => status,
        };
        let own = original.account_id == user.account.id;
        let allowed = match original.visibility {
            Visibility::Public | Visibility::Unlisted => true,
            Visibility::Private => own,
            Visibility::Direct => false,
        };
        if !allowed {
            return Err(ServiceError::Forbidden);
        }
        if let Some(existing) = self.store.reblog_by(user.account.id, original.id).await? {
            return self.rendered(user, existing).await;
        }
        let visibility = match visibility.map(str::trim).filter(|v| !v.is_empty()) {
            None => Visibility::Public,
            Some(v) => Visibility::parse(v)
                .filter(|v| {
                    matches!(
                        v,
                        Visibility::Public | Visibility::Unlisted | Visibility::Private
                    )
                })
                .ok_or_else(|| {
                    ServiceError::invalid("visibility", format!("{v:?} is not a valid visibility"))
                })?,
        };
        // A reblog is never more visible than the original.
        let visibility = visibility.max(original.visibility);
        let now = self.clock.now();
        let reblog = Status::reblog(
            self.ids.next_id(),
            user.account.id,
            &original,
            visibility,
            now,
        );
        let mut tx = self.store.begin().await?;
        tx.insert_status(&reblog).await?;
        tx.count_reblog(original.id, 1).await?;
        tx.add_to_home_feeds(reblog.id, Some(original.id), &[user.account.id])
            .await?;
        rookery_jobs::enqueue(
            tx.as_mut(),
            &self.ids,
            now,
            &Fanout {
                status_id: reblog.id,
            },
        )
        .await
        .map_err(enqueue_error)?;
        self.enqueue_notify(
            tx.as_mut(),
            original.account_id,
            user.account.id,
            "reblog",
            Some(original.id),
        )
        .await?;
        tx.commit().await?;
        self.rendered(user, reblog.id).await
    }

    /// `POST /api/v1/statuses/:id/unreblog`: returns the original.
    pub async fn unreblog(&self, user: &LocalAccount, id: Id) -> Result<api::Status> {
        let status = self.visible_status(Some(&user.account), id).await?;
        let original = status.reblog_of_id.unwrap_or(status.id);
        if let Some(reblog) = self.store.reblog_by(user.account.id, original).await? {
            let reblog_status = self.store.status(reblog).await?;
            let notice = match &reblog_status {
                Some(r) => Some(self.removal_notice(r).await?),
                None => None,
            };
            let outgoing = match &reblog_status {
                Some(r) => self.removal_outgoing(&user.account, r).await?,
                None => None,
            };
            let mut tx = self.store.begin().await?;
            if let Some(out) = outgoing {
                out.enqueue(self, tx.as_mut()).await?;
            }
            if tx.delete_status(reblog).await? {
                tx.count_reblog(original, -1).await?;
                if let Some(notice) = &notice {
                    rookery_jobs::enqueue(tx.as_mut(), &self.ids, self.clock.now(), notice)
                        .await
                        .map_err(enqueue_error)?;
                }
            }
            tx.commit().await?;
        }
        self.rendered(user, original).await
    }

    /// `GET /api/v1/favourites` and `/api/v1/bookmarks`: with the interaction ids that page them.
    pub async fn interacted(
        &self,
        user: &LocalAccount,
        kind: Interaction,
        page: TimelinePage,
    ) -> Result<Vec<(String, api::Status)>> {
        let rows = self.store.interactions(user.account.id, kind, page).await?;
        let mut out = Vec::new();
        for (iid, status) in rows {
            if !self.can_see(Some(&user.account), &status).await? {
                continue;
            }
            if let Some(e) = self
                .status_entities(Some(&user.account), std::slice::from_ref(&status))
                .await?
                .pop()
            {
                out.push((iid.to_string(), e));
            }
        }
        Ok(out)
    }

    /// `GET /api/v1/statuses/:id/favourited_by` and `/reblogged_by`.
    pub async fn interacting(
        &self,
        viewer: Option<&Account>,
        id: Id,
        kind: Interaction,
        page: TimelinePage,
    ) -> Result<Vec<(String, api::Account)>> {
        let status = self.visible_status(viewer, id).await?;
        let rows = self
            .store
            .interacting_accounts(status.id, kind, page)
            .await?;
        let rows = rows
            .into_iter()
            .filter(|(_, a)| a.suspended_at.is_none())
            .collect();
        self.paged_account_entities(rows).await
    }
}
