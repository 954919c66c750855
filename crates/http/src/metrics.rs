//! Prometheus metrics for the HTTP surface and the database pool.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// The metrics one process exposes on `/metrics`.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    pool: Family<PoolLabels, Gauge>,
    bus_connected: Gauge,
    bus_counts: Family<BusLabels, Gauge>,
    federation: Family<FederationLabels, Counter>,
    activities: Family<ActivityLabels, Counter>,
    media_jobs: Family<MediaJobLabels, Counter>,
    media_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    media_bytes: Family<CategoryLabels, Gauge>,
    media_cache: Family<CacheLabels, Counter>,
    ffmpeg_peak_rss: Gauge,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MediaJobLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CategoryLabels {
    category: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FederationLabels {
    what: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActivityLabels {
    r#type: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BusLabels {
    backend: &'static str,
    what: &'static str,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

impl Metrics {
    /// A fresh registry with Rookery's HTTP and pool metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("rookery");
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route",
            durations.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections by state (in_use, idle)",
            pool.clone(),
        );
        let bus_connected = Gauge::default();
        let bus_counts = Family::<BusLabels, Gauge>::default();
        registry.register(
            "event_bus_connected",
            "1 when the event bus reaches other processes (always 1 in-process)",
            bus_connected.clone(),
        );
        registry.register(
            "event_bus_events",
            "Event bus counters since start, by backend: published, publish_failures, received, \
             reconnects, channels (subscribed now)",
            bus_counts.clone(),
        );
        let federation = Family::<FederationLabels, Counter>::default();
        registry.register(
            "federation",
            "Federation since start: inbox requests (accepted, dropped, unauthorized, invalid, \
             no_inbox, too_large, key_unavailable, unavailable), deliveries (delivered, failed, refused, skipped_unavailable) and fetches (ok, failed)",
            federation.clone(),
        );
        let activities = Family::<ActivityLabels, Counter>::default();
        registry.register(
            "federation_activities",
            "Activities received since start, by type and outcome: processed, ignored (a type \
             read but not acted on) or unknown (accepted from a valid signer and dropped); \
             unusual type names beyond the first 64 are counted as type=\"other\"",
            activities.clone(),
        );
        let media_jobs = Family::<MediaJobLabels, Counter>::default();
        registry.register(
            "media_jobs",
            "Media processing jobs run by this process, by kind (image, gifv, video, audio) and \
             outcome (processed, failed, retried)",
            media_jobs.clone(),
        );
        let media_seconds = Counter::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "media_processing_seconds",
            "Time this process spent processing media",
            media_seconds.clone(),
        );
        let media_bytes = Family::<CategoryLabels, Gauge>::default();
        registry.register(
            "media_stored_bytes",
            "Bytes of media in storage by category, as last counted (hourly by the scheduler, \
             or by `rookery admin media usage`)",
            media_bytes.clone(),
        );
        let media_cache = Family::<CacheLabels, Counter>::default();
        registry.register(
            "media_cache",
            "Remote media cache events in this process: hit, miss (a copy was fetched), eviction",
            media_cache.clone(),
        );
        let ffmpeg_peak_rss = Gauge::default();
        registry.register(
            "media_ffmpeg_peak_rss_bytes",
            "Peak resident memory of the last ffmpeg run in this process",
            ffmpeg_peak_rss.clone(),
        );
        Metrics {
            media_jobs,
            media_seconds,
            media_bytes,
            media_cache,
            ffmpeg_peak_rss,
            registry,
            requests,
            durations,
            pool,
            bus_connected,
            bus_counts,
            federation,
            activities,
        }
    }

    /// The registry, for other parts of the process to add their metrics.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Sets the pool gauges (read at scrape time).
    pub fn set_pool(&self, in_use: u32, idle: u32) {
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(in_use));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(idle));
    }

    /// Sets the event bus gauges (read at scrape time).
    pub fn set_bus(&self, s: &rookery_events::BusStatus) {
        self.bus_connected.set(i64::from(s.connected));
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        for (what, n) in [
            ("published", clamp(s.published)),
            ("publish_failures", clamp(s.publish_failures)),
            ("received", clamp(s.received)),
            ("reconnects", clamp(s.reconnects)),
            ("channels", i64::try_from(s.channels).unwrap_or(i64::MAX)),
        ] {
            self.bus_counts
                .get_or_create(&BusLabels {
                    backend: s.backend,
                    what,
                })
                .set(n);
        }
    }

    /// Copies the federation counters (read at scrape time).
    pub fn set_federation(&self, c: &rookery_service::federation::FederationCounters) {
        for (what, outcome, n) in c.snapshot() {
            self.federation
                .get_or_create(&FederationLabels { what, outcome })
                .inner()
                .store(n, std::sync::atomic::Ordering::Relaxed);
        }
        for (kind, outcome, n) in c.activities() {
            self.activities
                .get_or_create(&ActivityLabels {
                    r#type: kind,
                    outcome,
                })
                .inner()
                .store(n, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Copies the media counters (read at scrape time).
    pub fn set_media(&self, c: &rookery_service::media::MediaCounters) {
        use std::sync::atomic::Ordering::Relaxed;
        for (kind, outcome, n) in c.jobs() {
            self.media_jobs
                .get_or_create(&MediaJobLabels { kind, outcome })
                .inner()
                .store(n, Relaxed);
        }
        let seconds = c.processing_ms.load(Relaxed) as f64 / 1000.0;
        self.media_seconds.inner().store(seconds.to_bits(), Relaxed);
        // Avatars and headers share a category: sum, and start from zero so a category that
        // emptied shows 0.
        let mut sums: std::collections::BTreeMap<&'static str, i64> = [
            "local_uploads",
            "local_avatars_headers",
            "local_emoji",
            "remote_attachments",
            "remote_avatars_headers",
            "remote_emoji",
        ]
        .into_iter()
        .map(|c| (c, 0))
        .collect();
        for u in c.usage() {
            *sums
                .entry(rookery_service::media::usage_category(&u))
                .or_default() += u.bytes;
        }
        for (category, bytes) in sums {
            self.media_bytes
                .get_or_create(&CategoryLabels { category })
                .set(bytes);
        }
        for (event, counter) in [
            ("hit", &c.cache_hits),
            ("miss", &c.cache_misses),
            ("eviction", &c.cache_evictions),
        ] {
            self.media_cache
                .get_or_create(&CacheLabels { event })
                .inner()
                .store(counter.load(Relaxed), Relaxed);
        }
        self.ffmpeg_peak_rss
            .set(i64::try_from(c.ffmpeg_peak_rss.load(Relaxed)).unwrap_or(i64::MAX));
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Middleware: counts and times every request by its route pattern (never the raw path,
/// so label cardinality stays bounded).
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let m = &state.metrics;
    m.durations
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}
