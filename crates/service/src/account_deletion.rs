//! Deleting one's own account, as Mastodon does: the password is asked for, the account is
//! closed at once (suspended: no sign-in, no token works, nothing of it is shown) and a job
//! removes everything it owned — statuses, media files, relationships, lists, tokens — keeps
//! the username reserved, and tells every server this instance knows that the actor is gone
//! (`Delete` of the actor, signed with its key, as Mastodon sends it).

use rookery_activitypub::{AS_CONTEXT, PUBLIC};
use rookery_jobs::{JobError, JobSpec, Queue, RetryPolicy};
use rookery_model::Id;
use rookery_store::LocalAccount;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::federation::Federate;
use crate::{Result, ServiceError, Services};

/// Statuses deleted per transaction.
const STATUS_BATCH: u32 = 500;

/// Removes what a deleted account owned and announces its deletion.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteAccount {
    pub account_id: Id,
}

impl JobSpec for DeleteAccount {
    const KIND: &'static str = "delete_account";
    const QUEUE: Queue = Queue::Default;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_delay_ms: 30_000,
            max_delay_ms: 3600 * 1000,
            // Many statuses and files take a while.
            timeout: std::time::Duration::from_secs(1800),
        }
    }

    fn unique_key(&self) -> Option<String> {
        Some(format!("delete_account:{}", self.account_id))
    }
}

/// Accounts their owners delete.
pub struct AccountDeletion<'a> {
    s: &'a Services,
}

impl Services {
    /// Deleting one's own account.
    pub fn account_deletions(&self) -> AccountDeletion<'_> {
        AccountDeletion { s: self }
    }
}

fn retry(e: ServiceError) -> JobError {
    JobError::Retry(e.log_cause().unwrap_or("failed").to_owned())
}

impl AccountDeletion<'_> {
    /// The owner asks (with their password): the account closes now, the job does the rest.
    pub async fn request(&self, local: &LocalAccount, password: &str) -> Result<()> {
        if password.is_empty() || !self.s.check_password(local, password).await {
            return Err(ServiceError::invalid("password", "is not right"));
        }
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        if tx
            .account_deletion()
            .mark_deleted(local.account.id, now)
            .await?
        {
            tx.sign_in()
                .revoke_sessions(local.user.id, None, now)
                .await?;
            tx.user_tokens()
                .revoke_account_tokens(local.account.id, now)
                .await?;
            let job = DeleteAccount {
                account_id: local.account.id,
            };
            rookery_jobs::enqueue(tx.as_mut(), &self.s.ids, now, &job)
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
        }
        tx.commit().await?;
        self.s.forget_stats();
        Ok(())
    }

    /// Whether `username` was a local account its owner deleted (peers are told 410 Gone).
    pub async fn was_deleted(&self, username: &str) -> Result<bool> {
        Ok(self
            .s
            .store
            .account_deletion_store()
            .deleted_local(username)
            .await?)
    }

    /// Runs a [`DeleteAccount`] job. Each step can run again: files already gone are not
    /// looked for, and the `Delete` is queued once (with the purge that empties the account).
    pub(crate) async fn run(&self, job: &DeleteAccount) -> std::result::Result<(), JobError> {
        let s = self.s;
        let requested = s
            .store
            .account_deletion_store()
            .deletion_requested(job.account_id)
            .await
            .map_err(|e| retry(e.into()))?;
        let account = s
            .store
            .account(job.account_id)
            .await
            .map_err(|e| retry(e.into()))?;
        let (Some(_), Some(account)) = (requested, account) else {
            return Ok(()); // not a local account whose owner asked
        };
        // Rows first, then files, batch by batch (as for a remote account deleted); archives
        // of the account's data are files too.
        s.release_account_media(account.id).await.map_err(retry)?;
        match s.local_account(account.username.as_str()).await {
            Ok(local) => {
                s.exports()
                    .delete_archives_of(local.user.id)
                    .await
                    .map_err(retry)?;
            }
            Err(ServiceError::NotFound(_)) => {} // purged already
            Err(e) => return Err(retry(e)),
        }
        let actor = s.urls.actor(account.username.as_str());
        let activity = json!({
            "@context": AS_CONTEXT,
            "id": format!("{actor}#delete"),
            "type": "Delete",
            "actor": actor,
            "object": actor,
            "to": [PUBLIC],
        });
        let announce = Federate {
            sender: account.id,
            activity_id: format!("{actor}#delete"),
            activity: activity.to_string(),
            followers: false,
            inboxes: Vec::new(),
            every_known_server: true,
        };
        // Statuses first, a batch per transaction: no long lock on the database.
        loop {
            let batch = async {
                let mut tx = s.store.begin().await?;
                let n = tx
                    .account_deletion()
                    .purge_statuses(account.id, STATUS_BATCH)
                    .await?;
                tx.commit().await?;
                Ok::<_, ServiceError>(n)
            }
            .await
            .map_err(retry)?;
            if batch == 0 {
                break;
            }
        }
        let now = s.clock.now();
        let purged = async {
            let mut tx = s.store.begin().await?;
            if tx.account_deletion().purge_deleted(account.id, now).await? {
                rookery_jobs::enqueue(tx.as_mut(), &s.ids, now, &announce)
                    .await
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        purged.map_err(retry)?;
        s.forget_stats();
        tracing::info!(account = %account.username, "account deleted by its owner");
        Ok(())
    }
}
