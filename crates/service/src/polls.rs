//! Polls: made with a status (`poll[…]` on `POST /api/v1/statuses`), shown on it, voted in
//! (`/api/v1/polls/:id/votes`), and closed by a job at their end, which tells the voters and
//! the author (`poll` notifications).

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::{Account, Id, Status, Timestamp};
use rookery_store::{LocalAccount, Notification, NotificationKind, Poll, Transaction};
use serde::{Deserialize, Serialize};

use crate::{Result, ServiceError, Services};

/// Options a poll has at most, and characters per option (as `configuration.polls` says).
pub const MAX_OPTIONS: usize = 4;
pub const MAX_OPTION_CHARS: usize = 50;
/// Shortest and longest run of a poll, in seconds.
pub const MIN_EXPIRATION: i64 = 300;
pub const MAX_EXPIRATION: i64 = 2_629_746;

/// A poll as asked for with a new status.
#[derive(Debug, Clone, Default)]
pub struct PollInput {
    pub options: Vec<String>,
    pub expires_in: Option<i64>,
    pub multiple: bool,
    pub hide_totals: bool,
}

/// Closes a poll at its end: tells the local voters and the author (the `default` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PollExpired {
    pub poll_id: Id,
}

impl rookery_jobs::JobSpec for PollExpired {
    const KIND: &'static str = "poll_expired";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Default;
}

/// The options and end of a poll, checked as Mastodon checks them.
pub(crate) fn check_poll(input: &PollInput, now: Timestamp) -> Result<(Vec<String>, Timestamp)> {
    let options: Vec<String> = input.options.iter().map(|o| o.trim().to_owned()).collect();
    if options.len() < 2 {
        return Err(ServiceError::invalid(
            "poll",
            "options must have more than one item",
        ));
    }
    if options.len() > MAX_OPTIONS {
        return Err(ServiceError::invalid(
            "poll",
            format!("options can't contain more than {MAX_OPTIONS} items"),
        ));
    }
    if options.iter().any(String::is_empty) {
        return Err(ServiceError::invalid("poll", "options can't be blank"));
    }
    if options.iter().any(|o| o.chars().count() > MAX_OPTION_CHARS) {
        return Err(ServiceError::invalid(
            "poll",
            format!("options can't be longer than {MAX_OPTION_CHARS} characters each"),
        ));
    }
    let mut seen: Vec<String> = options.iter().map(|o| o.to_lowercase()).collect();
    seen.sort();
    seen.dedup();
    if seen.len() != options.len() {
        return Err(ServiceError::invalid(
            "poll",
            "options contains duplicate items",
        ));
    }
    let expires_in = input
        .expires_in
        .ok_or_else(|| ServiceError::invalid("poll", "expires_in can't be blank"))?;
    if expires_in < MIN_EXPIRATION {
        return Err(ServiceError::invalid("poll", "expiration is too soon"));
    }
    if expires_in > MAX_EXPIRATION {
        return Err(ServiceError::invalid(
            "poll",
            "expiration is too far into the future",
        ));
    }
    Ok((options, now.plus_millis(expires_in * 1000)))
}

/// The Poll entity of `poll` for `viewer` (`own`: the viewer's choices).
pub(crate) fn poll_entity(
    poll: &Poll,
    viewer: Option<&Account>,
    own: &[i64],
    now: Timestamp,
) -> api::Poll {
    let expired = poll.expired(now);
    let is_author = viewer.is_some_and(|v| v.id == poll.account_id);
    // As Mastodon: hidden from everyone, the author too, until the end.
    let show_counts = !poll.hide_totals || expired;
    api::Poll {
        id: poll.id.to_string(),
        expires_at: poll.expires_at.map(Timestamp::to_rfc3339),
        expired,
        multiple: poll.multiple,
        votes_count: poll.votes_count(),
        voters_count: poll.multiple.then_some(poll.voters_count),
        options: poll
            .options
            .iter()
            .zip(&poll.tallies)
            .map(|(title, n)| api::PollOption {
                title: title.clone(),
                votes_count: show_counts.then_some(*n),
            })
            .collect(),
        emojis: Vec::new(),
        voted: viewer.map(|_| is_author || !own.is_empty()),
        own_votes: viewer.map(|_| own.to_vec()),
    }
}

impl Services {
    /// Writes the poll of a new status in `tx` and schedules its end.
    pub(crate) async fn insert_poll(
        &self,
        tx: &mut dyn Transaction,
        status_id: Id,
        author: Id,
        input: &PollInput,
    ) -> Result<()> {
        let now = self.clock.now();
        let (options, expires_at) = check_poll(input, now)?;
        let poll = Poll {
            id: self.ids.next_id(),
            status_id,
            account_id: author,
            tallies: vec![0; options.len()],
            options,
            multiple: input.multiple,
            hide_totals: input.hide_totals,
            expires_at: Some(expires_at),
            voters_count: 0,
            remote: false,
            created_at: now,
        };
        tx.polls().insert_poll(&poll).await?;
        self.queue_poll_end(tx, poll.id, expires_at).await
    }

    /// Queues, in `tx`, the notices of a poll's end at `end`.
    pub(crate) async fn queue_poll_end(
        &self,
        tx: &mut dyn Transaction,
        poll_id: Id,
        end: Timestamp,
    ) -> Result<()> {
        rookery_jobs::enqueue_at(tx, &self.ids, end, &PollExpired { poll_id })
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// Applies an edit to the poll of a local status in `tx`, as Mastodon does: a poll given
    /// replaces the old one's options, kind and end (votes are voided when the options or the
    /// kind change); no poll removes it. `true` when anything changed.
    pub(crate) async fn edit_poll(
        &self,
        tx: &mut dyn Transaction,
        status_id: Id,
        author: Id,
        old: Option<Poll>,
        input: Option<&PollInput>,
    ) -> Result<bool> {
        let now = self.clock.now();
        match (old, input) {
            (None, None) => Ok(false),
            (Some(old), None) => {
                tx.polls().delete_poll(old.id).await?;
                Ok(true)
            }
            (None, Some(input)) => {
                self.insert_poll(tx, status_id, author, input).await?;
                Ok(true)
            }
            (Some(old), Some(input)) => {
                let (options, expires_at) = check_poll(input, now)?;
                let reset = options != old.options || input.multiple != old.multiple;
                let poll = Poll {
                    options,
                    multiple: input.multiple,
                    hide_totals: input.hide_totals,
                    expires_at: Some(expires_at),
                    ..old.clone()
                };
                tx.polls().update_poll(&poll, reset).await?;
                // A later end is waited for by the job already queued; an earlier one needs its
                // own, and so does a poll that had ended (its job has run).
                if old.expired(now) || old.expires_at.is_none_or(|t| expires_at < t) {
                    self.queue_poll_end(tx, poll.id, expires_at).await?;
                }
                Ok(true)
            }
        }
    }

    /// The Poll entities of these statuses, by status id, for `viewer`.
    pub(crate) async fn poll_entities(
        &self,
        viewer: Option<&Account>,
        status_ids: &[Id],
    ) -> Result<HashMap<Id, api::Poll>> {
        let polls = self
            .store
            .poll_store()
            .polls_of_statuses(status_ids)
            .await?;
        if polls.is_empty() {
            return Ok(HashMap::new());
        }
        let mut own: HashMap<Id, Vec<i64>> = HashMap::new();
        if let Some(v) = viewer {
            let ids: Vec<Id> = polls.iter().map(|p| p.id).collect();
            for (poll, choice) in self.store.poll_store().own_votes(v.id, &ids).await? {
                own.entry(poll).or_default().push(choice);
            }
        }
        let now = self.clock.now();
        Ok(polls
            .iter()
            .map(|p| {
                let mine = own.get(&p.id).map_or(&[][..], Vec::as_slice);
                (p.status_id, poll_entity(p, viewer, mine, now))
            })
            .collect())
    }

    /// A poll the viewer may see (that of a status they may see), with its status.
    async fn visible_poll(&self, viewer: Option<&Account>, id: Id) -> Result<(Poll, Status)> {
        let poll = self
            .store
            .poll_store()
            .poll(id)
            .await?
            .ok_or(ServiceError::NotFound("poll"))?;
        let status = self.visible_status(viewer, poll.status_id).await?;
        Ok((poll, status))
    }

    /// `GET /api/v1/polls/:id`.
    pub async fn get_poll(&self, viewer: Option<&Account>, id: Id) -> Result<api::Poll> {
        let (poll, _) = self.visible_poll(viewer, id).await?;
        let own = match viewer {
            Some(v) => self
                .store
                .poll_store()
                .own_votes(v.id, &[poll.id])
                .await?
                .into_iter()
                .map(|(_, c)| c)
                .collect(),
            None => Vec::new(),
        };
        Ok(poll_entity(&poll, viewer, &own, self.clock.now()))
    }

    /// `POST /api/v1/polls/:id/votes`: once per account and one choice in a single-choice
    /// poll; in a multiple-choice one, more choices may be added later (as in Mastodon).
    pub async fn vote(&self, user: &LocalAccount, id: Id, choices: &[i64]) -> Result<api::Poll> {
        let (poll, status) = self.visible_poll(Some(&user.account), id).await?;
        let now = self.clock.now();
        if poll.expired(now) {
            return Err(ServiceError::invalid("poll", "The poll has already ended"));
        }
        let mut picked: Vec<i64> = choices.to_vec();
        picked.sort_unstable();
        picked.dedup();
        if picked.is_empty() {
            return Err(ServiceError::invalid("choices", "can't be blank"));
        }
        if picked
            .iter()
            .any(|c| usize::try_from(*c).map_or(true, |c| c >= poll.options.len()))
        {
            return Err(ServiceError::invalid(
                "choices",
                "is not an option of the poll",
            ));
        }
        if !poll.multiple && picked.len() > 1 {
            return Err(ServiceError::invalid(
                "choices",
                "only one choice is allowed in this poll",
            ));
        }
        // Read before the transaction: what was chosen before, and who to tell.
        let before: Vec<i64> = self
            .store
            .poll_store()
            .own_votes(user.account.id, &[poll.id])
            .await?
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        let author = self
            .store
            .account(poll.account_id)
            .await?
            .ok_or(ServiceError::NotFound("poll"))?;
        let votes: Vec<(Id, i64)> = picked.iter().map(|c| (self.ids.next_id(), *c)).collect();
        let mut tx = self.store.begin().await?;
        if !tx
            .polls()
            .cast_votes(poll.id, user.account.id, &votes, poll.multiple, now)
            .await?
        {
            return Err(ServiceError::invalid(
                "poll",
                "You have already voted on this poll",
            ));
        }
        let new: Vec<(Id, i64)> = votes
            .into_iter()
            .filter(|(_, c)| !before.contains(c))
            .collect();
        let ballot = crate::federation::Ballot {
            poll: &poll,
            status: &status,
            author: &author,
            new: &new,
            first_vote: before.is_empty(),
        };
        self.federate_votes(tx.as_mut(), &user.account, ballot)
            .await?;
        tx.commit().await?;
        self.get_poll(Some(&user.account), id).await
    }

    /// The `poll_expired` job: a `poll` notification for each local voter and the author.
    pub(crate) async fn poll_expired(&self, job: &PollExpired) -> Result<()> {
        let Some(poll) = self.store.poll_store().poll(job.poll_id).await? else {
            return Ok(()); // deleted with its status
        };
        // An edit (or a remote poll's `Update`) can move the end or take it away: only an ended
        // poll is noticed, and one that ends later waits for its new end. A job queued for an
        // earlier end and one for the new end may both tell: notifications are kept once.
        let now = self.clock.now();
        match poll.expires_at {
            None => return Ok(()),
            Some(end) if end > now => {
                let mut tx = self.store.begin().await?;
                self.queue_poll_end(tx.as_mut(), poll.id, end).await?;
                return Ok(tx.commit().await?);
            }
            Some(_) => {}
        }
        let mut recipients = self.store.poll_store().poll_voters(poll.id).await?;
        recipients.push(poll.account_id);
        recipients.sort();
        recipients.dedup();
        let accounts = self.store.accounts(&recipients).await?;
        let mut shown = Vec::new();
        let mut tx = self.store.begin().await?;
        for a in accounts.iter().filter(|a| a.is_local()) {
            let mut n = Notification {
                id: self.ids.next_id(),
                account_id: a.id,
                from_account_id: poll.account_id,
                kind: NotificationKind::Poll,
                status_id: Some(poll.status_id),
                group_key: None,
                created_at: now,
                filtered: false,
            };
            if self.store_notification(tx.as_mut(), &mut n).await? {
                shown.push(n);
            }
        }
        // Servers that have a local poll learn that it ended, with its final tallies.
        if accounts
            .iter()
            .any(|a| a.id == poll.account_id && a.is_local())
        {
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                now,
                &crate::federation::PollUpdate {
                    status_id: poll.status_id,
                },
            )
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        }
        tx.commit().await?;
        if let Err(e) = self.publish_notifications(shown).await {
            tracing::warn!(poll = %poll.id, error = %e, "streaming poll notifications not published");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(options: &[&str], expires_in: Option<i64>) -> PollInput {
        PollInput {
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            expires_in,
            ..PollInput::default()
        }
    }

    #[test]
    fn polls_are_checked_as_mastodon_checks_them() {
        let now = Timestamp::from_millis(0);
        assert!(check_poll(&input(&["a"], Some(300)), now).is_err());
        assert!(check_poll(&input(&["a", "b", "c", "d", "e"], Some(300)), now).is_err());
        assert!(check_poll(&input(&["a", "A"], Some(300)), now).is_err());
        assert!(check_poll(&input(&["a", " "], Some(300)), now).is_err());
        assert!(check_poll(&input(&["a", &"b".repeat(51)], Some(300)), now).is_err());
        assert!(check_poll(&input(&["a", "b"], Some(299)), now).is_err());
        assert!(check_poll(&input(&["a", "b"], Some(MAX_EXPIRATION + 1)), now).is_err());
        assert!(check_poll(&input(&["a", "b"], None), now).is_err());
        let (options, end) = check_poll(&input(&[" a ", "b"], Some(300)), now).unwrap();
        assert_eq!(options, vec!["a", "b"]);
        assert_eq!(end, Timestamp::from_millis(300_000));
    }
}
