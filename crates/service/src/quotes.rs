//! Quote posts (Mastodon 4.5, FEP-044f): a post may quote another when the quoted post's
//! policy lets its author; a quote of a local post is approved at once, a quote of a remote
//! one waits for its author's server to answer a `QuoteRequest` (see
//! `federation/quotes.rs`). The quoted author may revoke an approval later. What apps see:
//! the `quote` (with the state of the approval), `quotes_count` and `quote_approval` of a
//! status, and `quote` notifications.

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::{Account, Id, QuoteDecision, QuotePolicy, Status, Visibility};
use rookery_store::{LocalAccount, Quote, QuoteState, TimelinePage, Transaction};

use crate::{Result, ServiceError, Services};

/// Quote posts ([`Services::quotes`]).
pub struct Quotes<'a> {
    s: &'a Services,
}

impl Services {
    /// Quote posts.
    pub fn quotes(&self) -> Quotes<'_> {
        Quotes { s: self }
    }
}

/// The post a new status quotes, checked.
pub(crate) struct QuoteTarget {
    pub status: Status,
    pub author: Account,
}

/// The quote fields of rendered statuses.
#[derive(Default)]
pub(crate) struct QuoteViews {
    quotes: HashMap<Id, api::QuoteEntity>,
    approvals: HashMap<Id, api::QuoteApproval>,
    counts: HashMap<Id, i64>,
}

impl QuoteViews {
    /// Sets the quote fields of `entity`, the rendering of `status`.
    pub(crate) fn apply(&self, status: &Status, entity: &mut api::Status) {
        entity.quote = self.quotes.get(&status.id).cloned();
        entity.quotes_count = self.counts.get(&status.id).copied().unwrap_or(0);
        if let Some(a) = self.approvals.get(&status.id) {
            entity.quote_approval = a.clone();
        }
    }
}

impl Quotes<'_> {
    /// The quote policies of `ids` (a status without one may not be quoted).
    async fn policies(&self, ids: &[Id]) -> Result<HashMap<Id, QuotePolicy>> {
        Ok(self
            .s
            .store
            .quote_store()
            .quote_policies(ids)
            .await?
            .into_iter()
            .collect())
    }

    /// What `status`'s policy means for `account` quoting it.
    pub(crate) async fn decision(
        &self,
        account: &Account,
        status: &Status,
    ) -> Result<QuoteDecision> {
        let policy = self
            .policies(&[status.id])
            .await?
            .remove(&status.id)
            .unwrap_or(QuotePolicy::NOBODY);
        let rel = self
            .s
            .store
            .relationships(account.id, &[status.account_id])
            .await?
            .first()
            .map(|(_, r)| *r)
            .unwrap_or_default();
        Ok(decide(Some(account), status, policy, rel))
    }

    /// Checks that `author` may quote the status `quoted_id` in a post of `visibility`, which
    /// becomes followers-only when the quoted post is (one's own followers-only posts only
    /// may be quoted).
    pub(crate) async fn check(
        &self,
        author: &LocalAccount,
        quoted_id: Id,
        visibility: &mut Visibility,
    ) -> Result<QuoteTarget> {
        let not_found = || ServiceError::NotFound("status");
        let mut quoted = self
            .s
            .store
            .status(quoted_id)
            .await?
            .ok_or_else(not_found)?;
        if let Some(original) = quoted.reblog_of_id {
            quoted = self.s.store.status(original).await?.ok_or_else(not_found)?;
        }
        if !self.s.can_see(Some(&author.account), &quoted).await? {
            return Err(not_found());
        }
        let own = quoted.account_id == author.account.id;
        if matches!(quoted.visibility, Visibility::Private | Visibility::Direct) && !own {
            return Err(ServiceError::invalid(
                "quoted_status_id",
                "a followers-only or private post of someone else cannot be quoted",
            ));
        }
        if self.decision(&author.account, &quoted).await? == QuoteDecision::Denied {
            return Err(not_found());
        }
        if quoted.visibility == Visibility::Private
            && matches!(*visibility, Visibility::Public | Visibility::Unlisted)
        {
            *visibility = Visibility::Private;
        }
        let quoted_author = self
            .s
            .store
            .account(quoted.account_id)
            .await?
            .ok_or_else(not_found)?;
        Ok(QuoteTarget {
            status: quoted,
            author: quoted_author,
        })
    }

    /// The policy a new post of `author` gets: `asked` (`public`, `followers`, `nobody`) or
    /// the author's default; followers-only and private posts may not be quoted by others.
    pub(crate) fn policy_for(
        &self,
        author: &LocalAccount,
        asked: Option<&str>,
        visibility: Visibility,
    ) -> Result<QuotePolicy> {
        let policy = match asked.map(str::trim).filter(|a| !a.is_empty()) {
            None => author.user.posting.quote_policy,
            Some(a) => QuotePolicy::from_setting(a).ok_or_else(|| {
                ServiceError::invalid(
                    "quote_approval_policy",
                    format!("{a:?} is not public, followers or nobody"),
                )
            })?,
        };
        Ok(match visibility {
            Visibility::Public | Visibility::Unlisted => policy,
            Visibility::Private | Visibility::Direct => QuotePolicy::NOBODY,
        })
    }

    /// Writes the quote a new local `status` makes, in its transaction: approved at once for
    /// a local post (its author is told), else waiting for the `QuoteRequest` queued here.
    pub(crate) async fn record_local(
        &self,
        tx: &mut dyn Transaction,
        author: &Account,
        status: &Status,
        target: &QuoteTarget,
    ) -> Result<()> {
        let now = self.s.clock.now();
        let id = self.s.ids.next_id();
        let local = target.status.local;
        let quote = Quote {
            id,
            status_id: status.id,
            account_id: status.account_id,
            quoted_status_id: Some(target.status.id),
            quoted_account_id: Some(target.author.id),
            quoted_uri: self.s.status_uri(&target.author, &target.status),
            state: if local {
                QuoteState::Accepted
            } else {
                QuoteState::Pending
            },
            activity_uri: (!local)
                .then(|| format!("{}#quote_requests/{id}", self.s.actor_url(author))),
            approval_uri: None,
            created_at: now,
            updated_at: now,
        };
        tx.quotes().insert_quote(&quote).await?;
        if local {
            self.s
                .enqueue_notify(
                    tx,
                    target.author.id,
                    status.account_id,
                    "quote",
                    Some(status.id),
                )
                .await?;
        } else {
            self.s
                .enqueue_quote_request(tx, author, status, &quote, &target.author)
                .await?;
        }
        Ok(())
    }

    /// The post status `id` quotes, when it is still here.
    pub(crate) async fn target_of(&self, id: Id) -> Result<Option<QuoteTarget>> {
        let Some(quoted_id) = self
            .s
            .store
            .quote_store()
            .quotes_by(&[id])
            .await?
            .pop()
            .and_then(|q| q.quoted_status_id)
        else {
            return Ok(None);
        };
        let Some(status) = self.s.store.status(quoted_id).await? else {
            return Ok(None);
        };
        Ok(self
            .s
            .store
            .account(status.account_id)
            .await?
            .map(|author| QuoteTarget { status, author }))
    }

    /// `content` with the `RE:` line Mastodon puts before a quote's text, for apps that do
    /// not show quotes, unless the author's `text` links the quoted post already.
    pub(crate) fn with_fallback(
        &self,
        target: &QuoteTarget,
        text: &str,
        content: String,
    ) -> String {
        let url = if target.status.local {
            self.s
                .urls
                .status_page(target.author.username.as_str(), target.status.id)
        } else {
            target
                .status
                .url
                .clone()
                .or(target.status.uri.clone())
                .unwrap_or_default()
        };
        let uri = self.s.status_uri(&target.author, &target.status);
        if url.is_empty() || text.contains(&url) || text.contains(&uri) {
            return content;
        }
        let url = crate::render::escape_html(&url);
        format!("<p class=\"quote-inline\">RE: <a href=\"{url}\">{url}</a></p>{content}")
    }

    /// The quote fields of `statuses` as `viewer` sees them. `full`: quoted posts are
    /// rendered whole (with their own quotes shallow), as top-level statuses have them.
    pub(crate) async fn views(
        &self,
        viewer: Option<&Account>,
        statuses: &[Status],
        full: bool,
    ) -> Result<QuoteViews> {
        let ids: Vec<Id> = statuses.iter().map(|s| s.id).collect();
        let store = self.s.store.quote_store();
        let quotes = store.quotes_by(&ids).await?;
        let counts: HashMap<Id, i64> = store.quotes_counts(&ids).await?.into_iter().collect();
        let policies = self.policies(&ids).await?;
        let mut authors: Vec<Id> = statuses.iter().map(|s| s.account_id).collect();
        authors.extend(quotes.iter().filter_map(|q| q.quoted_account_id));
        authors.sort();
        authors.dedup();
        let rels: HashMap<Id, rookery_store::Relationship> = match viewer {
            Some(v) => self
                .s
                .store
                .relationships(v.id, &authors)
                .await?
                .into_iter()
                .collect(),
            None => HashMap::new(),
        };
        let mut views = QuoteViews {
            counts,
            ..QuoteViews::default()
        };
        for s in statuses {
            let policy = policies.get(&s.id).copied().unwrap_or(QuotePolicy::NOBODY);
            let rel = rels.get(&s.account_id).copied().unwrap_or_default();
            let current = decide(viewer, s, policy, rel);
            views.approvals.insert(
                s.id,
                api::QuoteApproval {
                    automatic: names(policy.automatic),
                    manual: names(policy.manual),
                    current_user: current.as_str().to_owned(),
                },
            );
        }
        let quoted_ids: Vec<Id> = quotes.iter().filter_map(|q| q.quoted_status_id).collect();
        let quoted: HashMap<Id, Status> = self
            .s
            .store
            .statuses(&quoted_ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let blocked_domains = self.blocked_domains(viewer, quoted.values()).await?;
        let mut states: Vec<(Id, &'static str, Option<&Status>)> = Vec::new();
        for q in &quotes {
            let target = q.quoted_status_id.and_then(|id| quoted.get(&id));
            let state = match (q.state, target) {
                (QuoteState::Accepted, None) => "deleted",
                (QuoteState::Accepted, Some(t)) => {
                    self.accepted_state(viewer, t, &rels, &blocked_domains)
                        .await?
                }
                (other, _) => other.as_str(),
            };
            let shown = matches!(
                state,
                "accepted" | "blocked_account" | "blocked_domain" | "muted_account"
            );
            states.push((q.status_id, state, target.filter(|_| shown)));
        }
        let rendered: HashMap<Id, api::Status> = if full {
            let shown: Vec<Status> = states.iter().filter_map(|(_, _, t)| t.cloned()).collect();
            let entities = Box::pin(self.s.unfiltered_entities(viewer, &shown, false)).await?;
            entities
                .into_iter()
                .filter_map(|e| e.id.parse::<Id>().ok().map(|id| (id, e)))
                .collect()
        } else {
            HashMap::new()
        };
        for (status_id, state, target) in states {
            let entity = if full {
                api::QuoteEntity::Full(api::Quote {
                    state: state.to_owned(),
                    quoted_status: target
                        .and_then(|t| rendered.get(&t.id))
                        .cloned()
                        .map(Box::new),
                })
            } else {
                api::QuoteEntity::Shallow(api::ShallowQuote {
                    state: state.to_owned(),
                    quoted_status_id: target.map(|t| t.id.to_string()),
                })
            };
            views.quotes.insert(status_id, entity);
        }
        Ok(views)
    }

    /// The authors of `statuses` whose server `viewer` blocks (one look-up per server).
    async fn blocked_domains<'a>(
        &self,
        viewer: Option<&Account>,
        statuses: impl Iterator<Item = &'a Status>,
    ) -> Result<Vec<Id>> {
        let Some(v) = viewer else {
            return Ok(Vec::new());
        };
        let mut ids: Vec<Id> = statuses
            .filter(|s| !s.local)
            .map(|s| s.account_id)
            .collect();
        ids.sort();
        ids.dedup();
        let mut by_domain: HashMap<String, Vec<Id>> = HashMap::new();
        for a in self.s.store.accounts(&ids).await? {
            if let Some(d) = &a.domain {
                by_domain.entry(d.to_string()).or_default().push(a.id);
            }
        }
        let mut blocked = Vec::new();
        for (domain, authors) in by_domain {
            if self
                .s
                .store
                .user_domain_block_store()
                .blocks_domain(v.id, &domain)
                .await?
            {
                blocked.extend(authors);
            }
        }
        Ok(blocked)
    }

    /// What an accepted quote of `target` is, to `viewer` (`blocked_domains`: authors whose
    /// server the viewer blocks).
    async fn accepted_state(
        &self,
        viewer: Option<&Account>,
        target: &Status,
        rels: &HashMap<Id, rookery_store::Relationship>,
        blocked_domains: &[Id],
    ) -> Result<&'static str> {
        if !self.s.can_see(viewer, target).await? {
            return Ok("unauthorized");
        }
        let Some(v) = viewer.filter(|v| v.id != target.account_id) else {
            return Ok("accepted");
        };
        let rel = rels.get(&target.account_id).copied().unwrap_or_default();
        if rel.blocked_by {
            // Its author blocks the viewer: shown as Mastodon shows a post one may not see.
            return Ok("unauthorized");
        }
        if rel.blocking {
            return Ok("blocked_account");
        }
        if v.id != target.account_id && blocked_domains.contains(&target.account_id) {
            return Ok("blocked_domain");
        }
        if rel.muting {
            return Ok("muted_account");
        }
        Ok("accepted")
    }

    /// `GET /api/v1/statuses/:id/quotes`: accepted quotes of one's own post, newest first,
    /// paged by quote id.
    pub async fn of_status(
        &self,
        viewer: &Account,
        id: Id,
        page: TimelinePage,
    ) -> Result<Vec<(String, api::Status)>> {
        let status = self.s.visible_status(Some(viewer), id).await?;
        let quotes = self
            .s
            .store
            .quote_store()
            .accepted_quotes(status.id, page)
            .await?;
        let ids: Vec<Id> = quotes.iter().map(|q| q.status_id).collect();
        let found: HashMap<Id, Status> = self
            .s
            .store
            .statuses(&ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        // Others than the quoted author do not see quotes by accounts they block or mute, or
        // that block them.
        let hidden: Vec<Id> = if viewer.id == status.account_id {
            Vec::new()
        } else {
            let mut authors: Vec<Id> = found.values().map(|s| s.account_id).collect();
            authors.sort();
            authors.dedup();
            self.s
                .store
                .relationships(viewer.id, &authors)
                .await?
                .into_iter()
                .filter(|(_, r)| r.blocking || r.blocked_by || r.muting)
                .map(|(id, _)| id)
                .collect()
        };
        let mut visible = Vec::new();
        let mut cursors = Vec::new();
        for q in &quotes {
            if let Some(s) = found.get(&q.status_id)
                && !hidden.contains(&s.account_id)
                && self.s.can_see(Some(viewer), s).await?
            {
                visible.push(s.clone());
                cursors.push((q.id, s.id.to_string()));
            }
        }
        let mut entities: HashMap<String, api::Status> = self
            .s
            .status_entities(Some(viewer), &visible)
            .await?
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect();
        Ok(cursors
            .into_iter()
            .filter_map(|(cursor, id)| entities.remove(&id).map(|e| (cursor.to_string(), e)))
            .collect())
    }

    /// `POST /api/v1/statuses/:id/quotes/:quoting_status_id/revoke`: the author of `id`
    /// withdraws their approval of a quote; the quoting post is returned.
    pub async fn revoke(
        &self,
        owner: &LocalAccount,
        id: Id,
        quoting_id: Id,
    ) -> Result<api::Status> {
        let status = self.s.visible_status(Some(&owner.account), id).await?;
        let quote = self
            .s
            .store
            .quote_store()
            .quotes_by(&[quoting_id])
            .await?
            .into_iter()
            .find(|q| q.quoted_status_id == Some(status.id))
            .ok_or(ServiceError::NotFound("quote"))?;
        if status.account_id != owner.account.id {
            return Err(ServiceError::Forbidden);
        }
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        let (from, to) = if quote.state == QuoteState::Accepted {
            (QuoteState::Accepted, QuoteState::Revoked)
        } else {
            (QuoteState::Pending, QuoteState::Rejected)
        };
        let changed = tx
            .quotes()
            .set_quote_state(quote.id, &[from], to, None, None, now)
            .await?;
        if changed {
            // An approval given is withdrawn (`Delete`); a request waiting is refused.
            self.s
                .enqueue_quote_revocation(tx.as_mut(), &owner.account, &quote)
                .await?;
        }
        tx.commit().await?;
        let quoting = self
            .s
            .store
            .status(quoting_id)
            .await?
            .ok_or(ServiceError::NotFound("status"))?;
        let mut out = self
            .s
            .status_entities(Some(&owner.account), &[quoting])
            .await?;
        out.pop()
            .ok_or(ServiceError::Internal("rendering a status".into()))
    }

    /// `PUT /api/v1/statuses/:id/interaction_policy`, and `quote_approval_policy` of an edit:
    /// who may quote one's post from now on.
    pub async fn set_policy(
        &self,
        owner: &LocalAccount,
        id: Id,
        asked: &str,
    ) -> Result<api::Status> {
        let status = self
            .s
            .store
            .status(id)
            .await?
            .filter(|s| s.account_id == owner.account.id && s.reblog_of_id.is_none())
            .ok_or(ServiceError::NotFound("status"))?;
        let policy = self.policy_for(owner, Some(asked), status.visibility)?;
        let before = self.policies(&[status.id]).await?.remove(&status.id);
        if before != Some(policy) {
            let mut tx = self.s.store.begin().await?;
            tx.quotes().set_quote_policy(status.id, policy).await?;
            tx.commit().await?;
            self.s
                .federate_note_update(&status, &format!("policy/{}", self.s.ids.next_id()))
                .await?;
        }
        let mut out = self
            .s
            .status_entities(Some(&owner.account), &[status])
            .await?;
        out.pop()
            .ok_or(ServiceError::Internal("rendering a status".into()))
    }
}

/// What `policy` of `status` means for `viewer` quoting it, given their relationship to its
/// author (`rel`, from the viewer's side): never for a reblog, a private mention, or between
/// accounts that block each other; always for the author.
fn decide(
    viewer: Option<&Account>,
    status: &Status,
    policy: QuotePolicy,
    rel: rookery_store::Relationship,
) -> QuoteDecision {
    match viewer {
        None => QuoteDecision::Denied,
        Some(_) if status.reblog_of_id.is_some() || status.visibility == Visibility::Direct => {
            QuoteDecision::Denied
        }
        Some(v) if v.id == status.account_id => QuoteDecision::Automatic,
        Some(_) if rel.blocking || rel.blocked_by => QuoteDecision::Denied,
        Some(_) => policy.decide(rel.following, rel.followed_by),
    }
}

fn names(flags: u32) -> Vec<String> {
    QuotePolicy::names(flags)
        .into_iter()
        .map(str::to_owned)
        .collect()
}
