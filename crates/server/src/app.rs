//! Wiring: from resolved configuration to a running process.

use std::sync::Arc;

use rookery_events::{EventBus, InProcessBus};
use rookery_http::{AppState, Metrics, Streaming, full_router};
use rookery_model::{Clock, SystemClock};
use rookery_service::{Services, SystemRandom};
use rookery_store::Store;
use rookery_store_sql::{MigrateError, SqlStore, redact_url};
use tokio::net::TcpListener;

use crate::config::{ConfigError, Resolved};

/// A failure to start, phrased for the operator (one line).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Other(String),
}

/// Opens the database: prepares the data directory, migrates when configured to, connects,
/// and refuses a schema that is older (not migrated) or newer than this binary.
pub async fn open_store(cfg: &Resolved, clock: &dyn Clock) -> Result<SqlStore, StartError> {
    crate::config::prepare_data_dir(&cfg.data_dir)?;
    let url = redact_url(&cfg.db.url);
    if cfg.auto_migrate {
        migrate(cfg, clock).await?;
    }
    let store = SqlStore::connect(&cfg.db)
        .await
        .map_err(|e| ConfigError::new("database.url", format!("cannot connect to {url}: {e}")))?;
    let status = store.schema_status().await.map_err(|e| {
        ConfigError::new(
            "database.url",
            format!("cannot read the schema of {url}: {e}"),
        )
    })?;
    if status.applied > status.expected {
        return Err(StartError::Other(
            MigrateError::TooNew {
                applied: status.applied,
                expected: status.expected,
            }
            .to_string(),
        ));
    }
    if status.applied < status.expected {
        return Err(StartError::Other(format!(
            "the database schema is at version {} and this binary needs {}: run `rookery db migrate`",
            status.applied, status.expected
        )));
    }
    Ok(store)
}

/// Applies missing migrations; returns the versions applied.
pub async fn migrate(cfg: &Resolved, clock: &dyn Clock) -> Result<Vec<i64>, StartError> {
    crate::config::prepare_data_dir(&cfg.data_dir)?;
    SqlStore::migrate(&cfg.db, clock.now().as_millis())
        .await
        .map_err(|e| match e {
            MigrateError::Store(s) => ConfigError::new(
                if cfg.db.migration_url.is_some() {
                    "database.migration_url"
                } else {
                    "database.url"
                },
                format!("cannot migrate {}: {s}", redact_url(&cfg.db.url)),
            )
            .into(),
            other => StartError::Other(other.to_string()),
        })
}

/// The event bus: Redis when `redis.url` is set (checked to answer now), else in-process.
pub async fn event_bus(cfg: &Resolved) -> Result<Arc<dyn EventBus>, StartError> {
    match &cfg.bus.redis {
        None => Ok(Arc::new(InProcessBus::new(cfg.bus.buffer))),
        Some(options) => {
            let bus = rookery_redis::RedisBus::connect(options.clone())
                .await
                .map_err(|e| {
                    ConfigError::new(
                        "redis.url",
                        format!(
                            "cannot use {}: {e}",
                            rookery_store_sql::redact_url(&options.url)
                        ),
                    )
                })?;
            Ok(Arc::new(bus))
        }
    }
}

/// The use cases over a store, with the real clock and randomness, publishing on `events`,
/// federating through the SSRF-safe HTTP client and looking up the mail exchangers of
/// signing-up addresses over DNS.
pub fn services(
    cfg: &Resolved,
    store: SqlStore,
    events: Arc<dyn EventBus>,
) -> Result<Services, StartError> {
    let store: Arc<dyn Store> = Arc::new(store);
    let transport = crate::federation::FetchTransport::new(&cfg.transport)
        .map_err(|e| ConfigError::new("federation", e.to_string()))?;
    let (media, media_url) = crate::media::runtime(&cfg.media)?;
    let mut settings = cfg.settings.clone();
    settings.media_base_url = Some(media_url);
    let services = Services::new(
        store,
        Arc::new(SystemClock),
        Arc::new(SystemRandom),
        settings,
    )
    .with_events(events)
    .with_transport(Arc::new(transport))
    .with_media(media);
    // Without a resolver (no /etc/resolv.conf in a bare container) the server still starts:
    // e-mail domain blocks then apply to the address's own domain only, as with check_mx off.
    let services = match cfg.mx_dns.as_ref().map(rookery_dns::MxLookup::new) {
        Some(Ok(lookup)) => services.with_mx_resolver(Arc::new(crate::dns::Dns(lookup))),
        Some(Err(e)) => {
            tracing::warn!(
                error = %e,
                "no DNS resolver for MX lookups: e-mail domain blocks check the address's own \
                 domain only (set email_domain_blocks.dns_server, or check_mx = false)"
            );
            services
        }
        None => services,
    };
    Ok(match &cfg.smtp {
        Some(smtp) => {
            let mailer = rookery_mail::SmtpMailer::new(smtp)
                .map_err(|e| ConfigError::new("smtp", e.to_string()))?;
            services.with_mail(Arc::new(crate::mail::Smtp(mailer)))
        }
        None => services,
    })
}

/// What every process does once its services are built: imports the configured server rules
/// into the `rules` table if it has never held one (afterwards the table is the source and
/// `instance.rules` is not read again).
pub async fn seed(services: &Services) -> Result<(), StartError> {
    services
        .rules()
        .seed_from_config()
        .await
        .map_err(|e| StartError::Other(format!("cannot import instance.rules: {e}")))?;
    Ok(())
}

/// The HTTP state of a process: its services, metrics (with the streaming metrics
/// registered) and limits.
pub fn app_state(
    cfg: &Resolved,
    services: Services,
    mut metrics: Metrics,
    lag: Option<Arc<rookery_service::LagCheck>>,
) -> AppState {
    let streaming = Arc::new(Streaming::new(cfg.bus.limits, metrics.registry_mut()));
    AppState {
        services,
        metrics: Arc::new(metrics),
        lag,
        limiter: Arc::new(
            rookery_http::ratelimit::Limiter::new(cfg.rate_limits)
                .with_trusted_proxies(cfg.trusted_proxies.clone()),
        ),
        streaming,
    }
}

/// A bound, ready-to-run web server with the streaming API (tests boot it directly).
pub struct App {
    pub listener: TcpListener,
    pub router: axum::Router,
    pub services: Services,
    pub streaming: Arc<Streaming>,
    /// Set when the configuration names a certificate: the listener answers HTTPS.
    pub tls: Option<Arc<crate::tls::Tls>>,
}

impl App {
    /// Opens the store, builds the services and binds the listener.
    pub async fn build(cfg: &Resolved) -> Result<App, StartError> {
        let store = open_store(cfg, &SystemClock).await?;
        let events = event_bus(cfg).await?;
        let services = services(cfg, store, events)?;
        seed(&services).await?;
        let state = app_state(cfg, services.clone(), Metrics::new(), None);
        let streaming = state.streaming.clone();
        let router = full_router(state);
        let listener = TcpListener::bind(cfg.listen).await.map_err(|e| {
            ConfigError::new(
                "server.listen",
                format!("cannot listen on {}: {e}", cfg.listen),
            )
        })?;
        let tls = match &cfg.tls {
            Some((cert, key)) => Some(Arc::new(
                crate::tls::Tls::new(cert.clone(), key.clone())
                    .map_err(|e| ConfigError::new("server.tls_cert", e))?,
            )),
            None => None,
        };
        Ok(App {
            listener,
            router,
            services,
            streaming,
            tls,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let streaming = self.streaming.clone();
        let shutdown = async move {
            shutdown.await;
            streaming.close_all();
        };
        let streams = self.streaming.clone();
        let served = crate::serve::serve_with(self.listener, self.router, self.tls, shutdown).await;
        streams.wait_closed(std::time::Duration::from_secs(5)).await;
        served
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
