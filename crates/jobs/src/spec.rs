//! Typed jobs and how they are written.

use std::time::Duration;

use rookery_model::{IdGenerator, Random, Timestamp};
use rookery_store::{NewJob, StoreError, Transaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Queue;

/// How often and how patiently a kind of job is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: i32,
    /// Delay before the second attempt; doubles each time.
    pub base_delay_ms: i64,
    /// Longest delay between attempts.
    pub max_delay_ms: i64,
    /// An attempt running longer fails (and is retried).
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    /// 25 attempts, 10 s doubling up to 6 h (about 5 days in all), 5 minutes per attempt.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 25,
            base_delay_ms: 10_000,
            max_delay_ms: 6 * 3600 * 1000,
            timeout: Duration::from_secs(300),
        }
    }
}

/// A kind of job: its payload type, name and queue.
pub trait JobSpec: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stored kind name; handlers are registered under it. Never rename a kind that may be
    /// queued.
    const KIND: &'static str;
    /// The queue it runs on.
    const QUEUE: Queue;

    /// Retry behaviour for this kind.
    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    /// While a job with this key is queued (or dead), an identical one is not added.
    fn unique_key(&self) -> Option<String> {
        None
    }
}

/// Why a job could not be written.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("job payload could not be serialised: {0}")]
    Payload(#[from] serde_json::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes `job` into the caller's transaction, due now. `false` if its unique key is taken.
pub async fn enqueue<J: JobSpec>(
    tx: &mut dyn Transaction,
    ids: &IdGenerator,
    now: Timestamp,
    job: &J,
) -> Result<bool, EnqueueError> {
    enqueue_at(tx, ids, now, job).await
}

/// Writes `job` into the caller's transaction, due at `run_at`.
pub async fn enqueue_at<J: JobSpec>(
    tx: &mut dyn Transaction,
    ids: &IdGenerator,
    run_at: Timestamp,
    job: &J,
) -> Result<bool, EnqueueError> {
    let new = NewJob {
        id: ids.next_id(),
        queue: J::QUEUE.as_str().to_owned(),
        kind: J::KIND.to_owned(),
        payload: serde_json::to_string(job)?,
        max_attempts: J::policy().max_attempts,
        run_at,
        unique_key: job.unique_key(),
    };
    Ok(tx.enqueue(&new).await?)
}

/// Delay before the attempt after `attempts` failed ones: `base · 2^(attempts−1)`, capped,
/// then spread by ±25 % so retries of many jobs do not arrive together.
pub fn backoff_ms(policy: &RetryPolicy, attempts: i32, random: &dyn Random) -> i64 {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 40)).unwrap_or(40);
    let raw = policy
        .base_delay_ms
        .saturating_mul(2_i64.saturating_pow(exp))
        .min(policy.max_delay_ms)
        .max(0);
    let spread = raw / 4;
    if spread == 0 {
        return raw;
    }
    let span = u64::try_from(spread * 2 + 1).unwrap_or(1);
    let offset = i64::try_from(random.next_u64() % span).unwrap_or(0) - spread;
    (raw + offset).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed(u64);
    impl Random for Fixed {
        fn fill(&self, buf: &mut [u8]) {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = (self.0 >> (8 * (i % 8))) as u8;
            }
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay_ms: 1000,
            max_delay_ms: 60_000,
            timeout: Duration::from_secs(1),
        };
        for (attempts, nominal) in [(1, 1000), (2, 2000), (3, 4000), (8, 60_000), (40, 60_000)] {
            for seed in [0, 1, 7, 12345, u64::MAX] {
                let d = backoff_ms(&p, attempts, &Fixed(seed));
                assert!(
                    d >= nominal * 3 / 4 && d <= nominal * 5 / 4,
                    "{attempts}: {d}"
                );
            }
        }
        assert_ne!(backoff_ms(&p, 3, &Fixed(1)), backoff_ms(&p, 3, &Fixed(2)));
    }
}
