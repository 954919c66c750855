//! Process roles: `serve` (everything), `web`, `streaming`, `worker`, `scheduler`. Each serves `/health`,
//! `/ready` and `/metrics` (web roles on their main port, the others on `admin_listen`), stops
//! cleanly on SIGTERM/SIGINT, and workers re-read their queue concurrency on SIGHUP.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rookery_http::{Metrics, full_router, ops_router, streaming_router, web_router};
use rookery_jobs::{JobMetrics, Limits, Queue, Registry, Scheduler, SchedulerOptions, Worker};
use rookery_model::{Random, SystemClock};
use rookery_service::{LagCheck, Services, periodic_jobs, register_jobs};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::{StartError, app_state, event_bus, open_store, seed, services};
use crate::config::{self, ConfigError, Resolved};
use crate::tls::Tls;

/// Which parts run in this process.
#[derive(Debug, Clone)]
pub struct Roles {
    pub web: bool,
    /// The streaming API (with `web` too in `serve`).
    pub streaming: bool,
    /// Queues to run, with their concurrency; `None`: no worker.
    pub worker: Option<BTreeMap<Queue, usize>>,
    pub scheduler: bool,
}

/// Where the configuration came from, to re-read it on SIGHUP.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    pub file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
}

async fn bind(addr: SocketAddr, option: &str) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| ConfigError::new(option, format!("cannot listen on {addr}: {e}")).into())
}

/// Turns SIGINT/SIGTERM into `true` on the returned channel.
fn shutdown_channel() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        crate::app::shutdown_signal().await;
        let _ = tx.send(true);
    });
    rx
}

async fn wait_for(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Re-reads the configuration on SIGHUP and applies the worker's queue concurrency.
fn reload_on_sighup(limits: Arc<Limits>, source: ConfigSource, mut stop: watch::Receiver<bool>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; concurrency reload is unavailable");
            return;
        };
        loop {
            tokio::select! {
                got = hup.recv() => if got.is_none() { return },
                _ = stop.changed() => return,
            }
            let reloaded = config::load(source.file.as_deref(), std::env::vars())
                .and_then(|c| c.resolve(source.data_dir.as_deref()));
            match reloaded {
                Ok(cfg) => {
                    limits.set_base(&cfg.worker.queues);
                    let now: BTreeMap<&str, usize> = limits
                        .queues()
                        .into_iter()
                        .map(|q| (q.as_str(), limits.get(q)))
                        .collect();
                    tracing::info!(concurrency = ?now, "reloaded queue concurrency (SIGHUP)");
                }
                Err(e) => tracing::error!(error = %e, "SIGHUP: configuration not reloaded"),
            }
        }
    });
}

/// Re-reads the TLS certificate and key on SIGHUP (certificate renewal without a restart).
fn reload_tls_on_sighup(tls: Arc<Tls>, mut stop: watch::Receiver<bool>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; certificate reload is unavailable");
            return;
        };
        loop {
            tokio::select! {
                got = hup.recv() => if got.is_none() { return },
                _ = stop.changed() => return,
            }
            match tls.reload() {
                Ok(()) => tracing::info!("reloaded the TLS certificate (SIGHUP)"),
                Err(e) => tracing::error!(
                    error = %e,
                    "SIGHUP: TLS certificate not reloaded; the previous one stays in use"
                ),
            }
        }
    });
}

fn holder_id(node: &str, random: &dyn Random) -> String {
    format!(
        "{node}:{}:{:08x}",
        std::process::id(),
        random.next_u64() as u32
    )
}

/// Runs the given roles until SIGTERM/SIGINT. `announce` is called with the web address once
/// listening (for the start-up banner).
pub async fn run(
    cfg: &Resolved,
    roles: Roles,
    source: ConfigSource,
    announce: impl FnOnce(&Services, Option<SocketAddr>),
) -> Result<(), StartError> {
    let store = open_store(cfg, &SystemClock).await?;
    let events = event_bus(cfg).await?;
    let alone = roles.web && roles.streaming && roles.worker.is_some();
    if cfg.bus.redis.is_none() && !alone {
        tracing::warn!(
            "redis.url is not set: streaming events stay inside this process; processes started \
             separately (web, streaming, worker) need Redis to hear each other"
        );
    }
    if cfg.smtp.is_none() && roles.web {
        tracing::warn!(
            "[smtp] is not set: no mail is sent, sign-ups need no confirmation, and password \
             resets go through `rookery admin accounts reset-link`"
        );
    }
    let services = services(cfg, store, events)?;
    seed(&services).await?;
    let mut metrics = Metrics::new();
    let job_metrics = Arc::new(JobMetrics::new(metrics.registry_mut()));
    let lag = roles.worker.as_ref().map(|queues| {
        Arc::new(LagCheck {
            queues: queues.keys().map(|q| q.as_str().to_owned()).collect(),
            threshold_ms: cfg.worker.lag_threshold_ms,
        })
    });
    let state = app_state(cfg, services.clone(), metrics, lag);
    let shutdown = shutdown_channel();
    let mut tasks: JoinSet<Result<(), StartError>> = JoinSet::new();

    // The HTTP side: the full web app, or just the operational endpoints.
    let (router, addr, option) = if roles.web && roles.streaming {
        (full_router(state.clone()), cfg.listen, "server.listen")
    } else if roles.web {
        (web_router(state.clone()), cfg.listen, "server.listen")
    } else if roles.streaming {
        (streaming_router(state.clone()), cfg.listen, "server.listen")
    } else {
        (
            ops_router(state.clone()),
            cfg.admin_listen,
            "server.admin_listen",
        )
    };
    let listener = bind(addr, option).await?;
    let bound = listener.local_addr().ok();
    // Long-lived streaming connections end on shutdown, so the server can finish.
    let streaming = state.streaming.clone();
    let closing = shutdown.clone();
    tokio::spawn(async move {
        wait_for(closing).await;
        streaming.close_all();
    });
    // The public port terminates TLS itself when certificates are configured.
    let tls = match (&cfg.tls, roles.web || roles.streaming) {
        (Some((cert, key)), true) => {
            let tls = Arc::new(
                Tls::new(cert.clone(), key.clone())
                    .map_err(|e| ConfigError::new("server.tls_cert", e))?,
            );
            reload_tls_on_sighup(tls.clone(), shutdown.clone());
            Some(tls)
        }
        _ => None,
    };
    let stop = shutdown.clone();
    let streams = state.streaming.clone();
    tasks.spawn(async move {
        let served = crate::serve::serve_with(listener, router, tls, wait_for(stop)).await;
        // Upgraded WebSockets live outside the server's drain: give them time to send their
        // `1001 going away` before the process exits.
        streams.wait_closed(std::time::Duration::from_secs(5)).await;
        served.map_err(|e| StartError::Other(format!("HTTP server error: {e}")))
    });

    if let Some(queues) = roles.worker {
        let mut registry = Registry::new();
        register_jobs(&mut registry, &services);
        let worker = Worker::new(
            services.store.clone(),
            Arc::new(registry),
            services.clock.clone(),
            services.random.clone(),
            job_metrics.clone(),
            queues,
            cfg.worker.options.clone(),
        );
        reload_on_sighup(worker.limits(), source, shutdown.clone());
        let stop = shutdown.clone();
        tasks.spawn(async move {
            worker.run(stop).await;
            Ok(())
        });
    }
    if roles.scheduler {
        let scheduler = Scheduler::new(
            services.store.clone(),
            services.clock.clone(),
            services.ids.clone(),
            job_metrics,
            periodic_jobs(),
            SchedulerOptions {
                holder: holder_id(&cfg.worker.options.node, services.random.as_ref()),
                ..SchedulerOptions::default()
            },
        );
        let stop = shutdown.clone();
        tasks.spawn(async move {
            scheduler.run(stop).await;
            Ok(())
        });
    }
    announce(&services, bound);
    let mut result = Ok(());
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(e),
            Err(e) => result = Err(StartError::Other(format!("a task failed: {e}"))),
        }
    }
    result
}
