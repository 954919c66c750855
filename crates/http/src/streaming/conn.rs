//! One streaming connection's subscriptions and its user's filters, shared by both transports.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rookery_events::{Event, RecvError, Subscription, channel, names};
use rookery_model::Id;
use rookery_service::filters::{ActiveFilters, json_hidden_by_filters};
use rookery_store::FilterContext;
use tokio_stream::{Stream, StreamExt, StreamMap};

use super::metrics::{ReasonLabels, StreamLabels, TransportLabels};
use super::spec::{Kind, Spec};
use super::{Streaming, TokenSlot};
use crate::AppState;

/// Blocks and mutes are re-read at least this often (mutes expire).
const VIEWER_TTL: Duration = Duration::from_secs(60);
/// After a failed re-read, wait this long before the next attempt.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// The key of the internal subscription to the user's own channel, which carries
/// "your blocks or mutes changed" even when the user streams only public timelines.
const CONTROL: &str = "\u{0}control";

/// The key of the subscription to announcements, which a `user` stream hears as its own.
const ANNOUNCEMENTS: &str = "\u{0}announcements";

type EventStream = Pin<Box<dyn Stream<Item = Result<Arc<Event>, RecvError>> + Send>>;

fn into_stream(sub: Subscription) -> EventStream {
    Box::pin(futures_util::stream::unfold(sub, |mut sub| async move {
        let item = sub.recv().await;
        Some((item, sub))
    }))
}

/// The signed-in user of a connection and whom they must not hear from.
struct Viewer {
    account: Id,
    hidden: HashSet<Id>,
    hidden_notifications: HashSet<Id>,
    /// Their filters, re-read with the rest and at once on `filters_changed`.
    filters: ActiveFilters,
    loaded: Option<Instant>,
}

/// What [`Connection::next`] produced.
pub(crate) enum Next {
    /// An event for the client, on the stream labelled `label`.
    Event {
        label: Vec<String>,
        event: Arc<Event>,
    },
    /// The client fell too far behind: disconnect it.
    Overflow,
    /// The bus is gone.
    Closed,
}

/// Subscriptions and filters of one connection.
pub(crate) struct Connection {
    state: AppState,
    streaming: Arc<Streaming>,
    transport: &'static str,
    viewer: Option<Viewer>,
    subs: StreamMap<String, EventStream>,
    specs: HashMap<String, Spec>,
    /// An event taken from the bus but not yet handed out (keeps `next` cancel-safe).
    pending: Option<(String, Result<Arc<Event>, RecvError>)>,
    /// The key of the `user` stream that announcements are delivered on, if one is open.
    announcements_to: Option<String>,
    _slot: Option<TokenSlot>,
}

impl Connection {
    /// The application state the connection serves.
    pub(crate) fn state(&self) -> &AppState {
        &self.state
    }

    pub(crate) fn new(
        state: AppState,
        transport: &'static str,
        account: Option<Id>,
        slot: Option<TokenSlot>,
    ) -> Self {
        let streaming = state.streaming.clone();
        streaming.opened();
        streaming
            .metrics
            .clients
            .get_or_create(&TransportLabels { transport })
            .inc();
        let mut subs = StreamMap::new();
        if let Some(a) = account {
            subs.insert(
                CONTROL.to_owned(),
                into_stream(state.services.events.subscribe(&channel::user(a))),
            );
        }
        Connection {
            viewer: account.map(|account| Viewer {
                account,
                hidden: HashSet::new(),
                hidden_notifications: HashSet::new(),
                filters: ActiveFilters::default(),
                loaded: None,
            }),
            state,
            streaming,
            transport,
            subs,
            specs: HashMap::new(),
            pending: None,
            announcements_to: None,
            _slot: slot,
        }
    }

    fn key(spec: &Spec) -> String {
        spec.label.join("\u{1}")
    }

    pub(crate) fn subscribed(&self) -> usize {
        self.specs.len()
    }

    /// Starts listening to `spec` (again: no-op).
    pub(crate) fn subscribe(&mut self, spec: Spec) {
        let key = Self::key(&spec);
        if self.specs.contains_key(&key) {
            return;
        }
        let Some(ch) = spec.channel(self.viewer.as_ref().map(|v| v.account)) else {
            return;
        };
        self.streaming
            .metrics
            .subscriptions
            .get_or_create(&StreamLabels {
                transport: self.transport,
                stream: spec.metric_name(),
            })
            .inc();
        self.subs.insert(
            key.clone(),
            into_stream(self.state.services.events.subscribe(&ch)),
        );
        if spec.kind == Kind::User && self.announcements_to.is_none() {
            self.subs.insert(
                ANNOUNCEMENTS.to_owned(),
                into_stream(
                    self.state
                        .services
                        .events
                        .subscribe(&channel::announcements()),
                ),
            );
            self.announcements_to = Some(key.clone());
        }
        self.specs.insert(key, spec);
    }

    /// Stops listening to `spec`.
    pub(crate) fn unsubscribe(&mut self, spec: &Spec) {
        let key = Self::key(spec);
        if let Some(spec) = self.specs.remove(&key) {
            self.subs.remove(&key);
            if self.announcements_to.as_deref() == Some(key.as_str()) {
                self.subs.remove(ANNOUNCEMENTS);
                self.announcements_to = None;
            }
            self.count_down(&spec);
        }
    }

    fn count_down(&self, spec: &Spec) {
        self.streaming
            .metrics
            .subscriptions
            .get_or_create(&StreamLabels {
                transport: self.transport,
                stream: spec.metric_name(),
            })
            .dec();
    }

    /// Turns true when the process is shutting down.
    pub(crate) fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.streaming.closing()
    }

    /// Records why the server closes this connection.
    pub(crate) fn disconnected(&self, reason: &'static str) {
        self.streaming
            .metrics
            .disconnects
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// The client's queue is full: count the dropped event and the disconnect.
    pub(crate) fn overflowed(&self) {
        self.streaming
            .metrics
            .dropped
            .get_or_create(&ReasonLabels { reason: "overflow" })
            .inc();
        self.disconnected("overflow");
    }

    /// Counts an event written to the client.
    pub(crate) fn delivered(&self) {
        self.streaming
            .metrics
            .delivered
            .get_or_create(&TransportLabels {
                transport: self.transport,
            })
            .inc();
    }

    async fn reload_viewer(&mut self) {
        let Some(v) = self.viewer.as_mut() else {
            return;
        };
        let store = &self.state.services.store;
        let now = self.state.services.clock.now();
        let filters = self
            .state
            .services
            .active_filters_of(v.account)
            .await
            .map_err(|e| rookery_store::StoreError::Unavailable(e.to_string()));
        match (
            store.hidden_accounts(v.account, now, false).await,
            store.hidden_accounts(v.account, now, true).await,
            filters,
        ) {
            (Ok(all), Ok(notes), Ok(filters)) => {
                v.hidden = all.into_iter().collect();
                v.hidden_notifications = notes.into_iter().collect();
                v.filters = filters;
                v.loaded = Some(Instant::now());
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                // Keep the last lists; try again a little later, not on every event.
                tracing::warn!(error = %e, "streaming: cannot read blocks, mutes and filters");
                if let Some(t) = v.loaded {
                    v.loaded = Some(t + RETRY_AFTER_FAILURE.min(t.elapsed()));
                }
            }
        }
    }

    /// `e` as the viewer sees it on a stream of `context`: statuses carry the viewer's
    /// filters (`filtered`); `None` when a `hide` filter leaves it out.
    fn filtered(&self, e: Arc<Event>, context: Option<FilterContext>) -> Option<Arc<Event>> {
        let (Some(v), Some(context)) = (&self.viewer, context) else {
            return Some(e);
        };
        if v.filters.is_empty()
            || !matches!(
                e.event.as_str(),
                names::UPDATE | names::STATUS_UPDATE | names::NOTIFICATION
            )
        {
            return Some(e);
        }
        let Some(Ok(mut payload)) = e
            .payload
            .as_deref()
            .map(serde_json::from_str::<serde_json::Value>)
        else {
            return Some(e);
        };
        let status = if e.event == names::NOTIFICATION {
            if !payload["status"].is_object() {
                return Some(e);
            }
            &mut payload["status"]
        } else {
            &mut payload
        };
        v.filters.mark_json(status);
        if json_hidden_by_filters(status, context) {
            return None;
        }
        let text = serde_json::to_string(&payload).ok()?;
        Some(Arc::new(Event {
            event: e.event.clone(),
            payload: Some(text),
            meta: e.meta.clone(),
        }))
    }

    /// Whether the viewer may see `e` (blocks and mutes, as on the REST timelines).
    async fn visible(&mut self, e: &Event) -> bool {
        if e.meta.accounts.is_empty() || e.event == names::DELETE {
            return true;
        }
        let stale = self
            .viewer
            .as_ref()
            .is_some_and(|v| v.loaded.is_none_or(|t| t.elapsed() > VIEWER_TTL));
        if stale {
            self.reload_viewer().await;
        }
        let Some(v) = &self.viewer else {
            return true;
        };
        if v.loaded.is_none() {
            // Blocks and mutes could not be read yet: fail closed rather than show what the
            // user asked not to see.
            return false;
        }
        let hidden = if e.event == names::NOTIFICATION {
            &v.hidden_notifications
        } else {
            &v.hidden
        };
        !e.meta.accounts.iter().any(|a| hidden.contains(a))
    }

    /// The next event for the client. Cancel-safe: an event taken from the bus is kept until
    /// it has been handed out or dropped.
    pub(crate) async fn next(&mut self) -> Next {
        loop {
            if self.pending.is_none() {
                if self.subs.is_empty() {
                    std::future::pending::<()>().await;
                }
                match self.subs.next().await {
                    Some(item) => self.pending = Some(item),
                    None => return Next::Closed,
                }
            }
            let Some((key, item)) = self.pending.clone() else {
                continue;
            };
            let event = match item {
                Ok(e) => e,
                Err(RecvError::Lagged(n)) if key == CONTROL => {
                    tracing::debug!(skipped = n, "streaming: control channel lagged");
                    self.reload_viewer().await;
                    self.pending = None;
                    continue;
                }
                Err(RecvError::Lagged(_)) => {
                    self.pending = None;
                    self.streaming
                        .metrics
                        .dropped
                        .get_or_create(&ReasonLabels { reason: "overflow" })
                        .inc();
                    return Next::Overflow;
                }
                Err(RecvError::Closed) => {
                    self.pending = None;
                    return Next::Closed;
                }
            };
            if event.event == names::FILTERS_CHANGED {
                self.reload_viewer().await;
            }
            if event.is_internal() {
                if event.event == names::RELATIONSHIPS {
                    self.reload_viewer().await;
                }
                self.pending = None;
                continue;
            }
            let key = match (key.as_str(), &self.announcements_to) {
                (ANNOUNCEMENTS, Some(user)) => user.clone(),
                _ => key,
            };
            let Some(spec) = self.specs.get(&key) else {
                self.pending = None; // the control channel, or a stream just left
                continue;
            };
            if !spec.accepts(&event) {
                self.pending = None;
                continue;
            }
            let label = spec.label.clone();
            let context = spec.filter_context(&event.event);
            let visible = self.visible(&event).await;
            self.pending = None;
            // Blocks and mutes first, then the user's filters (which may hide it too).
            match visible.then(|| self.filtered(event, context)).flatten() {
                Some(event) => return Next::Event { label, event },
                None => {
                    self.streaming
                        .metrics
                        .dropped
                        .get_or_create(&ReasonLabels { reason: "filtered" })
                        .inc();
                }
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let specs: Vec<Spec> = self.specs.drain().map(|(_, s)| s).collect();
        for spec in &specs {
            self.count_down(spec);
        }
        self.streaming
            .metrics
            .clients
            .get_or_create(&TransportLabels {
                transport: self.transport,
            })
            .dec();
        self.streaming.finished();
    }
}
