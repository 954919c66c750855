//! Lists: named sets of followed accounts, each with a feed the fan-out fills like home
//! (`/api/v1/lists…`, `/api/v1/timelines/list/:id`).
//!
//! As in Mastodon: only accounts the owner follows can be members (unfollowing removes them),
//! `replies_policy` decides which replies reach the feed, and members of an `exclusive` list
//! stay out of the owner's home feed.

use std::collections::HashSet;

use rookery_api as api;
use rookery_model::{Id, Status, Visibility};
use rookery_store::{List, LocalAccount, RepliesPolicy, TimelinePage};

use crate::{Result, ServiceError, Services};

/// Longest title, in characters (Mastodon has none; a bound keeps rows small).
const MAX_TITLE_CHARS: usize = 256;

/// Lists one user may own.
const MAX_LISTS: usize = 100;

/// Statuses a new member brings into the list's feed.
const BACKFILL: u32 = 40;

/// What `POST`/`PUT /api/v1/lists` ask for; `None` leaves a value as it is (or takes the
/// default on creation).
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub title: Option<String>,
    pub replies_policy: Option<String>,
    pub exclusive: Option<bool>,
}

/// The lists area's use cases.
#[derive(Clone, Copy)]
pub struct Lists<'a> {
    s: &'a Services,
}

impl Services {
    /// Lists and list timelines.
    pub fn lists(&self) -> Lists<'_> {
        Lists { s: self }
    }
}

fn entity(l: &List) -> api::List {
    api::List {
        id: l.id.to_string(),
        title: l.title.clone(),
        replies_policy: l.replies_policy.as_str().to_owned(),
        exclusive: l.exclusive,
    }
}

/// Applies `p` to `list`, checking what it sets.
fn apply(list: &mut List, p: &ListParams) -> Result<()> {
    if let Some(t) = &p.title {
        let t = t.trim();
        if t.is_empty() {
            return Err(ServiceError::invalid("Title", "can't be blank"));
        }
        if t.chars().count() > MAX_TITLE_CHARS {
            return Err(ServiceError::invalid(
                "Title",
                format!("is too long (maximum is {MAX_TITLE_CHARS} characters)"),
            ));
        }
        list.title = t.to_owned();
    }
    if let Some(r) = p.replies_policy.as_deref().filter(|r| !r.is_empty()) {
        list.replies_policy = RepliesPolicy::parse(r).ok_or_else(|| {
            ServiceError::invalid(
                "Replies policy",
                format!("{r:?} is not followed, list or none"),
            )
        })?;
    }
    if let Some(e) = p.exclusive {
        list.exclusive = e;
    }
    Ok(())
}

impl Lists<'_> {
    async fn owned(&self, user: &LocalAccount, id: Id) -> Result<List> {
        self.s
            .store
            .list_store()
            .list(user.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("list"))
    }

    /// `GET /api/v1/lists`.
    pub async fn all(&self, user: &LocalAccount) -> Result<Vec<api::List>> {
        let lists = self.s.store.list_store().lists(user.account.id).await?;
        Ok(lists.iter().map(entity).collect())
    }

    /// `GET /api/v1/lists/:id`.
    pub async fn show(&self, user: &LocalAccount, id: Id) -> Result<api::List> {
        Ok(entity(&self.owned(user, id).await?))
    }

    /// `POST /api/v1/lists`.
    pub async fn create(&self, user: &LocalAccount, p: &ListParams) -> Result<api::List> {
        if p.title.is_none() {
            return Err(ServiceError::invalid("Title", "can't be blank"));
        }
        let existing = self.s.store.list_store().lists(user.account.id).await?;
        if existing.len() >= MAX_LISTS {
            return Err(ServiceError::invalid(
                "Lists",
                format!("are limited to {MAX_LISTS} per account"),
            ));
        }
        let mut list = List {
            id: self.s.ids.next_id(),
            account_id: user.account.id,
            title: String::new(),
            replies_policy: RepliesPolicy::List,
            exclusive: false,
            created_at: self.s.clock.now(),
        };
        apply(&mut list, p)?;
        let mut tx = self.s.store.begin().await?;
        tx.lists().insert_list(&list).await?;
        tx.commit().await?;
        Ok(entity(&list))
    }

    /// `PUT /api/v1/lists/:id`.
    pub async fn update(&self, user: &LocalAccount, id: Id, p: &ListParams) -> Result<api::List> {
        let mut list = self.owned(user, id).await?;
        apply(&mut list, p)?;
        let mut tx = self.s.store.begin().await?;
        if !tx.lists().update_list(&list).await? {
            return Err(ServiceError::NotFound("list"));
        }
        tx.commit().await?;
        Ok(entity(&list))
    }

    /// `DELETE /api/v1/lists/:id`.
    pub async fn delete(&self, user: &LocalAccount, id: Id) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        if !tx.lists().delete_list(user.account.id, id).await? {
            return Err(ServiceError::NotFound("list"));
        }
        Ok(tx.commit().await?)
    }

    /// `GET /api/v1/lists/:id/accounts`, with the membership ids that page it.
    pub async fn members(
        &self,
        user: &LocalAccount,
        id: Id,
        page: TimelinePage,
    ) -> Result<Vec<(Id, api::Account)>> {
        let list = self.owned(user, id).await?;
        let rows = self
            .s
            .store
            .list_store()
            .list_members(list.id, page)
            .await?;
        let accounts: Vec<&rookery_model::Account> = rows.iter().map(|(_, a)| a).collect();
        let entities = self.s.account_entities(&accounts).await?;
        Ok(rows.iter().map(|(row, _)| *row).zip(entities).collect())
    }

    /// `POST /api/v1/lists/:id/accounts`: only followed accounts (404 otherwise, as
    /// Mastodon); one already in is a 422. Their recent posts join the list's feed.
    pub async fn add_members(&self, user: &LocalAccount, id: Id, accounts: &[Id]) -> Result<()> {
        let list = self.owned(user, id).await?;
        let mut wanted: Vec<Id> = accounts.to_vec();
        wanted.sort();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let rels = self.s.store.relationships(user.account.id, &wanted).await?;
        let followed: HashSet<Id> = rels
            .into_iter()
            .filter(|(_, r)| r.following)
            .map(|(a, _)| a)
            .collect();
        if wanted.iter().any(|a| !followed.contains(a)) {
            return Err(ServiceError::NotFound("account"));
        }
        let store = self.s.store.list_store();
        if !store.members_among(list.id, &wanted).await?.is_empty() {
            return Err(ServiceError::Conflict(
                "Account has already been taken".to_owned(),
            ));
        }
        let rows: Vec<(Id, Id)> = wanted.iter().map(|a| (self.s.ids.next_id(), *a)).collect();
        let mut tx = self.s.store.begin().await?;
        // The store adds only accounts still followed when it writes (an unfollow may have
        // landed since the check above), and says which.
        let added = tx.lists().add_list_members(list.id, &rows).await?;
        for a in &added {
            tx.lists()
                .backfill_list_feed(list.id, *a, &["public", "unlisted", "private"], BACKFILL)
                .await?;
        }
        Ok(tx.commit().await?)
    }

    /// `DELETE /api/v1/lists/:id/accounts`: members and their posts leave the list.
    pub async fn remove_members(&self, user: &LocalAccount, id: Id, accounts: &[Id]) -> Result<()> {
        let list = self.owned(user, id).await?;
        let mut tx = self.s.store.begin().await?;
        tx.lists().remove_list_members(list.id, accounts).await?;
        Ok(tx.commit().await?)
    }

    /// `GET /api/v1/accounts/:id/lists`: the user's lists that hold the account.
    pub async fn containing(&self, user: &LocalAccount, account: Id) -> Result<Vec<api::List>> {
        let lists = self
            .s
            .store
            .list_store()
            .lists_with_member(user.account.id, account)
            .await?;
        Ok(lists.iter().map(entity).collect())
    }

    /// `GET /api/v1/timelines/list/:id`.
    pub async fn timeline(
        &self,
        user: &LocalAccount,
        id: Id,
        page: TimelinePage,
    ) -> Result<crate::StatusPage> {
        let list = self.owned(user, id).await?;
        let statuses = self
            .s
            .store
            .list_store()
            .list_timeline(list.id, page)
            .await?;
        let bounds = crate::StatusPage::bounds_of(&statuses);
        let rendered = self
            .s
            .status_entities(Some(&user.account), &statuses)
            .await?;
        self.s
            .without_hidden_page(
                bounds,
                Some(&user.account),
                Some(rookery_store::FilterContext::Home),
                rendered,
            )
            .await
    }
}

/// Where a new status goes: the lists it joins, and the owners of exclusive lists among
/// them (kept out of those owners' home feeds).
#[derive(Debug, Default)]
pub(crate) struct ListFanout {
    pub lists: Vec<Id>,
    pub exclusive_owners: HashSet<Id>,
}

impl Services {
    /// The lists `status` joins, given the local accounts whose home feeds it reaches. A
    /// handful of queries whatever the number of lists.
    pub(crate) async fn list_fanout(
        &self,
        status: &Status,
        home_recipients: &[Id],
    ) -> Result<ListFanout> {
        let mut out = ListFanout::default();
        if status.visibility == Visibility::Direct {
            return Ok(out); // direct posts never reach lists (as in Mastodon)
        }
        let recipients: HashSet<Id> = home_recipients.iter().copied().collect();
        // Only owners who follow the author (and so see the post at home) get it.
        let lists: Vec<List> = self
            .store
            .list_store()
            .lists_of_member(status.account_id)
            .await?
            .into_iter()
            .filter(|l| recipients.contains(&l.account_id))
            .collect();
        if lists.is_empty() {
            return Ok(out);
        }
        let replied_to = status
            .in_reply_to_account_id
            .filter(|to| status.in_reply_to_id.is_some() && *to != status.account_id);
        // For a reply: the lists holding the account replied to, and the owners following it.
        let (lists_with_target, owners_following): (HashSet<Id>, HashSet<Id>) = match replied_to {
            None => Default::default(),
            Some(to) => {
                let with: HashSet<Id> = self
                    .store
                    .list_store()
                    .lists_of_member(to)
                    .await?
                    .into_iter()
                    .map(|l| l.id)
                    .collect();
                let mut owners: Vec<Id> = lists.iter().map(|l| l.account_id).collect();
                owners.sort();
                owners.dedup();
                let following: HashSet<Id> = self
                    .store
                    .relationships(to, &owners)
                    .await?
                    .into_iter()
                    .filter(|(_, r)| r.followed_by)
                    .map(|(owner, _)| owner)
                    .collect();
                (with, following)
            }
        };
        for list in lists {
            let fits = match replied_to {
                None => true,
                // Replies to the owner always reach them (as in Mastodon).
                Some(to) if to == list.account_id => true,
                Some(_) => match list.replies_policy {
                    RepliesPolicy::None => false,
                    RepliesPolicy::List => lists_with_target.contains(&list.id),
                    RepliesPolicy::Followed => owners_following.contains(&list.account_id),
                },
            };
            if !fits {
                continue;
            }
            if list.exclusive {
                out.exclusive_owners.insert(list.account_id);
            }
            out.lists.push(list.id);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rookery_model::Timestamp;

    fn list() -> List {
        List {
            id: Id::from_i64(1),
            account_id: Id::from_i64(2),
            title: "old".into(),
            replies_policy: RepliesPolicy::List,
            exclusive: false,
            created_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn params_are_checked_before_they_apply() {
        let mut l = list();
        let p = |t: Option<&str>, r: Option<&str>| ListParams {
            title: t.map(Into::into),
            replies_policy: r.map(Into::into),
            exclusive: Some(true),
        };
        apply(&mut l, &p(Some("  Friends "), Some("followed"))).unwrap();
        assert_eq!(l.title, "Friends");
        assert_eq!(l.replies_policy, RepliesPolicy::Followed);
        assert!(l.exclusive);
        for bad in [
            p(Some(""), None),
            p(Some("   "), None),
            p(None, Some("all")),
        ] {
            let mut l = list();
            assert!(apply(&mut l, &bad).is_err(), "{bad:?}");
            assert_eq!(l.title, "old");
        }
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        assert!(apply(&mut list(), &p(Some(&long), None)).is_err());
        // Leaving things out keeps them.
        let mut l = list();
        apply(&mut l, &ListParams::default()).unwrap();
        assert_eq!(l, list());
    }
}
