//! Rookery's use cases. Every entry point (the Mastodon API, HTML pages, ActivityPub, the CLI)
//! calls these, so a rule is written once.
//!
//! [`Services`] bundles what the use cases need — the store, the clock, the random source, the
//! id generator and the instance [`Settings`] — passed in by the binary, never global.

pub mod account_deletion;
pub mod account_links;
pub mod account_moves;
mod accounts;
pub mod announcements;
pub mod authorized_apps;
pub mod cards;
pub mod conversations;
pub mod crypto;
pub mod custom_emojis;
mod directory;
mod domains;
mod edits;
mod endorsements;
mod error;
pub mod export;
pub mod featured_tags;
pub mod federation;
pub mod filters;
mod format;
pub mod imports;
mod instance;
mod interactions;
pub mod invites;
mod jobs;
pub mod languages;
pub mod lists;
pub mod mail;
pub mod markers;
pub mod media;
pub mod moderation;
pub mod notification_emails;
pub mod notifications;
mod oauth;
mod oauth_admin;
mod objects;
pub mod pages;
mod password;
pub mod polls;
mod preferences;
pub mod quotes;
mod random;
pub mod registration;
pub mod relays;
mod render;
pub mod scheduled;
mod search;
mod settings;
pub mod severances;
pub mod sign_in;
mod social;
mod status_entities;
mod statuses;
mod streams;
mod suggestions;
pub mod tags;
mod timelines;
pub mod trends;
mod user_domain_blocks;
mod webfinger;
pub mod webhooks;

use std::sync::{Arc, Mutex};

use rookery_events::{EventBus, InProcessBus};
use rookery_model::Timestamp;
use rookery_model::{Clock, IdGenerator, Random};
use rookery_store::{InstanceStats, Store};

pub use accounts::{CreatedAccount, NewLocalAccount, ProfileUpdate};
pub use domains::{DomainBlockView, NewDomainBlock};
pub use edits::{MediaEdit, StatusUpdate};
pub use error::ServiceError;
pub use instance::{LagCheck, NodeInfo, ReadyReport, VERSION, mastodon_version};
pub use interactions::Notify;
pub use jobs::{
    DEAD_JOB_RETENTION_MS, JobView, PruneDeadJobs, PruneExpiredMutes, PruneExpiredTokens,
    QueueView, periodic_jobs, register_jobs,
};
pub use oauth::{Authenticated, CreatedApp, IssuedToken, NewApp, OAuthError, OOB_REDIRECT};
pub use objects::CollectionPage;
pub use password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
pub use preferences::PostingUpdate;
pub use random::SystemRandom;
pub use registration::{FieldError, Registration};
pub use rookery_store::{Interaction, Restriction};
pub use search::{SearchQuery, SearchResults};
pub use settings::{FederationSettings, Registrations, Settings, ShowDomainBlocks, Urls};
pub use social::AccountSearchQuery;
pub use statuses::{Fanout, NewStatus};
pub use streams::StatusRemoved;
pub use timelines::{AccountStatusesQuery, StatusPage};
pub use webfinger::{Resource, ResourceError, WebfingerTarget};

/// Results of use cases.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Everything the use cases need, wired once by the binary.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub ids: IdGenerator,
    pub settings: Arc<Settings>,
    pub urls: Arc<Urls>,
    /// Where streaming events go (in-process unless the binary wires another bus).
    pub events: Arc<dyn EventBus>,
    /// Instance counts, reused for a few seconds (every app asks for the instance often).
    stats_cache: Arc<Mutex<Option<(Timestamp, InstanceStats)>>>,
    /// The form-signing key, once read from the database.
    secret: Arc<Mutex<Option<Vec<u8>>>>,
    /// Federation: the HTTP client, key caches, counters.
    pub(crate) federation: Arc<federation::FederationState>,
    /// Media storage and processing (`None`: this process cannot store files).
    pub(crate) media: Option<Arc<media::MediaRuntime>>,
    /// Password hashing, a few at a time.
    pub(crate) passwords: Arc<password::Passwords>,
    /// Sends mail (`None`: mail is off).
    pub(crate) mailer: Option<Arc<dyn mail::MailTransport>>,
    /// The enabled webhooks, as this node last read them.
    pub(crate) webhook_cache: Arc<webhooks::WebhookCache>,
    /// Looks up the mail exchangers of signing-up addresses (`None`: not checked).
    pub(crate) mx_resolver: Option<Arc<dyn moderation::email_blocks::MxResolver>>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("engine", &self.store.engine())
            .field("domain", &self.settings.domain)
            .finish_non_exhaustive()
    }
}

impl Services {
    /// Wires the use cases over `store` with the given clock, randomness and settings.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: Settings,
    ) -> Self {
        let ids = IdGenerator::new(clock.clone(), random.clone());
        let urls = Arc::new(Urls::new(&settings));
        Services {
            store,
            clock,
            random,
            ids,
            settings: Arc::new(settings),
            urls,
            events: Arc::new(InProcessBus::default()),
            stats_cache: Arc::new(Mutex::new(None)),
            secret: Arc::new(Mutex::new(None)),
            federation: Arc::new(federation::FederationState::new(Arc::new(
                federation::NoTransport,
            ))),
            media: None,
            passwords: Arc::new(password::Passwords::default()),
            mailer: None,
            webhook_cache: Arc::default(),
            mx_resolver: None,
        }
    }
}

impl Services {
    /// The same use cases publishing streaming events on `events`.
    pub fn with_events(mut self, events: Arc<dyn EventBus>) -> Self {
        self.events = events;
        self
    }

    /// The same use cases talking to other servers through `transport`.
    pub fn with_transport(mut self, transport: Arc<dyn federation::Transport>) -> Self {
        self.federation = Arc::new(federation::FederationState::new(transport));
        self
    }

    /// The same use cases storing and processing media with `runtime`.
    pub fn with_media(mut self, runtime: media::MediaRuntime) -> Self {
        self.media = Some(Arc::new(runtime));
        self
    }

    /// Federation counters, for metrics.
    pub fn federation_counters(&self) -> Arc<federation::FederationCounters> {
        self.federation.counters.clone()
    }
}
