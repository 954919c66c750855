//! Scheduled statuses: `scheduled_at` on `POST /api/v1/statuses` keeps the status for later
//! (checked as posting it would be), `/api/v1/scheduled_statuses` lists, moves and cancels
//! them, and a job publishes each at its time, exactly once.

use rookery_api as api;
use rookery_model::{Id, Timestamp};
use rookery_store::{LocalAccount, ScheduledStatus, TimelinePage};
use serde::{Deserialize, Serialize};

use crate::polls::PollInput;
use crate::{NewStatus, Result, ServiceError, Services};

/// How far ahead a status must be scheduled (Mastodon: five minutes).
pub const MIN_OFFSET_MS: i64 = 5 * 60 * 1000;
/// Scheduled statuses an account may have waiting, and on one (UTC) day (as Mastodon).
pub const TOTAL_LIMIT: i64 = 300;
pub const DAILY_LIMIT: i64 = 25;

const DAY_MS: i64 = 86_400_000;

/// Publishes a scheduled status at its time (the `default` queue). A job whose status was
/// moved, cancelled or published already does nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishScheduledStatus {
    pub id: Id,
    pub account_id: Id,
}

impl rookery_jobs::JobSpec for PublishScheduledStatus {
    const KIND: &'static str = "publish_scheduled_status";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Default;
}

/// What was posted: a status now, or one scheduled for later.
#[derive(Debug)]
pub enum Posted {
    Now(Box<api::Status>),
    Scheduled(Box<api::ScheduledStatus>),
}

/// The stored parameters of a scheduled status (`params`): what was asked for, `None` where
/// it was not, so defaults apply when it is published.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Params {
    text: String,
    #[serde(default)]
    in_reply_to_id: Option<Id>,
    #[serde(default)]
    sensitive: Option<bool>,
    #[serde(default)]
    spoiler_text: Option<String>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    poll: Option<StoredPoll>,
    #[serde(default)]
    quoted_status_id: Option<Id>,
    #[serde(default)]
    quote_approval_policy: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredPoll {
    options: Vec<String>,
    expires_in: i64,
    multiple: bool,
    hide_totals: bool,
}

impl Params {
    fn of(new: &NewStatus) -> Params {
        Params {
            text: new.text.clone(),
            in_reply_to_id: new.in_reply_to_id,
            sensitive: new.sensitive,
            spoiler_text: Some(new.spoiler_text.clone()).filter(|s| !s.is_empty()),
            visibility: new.visibility.clone().filter(|v| !v.trim().is_empty()),
            language: new.language.clone().filter(|l| !l.trim().is_empty()),
            poll: new.poll.as_ref().map(|p| StoredPoll {
                options: p.options.clone(),
                expires_in: p.expires_in.unwrap_or_default(),
                multiple: p.multiple,
                hide_totals: p.hide_totals,
            }),
            quoted_status_id: new.quoted_status_id,
            quote_approval_policy: new.quote_approval_policy.clone(),
        }
    }

    fn status(self, media_ids: Vec<Id>) -> NewStatus {
        NewStatus {
            text: self.text,
            in_reply_to_id: self.in_reply_to_id,
            sensitive: self.sensitive,
            spoiler_text: self.spoiler_text.unwrap_or_default(),
            visibility: self.visibility,
            language: self.language,
            media_ids,
            idempotency_key: None,
            poll: self.poll.map(|p| PollInput {
                options: p.options,
                expires_in: Some(p.expires_in),
                multiple: p.multiple,
                hide_totals: p.hide_totals,
            }),
            quoted_status_id: self.quoted_status_id,
            quote_approval_policy: self.quote_approval_policy,
        }
    }
}

fn params_of(s: &ScheduledStatus) -> Result<Params> {
    serde_json::from_str(&s.params)
        .map_err(|e| ServiceError::Internal(format!("scheduled status {}: {e}", s.id)))
}

/// The scheduled statuses area's use cases.
#[derive(Clone, Copy)]
pub struct ScheduledStatuses<'a> {
    s: &'a Services,
}

impl Services {
    /// Statuses scheduled for later.
    pub fn scheduled_statuses(&self) -> ScheduledStatuses<'_> {
        ScheduledStatuses { s: self }
    }
}

impl ScheduledStatuses<'_> {
    /// `POST /api/v1/statuses` with `scheduled_at`: a time in the past posts now (as
    /// Mastodon); one less than five minutes ahead is refused; a later one is kept, after the
    /// same checks as posting. The limits and the `Idempotency-Key` are checked in the
    /// transaction that writes it, so requests at once cannot pass them together.
    pub async fn post(
        &self,
        author: &LocalAccount,
        new: NewStatus,
        at: Option<Timestamp>,
    ) -> Result<Posted> {
        let now = self.s.clock.now();
        let key = new
            .idempotency_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| k.chars().take(200).collect::<String>());
        let since = now.plus_millis(-crate::statuses::IDEMPOTENCY_TTL_MS);
        if let Some(k) = &key
            && let Some(earlier) = self.earlier(author, k, since).await?
        {
            return Ok(earlier);
        }
        let Some(at) = at.filter(|at| *at > now) else {
            return Ok(Posted::Now(Box::new(
                self.s.post_status(author, new).await?,
            )));
        };
        check_time(at, now)?;
        let checked = self.s.check_new_status(author, &new, None).await?;
        // The visibility it will have (the author's default when none was asked for), as
        // Mastodon shows it in `params`.
        let params = Params {
            visibility: Some(checked.visibility.as_str().to_owned()),
            ..Params::of(&new)
        };
        let scheduled = ScheduledStatus {
            id: self.s.ids.next_id(),
            account_id: author.account.id,
            scheduled_at: at,
            params: serde_json::to_string(&params)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
            media_ids: checked.media_ids,
            created_at: now,
        };
        let mut tx = self.s.store.begin().await?;
        let counts = count_that_day(tx.as_mut(), author.account.id, at).await?;
        if let Some(k) = &key
            && !tx
                .record_idempotency(author.account.id, k, scheduled.id, now, since)
                .await?
        {
            // A request with the same key got there first: its answer.
            drop(tx);
            return match self.earlier(author, k, since).await? {
                Some(earlier) => Ok(earlier),
                None => Err(ServiceError::Conflict(
                    "a request with this Idempotency-Key is in progress".into(),
                )),
            };
        }
        check_limits(counts, at, None)?;
        if !tx
            .scheduled_statuses()
            .insert_scheduled_status(&scheduled)
            .await?
        {
            return Err(crate::media::upload::media_not_found(&scheduled.media_ids));
        }
        self.enqueue(tx.as_mut(), &scheduled).await?;
        tx.commit().await?;
        Ok(Posted::Scheduled(Box::new(self.entity(&scheduled).await?)))
    }

    /// What an earlier request with the `Idempotency-Key` made: a scheduled status, or a
    /// status (posted now, or published since).
    async fn earlier(
        &self,
        author: &LocalAccount,
        key: &str,
        since: Timestamp,
    ) -> Result<Option<Posted>> {
        let Some(id) = self
            .s
            .store
            .idempotent_status(author.account.id, key, since)
            .await?
        else {
            return Ok(None);
        };
        let store = self.s.store.scheduled_status_store();
        if let Some(s) = store.scheduled_status(author.account.id, id).await? {
            return Ok(Some(Posted::Scheduled(Box::new(self.entity(&s).await?))));
        }
        match self.s.get_status(Some(&author.account), id).await {
            Ok(status) => Ok(Some(Posted::Now(Box::new(status)))),
            // Published under a new id, or deleted: nothing to answer with.
            Err(ServiceError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn enqueue(
        &self,
        tx: &mut dyn rookery_store::Transaction,
        s: &ScheduledStatus,
    ) -> Result<()> {
        let job = PublishScheduledStatus {
            id: s.id,
            account_id: s.account_id,
        };
        rookery_jobs::enqueue_at(tx, &self.s.ids, s.scheduled_at, &job)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// The ScheduledStatus entity.
    async fn entity(&self, s: &ScheduledStatus) -> Result<api::ScheduledStatus> {
        let params = params_of(s)?;
        let media = self.s.store.media_by_ids(&s.media_ids).await?;
        let media_attachments = s
            .media_ids
            .iter()
            .filter_map(|id| media.iter().find(|m| m.id == *id))
            .map(|m| self.s.attachment_entity(m))
            .collect();
        Ok(api::ScheduledStatus {
            id: s.id.to_string(),
            scheduled_at: s.scheduled_at.to_rfc3339(),
            params: api::ScheduledStatusParams {
                text: params.text,
                poll: params.poll.map(|p| api::ScheduledPoll {
                    options: p.options,
                    expires_in: p.expires_in,
                    multiple: p.multiple,
                    hide_totals: p.hide_totals,
                }),
                media_ids: (!s.media_ids.is_empty())
                    .then(|| s.media_ids.iter().map(Id::to_string).collect()),
                sensitive: params.sensitive,
                spoiler_text: params.spoiler_text,
                visibility: params.visibility,
                in_reply_to_id: params.in_reply_to_id.map(Id::as_i64),
                language: params.language,
                application_id: None,
                scheduled_at: None,
                idempotency: None,
                with_rate_limit: false,
            },
            media_attachments,
        })
    }

    async fn find(&self, user: &LocalAccount, id: Id) -> Result<ScheduledStatus> {
        self.s
            .store
            .scheduled_status_store()
            .scheduled_status(user.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("scheduled status"))
    }

    /// `GET /api/v1/scheduled_statuses`: newest first.
    pub async fn list(
        &self,
        user: &LocalAccount,
        page: TimelinePage,
    ) -> Result<Vec<(Id, api::ScheduledStatus)>> {
        let rows = self
            .s
            .store
            .scheduled_status_store()
            .scheduled_statuses(user.account.id, page)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for s in &rows {
            out.push((s.id, self.entity(s).await?));
        }
        Ok(out)
    }

    /// `GET /api/v1/scheduled_statuses/:id`.
    pub async fn get(&self, user: &LocalAccount, id: Id) -> Result<api::ScheduledStatus> {
        let s = self.find(user, id).await?;
        self.entity(&s).await
    }

    /// `PUT /api/v1/scheduled_statuses/:id`: a new time, checked as a new one is.
    pub async fn reschedule(
        &self,
        user: &LocalAccount,
        id: Id,
        at: Option<Timestamp>,
    ) -> Result<api::ScheduledStatus> {
        let mut s = self.find(user, id).await?;
        let Some(at) = at else {
            return self.entity(&s).await;
        };
        check_time(at, self.s.clock.now())?;
        let mut tx = self.s.store.begin().await?;
        let counts = count_that_day(tx.as_mut(), user.account.id, at).await?;
        check_limits(counts, at, Some(&s))?;
        if !tx
            .scheduled_statuses()
            .reschedule(user.account.id, id, at)
            .await?
        {
            return Err(ServiceError::NotFound("scheduled status"));
        }
        s.scheduled_at = at;
        self.enqueue(tx.as_mut(), &s).await?;
        tx.commit().await?;
        self.entity(&s).await
    }

    /// `DELETE /api/v1/scheduled_statuses/:id`: its media are free again (and expire as
    /// unattached uploads do).
    pub async fn cancel(&self, user: &LocalAccount, id: Id) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        if !tx
            .scheduled_statuses()
            .delete_scheduled_status(user.account.id, id)
            .await?
        {
            return Err(ServiceError::NotFound("scheduled status"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The `publish_scheduled_status` job. A reply whose parent is gone is posted on its own;
    /// a status that can no longer be posted (its author cannot post, its media are gone)
    /// stays in the author's list rather than being lost.
    pub(crate) async fn publish(&self, job: &PublishScheduledStatus) -> Result<()> {
        let store = self.s.store.scheduled_status_store();
        let Some(s) = store.scheduled_status(job.account_id, job.id).await? else {
            return Ok(()); // published, or cancelled
        };
        if s.scheduled_at > self.s.clock.now() {
            return Ok(()); // moved later; that time's job publishes it
        }
        let Some(account) = self.s.store.account(s.account_id).await? else {
            return Ok(());
        };
        let Some(author) = self
            .s
            .store
            .local_account_by_username(account.username.as_str())
            .await?
        else {
            return Ok(());
        };
        if author.user.disabled || author.account.suspended_at.is_some() {
            tracing::info!(scheduled = %s.id, "scheduled status kept: its author cannot post");
            return Ok(());
        }
        let new = params_of(&s)?.status(s.media_ids.clone());
        let mut posted = self
            .s
            .post_status_now(&author, new.clone(), Some(s.id))
            .await;
        // The post it replies to is gone (or hidden now): posted on its own, as Mastodon does.
        if matches!(posted, Err(ServiceError::NotFound("status"))) && new.in_reply_to_id.is_some() {
            let alone = NewStatus {
                in_reply_to_id: None,
                ..new
            };
            posted = self.s.post_status_now(&author, alone, Some(s.id)).await;
        }
        match posted {
            Ok(_) => Ok(()),
            // Cancelled (or published by another run) meanwhile.
            Err(ServiceError::NotFound("scheduled status")) => Ok(()),
            Err(
                e @ (ServiceError::Invalid { .. }
                | ServiceError::NotFound(_)
                | ServiceError::Unprocessable(_)
                | ServiceError::Conflict(_)),
            ) => {
                tracing::warn!(scheduled = %s.id, error = %e, "scheduled status cannot be posted; kept in its author's list");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// At least five minutes ahead.
fn check_time(at: Timestamp, now: Timestamp) -> Result<()> {
    if at.as_millis() < now.as_millis().saturating_add(MIN_OFFSET_MS) {
        return Err(ServiceError::invalid(
            "scheduled_at",
            "must be at least 5 minutes in the future",
        ));
    }
    Ok(())
}

/// The account's scheduled statuses in all and on `at`'s UTC day, counted in `tx`, which
/// then holds the account's scheduling until it ends.
async fn count_that_day(
    tx: &mut dyn rookery_store::Transaction,
    account_id: Id,
    at: Timestamp,
) -> Result<(i64, i64)> {
    let day = at.as_millis().div_euclid(DAY_MS) * DAY_MS;
    Ok(tx
        .scheduled_statuses()
        .count_scheduled(
            account_id,
            Timestamp::from_millis(day),
            Timestamp::from_millis(day + DAY_MS),
        )
        .await?)
}

/// Mastodon's limits: 300 waiting, 25 on one UTC day, given `(total, on at's day)`
/// (`except`: the one being moved, counted already).
fn check_limits(counts: (i64, i64), at: Timestamp, except: Option<&ScheduledStatus>) -> Result<()> {
    let (total, that_day) = counts;
    let day = at.as_millis().div_euclid(DAY_MS);
    let (total, that_day) = match except {
        Some(s) => {
            let same_day = s.scheduled_at.as_millis().div_euclid(DAY_MS) == day;
            (total - 1, that_day - i64::from(same_day))
        }
        None => (total, that_day),
    };
    if total >= TOTAL_LIMIT {
        return Err(ServiceError::invalid(
            "scheduled_at",
            format!("You have exceeded the limit of {TOTAL_LIMIT} scheduled posts"),
        ));
    }
    if that_day >= DAILY_LIMIT {
        return Err(ServiceError::invalid(
            "scheduled_at",
            format!("You have exceeded the limit of {DAILY_LIMIT} scheduled posts for today"),
        ));
    }
    Ok(())
}
