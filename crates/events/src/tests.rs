use std::sync::Arc;

use rookery_model::Id;
use tokio::sync::mpsc;

use super::*;

fn ev(n: u32) -> Event {
    Event::new(names::DELETE, Some(n.to_string()))
}

#[tokio::test]
async fn subscribers_of_a_channel_get_its_events_and_only_those() {
    let bus = InProcessBus::new(8);
    let mut a = bus.subscribe("timeline:1");
    let mut b = bus.subscribe("timeline:1");
    let mut other = bus.subscribe("timeline:2");
    bus.publish("timeline:1", ev(1));
    assert_eq!(a.recv().await, Ok(Arc::new(ev(1))));
    assert_eq!(b.recv().await, Ok(Arc::new(ev(1))));
    bus.publish("timeline:2", ev(2));
    assert_eq!(other.recv().await, Ok(Arc::new(ev(2))));
    assert_eq!(bus.status().published, 2);
}

#[tokio::test]
async fn a_slow_subscriber_is_told_it_lagged_and_others_are_unaffected() {
    let bus = InProcessBus::new(4);
    let mut slow = bus.subscribe("c");
    let mut fast = bus.subscribe("c");
    for i in 0..10 {
        bus.publish("c", ev(i));
        assert_eq!(fast.recv().await, Ok(Arc::new(ev(i))));
    }
    assert_eq!(slow.recv().await, Err(RecvError::Lagged(6)));
}

#[tokio::test]
async fn interest_is_announced_on_first_subscriber_and_withdrawn_after_last() {
    let (tx, mut rx) = mpsc::channel(16);
    let hub = Hub::new(4, Some(tx));
    let a = hub.subscribe("x");
    let b = hub.subscribe("x");
    assert_eq!(rx.try_recv(), Ok(Interest::Subscribe("x".into())));
    assert!(rx.try_recv().is_err());
    drop(a);
    assert!(rx.try_recv().is_err(), "one subscriber is still there");
    assert_eq!(hub.channels(), vec!["x".to_owned()]);
    drop(b);
    assert_eq!(rx.try_recv(), Ok(Interest::Unsubscribe("x".into())));
    assert!(hub.channels().is_empty());
    assert_eq!(hub.dispatch("x", Arc::new(ev(1))), 0);
}

#[test]
fn events_round_trip_through_the_wire_form() {
    let e = Event {
        event: names::UPDATE.into(),
        payload: Some(r#"{"id":"1","content":"<p>hi \"there\"</p>"}"#.into()),
        meta: Meta {
            accounts: vec![Id::from_i64(5), Id::from_i64(7)],
            media: true,
        },
    };
    let wire = e.encode();
    assert_eq!(Event::decode(wire.as_bytes()), Some(e));
    let bare = Event::new(names::FILTERS_CHANGED, None);
    assert_eq!(bare.encode(), r#"{"event":"filters_changed"}"#);
    assert_eq!(Event::decode(bare.encode().as_bytes()), Some(bare));
}

#[test]
fn foreign_or_broken_messages_are_ignored() {
    for junk in [
        &b""[..],
        b"hello",
        b"{}",
        b"[1,2]",
        b"{\"event\":5}",
        &[0xff, 0xfe],
    ] {
        assert_eq!(Event::decode(junk), None, "{junk:?}");
    }
}

#[test]
fn channel_names_fold_hashtags_and_separate_scopes() {
    assert_eq!(channel::hashtag("Rust", false), "timeline:hashtag:rust");
    assert_eq!(
        channel::hashtag("RUST", true),
        "timeline:hashtag:rust:local"
    );
    assert_eq!(channel::user(Id::from_i64(9)), "timeline:9");
    assert_eq!(channel::direct(Id::from_i64(9)), "timeline:direct:9");
    assert_ne!(
        channel::public(channel::Scope::Local),
        channel::public(channel::Scope::Remote)
    );
    assert!(Event::new(names::RELATIONSHIPS, None).is_internal());
    assert!(!Event::new(names::UPDATE, None).is_internal());
}

#[test]
fn a_full_interest_queue_asks_for_a_resync_instead_of_growing() {
    let (tx, _rx) = mpsc::channel(2);
    let hub = Hub::new(4, Some(tx));
    let subs: Vec<_> = (0..5).map(|i| hub.subscribe(&format!("tag:{i}"))).collect();
    assert!(hub.take_resync(), "three changes did not fit");
    assert!(!hub.take_resync(), "taken once");
    assert_eq!(hub.channels().len(), 5);
    drop(subs);
}
