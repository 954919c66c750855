//! The HTTP/1.1 accept loop (instead of `axum::serve`), for what axum does not expose:
//! - hyper does not read from a connection while a response is being streamed
//!   (`half_close`). With it, an idle streaming connection holds no 16 kB read buffer — the
//!   difference between 10,000 idle streams fitting in 200 MB or not. A client that goes away
//!   mid-stream is noticed at the next write (streams send a heartbeat every few seconds).
//! - optional TLS termination ([`crate::tls`]), with certificates reloaded on SIGHUP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::tls::Tls;

/// How long in-flight connections may take to finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(30);
/// How long a client may take to finish the TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, asks every
/// connection to finish (keep-alive connections close after their current response) and waits
/// for them up to 30 s.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, None, shutdown).await
}

/// Like [`serve`], terminating TLS with `tls` when given.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<Tls>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop = stop_rx.clone();
        let done = done_tx.clone();
        // Separate tasks for plain and TLS connections: a task's memory is sized for its
        // largest path, and idle plain connections must not carry a TLS session's worth.
        match tls.clone() {
            None => {
                tokio::spawn(async move {
                    connection(stream, peer, router, &mut stop).await;
                    drop(done);
                });
            }
            Some(tls) => {
                tokio::spawn(async move {
                    let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
                    match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => connection(stream, peer, router, &mut stop).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                    drop(done);
                });
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_tx);
    // Every connection task holds a `done` sender; all dropped = all finished.
    let _ = tokio::time::timeout(DRAIN, async { while done_rx.changed().await.is_ok() {} }).await;
    Ok(())
}

/// Serves one connection (plain or TLS) until it ends, or shutdown asks it to finish.
async fn connection<S>(
    stream: S,
    peer: SocketAddr,
    router: Router,
    stop: &mut watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = router.map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
        req
    });
    let service = TowerToHyperService::new(service);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .half_close(true)
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.as_mut().await;
        }
    }
}
