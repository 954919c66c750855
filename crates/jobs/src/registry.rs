//! Handlers, registered per job kind.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rookery_model::Id;

use crate::{JobSpec, Queue, RetryPolicy};

/// How a handler failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (a peer was down, a timeout).
    #[error("{0}")]
    Retry(String),
    /// Will never succeed (the thing is gone, the input is invalid): the job goes dead at once.
    #[error("{0}")]
    Fatal(String),
    /// Not now, through no fault of the job (a per-host limit is reached): run it again after
    /// the delay without counting this as an attempt.
    #[error("deferred: {reason}")]
    Defer {
        reason: String,
        after: std::time::Duration,
    },
}

/// What a handler knows about the job it runs.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub id: Id,
    pub kind: String,
    /// 1 for the first attempt.
    pub attempt: i32,
}

pub(crate) enum RunError {
    BadPayload(String),
    Handler(JobError),
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), RunError>> + Send>>;
type Runner = dyn Fn(String, JobContext) -> BoxFuture + Send + Sync;

pub(crate) struct Entry {
    pub queue: Queue,
    pub policy: RetryPolicy,
    pub run: Arc<Runner>,
}

/// Handlers by kind. An unknown kind is not a crash: the job is dead-lettered with the reason.
#[derive(Default)]
pub struct Registry {
    entries: HashMap<&'static str, Entry>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<_> = self.entries.keys().collect();
        kinds.sort();
        f.debug_struct("Registry").field("kinds", &kinds).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for jobs of kind `J`. The payload is deserialised first; a payload
    /// that no longer deserialises dead-letters the job with the reason.
    pub fn register<J, F, Fut>(&mut self, handler: F) -> &mut Self
    where
        J: JobSpec,
        F: Fn(J, JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let run: Arc<Runner> = Arc::new(move |payload: String, ctx: JobContext| {
            let handler = handler.clone();
            Box::pin(async move {
                let job: J = serde_json::from_str(&payload)
                    .map_err(|e| RunError::BadPayload(e.to_string()))?;
                handler(job, ctx).await.map_err(RunError::Handler)
            }) as BoxFuture
        });
        self.entries.insert(
            J::KIND,
            Entry {
                queue: J::QUEUE,
                policy: J::policy(),
                run,
            },
        );
        self
    }

    pub(crate) fn get(&self, kind: &str) -> Option<&Entry> {
        self.entries.get(kind)
    }

    /// The kinds registered, for diagnostics.
    pub fn kinds(&self) -> Vec<(&'static str, Queue)> {
        let mut kinds: Vec<_> = self.entries.iter().map(|(k, e)| (*k, e.queue)).collect();
        kinds.sort();
        kinds
    }
}
