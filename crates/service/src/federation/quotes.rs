//! Quote posts between servers, as Mastodon 4.5 exchanges them (FEP-044f):
//!
//! - A local post quoting a remote one sends its author a `QuoteRequest`; their `Accept`
//!   (whose `result` is a `QuoteAuthorization`) approves the quote, and the post is sent
//!   again (`Update`) carrying `quoteAuthorization`; a `Reject` refuses it.
//! - A `QuoteRequest` for a local post is answered by its quote policy: `Accept` with a
//!   `QuoteAuthorization` served at `/users/:name/quote_authorizations/:id`, or `Reject`.
//! - A remote post quoting another is shown as approved only once its `quoteAuthorization`,
//!   fetched from the quoted author's server, names both posts and the quoted author (a
//!   self-quote needs none).
//! - The quoted author revokes an approval by deleting the `QuoteAuthorization`.

use rookery_activitypub::vocab::{Activity, Object, Ref, Target};
use rookery_jobs::JobError;
use rookery_model::{Account, QuoteDecision, QuotePolicy, Status};
use rookery_store::{Quote, QuoteState, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::actors::same_host;
use super::host_of;
use super::posts::{POST_TYPES, resolve_err};
use crate::{Result, ServiceError, Services};

/// Checks a remote quote: fetches the quoted post when it is not here, and the
/// `QuoteAuthorization` that approves it (the `pull` queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyQuote {
    pub quote_id: rookery_model::Id,
    /// How many quoted posts were fetched to reach this one (a chain of quotes is followed
    /// [`MAX_QUOTE_DEPTH`] posts deep at most).
    #[serde(default)]
    pub depth: u32,
}

/// How far a chain of quoted posts not here is fetched.
pub const MAX_QUOTE_DEPTH: u32 = 3;

impl rookery_jobs::JobSpec for VerifyQuote {
    const KIND: &'static str = "verify_quote";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Pull;
    fn policy() -> rookery_jobs::RetryPolicy {
        super::collections::sync_policy(60)
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!("verify_quote:{}", self.quote_id))
    }
}

/// The `@context` of quote activities and authorizations.
fn quote_context() -> Value {
    json!([
        rookery_activitypub::AS_CONTEXT,
        rookery_activitypub::outgoing::quote_terms()
    ])
}

impl Services {
    /// Where the approval of quote `quote_id` of a post by local `author` is published.
    pub(crate) fn quote_authorization_url(
        &self,
        author: &Account,
        quote_id: rookery_model::Id,
    ) -> String {
        format!("{}/quote_authorizations/{quote_id}", self.actor_url(author))
    }

    /// The `quote`, `quoteAuthorization` and `interactionPolicy` properties of the `Note` of
    /// local `status` by `author`.
    pub(crate) async fn note_quote_fields(
        &self,
        author: &Account,
        status: &Status,
    ) -> Result<Vec<(&'static str, Value)>> {
        let mut out = Vec::new();
        let store = self.store.quote_store();
        if let Some(q) = store.quotes_by(&[status.id]).await?.pop() {
            out.push(("quote", Value::String(q.quoted_uri.clone())));
            out.push(("_misskey_quote", Value::String(q.quoted_uri.clone())));
            out.push(("quoteUri", Value::String(q.quoted_uri.clone())));
            if q.state == QuoteState::Accepted {
                let approval = match q.approval_uri.clone() {
                    Some(a) => Some(a),
                    None => match q.quoted_account_id {
                        Some(id) => self
                            .store
                            .account(id)
                            .await?
                            .filter(Account::is_local)
                            .map(|a| self.quote_authorization_url(&a, q.id)),
                        None => None,
                    },
                };
                if let Some(a) = approval {
                    out.push(("quoteAuthorization", Value::String(a)));
                }
            }
        }
        let policy = store
            .quote_policies(&[status.id])
            .await?
            .pop()
            .map_or(QuotePolicy::NOBODY, |(_, p)| p);
        let name = author.username.as_str();
        let mut automatic = Vec::new();
        if policy.automatic & rookery_model::QUOTE_PUBLIC != 0 {
            automatic.push(rookery_activitypub::PUBLIC.to_owned());
        }
        if policy.automatic & rookery_model::QUOTE_FOLLOWERS != 0 {
            automatic.push(self.urls.actor_path(name, "followers"));
        }
        if policy.automatic & rookery_model::QUOTE_FOLLOWING != 0 {
            automatic.push(self.urls.actor_path(name, "following"));
        }
        if automatic.is_empty() {
            automatic.push(self.actor_url(author));
        }
        out.push((
            "interactionPolicy",
            json!({"canQuote": {"automaticApproval": automatic}}),
        ));
        Ok(out)
    }

    /// Queues the `QuoteRequest` of `quote` (by local `author`'s `status`) to the quoted
    /// post's author.
    pub(crate) async fn enqueue_quote_request(
        &self,
        tx: &mut dyn Transaction,
        author: &Account,
        status: &Status,
        quote: &Quote,
        quoted_author: &Account,
    ) -> Result<()> {
        let Some(id) = quote.activity_uri.clone() else {
            return Ok(());
        };
        let activity = json!({
            "@context": quote_context(),
            "id": id,
            "type": "QuoteRequest",
            "actor": self.actor_url(author),
            "object": quote.quoted_uri,
            "instrument": self.status_uri(author, status),
        });
        let inbox = self.inboxes_of(&[quoted_author.id]).await?;
        self.enqueue_federate(tx, author, &activity, false, inbox)
            .await
    }

    /// Queues the `Delete` of the approval of `quote` by local `owner`, to the quoting
    /// author's server and `owner`'s followers.
    pub(crate) async fn enqueue_quote_revocation(
        &self,
        tx: &mut dyn Transaction,
        owner: &Account,
        quote: &Quote,
    ) -> Result<()> {
        let inbox = self.inboxes_of(&[quote.account_id]).await?;
        if quote.state != QuoteState::Accepted {
            // Nothing was approved: the request waiting, if one came, is refused.
            let Some(request) = &quote.activity_uri else {
                return Ok(());
            };
            let activity = json!({
                "@context": quote_context(),
                "id": format!("{}#rejects/quote_requests/{}", self.actor_url(owner), quote.id),
                "type": "Reject",
                "actor": self.actor_url(owner),
                "object": request,
            });
            return self
                .enqueue_federate(tx, owner, &activity, false, inbox)
                .await;
        }
        let approval = quote
            .approval_uri
            .clone()
            .unwrap_or_else(|| self.quote_authorization_url(owner, quote.id));
        let activity = json!({
            "@context": rookery_activitypub::AS_CONTEXT,
            "id": format!("{approval}#delete"),
            "type": "Delete",
            "actor": self.actor_url(owner),
            "to": [rookery_activitypub::PUBLIC],
            "object": approval,
        });
        self.enqueue_federate(tx, owner, &activity, true, inbox)
            .await
    }

    /// `GET /users/:name/quote_authorizations/:id`: the approval of an accepted quote of a
    /// public or unlisted post by `username`.
    pub async fn ap_quote_authorization(
        &self,
        username: &str,
        id: rookery_model::Id,
    ) -> Result<Value> {
        let quote = self
            .store
            .quote_store()
            .quote(id)
            .await?
            .filter(|q| q.state == QuoteState::Accepted)
            .ok_or(ServiceError::NotFound("quote authorization"))?;
        let quoted_id = quote
            .quoted_status_id
            .ok_or(ServiceError::NotFound("quote authorization"))?;
        let (local, quoted) = self.published_status(username, quoted_id).await?;
        let quoting = self
            .store
            .status(quote.status_id)
            .await?
            .ok_or(ServiceError::NotFound("quote authorization"))?;
        let quoting_author = self
            .store
            .account(quoting.account_id)
            .await?
            .ok_or(ServiceError::NotFound("quote authorization"))?;
        Ok(json!({
            "@context": quote_context(),
            "id": self.quote_authorization_url(&local.account, quote.id),
            "type": "QuoteAuthorization",
            "attributedTo": self.actor_url(&local.account),
            "interactingObject": self.status_uri(&quoting_author, &quoting),
            "interactionTarget": self.status_uri(&local.account, &quoted),
        }))
    }

    /// A `QuoteRequest` for a local post: approved or refused by the post's quote policy.
    pub(super) async fn on_quote_request(&self, actor: &Account, a: &Activity) -> Result<()> {
        let actor_uri = actor.uri.clone().unwrap_or_default();
        if !same_host(&a.id, &actor_uri) {
            return Err(ServiceError::invalid("id", "not on the actor's server"));
        }
        let Some(quoted) = self
            .local_status_of(a.object.as_ref().and_then(Target::id))
            .await?
        else {
            return Ok(());
        };
        let Some(owner) = self.store.account(quoted.account_id).await? else {
            return Ok(());
        };
        let decision = if matches!(
            quoted.visibility,
            rookery_model::Visibility::Public | rookery_model::Visibility::Unlisted
        ) {
            self.quotes().decision(actor, &quoted).await?
        } else {
            QuoteDecision::Denied
        };
        let quoting = match (&a.instrument, decision) {
            (Some(target), QuoteDecision::Automatic) => self.quoting_post(actor, target).await?,
            _ => None,
        };
        let quote = match &quoting {
            Some(s) => self
                .store
                .quote_store()
                .quotes_by(&[s.id])
                .await?
                .pop()
                .filter(|q| q.quoted_status_id == Some(quoted.id)),
            None => None,
        };
        let request = json!({
            "id": a.id,
            "type": "QuoteRequest",
            "actor": actor_uri,
            "object": self.status_uri(&owner, &quoted),
            "instrument": quoting.as_ref().and_then(|s| s.uri.clone()),
        });
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        // A quote the owner refused or revoked stays so: asking again gets a Reject.
        let approved = match (&quote, &quoting) {
            (Some(q), Some(s)) if q.state == QuoteState::Accepted => Some((q, s)),
            (Some(q), Some(s)) if q.state == QuoteState::Pending => {
                let approval = self.quote_authorization_url(&owner, q.id);
                let accepted = tx
                    .quotes()
                    .set_quote_state(
                        q.id,
                        &[QuoteState::Pending],
                        QuoteState::Accepted,
                        Some(&approval),
                        Some(&a.id),
                        now,
                    )
                    .await?;
                if accepted {
                    self.enqueue_notify(tx.as_mut(), owner.id, actor.id, "quote", Some(s.id))
                        .await?;
                }
                accepted.then_some((q, s))
            }
            _ => None,
        };
        let answer = match approved {
            Some((q, _)) => {
                let approval = self.quote_authorization_url(&owner, q.id);
                json!({
                    "@context": quote_context(),
                    "id": format!("{}#accepts/quote_requests/{}", self.actor_url(&owner), q.id),
                    "type": "Accept",
                    "actor": self.actor_url(&owner),
                    "object": request,
                    "result": approval,
                })
            }
            _ => json!({
                "@context": quote_context(),
                "id": format!("{}#rejects/quote_requests/{}", self.actor_url(&owner), self.ids.next_id()),
                "type": "Reject",
                "actor": self.actor_url(&owner),
                "object": request,
            }),
        };
        let inbox = actor.inbox_url.clone().into_iter().collect();
        self.enqueue_federate(tx.as_mut(), &owner, &answer, false, inbox)
            .await?;
        Ok(tx.commit().await?)
    }

    /// The post a `QuoteRequest` names as its `instrument`: here already, or taken from the
    /// request when it comes from the actor's server, or fetched; it must be the actor's.
    async fn quoting_post(&self, actor: &Account, target: &Target) -> Result<Option<Status>> {
        let actor_uri = actor.uri.clone().unwrap_or_default();
        let Some(uri) = target.id() else {
            return Ok(None);
        };
        if let Some(s) = self.known_status(uri).await? {
            return Ok(Some(s).filter(|s| s.account_id == actor.id));
        }
        // Only the actor's own post, from the actor's own server, is fetched.
        if !same_host(uri, &actor_uri) {
            return Ok(None);
        }
        let Some(object) = self.object_of(&actor_uri, target).await? else {
            return Ok(None);
        };
        if !POST_TYPES.contains(&object.kind.as_str()) {
            return Ok(None);
        }
        self.store_remote_status(actor, &object, true).await
    }

    /// An `Accept` or `Reject` of a local post's `QuoteRequest`; false when it is not one.
    pub(super) async fn quote_answered(
        &self,
        actor: &Account,
        a: &Activity,
        accept: bool,
    ) -> Result<bool> {
        let request_id = match &a.object {
            Some(Target::Activity(inner)) if inner.kind == "QuoteRequest" => inner.id.as_str(),
            Some(Target::Id(id)) => id.as_str(),
            _ => return Ok(false),
        };
        let Some(quote) = self
            .store
            .quote_store()
            .quote_by_activity(request_id)
            .await?
        else {
            return Ok(false);
        };
        let quoting_is_local = self
            .store
            .status(quote.status_id)
            .await?
            .is_some_and(|s| s.local);
        if quote.quoted_account_id != Some(actor.id) || !quoting_is_local {
            return Ok(true); // someone else's answer, or not about a post of ours: ignored
        }
        let actor_uri = actor.uri.clone().unwrap_or_default();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let changed = if accept {
            let Some(result) = a.result.as_deref().filter(|r| same_host(r, &actor_uri)) else {
                return Ok(true);
            };
            tx.quotes()
                .set_quote_state(
                    quote.id,
                    &[QuoteState::Pending],
                    QuoteState::Accepted,
                    Some(result),
                    None,
                    now,
                )
                .await?
        } else {
            tx.quotes()
                .set_quote_state(
                    quote.id,
                    &[QuoteState::Pending, QuoteState::Accepted],
                    QuoteState::Rejected,
                    None,
                    None,
                    now,
                )
                .await?
        };
        tx.commit().await?;
        if changed && let Some(status) = self.store.status(quote.status_id).await? {
            // Followers' servers learn of the approval (or its refusal) with the post.
            self.federate_note_update(&status, &format!("quote/{}", self.ids.next_id()))
                .await?;
        }
        Ok(true)
    }

    /// A `Delete` of a `QuoteAuthorization` by the quoted author: the approval is revoked.
    /// Only approvals this actor gave and that were checked count (a pending quote's claimed
    /// approval is anyone's text). False when `uri` approves no quote here, so the `Delete`
    /// goes on to be read as the deletion of a post.
    pub(super) async fn quote_authorization_deleted(
        &self,
        actor: &Account,
        uri: &str,
    ) -> Result<bool> {
        let approved = self
            .store
            .quote_store()
            .accepted_quotes_by_approval(uri, actor.id)
            .await?;
        if approved.is_empty() {
            return Ok(false);
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        for quote in &approved {
            tx.quotes()
                .set_quote_state(
                    quote.id,
                    &[QuoteState::Accepted],
                    QuoteState::Revoked,
                    None,
                    None,
                    now,
                )
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records the quote (and quote policy) of a remote post being stored, in its
    /// transaction; a quote needing a check queues [`VerifyQuote`]. `depth`: how many quoted
    /// posts were fetched to reach this one.
    pub(super) async fn record_remote_quote(
        &self,
        tx: &mut dyn Transaction,
        author: &Account,
        object: &Object,
        status: &Status,
        depth: u32,
    ) -> Result<()> {
        if let Some(policy) = Self::remote_quote_policy(author, object) {
            tx.quotes().set_quote_policy(status.id, policy).await?;
        }
        let Some(quoted_uri) = object.quote().filter(|u| host_of(u).is_some()) else {
            return Ok(());
        };
        let quoted = self.known_status(quoted_uri).await?;
        let own = quoted.as_ref().is_some_and(|q| q.account_id == author.id);
        let approval = object
            .quote_authorization
            .as_ref()
            .and_then(Ref::id)
            .filter(|a| host_of(a).is_some())
            .map(|a| a.chars().take(2048).collect::<String>());
        let now = self.clock.now();
        let quote = Quote {
            id: self.ids.next_id(),
            status_id: status.id,
            account_id: author.id,
            quoted_status_id: quoted.as_ref().map(|q| q.id),
            quoted_account_id: quoted.as_ref().map(|q| q.account_id),
            quoted_uri: quoted_uri.chars().take(2048).collect(),
            state: if own {
                QuoteState::Accepted
            } else {
                QuoteState::Pending
            },
            activity_uri: None,
            approval_uri: approval.clone(),
            created_at: now,
            updated_at: now,
        };
        tx.quotes().insert_quote(&quote).await?;
        if (quoted.is_none() && depth < MAX_QUOTE_DEPTH) || (!own && approval.is_some()) {
            self.enqueue_verify_quote(tx, quote.id, depth).await?;
        }
        Ok(())
    }

    /// Who may quote a remote post, from its `interactionPolicy` (none: it says nothing).
    fn remote_quote_policy(author: &Account, object: &Object) -> Option<QuotePolicy> {
        // A following collection is not kept for remote actors: Mastodon's is `…/following`.
        let following = author.uri.as_deref().map(|u| format!("{u}/following"));
        object
            .quote_policy(author.followers_url.as_deref(), following.as_deref())
            .map(|(automatic, manual)| QuotePolicy { automatic, manual })
    }

    async fn enqueue_verify_quote(
        &self,
        tx: &mut dyn Transaction,
        quote_id: rookery_model::Id,
        depth: u32,
    ) -> Result<()> {
        rookery_jobs::enqueue(
            tx,
            &self.ids,
            self.clock.now(),
            &VerifyQuote { quote_id, depth },
        )
        .await
        .map(|_| ())
        .map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// A remote post that quotes were waiting for has arrived (in `tx`, which linked them):
    /// self-quotes count at once; quotes that carry an approval are checked.
    pub(super) async fn quoted_post_arrived(
        &self,
        tx: &mut dyn Transaction,
        waiting: &[Quote],
        status: &Status,
    ) -> Result<()> {
        let now = self.clock.now();
        for q in waiting.iter().filter(|q| q.state == QuoteState::Pending) {
            if q.account_id == status.account_id {
                tx.quotes()
                    .set_quote_state(
                        q.id,
                        &[QuoteState::Pending],
                        QuoteState::Accepted,
                        None,
                        None,
                        now,
                    )
                    .await?;
            } else if q.approval_uri.is_some() {
                self.enqueue_verify_quote(tx, q.id, 0).await?;
            }
        }
        Ok(())
    }

    /// After a remote post is updated: its quote policy is read again, and a
    /// `quoteAuthorization` it now carries is checked.
    pub(super) async fn remote_quote_edited(
        &self,
        author: &Account,
        status: &Status,
        object: &Object,
    ) -> Result<()> {
        let policy = Self::remote_quote_policy(author, object);
        let quote = self
            .store
            .quote_store()
            .quotes_by(&[status.id])
            .await?
            .pop();
        let approval = object
            .quote_authorization
            .as_ref()
            .and_then(Ref::id)
            .filter(|a| host_of(a).is_some());
        let check = match (&quote, approval) {
            (Some(q), Some(a)) => {
                q.state == QuoteState::Pending && q.approval_uri.as_deref() != Some(a)
            }
            _ => false,
        };
        if policy.is_none() && !check {
            return Ok(());
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if let Some(policy) = policy {
            tx.quotes().set_quote_policy(status.id, policy).await?;
        }
        if let (true, Some(q), Some(a)) = (check, &quote, approval) {
            tx.quotes()
                .set_quote_state(
                    q.id,
                    &[QuoteState::Pending],
                    QuoteState::Pending,
                    Some(&a.chars().take(2048).collect::<String>()),
                    None,
                    now,
                )
                .await?;
            self.enqueue_verify_quote(tx.as_mut(), q.id, 0).await?;
        }
        Ok(tx.commit().await?)
    }

    /// The `verify_quote` job.
    pub(crate) async fn verify_quote(
        &self,
        job: &VerifyQuote,
    ) -> std::result::Result<(), JobError> {
        match self.check_remote_quote(job).await {
            Ok(()) => Ok(()),
            // Gone, private, malformed or forged: the quote stays unapproved.
            Err(
                ServiceError::NotFound(_) | ServiceError::Invalid { .. } | ServiceError::Forbidden,
            ) => Ok(()),
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    }

    /// The quoted post, fetched (a chain of quotes only so deep) and linked when it is not
    /// here; `None` when it cannot be had.
    async fn quoted_post_of(&self, quote: &Quote, depth: u32) -> Result<Option<Status>> {
        if let Some(s) = self.known_status(&quote.quoted_uri).await? {
            return Ok(Some(s));
        }
        if depth >= MAX_QUOTE_DEPTH {
            return Ok(None);
        }
        let object = self.fetch_object(&quote.quoted_uri).await?;
        if !POST_TYPES.contains(&object.kind.as_str()) {
            return Ok(None);
        }
        let author_uri = object
            .author()
            .ok_or_else(|| ServiceError::invalid("attributedTo", "missing"))?
            .to_owned();
        let author = self
            .resolve_actor(&author_uri, false)
            .await
            .map_err(resolve_err)?;
        if author.suspended_at.is_some() {
            return Ok(None);
        }
        // Storing it links this quote (and any other waiting for it).
        self.store_remote_status_at(
            &author,
            &object,
            true,
            super::posts::Reach {
                ancestors: 0,
                quotes: depth + 1,
            },
        )
        .await
    }

    async fn check_remote_quote(&self, job: &VerifyQuote) -> Result<()> {
        let Some(quote) = self.store.quote_store().quote(job.quote_id).await? else {
            return Ok(());
        };
        let Some(quoting) = self.store.status(quote.status_id).await? else {
            return Ok(());
        };
        let quoted_account_id = match quote.quoted_account_id {
            Some(id) => id,
            None => {
                let Some(quoted) = self.quoted_post_of(&quote, job.depth).await? else {
                    return Ok(());
                };
                // Stored by a job running alongside, the post may not have linked this quote
                // (its transaction could not see it): link it, and settle a self-quote, here.
                let mut tx = self.store.begin().await?;
                tx.quotes()
                    .link_quoted(&quote.quoted_uri, quoted.id, quoted.account_id)
                    .await?;
                if quoted.account_id == quote.account_id {
                    tx.quotes()
                        .set_quote_state(
                            quote.id,
                            &[QuoteState::Pending],
                            QuoteState::Accepted,
                            None,
                            None,
                            self.clock.now(),
                        )
                        .await?;
                }
                tx.commit().await?;
                quoted.account_id
            }
        };
        // Linking may have settled it (a self-quote); read it again.
        let Some(quote) = self.store.quote_store().quote(job.quote_id).await? else {
            return Ok(());
        };
        let (Some(approval), QuoteState::Pending) = (quote.approval_uri.clone(), quote.state)
        else {
            return Ok(());
        };
        let Some(quoted_author) = self.store.account(quoted_account_id).await? else {
            return Ok(());
        };
        if quoted_author.is_local() {
            // A quote of a local post is approved here only, when its QuoteRequest is
            // answered: a claimed approval changes nothing.
            return Ok(());
        }
        let Some(quoting_author) = self.store.account(quoting.account_id).await? else {
            return Ok(());
        };
        let quoting_uri = self.status_uri(&quoting_author, &quoting);
        let quoted_author_uri = self.actor_url(&quoted_author);
        if !same_host(&approval, &quoted_author_uri) {
            return Err(ServiceError::invalid(
                "quoteAuthorization",
                "is not on the quoted author's server",
            ));
        }
        let auth = self.fetch_object(&approval).await?;
        let valid = auth.kind == "QuoteAuthorization"
            && auth.author() == Some(quoted_author_uri.as_str())
            && auth.interacting_object.as_ref().and_then(Ref::id) == Some(quoting_uri.as_str())
            && auth.interaction_target.as_ref().and_then(Ref::id)
                == Some(quote.quoted_uri.as_str());
        if !valid {
            return Err(ServiceError::invalid(
                "quoteAuthorization",
                "does not approve this quote",
            ));
        }
        let mut tx = self.store.begin().await?;
        tx.quotes()
            .set_quote_state(
                quote.id,
                &[QuoteState::Pending],
                QuoteState::Accepted,
                Some(&approval),
                None,
                self.clock.now(),
            )
            .await?;
        Ok(tx.commit().await?)
    }
}
