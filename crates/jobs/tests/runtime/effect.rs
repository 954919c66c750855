//! A job whose effect is idempotent and visible in the database: it records `effect:<n>` as an
//! instance setting (an upsert). Shared by the tests and the `test_worker` example process.

use std::sync::Arc;
use std::time::Duration;

use rookery_jobs::{JobError, JobSpec, Queue, Registry};
use rookery_model::{Clock, SystemClock};
use rookery_store::Store;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Effect {
    pub n: u32,
    pub work_ms: u64,
}

impl JobSpec for Effect {
    const KIND: &'static str = "test.effect";
    const QUEUE: Queue = Queue::Default;
}

/// Registers the handler: wait `work_ms`, then record the effect.
pub fn register(registry: &mut Registry, store: Arc<dyn Store>) {
    registry.register(move |job: Effect, _ctx| {
        let store = store.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(job.work_ms)).await;
            let now = SystemClock.now();
            let mut tx = store
                .begin()
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            tx.put_setting(&format!("effect:{}", job.n), "done", now)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            tx.commit()
                .await
                .map_err(|e| JobError::Retry(e.to_string()))
        }
    });
}
