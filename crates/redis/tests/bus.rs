//! The Redis event bus against real `redis-server` processes started by the test kit: plain,
//! TLS, mutual TLS, and a server restart under a live subscription.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use rookery_events::{Event, EventBus, names};
use rookery_redis::{RedisBus, RedisOptions};
use rookery_testkit::{RedisMode, RedisServer};

fn options(server: &RedisServer, client_cert: bool) -> RedisOptions {
    let mut o = RedisOptions::new(server.url());
    o.connect_timeout = Duration::from_secs(2);
    if let Some(c) = &server.certs {
        o.ca_file = Some(c.ca.clone());
        if client_cert {
            o.client_cert = Some(c.client_cert.clone());
            o.client_key = Some(c.client_key.clone());
        }
    }
    o
}

fn event(n: u32) -> Event {
    Event::new(names::DELETE, Some(n.to_string()))
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Process A publishes until process B's subscription hears (subscribing is asynchronous).
async fn crosses(a: &RedisBus, b: &RedisBus, channel: &str) {
    let mut sub = b.subscribe(channel);
    let mut n = 0;
    loop {
        n += 1;
        a.publish(channel, event(n));
        match tokio::time::timeout(Duration::from_millis(100), sub.recv()).await {
            Ok(Ok(e)) => {
                assert_eq!(e.event, names::DELETE);
                return;
            }
            Ok(Err(e)) => panic!("subscription failed: {e:?}"),
            Err(_) => assert!(n < 200, "no event crossed from A to B"),
        }
    }
}

async fn two_processes(server: &RedisServer, client_cert: bool) -> (RedisBus, RedisBus) {
    let a = RedisBus::connect(options(server, client_cert))
        .await
        .unwrap();
    let b = RedisBus::connect(options(server, client_cert))
        .await
        .unwrap();
    (a, b)
}

#[tokio::test]
async fn events_cross_processes_over_plain_redis() {
    let server = RedisServer::start(RedisMode::Plain).unwrap();
    let (a, b) = two_processes(&server, false).await;
    crosses(&a, &b, "timeline:1").await;
    // Only subscribed channels reach B, and B's own publications reach it too.
    let mut sub = b.subscribe("timeline:public");
    wait_until("B subscribed", || b.status().channels == 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    a.publish("timeline:2", event(99));
    b.publish("timeline:public", event(7));
    let got = tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.payload.as_deref(), Some("7"));
    let s = b.status();
    assert!(s.connected && s.backend == "redis", "{s:?}");
    assert!(a.status().published >= 1);
}

#[tokio::test]
async fn events_cross_processes_over_tls() {
    let server = RedisServer::start(RedisMode::Tls).unwrap();
    let (a, b) = two_processes(&server, false).await;
    crosses(&a, &b, "timeline:hashtag:rust").await;
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let server = RedisServer::start(RedisMode::MutualTls).unwrap();
    let err = RedisBus::connect(options(&server, false))
        .await
        .unwrap_err();
    assert!(!err.to_string().is_empty());
    let (a, b) = two_processes(&server, true).await;
    crosses(&a, &b, "timeline:5").await;
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let server = RedisServer::start(RedisMode::Tls).unwrap();
    let other = RedisServer::start(RedisMode::Tls).unwrap();
    let mut o = options(&server, false);
    o.ca_file = Some(other.certs.as_ref().unwrap().ca.clone());
    let err = RedisBus::connect(o).await.unwrap_err().to_string();
    assert!(err.contains("TLS"), "{err}");
    // And plaintext to a TLS port is not mistaken for a working connection.
    let mut plain = RedisOptions::new(format!("redis://127.0.0.1:{}", server.port()));
    plain.connect_timeout = Duration::from_millis(500);
    assert!(RedisBus::connect(plain).await.is_err());
}

#[tokio::test]
async fn bad_passwords_and_dead_ports_fail_at_start_with_reasons() {
    let server = RedisServer::start(RedisMode::Plain).unwrap();
    let mut o = RedisOptions::new(format!("redis://:wrong@127.0.0.1:{}", server.port()));
    o.connect_timeout = Duration::from_secs(2);
    let err = RedisBus::connect(o).await.unwrap_err().to_string();
    assert!(err.contains("redis said"), "{err}");
    let port = server.port();
    drop(server);
    let mut o = RedisOptions::new(format!("redis://127.0.0.1:{port}"));
    o.connect_timeout = Duration::from_millis(500);
    let err = RedisBus::connect(o).await.unwrap_err().to_string();
    assert!(!err.is_empty());
}

async fn survives_restart(mode: RedisMode) {
    let server = RedisServer::start(mode).unwrap();
    let (a, b) = two_processes(&server, false).await;
    let mut sub = b.subscribe("timeline:42");
    crosses(&a, &b, "timeline:42").await;
    while sub.recv_now().is_some() {}
    server.stop().unwrap();
    wait_until("B notices the outage", || !b.status().connected).await;
    assert!(b.status().problem.is_some());
    server.resume().unwrap();
    wait_until("B reconnects", || {
        b.status().connected && a.status().connected
    })
    .await;
    assert!(b.status().reconnects >= 1);
    // The same subscription hears events published after the restart.
    let mut n = 1000;
    loop {
        n += 1;
        a.publish("timeline:42", event(n));
        if let Ok(Ok(e)) = tokio::time::timeout(Duration::from_millis(100), sub.recv()).await {
            assert_eq!(e.event, names::DELETE);
            break;
        }
        assert!(n < 1200, "no event after the restart");
    }
}

#[tokio::test]
async fn a_redis_restart_is_survived_by_live_subscriptions() {
    survives_restart(RedisMode::Plain).await;
}

#[tokio::test]
async fn a_redis_restart_is_survived_over_tls() {
    survives_restart(RedisMode::Tls).await;
}
