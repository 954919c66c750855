//! Streaming metrics: clients by transport, subscriptions by stream, events delivered and
//! dropped, disconnects by reason.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct TransportLabels {
    pub transport: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct StreamLabels {
    pub transport: &'static str,
    pub stream: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ReasonLabels {
    pub reason: &'static str,
}

/// The streaming API's metrics.
#[derive(Debug, Clone)]
pub struct StreamingMetrics {
    pub(crate) clients: Family<TransportLabels, Gauge>,
    pub(crate) subscriptions: Family<StreamLabels, Gauge>,
    pub(crate) delivered: Family<TransportLabels, Counter>,
    pub(crate) dropped: Family<ReasonLabels, Counter>,
    pub(crate) disconnects: Family<ReasonLabels, Counter>,
}

impl StreamingMetrics {
    pub(crate) fn new(registry: &mut Registry) -> Self {
        let m = StreamingMetrics {
            clients: Family::default(),
            subscriptions: Family::default(),
            delivered: Family::default(),
            dropped: Family::default(),
            disconnects: Family::default(),
        };
        registry.register(
            "streaming_clients",
            "Connected streaming clients, by transport (websocket, sse)",
            m.clients.clone(),
        );
        registry.register(
            "streaming_subscriptions",
            "Open stream subscriptions, by transport and stream",
            m.subscriptions.clone(),
        );
        registry.register(
            "streaming_events_delivered",
            "Events written to streaming clients, by transport",
            m.delivered.clone(),
        );
        registry.register(
            "streaming_events_dropped",
            "Events not delivered: filtered (blocks, mutes, the user's filters) or overflow (client too slow)",
            m.dropped.clone(),
        );
        registry.register(
            "streaming_disconnects",
            "Streaming connections closed by the server, by reason",
            m.disconnects.clone(),
        );
        m
    }
}
