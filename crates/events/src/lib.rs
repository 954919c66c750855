//! Rookery's event bus: what the streaming API tells connected clients.
//!
//! Use cases [`EventBus::publish`] an [`Event`] on a named channel (a user's home timeline, the
//! public timeline, a hashtag…; see [`channel`]); streaming connections [`EventBus::subscribe`]
//! to the channels of the streams they asked for. Events are best effort: a process that is
//! not listening, or a bus that is reconnecting, loses them, as in Mastodon.
//!
//! Every process has a [`Hub`] that fans events out to its local subscribers through bounded
//! broadcast buffers: a subscriber that falls behind by more than the buffer is told so
//! ([`RecvError::Lagged`]) and never slows the others. [`InProcessBus`] publishes straight into
//! the hub (the single-process default); the Redis bus (`rookery-redis`) publishes to Redis and
//! feeds the hub from its subscription, subscribing only to channels someone here listens to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rookery_model::Id;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

/// Event names, as Mastodon's streaming API sends them.
pub mod names {
    /// A status entered a timeline (payload: the status).
    pub const UPDATE: &str = "update";
    /// A status was deleted (payload: its id).
    pub const DELETE: &str = "delete";
    /// A notification (payload: the notification).
    pub const NOTIFICATION: &str = "notification";
    /// A status was edited (payload: the status).
    pub const STATUS_UPDATE: &str = "status.update";
    /// A direct conversation changed (payload: the conversation).
    pub const CONVERSATION: &str = "conversation";
    /// Accepted notification requests joined the notifications list: reload it (payload `1`).
    pub const NOTIFICATIONS_MERGED: &str = "notifications_merged";
    /// The user's filters changed (no payload).
    pub const FILTERS_CHANGED: &str = "filters_changed";
    /// An announcement was published (payload: the announcement, without `read`).
    pub const ANNOUNCEMENT: &str = "announcement";
    /// A reaction on an announcement changed (payload: `name`, `count`, `announcement_id`).
    pub const ANNOUNCEMENT_REACTION: &str = "announcement.reaction";
    /// An announcement was unpublished or removed (payload: its id).
    pub const ANNOUNCEMENT_DELETE: &str = "announcement.delete";
    /// Internal: the user's blocks or mutes changed; streaming connections reload them. Never
    /// sent to clients.
    pub const RELATIONSHIPS: &str = "rookery.relationships";
}

/// One event on the bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The event name (see [`names`]).
    pub event: String,
    /// The payload exactly as clients receive it (JSON text, or a bare id for `delete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// What streaming connections need to decide who may see it.
    #[serde(default, skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
}

/// Facts about an event that streaming connections filter on, without parsing the payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Accounts whose being blocked or muted by (or blocking) the viewer hides the event: a
    /// status's author and the author of what it reblogs; a notification's sender.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<Id>,
    /// The status has media attachments (for the `…:media` streams).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub media: bool,
}

impl Meta {
    fn is_empty(&self) -> bool {
        self.accounts.is_empty() && !self.media
    }
}

impl Event {
    /// An event with a payload and no filtering facts.
    pub fn new(event: &str, payload: Option<String>) -> Self {
        Event {
            event: event.to_owned(),
            payload,
            meta: Meta::default(),
        }
    }

    /// Whether this event is bookkeeping between processes rather than something for clients.
    pub fn is_internal(&self) -> bool {
        self.event.starts_with("rookery.")
    }

    /// The wire form used between processes.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the wire form; `None` for anything else (a foreign publisher on a shared server).
    pub fn decode(text: &[u8]) -> Option<Self> {
        serde_json::from_slice(text).ok()
    }
}

/// Channel names. Use cases and streaming connections both build them here, so they agree.
pub mod channel {
    use rookery_model::Id;

    /// A user's home timeline and notifications.
    pub fn user(account: Id) -> String {
        format!("timeline:{account}")
    }

    /// Announcements, for every signed-in user's `user` stream.
    pub fn announcements() -> String {
        "announcements".to_owned()
    }

    /// A user's direct conversations.
    pub fn direct(account: Id) -> String {
        format!("timeline:direct:{account}")
    }

    /// Which part of the federated timeline.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Scope {
        All,
        Local,
        Remote,
    }

    /// The public timeline.
    pub fn public(scope: Scope) -> String {
        match scope {
            Scope::All => "timeline:public".into(),
            Scope::Local => "timeline:public:local".into(),
            Scope::Remote => "timeline:public:remote".into(),
        }
    }

    /// A hashtag's timeline (`tag` is folded to lower case). Remote-only hashtag streams do
    /// not exist in Mastodon.
    pub fn hashtag(tag: &str, local: bool) -> String {
        let tag = tag.to_lowercase();
        if local {
            format!("timeline:hashtag:{tag}:local")
        } else {
            format!("timeline:hashtag:{tag}")
        }
    }

    /// A list's timeline.
    pub fn list(list: Id) -> String {
        format!("timeline:list:{list}")
    }
}

/// Why [`Subscription::recv`] returned no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// The subscriber fell behind by more than the buffer; `n` events were skipped.
    Lagged(u64),
    /// The bus is gone (the process is stopping).
    Closed,
}

/// A change in which channels this process listens to, for a bus that subscribes upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interest {
    /// The first local subscriber of this channel arrived.
    Subscribe(String),
    /// The last local subscriber of this channel left.
    Unsubscribe(String),
}

/// Local fan-out: one bounded broadcast buffer per channel with at least one subscriber.
#[derive(Debug)]
pub struct Hub {
    channels: Mutex<HashMap<String, broadcast::Sender<Arc<Event>>>>,
    capacity: usize,
    interest: Option<mpsc::Sender<Interest>>,
    /// Set when an interest change could not be queued: the upstream subscription must be
    /// rebuilt from [`Hub::channels`].
    resync: std::sync::atomic::AtomicBool,
}

impl Hub {
    /// A hub whose per-channel buffers hold `capacity` events; `interest` hears when channels
    /// gain their first or lose their last subscriber.
    /// The interest queue is bounded (a client churning subscriptions while the upstream is
    /// away must not grow memory); when it overflows, [`Hub::take_resync`] says so.
    pub fn new(capacity: usize, interest: Option<mpsc::Sender<Interest>>) -> Arc<Self> {
        Arc::new(Hub {
            channels: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            interest,
            resync: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<Arc<Event>>>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Listens to `channel`.
    pub fn subscribe(self: &Arc<Self>, channel: &str) -> Subscription {
        let mut channels = self.lock();
        let rx = match channels.get(channel) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = broadcast::channel(self.capacity);
                channels.insert(channel.to_owned(), tx);
                self.tell(Interest::Subscribe(channel.to_owned()));
                rx
            }
        };
        Subscription {
            rx: Some(rx),
            hub: self.clone(),
            channel: channel.to_owned(),
        }
    }

    fn tell(&self, change: Interest) {
        if let Some(i) = &self.interest
            && i.try_send(change).is_err()
        {
            self.resync
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Whether interest changes were lost since the last call (the upstream subscription must
    /// then be rebuilt from [`Hub::channels`]).
    pub fn take_resync(&self) -> bool {
        self.resync
            .swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    /// Hands `event` to this process's subscribers of `channel`; returns how many there were.
    pub fn dispatch(&self, channel: &str, event: Arc<Event>) -> usize {
        let channels = self.lock();
        match channels.get(channel) {
            Some(tx) => tx.send(event).unwrap_or(0),
            None => 0,
        }
    }

    /// The channels with local subscribers now (to subscribe again after a reconnect).
    pub fn channels(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn release(&self, channel: &str) {
        let mut channels = self.lock();
        if channels
            .get(channel)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            channels.remove(channel);
            self.tell(Interest::Unsubscribe(channel.to_owned()));
        }
    }
}

/// A listener on one channel; leaving is dropping it.
#[derive(Debug)]
pub struct Subscription {
    rx: Option<broadcast::Receiver<Arc<Event>>>,
    hub: Arc<Hub>,
    channel: String,
}

impl Subscription {
    /// The channel listened to.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// An event already waiting, without waiting for one.
    pub fn recv_now(&mut self) -> Option<Arc<Event>> {
        self.rx.as_mut()?.try_recv().ok()
    }

    /// The next event. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Arc<Event>, RecvError> {
        let Some(rx) = self.rx.as_mut() else {
            return Err(RecvError::Closed);
        };
        rx.recv().await.map_err(|e| match e {
            broadcast::error::RecvError::Lagged(n) => RecvError::Lagged(n),
            broadcast::error::RecvError::Closed => RecvError::Closed,
        })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.rx.take());
        self.hub.release(&self.channel);
    }
}

/// How the bus is doing, for `/ready` and `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusStatus {
    /// `in-process` or `redis`.
    pub backend: &'static str,
    /// Whether events published now reach other processes (always true in-process).
    pub connected: bool,
    /// Why not, when not.
    pub problem: Option<String>,
    /// Connections (re)established after a loss since start.
    pub reconnects: u64,
    /// Events handed to the bus.
    pub published: u64,
    /// Events the bus could not pass on (not connected, or its queue was full).
    pub publish_failures: u64,
    /// Events received from other processes.
    pub received: u64,
    /// Channels this process listens to.
    pub channels: usize,
}

/// Publishes events and subscribes to channels.
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Publishes `event` on `channel`. Never blocks; a bus that cannot pass it on drops it
    /// and counts the failure.
    fn publish(&self, channel: &str, event: Event);

    /// Listens to `channel` in this process.
    fn subscribe(&self, channel: &str) -> Subscription;

    /// Health and counters.
    fn status(&self) -> BusStatus;
}

/// The single-process bus: publishing is dispatching to the local hub.
#[derive(Debug)]
pub struct InProcessBus {
    hub: Arc<Hub>,
    published: std::sync::atomic::AtomicU64,
}

impl InProcessBus {
    /// A bus whose per-channel buffers hold `capacity` events.
    pub fn new(capacity: usize) -> Self {
        InProcessBus {
            hub: Hub::new(capacity, None),
            published: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

/// Events a subscriber may fall behind by before it is cut off.
pub const DEFAULT_CAPACITY: usize = 256;

impl EventBus for InProcessBus {
    fn publish(&self, channel: &str, event: Event) {
        self.published
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.hub.dispatch(channel, Arc::new(event));
    }

    fn subscribe(&self, channel: &str) -> Subscription {
        self.hub.subscribe(channel)
    }

    fn status(&self) -> BusStatus {
        BusStatus {
            backend: "in-process",
            connected: true,
            published: self.published.load(std::sync::atomic::Ordering::Relaxed),
            channels: self.hub.channels().len(),
            ..BusStatus::default()
        }
    }
}

#[cfg(test)]
mod tests;
