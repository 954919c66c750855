//! Suspended local accounts keep their data for 30 days, so a suspension can be undone; then
//! a job purges it as if the owner had deleted the account (the account deletion job).

use rookery_jobs::{JobError, JobSpec, Queue, RetryPolicy};
use rookery_model::Id;
use serde::{Deserialize, Serialize};

use crate::account_deletion::DeleteAccount;
use crate::{ServiceError, Services};

/// How long a suspended account's data is kept: 30 days, as Mastodon.
pub const PURGE_AFTER_MS: i64 = 30 * 24 * 3600 * 1000;

/// Purges a suspended local account's data, if it is still under the same suspension.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeSuspended {
    pub account_id: Id,
    /// When the suspension this purge belongs to began (milliseconds).
    pub suspended_at: i64,
}

impl JobSpec for PurgeSuspended {
    const KIND: &'static str = "purge_suspended_account";
    const QUEUE: Queue = Queue::Default;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_delay_ms: 60_000,
            max_delay_ms: 3600 * 1000,
            timeout: std::time::Duration::from_secs(60),
        }
    }

    fn unique_key(&self) -> Option<String> {
        Some(format!(
            "purge_suspended:{}:{}",
            self.account_id, self.suspended_at
        ))
    }
}

fn retry(e: ServiceError) -> JobError {
    JobError::Retry(e.log_cause().unwrap_or("failed").to_owned())
}

impl Services {
    /// Runs a [`PurgeSuspended`] job: an account unsuspended (or suspended again since) is
    /// left alone; otherwise it is marked deleted and the account deletion job removes its data.
    pub(crate) async fn purge_suspended(
        &self,
        job: &PurgeSuspended,
    ) -> std::result::Result<(), JobError> {
        let account = self
            .store
            .account(job.account_id)
            .await
            .map_err(|e| retry(e.into()))?;
        let Some(account) = account else {
            return Ok(());
        };
        let same = account
            .suspended_at
            .is_some_and(|t| t.as_millis() == job.suspended_at);
        if !account.is_local() || !same {
            return Ok(());
        }
        let now = self.clock.now();
        let done = async {
            let mut tx = self.store.begin().await?;
            if tx.account_deletion().mark_deleted(account.id, now).await? {
                rookery_jobs::enqueue(
                    tx.as_mut(),
                    &self.ids,
                    now,
                    &DeleteAccount {
                        account_id: account.id,
                    },
                )
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        done.map_err(retry)?;
        tracing::info!(account = %account.username, "suspended account purged");
        Ok(())
    }
}
