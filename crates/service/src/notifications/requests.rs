//! Notification requests: filtered notifications, one request per sender, accepted (they join
//! the list and the sender is never filtered again) or dismissed (they are deleted).

use std::collections::HashMap;

use rookery_api as api;
use rookery_events::{Event, channel, names};
use rookery_model::Id;
use rookery_store::{LocalAccount, NotificationRequest, TimelinePage};

use super::Notifications;
use crate::{Result, ServiceError};

/// Requests answered at once at most (`id[]`).
pub const MAX_ANSWERED: usize = 100;

impl Notifications<'_> {
    /// Renders requests: those whose sender is gone or hidden from the user are left out.
    async fn request_entities(
        &self,
        user: &LocalAccount,
        list: Vec<NotificationRequest>,
    ) -> Result<Vec<api::NotificationRequest>> {
        let mut senders: Vec<Id> = list.iter().map(|r| r.from_account_id).collect();
        senders.sort();
        senders.dedup();
        let accounts: HashMap<Id, _> = self
            .s
            .store
            .accounts(&senders)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let hidden = self.s.hidden_for(Some(&user.account), true).await?;
        let status_ids: Vec<Id> = list.iter().filter_map(|r| r.last_status_id).collect();
        let statuses = self.s.store.statuses(&status_ids).await?;
        let mut visible = Vec::with_capacity(statuses.len());
        for s in statuses {
            if self.s.can_see(Some(&user.account), &s).await? {
                visible.push(s);
            }
        }
        let rendered: HashMap<String, api::Status> = self
            .s
            .status_entities(Some(&user.account), &visible)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        Ok(list
            .into_iter()
            .filter(|r| !hidden.contains(&r.from_account_id.to_string()))
            .filter_map(|r| {
                let account = accounts.get(&r.from_account_id)?;
                Some(api::NotificationRequest {
                    id: r.id.to_string(),
                    created_at: r.created_at.to_rfc3339(),
                    updated_at: r.updated_at.to_rfc3339(),
                    account: self.s.account_entity(account),
                    notifications_count: r.notifications_count.to_string(),
                    last_status: r
                        .last_status_id
                        .and_then(|id| rendered.get(&id.to_string()).cloned()),
                })
            })
            .collect())
    }

    /// `GET /api/v1/notifications/requests`, newest first; also the page's id bounds.
    pub async fn requests(
        &self,
        user: &LocalAccount,
        page: TimelinePage,
    ) -> Result<(Vec<api::NotificationRequest>, Option<(Id, Id)>)> {
        let list = self
            .s
            .store
            .notification_requests()
            .notification_requests(user.account.id, page)
            .await?;
        let bounds = list.first().zip(list.last()).map(|(a, b)| (a.id, b.id));
        Ok((self.request_entities(user, list).await?, bounds))
    }

    /// `GET /api/v1/notifications/requests/:id`.
    pub async fn request(&self, user: &LocalAccount, id: Id) -> Result<api::NotificationRequest> {
        let found = self
            .s
            .store
            .notification_requests()
            .notification_request(user.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("notification request"))?;
        self.request_entities(user, vec![found])
            .await?
            .pop()
            .ok_or(ServiceError::NotFound("notification request"))
    }

    /// `POST /api/v1/notifications/requests/:id/accept` (`single`: an unknown id is 404) and
    /// `/requests/accept` with `id[]` (unknown ids are skipped). The notifications are merged
    /// before this returns, so `merged` is always true afterwards.
    pub async fn accept_requests(
        &self,
        user: &LocalAccount,
        ids: &[Id],
        single: bool,
    ) -> Result<()> {
        check_count(ids)?;
        let mut tx = self.s.store.begin().await?;
        let senders = tx
            .notification_requests()
            .accept_requests(user.account.id, ids, self.s.clock.now())
            .await?;
        if single && senders.is_empty() {
            return Err(ServiceError::NotFound("notification request"));
        }
        tx.commit().await?;
        if !senders.is_empty() {
            self.s.events.publish(
                &channel::user(user.account.id),
                Event::new(names::NOTIFICATIONS_MERGED, Some("1".to_owned())),
            );
        }
        Ok(())
    }

    /// `POST /api/v1/notifications/requests/:id/dismiss` and `/requests/dismiss` with `id[]`.
    pub async fn dismiss_requests(
        &self,
        user: &LocalAccount,
        ids: &[Id],
        single: bool,
    ) -> Result<()> {
        check_count(ids)?;
        let mut tx = self.s.store.begin().await?;
        let n = tx
            .notification_requests()
            .dismiss_requests(user.account.id, ids)
            .await?;
        if single && n == 0 {
            return Err(ServiceError::NotFound("notification request"));
        }
        Ok(tx.commit().await?)
    }
}

fn check_count(ids: &[Id]) -> Result<()> {
    if ids.len() > MAX_ANSWERED {
        return Err(ServiceError::invalid(
            "id",
            format!("at most {MAX_ANSWERED} requests at once"),
        ));
    }
    Ok(())
}
