//! Polls between servers, as Mastodon federates them: a local poll goes out as a `Question`
//! (options under `oneOf`/`anyOf` with their votes as `replies.totalItems`) and again as an
//! `Update` when its tallies change or it ends; a vote is a `Create` of a `Note` whose `name` is
//! the option, in reply to the poll, sent to its author only. Remote polls are kept with their
//! origin's tallies, refreshed by each `Update` of the `Question`.

use rookery_activitypub::AS_CONTEXT;
use rookery_activitypub::outgoing::{PollChoice, Question, note_context};
use rookery_activitypub::vocab::Object;
use rookery_model::{Account, Id, Status, Timestamp, Visibility};
use rookery_store::{Poll, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Result, ServiceError, Services};

/// Options of a remote poll kept at most, and characters of each: enough for any real poll
/// (Mastodon allows 4 of 50, others a few more); a hostile `Question` cannot make us store more.
const MAX_REMOTE_OPTIONS: usize = 20;
const MAX_REMOTE_OPTION_CHARS: usize = 200;

/// Sends a local poll's new tallies (or its end) to the servers that have it: an `Update` of
/// its `Question`. One waits per poll at a time; once it starts it frees its key and then reads
/// the tallies, so a vote counted while it runs queues the next one (as Mastodon's
/// `lock: :until_executed`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PollUpdate {
    pub status_id: Id,
}

impl rookery_jobs::JobSpec for PollUpdate {
    const KIND: &'static str = "poll_update";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Push;
    fn unique_key(&self) -> Option<String> {
        Some(format!("poll_update:{}", self.status_id))
    }
}

/// A local account's vote, as [`Services::federate_votes`] sends it.
pub(crate) struct Ballot<'a> {
    pub poll: &'a Poll,
    pub status: &'a Status,
    /// The poll's author.
    pub author: &'a Account,
    /// `(vote id, choice)` of the choices not made before.
    pub new: &'a [(Id, i64)],
    /// Whether the voter had not voted in this poll before.
    pub first_vote: bool,
}

fn enqueue_err(e: rookery_jobs::EnqueueError) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

/// The poll a remote `Question` carries (`id` for a new row), with its origin's tallies;
/// `None` when it has no options.
pub(crate) fn remote_poll(
    object: &Object,
    status_id: Id,
    author: Id,
    id: Id,
    now: Timestamp,
) -> Option<Poll> {
    let (choices, multiple) = if !object.any_of.is_empty() {
        (&object.any_of, true)
    } else {
        (&object.one_of, false)
    };
    let mut options: Vec<String> = Vec::new();
    let mut tallies = Vec::new();
    for choice in choices.iter().take(MAX_REMOTE_OPTIONS) {
        let Some(name) = choice.name.as_deref() else {
            continue;
        };
        // Kept exactly as sent: a vote names its option, and the origin matches the name.
        // An option too long to keep makes the whole poll unusable, so none is kept.
        if name.chars().count() > MAX_REMOTE_OPTION_CHARS {
            return None;
        }
        options.push(name.to_owned());
        tallies.push(i64::try_from(choice.votes()).unwrap_or(i64::MAX));
    }
    if options.is_empty() {
        return None;
    }
    // As Mastodon: `closed` (a time, or just true) ends it; otherwise `endTime`.
    let closed = match &object.closed {
        Some(Value::String(t)) => Some(Timestamp::parse_rfc3339(t).unwrap_or(now)),
        Some(Value::Bool(true)) => Some(now),
        _ => None,
    };
    let expires_at = closed.or_else(|| {
        object
            .end_time
            .as_deref()
            .and_then(Timestamp::parse_rfc3339)
    });
    let voters_count = object
        .voters_count
        .and_then(|v| i64::try_from(v).ok())
        .unwrap_or_else(|| tallies.iter().fold(0i64, |a, n| a.saturating_add(*n)));
    Some(Poll {
        id,
        status_id,
        account_id: author,
        options,
        multiple,
        hide_totals: false,
        expires_at,
        tallies,
        voters_count,
        remote: true,
        created_at: now,
    })
}

/// Whether `object` is an edit newer than the last one `status` had (its `updated` is later).
fn newer_edit(status: &Status, object: &Object) -> bool {
    object
        .updated
        .as_deref()
        .and_then(Timestamp::parse_rfc3339)
        .is_some_and(|t| status.edited_at.is_none_or(|e| t > e))
}

impl Services {
    /// The poll of a status, if it has one.
    pub(crate) async fn poll_of_status(&self, status_id: Id) -> Result<Option<Poll>> {
        Ok(self
            .store
            .poll_store()
            .polls_of_statuses(&[status_id])
            .await?
            .pop())
    }

    /// The `Question` part of a local status's object, when it has a poll. Tallies of a poll
    /// that hides them are sent as 0 until it ends (other servers would show them).
    pub(crate) async fn question_of(&self, status: &Status) -> Result<Option<Question>> {
        let Some(poll) = self.poll_of_status(status.id).await? else {
            return Ok(None);
        };
        let expired = poll.expired(self.clock.now());
        let show = !poll.hide_totals || expired;
        let choices: Vec<PollChoice> = poll
            .options
            .iter()
            .zip(&poll.tallies)
            .map(|(title, n)| PollChoice::new(title, if show { *n } else { 0 }))
            .collect();
        let (one_of, any_of) = if poll.multiple {
            (None, Some(choices))
        } else {
            (Some(choices), None)
        };
        Ok(Some(Question {
            one_of,
            any_of,
            end_time: poll.expires_at.map(Timestamp::to_rfc3339),
            closed: poll
                .expires_at
                .filter(|_| expired)
                .map(Timestamp::to_rfc3339),
            voters_count: if show { poll.voters_count } else { 0 },
        }))
    }

    /// Stores the poll of a remote status just written in `tx`, and schedules the notices to
    /// local voters at its end.
    pub(super) async fn insert_remote_poll(
        &self,
        tx: &mut dyn Transaction,
        object: &Object,
        status: &Status,
    ) -> Result<()> {
        let now = self.clock.now();
        let Some(poll) = remote_poll(
            object,
            status.id,
            status.account_id,
            self.ids.next_id(),
            now,
        ) else {
            return Ok(());
        };
        let id = tx.polls().save_remote_poll(&poll).await?;
        if let Some(end) = poll.expires_at.filter(|t| *t > now) {
            self.queue_poll_end(tx, id, end).await?;
        }
        Ok(())
    }

    /// An `Update` of a remote `Question`: its new tallies (and end). The status must be
    /// `author`'s.
    pub(super) async fn refresh_remote_poll(
        &self,
        author: &Account,
        object: &Object,
    ) -> Result<()> {
        let Some(uri) = object.id.as_deref() else {
            return Ok(());
        };
        let Some(status) = self.store.status_by_uri(uri).await? else {
            return Ok(()); // never seen
        };
        if status.local
            || status.account_id != author.id
            || object.author() != author.uri.as_deref()
        {
            return Err(ServiceError::invalid(
                "object",
                "an update of someone else's poll",
            ));
        }
        let now = self.clock.now();
        let Some(mut poll) = remote_poll(object, status.id, author.id, self.ids.next_id(), now)
        else {
            return Ok(());
        };
        let old = self.poll_of_status(status.id).await?;
        // A poll added, or its options or kind changed, is an edit: only one newer than the
        // post's last edit may do it (a late or replayed `Update` must not void votes).
        let reshaped = old
            .as_ref()
            .is_none_or(|o| o.options != poll.options || o.multiple != poll.multiple);
        if reshaped && !newer_edit(&status, object) {
            return Ok(());
        }
        if let Some(old) = old.as_ref().filter(|o| o.options == poll.options) {
            // Votes are never taken back: an `Update` that counts fewer is older than what we
            // have (delivered late or replayed), and its tallies are not taken.
            let total = |p: &Poll| p.tallies.iter().fold(0i64, |a, n| a.saturating_add(*n));
            if total(&poll) < total(old) {
                poll.tallies.clone_from(&old.tallies);
                poll.voters_count = old.voters_count;
            }
        }
        let mut tx = self.store.begin().await?;
        let id = tx.polls().save_remote_poll(&poll).await?;
        // A poll new to this status gets its end notices; so does one whose end came earlier
        // (a later end is waited for by the job already queued). A poll that had already ended
        // is not noticed again.
        let moved = match (&old, poll.expires_at) {
            (None, _) => true,
            (Some(o), Some(end)) => !o.expired(now) && o.expires_at.is_none_or(|t| end < t),
            (Some(_), None) => false,
        };
        if moved && let Some(end) = poll.expires_at {
            self.queue_poll_end(tx.as_mut(), id, end).await?;
        }
        Ok(tx.commit().await?)
    }

    /// An `Update` of a remote post that is no longer a `Question`: its poll, if it had one,
    /// is gone (votes cast here with it).
    pub(super) async fn drop_remote_poll(&self, author: &Account, object: &Object) -> Result<()> {
        let Some(uri) = object.id.as_deref() else {
            return Ok(());
        };
        let Some(status) = self.store.status_by_uri(uri).await? else {
            return Ok(());
        };
        if status.local || status.account_id != author.id || !newer_edit(&status, object) {
            return Ok(()); // refused with the edit itself, or older than the last edit
        }
        let Some(poll) = self.poll_of_status(status.id).await? else {
            return Ok(());
        };
        let mut tx = self.store.begin().await?;
        tx.polls().delete_poll(poll.id).await?;
        Ok(tx.commit().await?)
    }

    /// A remote account's vote in a local poll: a `Note` with a `name` (the option's title) in
    /// reply to the poll's status. `false` when the object is not a vote (then it is a post).
    pub(super) async fn receive_poll_vote(&self, voter: &Account, object: &Object) -> Result<bool> {
        let Some(name) = object.name.as_deref() else {
            return Ok(false);
        };
        let parent = object.in_reply_to.as_ref().and_then(|r| r.id());
        let Some(status) = self.local_status_of(parent).await? else {
            return Ok(false);
        };
        let Some(poll) = self.poll_of_status(status.id).await? else {
            return Ok(false);
        };
        let Some(choice) = poll.options.iter().position(|o| o == name.trim()) else {
            return Ok(false);
        };
        if object.author() != voter.uri.as_deref() {
            return Err(ServiceError::invalid(
                "attributedTo",
                "a vote attributed to someone else than the actor",
            ));
        }
        let now = self.clock.now();
        // Votes after the end, in a poll the voter may not see, or by its author are dropped.
        if poll.expired(now) || voter.id == poll.account_id {
            return Ok(true);
        }
        match self.visible_status(Some(voter), status.id).await {
            Ok(_) => {}
            Err(ServiceError::NotFound(_)) => return Ok(true),
            Err(e) => return Err(e), // retried: the vote is not lost to a database hiccup
        }
        let choice = i64::try_from(choice).unwrap_or(i64::MAX);
        let mut tx = self.store.begin().await?;
        let counted = tx
            .polls()
            .cast_votes(
                poll.id,
                voter.id,
                &[(self.ids.next_id(), choice)],
                poll.multiple,
                now,
            )
            .await?;
        if counted && !poll.hide_totals {
            rookery_jobs::enqueue(
                tx.as_mut(),
                &self.ids,
                now,
                &PollUpdate {
                    status_id: status.id,
                },
            )
            .await
            .map_err(enqueue_err)?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Queues, in `tx`, what a local vote in a poll needs: for a remote poll, one `Create` of a
    /// vote `Note` per new choice to its author, and the origin's tallies counted up until its
    /// next `Update`; for a local one, the `Update` of its tallies (unless it hides them).
    pub(crate) async fn federate_votes(
        &self,
        tx: &mut dyn Transaction,
        voter: &Account,
        ballot: Ballot<'_>,
    ) -> Result<()> {
        let Ballot {
            poll,
            status,
            author,
            new,
            first_vote,
        } = ballot;
        if status.local {
            if !poll.hide_totals {
                rookery_jobs::enqueue(
                    tx,
                    &self.ids,
                    self.clock.now(),
                    &PollUpdate {
                        status_id: status.id,
                    },
                )
                .await
                .map_err(enqueue_err)?;
            }
            return Ok(());
        }
        let (Some(poll_uri), Some(author_uri)) = (status.uri.as_deref(), author.uri.as_deref())
        else {
            return Ok(());
        };
        let inbox: Vec<String> = author.inbox_url.clone().into_iter().collect();
        let voter_uri = self.urls.actor(voter.username.as_str());
        let mut counted = poll.clone();
        for (vote_id, choice) in new {
            let Some(title) = usize::try_from(*choice)
                .ok()
                .and_then(|c| poll.options.get(c))
            else {
                continue;
            };
            if let Some(n) = usize::try_from(*choice)
                .ok()
                .and_then(|c| counted.tallies.get_mut(c))
            {
                *n = n.saturating_add(1);
            }
            let id = format!("{voter_uri}#votes/{vote_id}");
            let activity = json!({
                "@context": AS_CONTEXT,
                "id": format!("{id}/activity"),
                "type": "Create",
                "actor": voter_uri,
                "to": [author_uri],
                "object": {
                    "id": id,
                    "type": "Note",
                    "name": title,
                    "attributedTo": voter_uri,
                    "to": [author_uri],
                    "inReplyTo": poll_uri,
                },
            });
            self.enqueue_federate(tx, voter, &activity, false, inbox.clone())
                .await?;
        }
        if first_vote {
            counted.voters_count = counted.voters_count.saturating_add(1);
        }
        tx.polls().save_remote_poll(&counted).await?;
        Ok(())
    }

    /// The `poll_update` job: an `Update` of a local poll's `Question` to its status's audience
    /// and to the servers of its remote voters.
    pub(crate) async fn poll_update(&self, job: &PollUpdate, job_id: Id) -> Result<()> {
        self.store.release_unique_key(job_id).await?;
        let Some(status) = self.store.status(job.status_id).await? else {
            return Ok(()); // deleted meanwhile
        };
        if !status.local {
            return Ok(());
        }
        let Some(author) = self.store.account(status.account_id).await? else {
            return Ok(());
        };
        let Some(poll) = self.poll_of_status(status.id).await? else {
            return Ok(());
        };
        let note = self.note(&author, &status).await?;
        let actor = self.urls.actor(author.username.as_str());
        let now = self.clock.now();
        let activity = json!({
            "@context": note_context(),
            "id": format!("{}#updates/poll/{}", note.id, self.ids.next_id()),
            "type": "Update",
            "actor": actor,
            "published": now.to_rfc3339(),
            "to": note.to,
            "cc": note.cc,
            "object": note,
        });
        let mut inboxes = self.extra_inboxes(&status).await?;
        let voters = self.store.poll_store().poll_voters(poll.id).await?;
        inboxes.extend(self.inboxes_of(&voters).await?);
        let mut tx = self.store.begin().await?;
        self.enqueue_federate(
            tx.as_mut(),
            &author,
            &activity,
            status.visibility != Visibility::Direct,
            inboxes,
        )
        .await?;
        Ok(tx.commit().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(v: Value) -> Object {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn questions_become_polls_with_their_tallies() {
        let now = Timestamp::from_millis(1_000_000);
        let q = question(json!({
            "id": "https://x.example/q/1", "type": "Question",
            "oneOf": [
                {"type": "Note", "name": "Yes", "replies": {"type": "Collection", "totalItems": 3}},
                {"type": "Note", "name": " No ", "replies": {"totalItems": 1}},
                {"type": "Note"}
            ],
            "endTime": "2030-01-01T00:00:00Z",
        }));
        let p = remote_poll(&q, Id::from_i64(1), Id::from_i64(2), Id::from_i64(3), now).unwrap();
        // Kept exactly as sent: votes name the option as the origin knows it.
        assert_eq!(p.options, vec!["Yes", " No "]);
        assert_eq!(p.tallies, vec![3, 1]);
        assert_eq!(p.voters_count, 4);
        assert!(!p.multiple && p.remote);
        assert_eq!(
            p.expires_at,
            Timestamp::parse_rfc3339("2030-01-01T00:00:00Z")
        );

        let closed = question(json!({
            "type": "Question", "votersCount": 2, "closed": true,
            "anyOf": [{"name": "a"}, {"name": "b", "replies": {"totalItems": 2}}],
            "endTime": "2030-01-01T00:00:00Z",
        }));
        let p = remote_poll(
            &closed,
            Id::from_i64(1),
            Id::from_i64(2),
            Id::from_i64(3),
            now,
        )
        .unwrap();
        assert!(p.multiple);
        assert_eq!(p.voters_count, 2);
        assert_eq!(p.expires_at, Some(now));

        let none = question(json!({"type": "Question", "oneOf": []}));
        assert!(
            remote_poll(
                &none,
                Id::from_i64(1),
                Id::from_i64(2),
                Id::from_i64(3),
                now
            )
            .is_none()
        );

        let many: Vec<Value> = (0..1000)
            .map(|i| json!({"name": format!("option {i}")}))
            .collect();
        let huge = question(json!({"type": "Question", "oneOf": many}));
        let p = remote_poll(
            &huge,
            Id::from_i64(1),
            Id::from_i64(2),
            Id::from_i64(3),
            now,
        )
        .unwrap();
        assert_eq!(p.options.len(), MAX_REMOTE_OPTIONS);

        // An option too long to keep (and so to vote for by name) leaves no poll.
        let long = question(json!({"type": "Question", "oneOf": [
            {"name": "short"}, {"name": "x".repeat(MAX_REMOTE_OPTION_CHARS + 1)}
        ]}));
        assert!(
            remote_poll(
                &long,
                Id::from_i64(1),
                Id::from_i64(2),
                Id::from_i64(3),
                now
            )
            .is_none()
        );
    }
}
