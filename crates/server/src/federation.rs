//! The HTTP client federation uses: the SSRF-safe fetcher, with a limit on POSTs in flight to
//! any one host: past it, a delivery is put back in the queue for a moment (not waited for), so
//! a slow server holds at most a few of this process's delivery slots. Signed fetches have
//! their own limit per host, waited for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rookery_fetch::{FetchError, Fetcher};
use rookery_service::federation::{HttpResponse, Transport, TransportError, host_of};
use tokio::sync::Semaphore;

use crate::config::TransportSettings;

/// [`Transport`] over [`Fetcher`].
pub struct FetchTransport {
    fetcher: Fetcher,
    /// Time allowed to fetch one media file (its size limit comes with each request).
    media_timeout: std::time::Duration,
    /// How long a fetch waits for a free slot to its host.
    fetch_wait: std::time::Duration,
    per_host: usize,
    /// Deliveries in flight per host.
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Signed fetches in flight per host: past the limit a fetch waits for a slot (within the
    /// request timeout), so no burst of lookups can hammer one server.
    fetch_hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl std::fmt::Debug for FetchTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchTransport")
            .field("per_host", &self.per_host)
            .finish_non_exhaustive()
    }
}

impl FetchTransport {
    /// A client for `settings` (an unreadable CA file is an error).
    pub fn new(settings: &TransportSettings) -> Result<Self, FetchError> {
        Ok(FetchTransport {
            fetcher: Fetcher::new(settings.fetch.clone())?,
            media_timeout: settings
                .fetch
                .timeout
                .max(std::time::Duration::from_secs(60)),
            fetch_wait: settings.fetch.timeout,
            per_host: settings.per_host_concurrency,
            hosts: Mutex::new(HashMap::new()),
            fetch_hosts: Mutex::new(HashMap::new()),
        })
    }

    fn slot(&self, url: &str) -> Option<Arc<Semaphore>> {
        self.slot_in(&self.hosts, url)
    }

    fn slot_in(
        &self,
        map: &Mutex<HashMap<String, Arc<Semaphore>>>,
        url: &str,
    ) -> Option<Arc<Semaphore>> {
        let host = host_of(url)?;
        let mut hosts = map.lock().ok()?;
        if hosts.len() > 10_000 {
            // Forget idle hosts now and then; a busy one keeps its semaphore through its Arc.
            hosts.retain(|_, s| Arc::strong_count(s) > 1);
        }
        Some(
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone(),
        )
    }
}

fn convert(r: Result<rookery_fetch::Response, FetchError>) -> Result<HttpResponse, TransportError> {
    match r {
        Ok(r) => Ok(HttpResponse {
            status: r.status,
            url: r.url,
            content_type: r.content_type,
            location: r.location,
            body: r.body,
        }),
        Err(FetchError::Refused(m)) => Err(TransportError::Refused(m)),
        Err(FetchError::TooLarge(_)) => Err(TransportError::TooLarge),
        Err(e) => Err(TransportError::Failed(e.to_string())),
    }
}

fn pairs(headers: &[(String, String)]) -> Vec<(&str, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect()
}

#[async_trait]
impl Transport for FetchTransport {
    async fn get(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<HttpResponse, TransportError> {
        convert(self.fetcher.get(url, &pairs(headers)).await)
    }

    async fn get_hop(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<HttpResponse, TransportError> {
        let _permit = match self.slot_in(&self.fetch_hosts, url) {
            Some(s) => Some(
                tokio::time::timeout(self.fetch_wait, s.acquire_owned())
                    .await
                    .map_err(|_| TransportError::Busy(host_of(url).unwrap_or_default()))?
                    .map_err(|_| TransportError::Busy(host_of(url).unwrap_or_default()))?,
            ),
            None => None,
        };
        convert(self.fetcher.get_hop(url, &pairs(headers)).await)
    }

    async fn get_media(&self, url: &str, max_bytes: u64) -> Result<HttpResponse, TransportError> {
        let max = usize::try_from(max_bytes).unwrap_or(usize::MAX);
        convert(
            self.fetcher
                .get_limited(url, &[], max, self.media_timeout)
                .await,
        )
    }

    async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Result<HttpResponse, TransportError> {
        let _permit = match self.slot(url) {
            Some(s) => Some(
                s.try_acquire_owned()
                    .map_err(|_| TransportError::Busy(host_of(url).unwrap_or_default()))?,
            ),
            None => None,
        };
        convert(self.fetcher.post(url, &pairs(headers), body).await)
    }
}
