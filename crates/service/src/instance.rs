//! What the instance says about itself: the Instance entities, NodeInfo, readiness.

use rookery_api as api;
use rookery_store::InstanceStats;
use serde_json::json;

use crate::{Registrations, Result, Services};

/// Rookery's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Mastodon API level Rookery implements (see docs/adr/0003-configuration.md).
const MASTODON_COMPAT: &str = "4.3.0";

/// The `version` string: digits first, because clients parse it as Mastodon's
/// (`4.3.0 (compatible; Rookery 0.1.0)`).
pub fn mastodon_version() -> String {
    format!("{MASTODON_COMPAT} (compatible; Rookery {VERSION})")
}

/// NodeInfo 2.0 counts and flags.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub stats: InstanceStats,
    pub open_registrations: bool,
    pub name: String,
    pub description: String,
}

/// Whether this process can serve: its database answers, the schema is current, and (for
/// workers) its queues are not too far behind.
#[derive(Debug, Clone)]
pub struct ReadyReport {
    pub database: std::result::Result<(), String>,
    pub schema: std::result::Result<(), String>,
    /// Only for processes that run queues.
    pub queues: Option<std::result::Result<(), String>>,
    /// Only when events cross processes (Redis): whether the bus is connected.
    pub event_bus: Option<std::result::Result<(), String>>,
}

impl ReadyReport {
    /// All checks passed.
    pub fn is_ready(&self) -> bool {
        self.database.is_ok()
            && self.schema.is_ok()
            && self.queues.as_ref().is_none_or(|q| q.is_ok())
            && self.event_bus.as_ref().is_none_or(|q| q.is_ok())
    }
}

/// Readiness of a worker: the queues it runs must not lag more than `threshold_ms`.
#[derive(Debug, Clone)]
pub struct LagCheck {
    pub queues: Vec<String>,
    pub threshold_ms: i64,
}

/// What uploads accept: the types `rookery_media::sniff` recognises (by content, whatever the
/// name or declared type), under the names apps look for.
const SUPPORTED_MIME_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "video/webm",
    "video/mp4",
    "video/quicktime",
    "audio/wave",
    "audio/wav",
    "audio/x-wav",
    "audio/x-pn-wave",
    "audio/vnd.wave",
    "audio/ogg",
    "audio/vorbis",
    "audio/mpeg",
    "audio/mp3",
    "audio/webm",
    "audio/flac",
    "audio/m4a",
    "audio/x-m4a",
    "audio/mp4",
];

/// How long instance counts are reused, in milliseconds.
const STATS_TTL_MS: i64 = 10_000;

impl Services {
    /// Instance counts, from the cache when fresh. Local writes that change them call
    /// [`Services::forget_stats`]; other processes' changes show within the TTL.
    async fn stats(&self) -> Result<InstanceStats> {
        let now = self.clock.now();
        if let Ok(cache) = self.stats_cache.lock()
            && let Some((at, stats)) = *cache
            && now.as_millis() - at.as_millis() < STATS_TTL_MS
            && now >= at
        {
            return Ok(stats);
        }
        let stats = self.store.instance_stats(now).await?;
        if let Ok(mut cache) = self.stats_cache.lock() {
            *cache = Some((now, stats));
        }
        Ok(stats)
    }

    /// Drops cached instance counts.
    pub(crate) fn forget_stats(&self) {
        if let Ok(mut cache) = self.stats_cache.lock() {
            *cache = None;
        }
    }

    fn statuses_config(&self) -> serde_json::Value {
        json!({
            "max_characters": self.settings.max_characters,
            "max_media_attachments": self.settings.max_media_attachments,
            "characters_reserved_per_url": 23
        })
    }

    fn media_config(&self) -> serde_json::Value {
        let media = &self.settings.media;
        json!({
            "supported_mime_types": SUPPORTED_MIME_TYPES,
            "description_limit": media.description_limit,
            "image_size_limit": media.image_max_bytes,
            "image_matrix_limit": media.image_max_pixels,
            "video_size_limit": media.video_max_bytes,
            "video_frame_rate_limit": 60,
            "video_matrix_limit": 8_294_400
        })
    }

    fn polls_config() -> serde_json::Value {
        json!({
            "max_options": 4,
            "max_characters_per_option": 50,
            "min_expiration": 300,
            "max_expiration": 2_629_746
        })
    }

    /// The local account shown as the contact, if one is configured and not suspended.
    pub(crate) async fn contact_account(&self) -> Result<Option<api::Account>> {
        let Some(name) = &self.settings.contact_username else {
            return Ok(None);
        };
        Ok(self
            .store
            .local_account_by_username(name)
            .await?
            .filter(|l| l.account.suspended_at.is_none())
            .map(|l| self.account_entity(&l.account)))
    }

    /// The instance's picture, served from the binary.
    fn thumbnail_url(&self) -> String {
        format!("{}/instance/thumbnail.png", self.urls.base())
    }

    fn registrations_open(&self) -> bool {
        self.settings.registrations != Registrations::Closed
    }

    fn short_description(&self) -> String {
        self.settings.description.chars().take(200).collect()
    }

    /// `GET /api/v1/instance`.
    pub async fn instance_v1(&self) -> Result<api::InstanceV1> {
        let stats = self.stats().await?;
        let s = &self.settings;
        Ok(api::InstanceV1 {
            uri: s.domain.to_string(),
            title: s.title.clone(),
            short_description: self.short_description(),
            description: s.description.clone(),
            email: s.contact_email.clone(),
            version: mastodon_version(),
            urls: api::V1Urls {
                streaming_api: self.urls.streaming().to_owned(),
            },
            stats: api::V1Stats {
                user_count: stats.local_users,
                status_count: stats.local_statuses,
                domain_count: stats.known_domains,
            },
            thumbnail: Some(self.thumbnail_url()),
            languages: s.languages.clone(),
            registrations: self.registrations_open(),
            approval_required: s.registrations == Registrations::Approval,
            invites_enabled: false,
            configuration: api::V1Configuration {
                accounts: json!({"max_featured_tags": 10}),
                statuses: self.statuses_config(),
                media_attachments: self.media_config(),
                polls: Self::polls_config(),
            },
            contact_account: self.contact_account().await?,
            rules: self.rules().shown().await?,
        })
    }

    /// `GET /api/v2/instance`.
    pub async fn instance_v2(&self) -> Result<api::InstanceV2> {
        let stats = self.stats().await?;
        let s = &self.settings;
        Ok(api::InstanceV2 {
            domain: s.domain.to_string(),
            title: s.title.clone(),
            version: mastodon_version(),
            source_url: s.source_url.clone(),
            description: s.description.clone(),
            usage: api::V2Usage {
                users: api::V2UsageUsers {
                    active_month: stats.active_month,
                },
            },
            thumbnail: api::V2Thumbnail {
                url: self.thumbnail_url(),
                blurhash: None,
                versions: None,
            },
            icon: Vec::new(),
            languages: s.languages.clone(),
            configuration: api::V2Configuration {
                urls: json!({"streaming": self.urls.streaming(), "status": null}),
                vapid: json!({"public_key": ""}),
                accounts: json!({"max_featured_tags": 10, "max_pinned_statuses": 5}),
                statuses: self.statuses_config(),
                media_attachments: self.media_config(),
                polls: Self::polls_config(),
                translation: json!({"enabled": false}),
            },
            registrations: api::V2Registrations {
                enabled: self.registrations_open(),
                approval_required: s.registrations == Registrations::Approval,
                message: None,
                url: None,
            },
            api_versions: json!({"mastodon": 2}),
            contact: api::V2Contact {
                email: s.contact_email.clone(),
                account: self.contact_account().await?,
            },
            rules: self.rules().shown().await?,
        })
    }

    /// The data behind `/nodeinfo/2.0`.
    pub async fn nodeinfo(&self) -> Result<NodeInfo> {
        Ok(NodeInfo {
            stats: self.stats().await?,
            open_registrations: self.registrations_open(),
            name: self.settings.title.clone(),
            description: self.settings.description.clone(),
        })
    }

    /// Checks the database, the schema version and, when given, queue lag.
    pub async fn ready(&self, lag: Option<&LagCheck>) -> ReadyReport {
        let database = self.store.ping().await.map_err(|e| e.to_string());
        let schema = match self.store.schema_status().await {
            Ok(s) if s.is_current() => Ok(()),
            Ok(s) => Err(format!(
                "schema version {} but this binary needs {}: run `rookery db migrate`",
                s.applied, s.expected
            )),
            Err(e) => Err(e.to_string()),
        };
        let queues = match lag {
            None => None,
            Some(check) => Some(self.check_lag(check).await),
        };
        let bus = self.events.status();
        let event_bus = (bus.backend != "in-process").then(|| {
            if bus.connected {
                Ok(())
            } else {
                Err(bus
                    .problem
                    .unwrap_or_else(|| "the event bus is not connected".into()))
            }
        });
        ReadyReport {
            database,
            schema,
            queues,
            event_bus,
        }
    }

    async fn check_lag(&self, check: &LagCheck) -> std::result::Result<(), String> {
        let now = self.clock.now();
        let stats = self
            .store
            .queue_stats(now)
            .await
            .map_err(|e| e.to_string())?;
        let behind: Vec<String> = stats
            .iter()
            .filter(|s| check.queues.contains(&s.queue))
            .filter_map(|s| {
                let age = now.as_millis() - s.oldest_due_at?.as_millis();
                (age > check.threshold_ms).then(|| {
                    format!(
                        "{}: oldest due job waited {} s (threshold {} s)",
                        s.queue,
                        age / 1000,
                        check.threshold_ms / 1000
                    )
                })
            })
            .collect();
        if behind.is_empty() {
            Ok(())
        } else {
            Err(behind.join("; "))
        }
    }
}
