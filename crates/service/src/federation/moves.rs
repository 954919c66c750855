//! Account moves from other servers: a `Move` of an actor to another account, accepted when
//! the new account names the old one among its aliases (`alsoKnownAs`, read again from its
//! server), as Mastodon accepts them; and `movedTo` on actor documents.

use rookery_activitypub::vocab::{Activity, RemoteActor, Target};
use rookery_model::{Account, Id};

use super::ResolveError;
use crate::{Result, ServiceError, Services};

/// A remote account's next `Move` is accepted at the earliest this long after its last one, so
/// a replayed or repeated `Move` does nothing (Mastodon's cooldown).
pub(super) const MOVE_COOLDOWN_MS: i64 = 7 * 24 * 3600 * 1000;

impl Services {
    /// A `Move` of `actor` (its `object`) to `target`. Refused without a trace (as Mastodon
    /// does) when the target cannot be read, is suspended, or does not list the actor as an
    /// alias; a target that cannot be reached right now is retried.
    pub(super) async fn on_move(&self, actor: &Account, a: &Activity) -> Result<()> {
        let object = a.object.as_ref().and_then(Target::id);
        if actor.is_local() || actor.uri.is_none() || object != actor.uri.as_deref() {
            return Ok(());
        }
        let Some(target_uri) = a.target.as_deref() else {
            return Ok(());
        };
        let now = self.clock.now();
        if actor
            .profile
            .moved_at
            .is_some_and(|at| at.as_millis() + MOVE_COOLDOWN_MS > now.as_millis())
        {
            return Ok(());
        }
        let target = match self.resolve_actor(target_uri, true).await {
            Ok(t) => t,
            Err(ResolveError::Failed(e) | ResolveError::Refused(e)) => {
                return Err(ServiceError::Unavailable(e));
            }
            Err(e) => {
                tracing::debug!(actor = %actor.id, target = target_uri, error = %e, "Move ignored");
                return Ok(());
            }
        };
        let named = actor
            .uri
            .as_ref()
            .is_some_and(|uri| target.profile.also_known_as.contains(uri));
        if target.id == actor.id || target.suspended_at.is_some() || !named {
            tracing::debug!(actor = %actor.id, target = %target.id, "Move refused: not an alias");
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        if tx
            .account_moves()
            .set_moved(actor.id, target.id, now)
            .await?
        {
            self.enqueue_move_followers(tx.as_mut(), actor.id, target.id)
                .await?;
        }
        Ok(tx.commit().await?)
    }

    /// Where a fetched actor document says the account moved (`movedTo`): an account known
    /// here that names it among its aliases, or none when the document names none (as
    /// Mastodon reads it). `None`: leave what is recorded (the target is not known here; no
    /// fetch, and only a `Move` makes followers follow along).
    pub(super) async fn moved_as_published(
        &self,
        actor: &RemoteActor,
    ) -> std::result::Result<Option<Option<Id>>, ResolveError> {
        let Some(uri) = actor.moved_to.as_deref() else {
            return Ok(Some(None));
        };
        let target = match self.local_username_of(uri) {
            Some(name) => self
                .store
                .local_account_by_username(&name)
                .await?
                .map(|l| l.account),
            None => self.store.account_by_uri(uri).await?,
        };
        Ok(target
            .filter(|t| {
                t.profile.also_known_as.contains(&actor.id) && t.uri.as_deref() != Some(&actor.id)
            })
            .map(|t| Some(t.id)))
    }
}
