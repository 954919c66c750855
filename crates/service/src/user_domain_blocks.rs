//! Domains a user blocks (`/api/v1/domain_blocks`): the accounts of a blocked domain are
//! hidden from the user everywhere blocked accounts are (timelines, notifications, streams).
//! Blocking a domain ends the follows both ways between the user and its accounts, recorded
//! as severed relationships (the user is told, and can download what was lost).

use rookery_events::{Event, channel, names};
use rookery_model::{Domain, Id};
use rookery_store::{LocalAccount, TimelinePage};

use crate::{Result, ServiceError, Services};

/// Domains a user may block.
const MAX_BLOCKS: u32 = 10_000;

/// Followers (and follow requests) of a domain, and follows of its accounts, removed at once
/// when it is blocked; more are removed by blocking it again.
const SEVER_BATCH: u32 = 1000;

impl Services {
    /// The followers and follow requests of `domain` to remove from `user` when it is
    /// blocked (as Mastodon does), read before the block's transaction: `(account, follow,
    /// is a request)`.
    async fn domain_followers(
        &self,
        user: &LocalAccount,
        domain: &str,
    ) -> Result<Vec<(rookery_model::Account, Option<rookery_store::Follow>, bool)>> {
        let store = self.store.user_domain_block_store();
        let mut out = Vec::new();
        for requests in [false, true] {
            let ids = store
                .followers_on_domain(user.account.id, domain, requests, SEVER_BATCH)
                .await?;
            for follower in self.store.accounts(&ids).await? {
                let follow = if requests {
                    None
                } else {
                    self.store
                        .follow_between(follower.id, user.account.id)
                        .await?
                };
                out.push((follower, follow, requests));
            }
        }
        Ok(out)
    }

    /// The accounts of `domain` that `user` follows, with the follow, read before the
    /// block's transaction (Mastodon unfollows them too).
    async fn domain_followed(
        &self,
        user: &LocalAccount,
        domain: &str,
    ) -> Result<Vec<(rookery_model::Account, rookery_store::Follow)>> {
        let ids = self
            .store
            .user_domain_block_store()
            .followed_on_domain(user.account.id, domain, SEVER_BATCH)
            .await?;
        let mut out = Vec::new();
        for target in self.store.accounts(&ids).await? {
            if let Some(f) = self
                .store
                .follow_between(user.account.id, target.id)
                .await?
            {
                out.push((target, f));
            }
        }
        Ok(out)
    }

    /// Removes what [`Services::domain_followers`] and [`Services::domain_followed`] found,
    /// in `tx`: followers' servers get a `Reject` of the follow, followed accounts' an `Undo`.
    /// Returns the follows removed.
    async fn sever_domain(
        &self,
        tx: &mut dyn rookery_store::Transaction,
        user: &LocalAccount,
        found: Vec<(rookery_model::Account, Option<rookery_store::Follow>, bool)>,
        followed: Vec<(rookery_model::Account, rookery_store::Follow)>,
    ) -> Result<Vec<rookery_store::Follow>> {
        let mut removed = Vec::new();
        for (follower, follow, request) in found {
            let follow = if request {
                tx.take_follow_request(follower.id, user.account.id).await?
            } else {
                if tx.delete_follow(follower.id, user.account.id).await? {
                    self.enqueue_follow_effects(tx, follower.id, user.account.id, false)
                        .await?;
                    removed.extend(follow.clone());
                }
                follow
            };
            if let Some(f) = follow {
                let uri = f.uri.clone().unwrap_or_else(|| self.urls.follow(f.id));
                self.enqueue_answer(tx, &user.account, &follower, &uri, false)
                    .await?;
            }
        }
        for (target, f) in followed {
            if !tx.delete_follow(user.account.id, target.id).await? {
                continue;
            }
            let uri = f.uri.clone().unwrap_or_else(|| self.urls.follow(f.id));
            let follow = self.follow_activity(&user.account, &target, &uri);
            let undo = self.undo_activity(&user.account, follow);
            let inbox = target.inbox_url.clone().into_iter().collect();
            self.enqueue_federate(tx, &user.account, &undo, false, inbox)
                .await?;
            tx.lists()
                .remove_from_owner_lists(user.account.id, target.id)
                .await?;
            self.enqueue_follow_effects(tx, user.account.id, target.id, false)
                .await?;
            removed.push(f);
        }
        Ok(removed)
    }

    /// A domain as a user names it (`example.com`, any case), checked.
    fn blockable_domain(&self, raw: &str) -> Result<String> {
        let d = Domain::parse(raw.trim())
            .map_err(|_| ServiceError::invalid("domain", format!("{raw:?} is not a domain")))?;
        let d = d.to_string().to_lowercase();
        if d == self.settings.domain.to_string().to_lowercase() {
            return Err(ServiceError::invalid(
                "domain",
                "is this server's own domain",
            ));
        }
        Ok(d)
    }

    /// `GET /api/v1/domain_blocks`: `(block id, domain)`, newest first.
    pub async fn user_domain_blocks(
        &self,
        user: &LocalAccount,
        page: TimelinePage,
    ) -> Result<Vec<(Id, String)>> {
        Ok(self
            .store
            .user_domain_block_store()
            .user_domain_blocks(user.account.id, page)
            .await?)
    }

    /// `POST /api/v1/domain_blocks` (`block`) and `DELETE` (`!block`).
    pub async fn set_domain_block(
        &self,
        user: &LocalAccount,
        raw: &str,
        block: bool,
    ) -> Result<()> {
        let domain = self.blockable_domain(raw)?;
        let (followers, followed) = if block {
            (
                self.domain_followers(user, &domain).await?,
                self.domain_followed(user, &domain).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        if block {
            let existing = self
                .store
                .user_domain_block_store()
                .user_domain_blocks(
                    user.account.id,
                    TimelinePage {
                        limit: MAX_BLOCKS,
                        ..TimelinePage::default()
                    },
                )
                .await?;
            if existing.len() >= MAX_BLOCKS as usize && !existing.iter().any(|(_, d)| *d == domain)
            {
                return Err(ServiceError::invalid(
                    "domain",
                    format!("at most {MAX_BLOCKS} blocked domains"),
                ));
            }
        }
        let mut tx = self.store.begin().await?;
        let mut severed = Vec::new();
        if block {
            tx.user_domain_blocks()
                .block_domain(
                    self.ids.next_id(),
                    user.account.id,
                    &domain,
                    self.clock.now(),
                )
                .await?;
            let removed = self
                .sever_domain(tx.as_mut(), user, followers, followed)
                .await?;
            severed = self
                .severances()
                .record(
                    tx.as_mut(),
                    rookery_store::SeveranceKind::UserDomainBlock,
                    &domain,
                    &removed,
                )
                .await?;
        } else {
            tx.user_domain_blocks()
                .unblock_domain(user.account.id, &domain)
                .await?;
        }
        tx.commit().await?;
        self.severances().publish(severed).await;
        // Streaming connections re-read whom the user must not hear from.
        self.events.publish(
            &channel::user(user.account.id),
            Event::new(names::RELATIONSHIPS, None),
        );
        Ok(())
    }
}
