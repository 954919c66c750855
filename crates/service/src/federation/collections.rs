//! Reading other servers' collections (featured posts and hashtags, replies, counts): the
//! items of a collection or of its first page, and the retry policy of the jobs that read them.

use serde_json::Value;

use super::host_of;
use crate::{Result, ServiceError, Services};

/// The retry policy of a job that reads a remote collection: three tries an hour apart at
/// most, each within `timeout_secs`.
pub(super) fn sync_policy(timeout_secs: u64) -> rookery_jobs::RetryPolicy {
    rookery_jobs::RetryPolicy {
        max_attempts: 3,
        base_delay_ms: 60_000,
        max_delay_ms: 3600 * 1000,
        timeout: std::time::Duration::from_secs(timeout_secs),
    }
}

/// The items of a collection document: `items`/`orderedItems`, or those of an embedded `first`
/// page. A `first` page given by URL is returned for fetching.
pub(super) fn collection_items(doc: &Value) -> (Vec<Value>, Option<String>) {
    let list = |v: &Value| -> Option<Vec<Value>> {
        v.get("items")
            .or_else(|| v.get("orderedItems"))
            .and_then(Value::as_array)
            .cloned()
    };
    if let Some(items) = list(doc) {
        return (items, None);
    }
    match doc.get("first") {
        Some(Value::String(url)) => (Vec::new(), Some(url.clone())),
        Some(page) => (list(page).unwrap_or_default(), None),
        None => (Vec::new(), None),
    }
}

impl Services {
    /// A JSON document fetched (signed) from `url`.
    pub(super) async fn fetch_json(&self, url: &str) -> Result<Value> {
        let (_, body) = self
            .fetch_document(url)
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        serde_json::from_slice(&body)
            .map_err(|e| ServiceError::invalid("collection", e.to_string()))
    }

    /// The items of the collection at `url`, or of its first page when that is on the same
    /// server.
    pub(super) async fn first_items(&self, url: &str) -> Result<Vec<Value>> {
        let (items, first) = collection_items(&self.fetch_json(url).await?);
        match first.filter(|u| host_of(u) == host_of(url)) {
            Some(page) => Ok(collection_items(&self.fetch_json(&page).await?).0),
            None => Ok(items),
        }
    }
}
