//! Redis for Rookery: [`RedisBus`], the event bus across processes over Redis pub/sub.
//!
//! A small RESP2 client of its own (publish, subscribe, ping, auth) over TCP or native TLS
//! (`rediss://`, rustls, optional CA file and client certificate), so managed Redis services
//! that refuse plaintext need no stunnel.
//!
//! Two background tasks per process: a publisher that pipelines `PUBLISH` commands, and a
//! subscriber that listens to exactly the channels this process's streaming clients need
//! (it follows the hub's [`Interest`]). When the connection drops — Redis restarts, fails over,
//! the network blips — both reconnect with exponential backoff (capped at 5 s) and the
//! subscriber subscribes again to every channel still wanted; streaming clients stay
//! connected throughout. Events published while disconnected are lost (as in Mastodon); the
//! outage shows in [`BusStatus`] (`/ready`, `/metrics`).

mod conn;
pub mod resp;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rookery_events::{BusStatus, Event, EventBus, Hub, Interest, Subscription};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use conn::{Conn, Target};
pub use conn::{RedisError, RedisOptions};
use resp::Value;

/// Subscribe/unsubscribe changes waiting for the subscriber; beyond this, it resubscribes
/// from scratch.
const INTEREST_QUEUE: usize = 4096;
/// Events waiting to be published; beyond this they are dropped (and counted).
const PUBLISH_QUEUE: usize = 8192;
/// Most `PUBLISH` commands written before reading their replies.
const PIPELINE: usize = 256;
/// The subscriber pings this often and reconnects after three silent periods.
const PING_EVERY: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A pipelined batch of PUBLISHes that takes longer than this means the connection is gone.
const BATCH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct Stats {
    publisher_up: AtomicBool,
    subscriber_up: AtomicBool,
    reconnects: AtomicU64,
    published: AtomicU64,
    failures: AtomicU64,
    received: AtomicU64,
    problem: Mutex<Option<String>>,
}

impl Stats {
    fn set_problem(&self, p: Option<String>) {
        if let Ok(mut g) = self.problem.lock() {
            *g = p;
        }
    }
}

/// The event bus over Redis pub/sub.
#[derive(Debug)]
pub struct RedisBus {
    hub: Arc<Hub>,
    prefix: String,
    queue: mpsc::Sender<(String, String)>,
    stats: Arc<Stats>,
}

impl RedisBus {
    /// Checks the options and that Redis answers (so a wrong URL, password or certificate
    /// stops start-up with a clear error), then starts the background tasks.
    pub async fn connect(options: RedisOptions) -> Result<RedisBus, RedisError> {
        let target = Target::parse(&options)?;
        let mut probe = target.connect().await?;
        match probe.call(&[b"PING"]).await? {
            Value::Error(e) => return Err(RedisError::Server(e)),
            _ => drop(probe),
        }
        let stats = Arc::new(Stats::default());
        // Redis just answered: count as connected until a task finds otherwise, so /ready
        // does not flap while the tasks open their connections.
        stats.publisher_up.store(true, Ordering::Relaxed);
        stats.subscriber_up.store(true, Ordering::Relaxed);
        let (interest_tx, interest_rx) = mpsc::channel(INTEREST_QUEUE);
        let hub = Hub::new(options.buffer, Some(interest_tx));
        let (queue, queue_rx) = mpsc::channel(PUBLISH_QUEUE);
        tokio::spawn(publisher(target.clone(), queue_rx, stats.clone()));
        tokio::spawn(subscriber(
            target,
            options.prefix.clone(),
            hub.clone(),
            interest_rx,
            stats.clone(),
        ));
        Ok(RedisBus {
            hub,
            prefix: options.prefix,
            queue,
            stats,
        })
    }
}

/// Checks options without connecting: the URL, and that certificate files can be read.
pub fn check(options: &RedisOptions) -> Result<(), RedisError> {
    Target::parse(options).map(|_| ())
}

impl EventBus for RedisBus {
    fn publish(&self, channel: &str, event: Event) {
        let name = format!("{}{channel}", self.prefix);
        match self.queue.try_send((name, event.encode())) {
            Ok(()) => {}
            Err(_) => {
                let n = self.stats.failures.fetch_add(1, Ordering::Relaxed);
                // Say so in the log now and then, not once per event.
                if n.is_multiple_of(1000) {
                    tracing::warn!(
                        dropped = n + 1,
                        "event bus: Redis publishing is behind or down; events are being dropped"
                    );
                }
            }
        }
    }

    fn subscribe(&self, channel: &str) -> Subscription {
        self.hub.subscribe(channel)
    }

    fn status(&self) -> BusStatus {
        let s = &self.stats;
        let up = s.publisher_up.load(Ordering::Relaxed) && s.subscriber_up.load(Ordering::Relaxed);
        BusStatus {
            backend: "redis",
            connected: up,
            problem: if up {
                None
            } else {
                s.problem
                    .lock()
                    .ok()
                    .and_then(|p| p.clone())
                    .or_else(|| Some("connecting to Redis".into()))
            },
            reconnects: s.reconnects.load(Ordering::Relaxed),
            published: s.published.load(Ordering::Relaxed),
            publish_failures: s.failures.load(Ordering::Relaxed),
            received: s.received.load(Ordering::Relaxed),
            channels: self.hub.channels().len(),
        }
    }
}

/// Waits before the next connection attempt: 100 ms doubling to [`MAX_BACKOFF`].
fn backoff(attempt: u32) -> Duration {
    let ms = 100u64.saturating_mul(1u64 << attempt.min(10));
    Duration::from_millis(ms).min(MAX_BACKOFF)
}

/// Connects, retrying with backoff until it works (or the bus is dropped: `None`).
async fn connect_forever(
    target: &Target,
    stats: &Stats,
    role: &str,
    up: &AtomicBool,
    mut gone: impl FnMut() -> bool,
) -> Option<Conn> {
    let mut attempt = 0;
    loop {
        if gone() {
            return None;
        }
        match target.connect().await {
            Ok(c) => return Some(c),
            Err(e) => {
                let msg = format!("cannot reach Redis at {}: {e}", target.address());
                if attempt == 0 {
                    tracing::warn!(role, "{msg}; retrying");
                }
                stats.set_problem(Some(msg));
                up.store(false, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

async fn publisher(target: Target, mut queue: mpsc::Receiver<(String, String)>, stats: Arc<Stats>) {
    let mut first = true;
    let mut refusals = 0u32;
    let mut carry: Vec<(String, String)> = Vec::new();
    loop {
        let Some(mut conn) =
            connect_forever(&target, &stats, "publisher", &stats.publisher_up, || {
                queue.is_closed()
            })
            .await
        else {
            return;
        };
        if !first {
            stats.reconnects.fetch_add(1, Ordering::Relaxed);
            tracing::info!("event bus publisher reconnected to Redis");
        }
        first = false;
        stats.publisher_up.store(true, Ordering::Relaxed);
        loop {
            let mut batch = std::mem::take(&mut carry);
            if batch.is_empty() {
                match queue.recv().await {
                    Some(item) => batch.push(item),
                    None => return,
                }
            }
            while batch.len() < PIPELINE {
                match queue.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            let mut out = Vec::with_capacity(batch.len() * 256);
            for (channel, payload) in &batch {
                resp::encode(
                    &mut out,
                    &[b"PUBLISH", channel.as_bytes(), payload.as_bytes()],
                );
            }
            // A half-open connection (a failover that never sent a reset) must not stall
            // publishing silently: a batch that takes this long means the connection is gone.
            let written = tokio::time::timeout(BATCH_TIMEOUT, async {
                conn.writer.write_all(&out).await?;
                conn.writer.flush().await?;
                for _ in 0..batch.len() {
                    if let Value::Error(e) = conn.reader.read().await? {
                        return Err(RedisError::Server(e));
                    }
                }
                Ok::<(), RedisError>(())
            })
            .await
            .unwrap_or_else(|_| Err(RedisError::Io("no answer to PUBLISH in time".into())));
            match written {
                Ok(()) => {
                    refusals = 0;
                    stats
                        .published
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                }
                Err(RedisError::Server(e)) => {
                    // The server refused (e.g. a read-only replica after a failover): the
                    // events are lost; reconnect in case the primary moved.
                    stats
                        .failures
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    tracing::warn!(error = %e, "Redis refused PUBLISH; reconnecting");
                    stats.set_problem(Some(format!("Redis refused PUBLISH: {e}")));
                    stats.publisher_up.store(false, Ordering::Relaxed);
                    refusals += 1;
                    tokio::time::sleep(backoff(refusals)).await;
                    break;
                }
                Err(e) => {
                    // Unknown whether they went out: try this batch once more on a fresh
                    // connection rather than lose it.
                    tracing::warn!(error = %e, "event bus publisher lost Redis; reconnecting");
                    stats.set_problem(Some(format!("lost Redis: {e}")));
                    stats.publisher_up.store(false, Ordering::Relaxed);
                    carry = batch;
                    break;
                }
            }
        }
    }
}

async fn send(conn: &mut Conn, args: &[&[u8]]) -> Result<(), RedisError> {
    let mut out = Vec::new();
    resp::encode(&mut out, args);
    conn.writer.write_all(&out).await?;
    conn.writer.flush().await?;
    Ok(())
}

async fn subscriber(
    target: Target,
    prefix: String,
    hub: Arc<Hub>,
    mut interest: mpsc::Receiver<Interest>,
    stats: Arc<Stats>,
) {
    let mut first = true;
    // The hub lives as long as the bus; when only this task holds it, the bus is gone.
    let alone = |hub: &Arc<Hub>| Arc::strong_count(hub) <= 1;
    loop {
        let Some(mut conn) =
            connect_forever(&target, &stats, "subscriber", &stats.subscriber_up, || {
                alone(&hub)
            })
            .await
        else {
            return;
        };
        // Changes queued while disconnected are covered by subscribing to what is wanted now.
        while interest.try_recv().is_ok() {}
        let _ = hub.take_resync();
        let wanted: Vec<String> = hub.channels();
        let resubscribed = async {
            // SUBSCRIBE needs at least one channel; a private one keeps the connection in
            // subscribed mode (where PING is answered as a message) even with no clients.
            let keepalive = format!("{prefix}rookery.keepalive");
            send(&mut conn, &[b"SUBSCRIBE", keepalive.as_bytes()]).await?;
            for chunk in wanted.chunks(256) {
                let mut args: Vec<Vec<u8>> = vec![b"SUBSCRIBE".to_vec()];
                args.extend(chunk.iter().map(|c| format!("{prefix}{c}").into_bytes()));
                let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                send(&mut conn, &refs).await?;
            }
            Ok::<(), RedisError>(())
        }
        .await;
        if let Err(e) = resubscribed {
            tracing::warn!(error = %e, "event bus subscriber could not subscribe; retrying");
            tokio::time::sleep(backoff(3)).await;
            continue;
        }
        if !first {
            stats.reconnects.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                channels = wanted.len(),
                "event bus subscriber reconnected to Redis and subscribed again"
            );
        }
        first = false;
        stats.subscriber_up.store(true, Ordering::Relaxed);
        stats.set_problem(None);
        let err = listen(&mut conn, &prefix, &hub, &mut interest, &stats).await;
        stats.subscriber_up.store(false, Ordering::Relaxed);
        match err {
            None => return,
            Some(e) => {
                tracing::warn!(error = %e, "event bus subscriber lost Redis; reconnecting");
                stats.set_problem(Some(format!("lost Redis: {e}")));
            }
        }
    }
}

/// Reads messages into the hub and follows interest changes until the connection fails
/// (`Some(error)`) or the bus is gone (`None`).
async fn listen(
    conn: &mut Conn,
    prefix: &str,
    hub: &Arc<Hub>,
    interest: &mut mpsc::Receiver<Interest>,
    stats: &Stats,
) -> Option<RedisError> {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.reset();
    let mut silent = 0u32;
    loop {
        tokio::select! {
            change = interest.recv() => {
                let change = change?;
                let (cmd, ch): (&[u8], String) = match change {
                    Interest::Subscribe(c) => (b"SUBSCRIBE", c),
                    Interest::Unsubscribe(c) => (b"UNSUBSCRIBE", c),
                };
                let name = format!("{prefix}{ch}");
                if let Err(e) = send(conn, &[cmd, name.as_bytes()]).await {
                    return Some(e);
                }
            }
            _ = ping.tick() => {
                if Arc::strong_count(hub) <= 1 {
                    return None;
                }
                if hub.take_resync() {
                    // Interest changes were lost: rebuild the subscription from scratch.
                    return Some(RedisError::Io("resubscribing after lost interest changes".into()));
                }
                silent += 1;
                if silent > 3 {
                    return Some(RedisError::Io("no answer to PING".into()));
                }
                if let Err(e) = send(conn, &[b"PING"]).await {
                    return Some(e);
                }
            }
            reply = conn.reader.read() => {
                silent = 0;
                match reply {
                    Err(e) => return Some(e),
                    Ok(v) => dispatch(v, prefix, hub, stats),
                }
            }
        }
    }
}

/// Hands a `message` push to the hub; ignores subscription confirmations and pongs.
fn dispatch(v: Value, prefix: &str, hub: &Hub, stats: &Stats) {
    let Value::Array(Some(items)) = v else {
        return;
    };
    let mut items = items.into_iter();
    let (
        Some(Value::Bulk(Some(kind))),
        Some(Value::Bulk(Some(channel))),
        Some(Value::Bulk(Some(body))),
    ) = (items.next(), items.next(), items.next())
    else {
        return;
    };
    if kind != b"message" {
        return;
    }
    let Some(channel) = std::str::from_utf8(&channel)
        .ok()
        .and_then(|c| c.strip_prefix(prefix))
    else {
        return;
    };
    stats.received.fetch_add(1, Ordering::Relaxed);
    match Event::decode(&body) {
        Some(event) => {
            hub.dispatch(channel, Arc::new(event));
        }
        None => tracing::debug!(channel, "ignoring a message that is not a Rookery event"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(100));
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }

    #[test]
    fn urls_are_checked_before_connecting() {
        let bad = |url: &str| {
            Target::parse(&RedisOptions::new(url))
                .err()
                .map(|e| e.to_string())
        };
        assert!(bad("redis://127.0.0.1:6379").is_none());
        assert!(bad("redis://:p%40ss@host/3").is_none());
        assert!(bad("rediss://cache.example.com").is_none());
        assert!(bad("http://host").unwrap().contains("expected redis://"));
        assert!(bad("redis://host/abc").unwrap().contains("not a number"));
        assert!(bad("nonsense").is_some());
        let mut o = RedisOptions::new("redis://host");
        o.ca_file = Some("/nowhere/ca.pem".into());
        assert!(
            Target::parse(&o)
                .unwrap_err()
                .to_string()
                .contains("not rediss://")
        );
        let mut o = RedisOptions::new("rediss://host");
        o.ca_file = Some("/nowhere/ca.pem".into());
        assert!(
            Target::parse(&o)
                .unwrap_err()
                .to_string()
                .contains("cannot read")
        );
        let mut o = RedisOptions::new("rediss://host");
        o.client_cert = Some("/nowhere/c.pem".into());
        assert!(
            Target::parse(&o)
                .unwrap_err()
                .to_string()
                .contains("go together")
        );
    }
}
