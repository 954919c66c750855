//! What a user keeps about other accounts and their followers: endorsements (`pin`/`endorse`,
//! `GET /api/v1/endorsements`), private notes (`POST /api/v1/accounts/:id/note`), familiar
//! followers, and removing someone from one's followers.

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::{Account, Id};
use rookery_store::{LocalAccount, TimelinePage};
use serde_json::{Value, json};

use crate::{Result, ServiceError, Services};

/// Longest note, in characters (Mastodon's).
const MAX_NOTE: usize = 2000;
/// Accounts asked about at once in `familiar_followers`, and followers shown per account.
const MAX_FAMILIAR_TARGETS: usize = 40;
const FAMILIAR_PER_TARGET: u32 = 20;

impl Services {
    /// Sets `endorsed` and `note` on relationships of `user`.
    pub(crate) async fn with_endorsements_and_notes(
        &self,
        user: &LocalAccount,
        mut rels: Vec<api::Relationship>,
    ) -> Result<Vec<api::Relationship>> {
        let ids: Vec<Id> = rels.iter().filter_map(|r| r.id.parse().ok()).collect();
        let store = self.store.endorsement_store();
        let endorsed = store.endorsed(user.account.id, &ids).await?;
        let notes: HashMap<Id, String> = store
            .notes(user.account.id, &ids)
            .await?
            .into_iter()
            .collect();
        for r in &mut rels {
            if let Ok(id) = r.id.parse::<Id>() {
                r.endorsed = endorsed.contains(&id);
                if let Some(n) = notes.get(&id) {
                    r.note.clone_from(n);
                }
            }
        }
        Ok(rels)
    }

    async fn one_relationship(&self, user: &LocalAccount, target: Id) -> Result<api::Relationship> {
        self.relationships(user, &[target])
            .await?
            .pop()
            .ok_or(ServiceError::NotFound("account"))
    }

    /// `POST /api/v1/accounts/:id/pin` (and `/endorse`): only an account one follows, as in
    /// Mastodon.
    pub async fn endorse(&self, user: &LocalAccount, target_id: Id) -> Result<api::Relationship> {
        let target = self.live_account(target_id).await?;
        let following = self
            .store
            .relationships(user.account.id, &[target.id])
            .await?
            .first()
            .is_some_and(|(_, r)| r.following);
        if !following {
            return Err(ServiceError::invalid(
                "account",
                "You must be following the person you want to endorse",
            ));
        }
        let mut tx = self.store.begin().await?;
        tx.endorsements()
            .endorse(
                self.ids.next_id(),
                user.account.id,
                target.id,
                self.clock.now(),
            )
            .await?;
        tx.commit().await?;
        self.one_relationship(user, target.id).await
    }

    /// `POST /api/v1/accounts/:id/unpin` (and `/unendorse`).
    pub async fn unendorse(&self, user: &LocalAccount, target_id: Id) -> Result<api::Relationship> {
        let target = self.live_account(target_id).await?;
        let mut tx = self.store.begin().await?;
        tx.endorsements()
            .unendorse(user.account.id, target.id)
            .await?;
        tx.commit().await?;
        self.one_relationship(user, target.id).await
    }

    /// `GET /api/v1/endorsements`: `(endorsement id, account)`, newest first.
    pub async fn endorsements(
        &self,
        user: &LocalAccount,
        page: TimelinePage,
    ) -> Result<Vec<(Id, api::Account)>> {
        let rows = self
            .store
            .endorsement_store()
            .endorsements(user.account.id, page)
            .await?;
        let accounts: Vec<&Account> = rows.iter().map(|(_, a)| a).collect();
        let entities = self.account_entities(&accounts).await?;
        Ok(rows.iter().map(|(id, _)| *id).zip(entities).collect())
    }

    /// `POST /api/v1/accounts/:id/note`: private to the user; empty removes it.
    pub async fn set_account_note(
        &self,
        user: &LocalAccount,
        target_id: Id,
        comment: &str,
    ) -> Result<api::Relationship> {
        let target = self.live_account(target_id).await?;
        if comment.chars().count() > MAX_NOTE {
            return Err(ServiceError::invalid(
                "comment",
                format!("is too long (maximum is {MAX_NOTE} characters)"),
            ));
        }
        let mut tx = self.store.begin().await?;
        tx.endorsements()
            .set_note(user.account.id, target.id, comment, self.clock.now())
            .await?;
        tx.commit().await?;
        self.one_relationship(user, target.id).await
    }

    /// `GET /api/v1/accounts/familiar_followers?id[]=`: for each account, those the user
    /// follows who follow it.
    pub async fn familiar_followers(&self, user: &LocalAccount, ids: &[Id]) -> Result<Vec<Value>> {
        if ids.len() > MAX_FAMILIAR_TARGETS {
            return Err(ServiceError::invalid(
                "id",
                format!("at most {MAX_FAMILIAR_TARGETS} accounts at once"),
            ));
        }
        let found = self
            .store
            .endorsement_store()
            .familiar_followers(user.account.id, ids, FAMILIAR_PER_TARGET)
            .await?;
        let hidden = self.hidden_for(Some(&user.account), false).await?;
        Ok(ids
            .iter()
            .map(|id| {
                let accounts: Vec<api::Account> = found
                    .iter()
                    .filter(|(t, a)| t == id && !hidden.contains(&a.id.to_string()))
                    .map(|(_, a)| self.account_entity(a))
                    .collect();
                json!({ "id": id.to_string(), "accounts": accounts })
            })
            .collect())
    }

    /// `POST /api/v1/accounts/:id/remove_from_followers`: ends their follow of the user (a
    /// remote follower's server is told with a `Reject`).
    pub async fn remove_from_followers(
        &self,
        user: &LocalAccount,
        follower_id: Id,
    ) -> Result<api::Relationship> {
        let follower: Account = self
            .store
            .account(follower_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        let existing = self
            .store
            .follow_between(follower.id, user.account.id)
            .await?;
        let mut tx = self.store.begin().await?;
        if tx.delete_follow(follower.id, user.account.id).await? {
            if let Some(f) = existing.filter(|_| !follower.is_local()) {
                let uri = f.uri.clone().unwrap_or_else(|| self.urls.follow(f.id));
                self.enqueue_answer(tx.as_mut(), &user.account, &follower, &uri, false)
                    .await?;
            }
            self.enqueue_follow_effects(tx.as_mut(), follower.id, user.account.id, false)
                .await?;
        }
        tx.commit().await?;
        self.one_relationship(user, follower.id).await
    }
}
