//! `[redis]` and `[streaming]`: the event bus and the streaming API's limits.

use std::path::PathBuf;

use serde::Deserialize;

use super::ConfigError;

/// `[redis]`: set `url` to carry streaming events between processes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. Unset: events stay
    /// inside each process (fine for `rookery serve`).
    pub url: Option<String>,
    /// PEM CA certificates to trust for `rediss://` (default: the public web roots).
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate and key, for servers that require one.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// Prefix of channel names, so instances can share a server.
    pub prefix: String,
    pub connect_timeout_secs: u64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            url: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
            prefix: "rookery:".into(),
            connect_timeout_secs: 5,
        }
    }
}

/// `[streaming]`: limits of the streaming API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamingConfig {
    /// Events a connection may fall behind by before it is disconnected.
    pub buffer: usize,
    pub connections_per_token: usize,
    pub heartbeat_secs: u64,
    /// Largest WebSocket message accepted from a client.
    pub max_message_bytes: usize,
    pub subscriptions_per_connection: usize,
    /// Open streaming connections without a token from one client address.
    pub anonymous_per_address: usize,
}

impl Default for StreamingConfig {
    fn default() -> Self {
        let d = rookery_http::StreamingLimits::default();
        StreamingConfig {
            buffer: rookery_events::DEFAULT_CAPACITY,
            connections_per_token: d.connections_per_token,
            heartbeat_secs: d.heartbeat.as_secs(),
            max_message_bytes: d.max_message_bytes,
            subscriptions_per_connection: d.subscriptions_per_connection,
            anonymous_per_address: d.anonymous_per_address,
        }
    }
}

/// The bus and streaming settings, checked.
#[derive(Debug, Clone)]
pub struct BusSettings {
    pub redis: Option<rookery_redis::RedisOptions>,
    pub buffer: usize,
    pub limits: rookery_http::StreamingLimits,
}

pub(super) fn resolve(
    redis: &RedisConfig,
    streaming: &StreamingConfig,
) -> Result<BusSettings, ConfigError> {
    let s = streaming;
    for (option, value, max) in [
        ("streaming.buffer", s.buffer, 1_000_000),
        (
            "streaming.connections_per_token",
            s.connections_per_token,
            1_000_000,
        ),
        ("streaming.max_message_bytes", s.max_message_bytes, 16 << 20),
        (
            "streaming.subscriptions_per_connection",
            s.subscriptions_per_connection,
            10_000,
        ),
        (
            "streaming.anonymous_per_address",
            s.anonymous_per_address,
            1_000_000,
        ),
    ] {
        if value == 0 || value > max {
            return Err(ConfigError::new(
                option,
                format!("must be between 1 and {max}"),
            ));
        }
    }
    if s.heartbeat_secs == 0 || s.heartbeat_secs > 3600 {
        return Err(ConfigError::new(
            "streaming.heartbeat_secs",
            "must be between 1 and 3600",
        ));
    }
    let limits = rookery_http::StreamingLimits {
        connections_per_token: s.connections_per_token,
        heartbeat: std::time::Duration::from_secs(s.heartbeat_secs),
        max_message_bytes: s.max_message_bytes,
        subscriptions_per_connection: s.subscriptions_per_connection,
        anonymous_per_address: s.anonymous_per_address,
        buffer: s.buffer,
    };
    let redis = match &redis.url {
        None => {
            if redis.ca_file.is_some() || redis.client_cert.is_some() || redis.client_key.is_some()
            {
                return Err(ConfigError::new(
                    "redis.url",
                    "certificates are set but no URL",
                ));
            }
            None
        }
        Some(url) => {
            let mut o = rookery_redis::RedisOptions::new(url.clone());
            o.ca_file = redis.ca_file.clone();
            o.client_cert = redis.client_cert.clone();
            o.client_key = redis.client_key.clone();
            o.prefix = redis.prefix.clone();
            o.connect_timeout = std::time::Duration::from_secs(redis.connect_timeout_secs.max(1));
            o.buffer = s.buffer;
            rookery_redis::check(&o).map_err(|e| {
                ConfigError::new(
                    "redis.url",
                    format!("{}: {e}", rookery_store_sql::redact_url(url)),
                )
            })?;
            Some(o)
        }
    };
    Ok(BusSettings {
        redis,
        buffer: s.buffer,
        limits,
    })
}
