//! Moving an account to another, as Mastodon does it. The new account first names the old one
//! among its aliases (`alsoKnownAs`); the old one then moves: it records where to, tells its
//! followers' servers with a `Move`, and its local followers follow the new account instead.
//! A `Move` from another server is checked the same way before anyone here follows along (see
//! `federation/moves.rs`).

use rookery_model::{Account, Id};
use rookery_store::LocalAccount;
use serde::{Deserialize, Serialize};

use crate::federation::ResolveError;
use crate::{Result, ServiceError, Services};

/// Most aliases an account keeps (and reads from a remote actor).
pub const MAX_ALIASES: usize = 10;

/// A local account moves again at the earliest this long after its last move (Mastodon's).
const LOCAL_MOVE_COOLDOWN_MS: i64 = 30 * 24 * 3600 * 1000;

/// Aliases and moves of local accounts ([`Services::account_moves`]).
pub struct AccountMoves<'a> {
    s: &'a Services,
}

impl Services {
    /// Aliases and moves of local accounts.
    pub fn account_moves(&self) -> AccountMoves<'_> {
        AccountMoves { s: self }
    }
}

/// The local followers of `old` follow `new` instead (the `default` queue), keeping their
/// options. One per move.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoveFollowers {
    pub old: Id,
    pub new: Id,
}

impl rookery_jobs::JobSpec for MoveFollowers {
    const KIND: &'static str = "move_followers";
    const QUEUE: rookery_jobs::Queue = rookery_jobs::Queue::Default;
    fn policy() -> rookery_jobs::RetryPolicy {
        rookery_jobs::RetryPolicy {
            max_attempts: 5,
            base_delay_ms: 60_000,
            max_delay_ms: 3600 * 1000,
            timeout: std::time::Duration::from_secs(3600),
        }
    }
    fn unique_key(&self) -> Option<String> {
        Some(format!("move_followers:{}:{}", self.old, self.new))
    }
}

fn unresolved(e: ResolveError) -> ServiceError {
    match e {
        ResolveError::NotFound | ResolveError::Gone => ServiceError::NotFound("account"),
        ResolveError::Blocked => ServiceError::invalid("account", "its server is blocked"),
        other => ServiceError::Unavailable(other.to_string()),
    }
}

impl AccountMoves<'_> {
    /// The account `handle` names (`user@domain`, `@user@domain`, a local username or an actor
    /// URL), read again from its server.
    async fn resolve(&self, handle: &str) -> Result<Account> {
        let handle = handle.trim();
        let found = if handle.starts_with("https://") || handle.starts_with("http://") {
            self.s.resolve_actor(handle, true).await
        } else {
            let handle = handle.trim_start_matches('@');
            let (user, domain) = handle
                .split_once('@')
                .unwrap_or((handle, self.s.settings.domain.as_str()));
            match self.s.resolve_acct(user, domain).await {
                // Read again: what it says of its aliases must be current.
                Ok(a) if !a.is_local() => match &a.uri {
                    Some(uri) => self.s.resolve_actor(uri, true).await,
                    None => Ok(a),
                },
                other => other,
            }
        };
        found.map_err(unresolved)
    }

    /// The account `user` moved to, if it did.
    pub async fn moved_to(&self, user: &LocalAccount) -> Result<Option<Account>> {
        match user.account.profile.moved_to_account_id {
            Some(id) => Ok(self.s.store.account(id).await?),
            None => Ok(None),
        }
    }

    /// The actor URIs `user` is also known as.
    pub fn aliases(&self, user: &LocalAccount) -> Vec<String> {
        user.account.profile.also_known_as.clone()
    }

    /// Names the account `handle` as another of `user`'s (so it may move here); the new
    /// aliases.
    pub async fn add_alias(&self, user: &LocalAccount, handle: &str) -> Result<Vec<String>> {
        let other = self.resolve(handle).await?;
        if other.id == user.account.id {
            return Err(ServiceError::invalid(
                "alias",
                "an account is not its own alias",
            ));
        }
        let uri = self.s.actor_url(&other);
        let mut aliases = self.aliases(user);
        if aliases.contains(&uri) {
            return Ok(aliases);
        }
        if aliases.len() >= MAX_ALIASES {
            return Err(ServiceError::invalid(
                "alias",
                format!("at most {MAX_ALIASES} aliases"),
            ));
        }
        aliases.push(uri);
        self.save_aliases(user, &aliases).await?;
        Ok(aliases)
    }

    /// Removes an alias, given as its URI or a handle; the aliases left.
    pub async fn remove_alias(&self, user: &LocalAccount, alias: &str) -> Result<Vec<String>> {
        let mut aliases = self.aliases(user);
        let before = aliases.len();
        aliases.retain(|a| a != alias.trim());
        if aliases.len() == before {
            let other = self.resolve(alias).await?;
            let uri = self.s.actor_url(&other);
            aliases.retain(|a| *a != uri);
        }
        if aliases.len() != before {
            self.save_aliases(user, &aliases).await?;
        }
        Ok(aliases)
    }

    async fn save_aliases(&self, user: &LocalAccount, aliases: &[String]) -> Result<()> {
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        tx.account_moves()
            .set_also_known_as(user.account.id, aliases, now)
            .await?;
        tx.commit().await?;
        self.announce_profile(user.account.id).await
    }

    /// Sends the account's actor again to its followers' servers (its aliases or move
    /// changed).
    async fn announce_profile(&self, account_id: Id) -> Result<()> {
        let account = self
            .s
            .store
            .account(account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        self.s.federate_profile(&account).await
    }

    /// Moves `user` to the account `handle` names, which must list `user` among its aliases:
    /// the move is recorded, followers' servers get a `Move`, local followers follow the new
    /// account. Returns the new account.
    pub async fn move_to(&self, user: &LocalAccount, handle: &str) -> Result<Account> {
        let now = self.s.clock.now();
        if let Some(at) = user.account.profile.moved_at
            && at.as_millis() + LOCAL_MOVE_COOLDOWN_MS > now.as_millis()
        {
            return Err(ServiceError::invalid(
                "move",
                "this account moved less than 30 days ago",
            ));
        }
        let target = self.resolve(handle).await?;
        if target.id == user.account.id {
            return Err(ServiceError::invalid(
                "move",
                "an account cannot move to itself",
            ));
        }
        if target.suspended_at.is_some() || target.profile.moved_to_account_id.is_some() {
            return Err(ServiceError::invalid(
                "move",
                "the new account is suspended or has moved itself",
            ));
        }
        let own_uri = self.s.actor_url(&user.account);
        if !target.profile.also_known_as.contains(&own_uri) {
            return Err(ServiceError::invalid(
                "move",
                format!("the new account must first name this one ({own_uri}) among its aliases"),
            ));
        }
        let activity = serde_json::json!({
            "@context": rookery_activitypub::AS_CONTEXT,
            "id": format!("{own_uri}#moves/{}", self.s.ids.next_id()),
            "type": "Move",
            "actor": own_uri,
            "object": own_uri,
            "target": self.s.actor_url(&target),
        });
        let mut tx = self.s.store.begin().await?;
        if tx
            .account_moves()
            .set_moved(user.account.id, target.id, now)
            .await?
        {
            self.s
                .enqueue_federate(tx.as_mut(), &user.account, &activity, true, Vec::new())
                .await?;
            self.s
                .enqueue_move_followers(tx.as_mut(), user.account.id, target.id)
                .await?;
        }
        tx.commit().await?;
        self.announce_profile(user.account.id).await?;
        Ok(target)
    }
}

impl Services {
    /// Queues, in `tx`, the local followers' move from `old` to `new`.
    pub(crate) async fn enqueue_move_followers(
        &self,
        tx: &mut dyn rookery_store::Transaction,
        old: Id,
        new: Id,
    ) -> Result<()> {
        rookery_jobs::enqueue(tx, &self.ids, self.clock.now(), &MoveFollowers { old, new })
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(())
    }

    /// The `move_followers` job: each local follower of the old account follows the new one
    /// (with the same options; a request where the new account is locked) and stops following
    /// the old one. Followers who block the new account, or are blocked by it, keep following
    /// the old one. A retry finds done work done.
    pub(crate) async fn move_followers(&self, job: &MoveFollowers) -> Result<()> {
        for follower in self.store.local_follower_ids(job.old, false).await? {
            if follower == job.new {
                continue;
            }
            let Some(account) = self.store.account(follower).await? else {
                continue;
            };
            let Some(local) = self
                .store
                .local_account_by_username(account.username.as_str())
                .await?
            else {
                continue;
            };
            let options = self.store.follow_between(follower, job.old).await?;
            let (reblogs, notify) = options.map_or((true, false), |f| (f.show_reblogs, f.notify));
            // Only a follow (or request) made lets the old one go, as Mastodon's worker does: a
            // follower the new account blocks, or a new account gone meanwhile, keeps the old.
            match self
                .follow(&local, job.new, Some(reblogs), Some(notify))
                .await
            {
                Ok(_) => {
                    self.unfollow(&local, job.old).await?;
                }
                Err(ServiceError::Forbidden | ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
