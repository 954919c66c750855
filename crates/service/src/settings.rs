//! Instance settings (from configuration) and the URLs derived from them.

use rookery_model::Domain;

/// Who may sign up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrations {
    Open,
    /// Anyone may apply; a moderator approves.
    Approval,
    Closed,
}

/// What the instance says about itself and the limits it enforces.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The domain in every local URL and handle (`alice@domain`).
    pub domain: Domain,
    /// Whether public URLs use `https://`.
    pub https: bool,
    pub title: String,
    pub description: String,
    pub contact_email: String,
    /// Username of the local account shown as the contact.
    pub contact_username: Option<String>,
    pub registrations: Registrations,
    pub languages: Vec<String>,
    pub max_characters: u32,
    pub max_media_attachments: u32,
    /// Overrides the streaming base URL (default: `wss://domain` or `ws://domain`).
    pub streaming_url: Option<String>,
    /// Whether `grant_type=password` is accepted at `/oauth/token`.
    pub password_grant: bool,
    /// Where the source code of the running server is published (the AGPL asks operators to
    /// offer it); shown as `source_url` in the instance entity.
    pub source_url: String,
    /// The privacy policy (plain text, paragraphs separated by blank lines); empty: none set.
    pub privacy_policy: String,
    /// The terms of service (plain text, paragraphs separated by blank lines); empty: none.
    pub terms_of_service: String,
    /// The day they took effect (`YYYY-MM-DD`).
    pub terms_of_service_date: Option<String>,
    /// The configured rules, in order: `(text, hint)`; imported once into the `rules` table.
    pub rules: Vec<(String, String)>,
    /// Who may read the list of moderated servers (`/api/v1/instance/domain_blocks`).
    pub show_domain_blocks: ShowDomainBlocks,
    /// Whether trends are shown, and whether only reviewed ones are.
    pub trends: crate::trends::TrendsSettings,
    /// How this instance talks to others.
    pub federation: FederationSettings,
    /// Uploads, processing limits and the remote media cache.
    pub media: crate::media::MediaSettings,
    /// Where stored media files are fetched from (`{url}/{key}`): the storage's public URL.
    /// Default: `/system` on this server (local storage).
    pub media_base_url: Option<String>,
}

/// Federation behaviour (the `[federation]` configuration section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationSettings {
    /// Look up WebFinger and actors over plain `http://` when `https://` fails (test setups
    /// only: real servers are reached over HTTPS).
    pub allow_http: bool,
    /// Every GET of an ActivityPub document must carry a valid HTTP signature (Mastodon's
    /// "secure mode").
    pub authorized_fetch: bool,
    /// How far a signed request's `Date` may be from our clock.
    pub max_clock_skew_secs: i64,
    /// Largest inbox body accepted.
    pub inbox_max_bytes: usize,
    /// Remote actors are fetched again when their copy is older than this.
    pub actor_refresh_secs: i64,
    /// A host whose deliveries have failed for this long is marked unavailable…
    pub unavailable_after_secs: i64,
    /// …and skipped for this long (or until a request from it arrives).
    pub unavailable_for_secs: i64,
    /// Allow-list mode: only the allowed domains (`/api/v1/admin/domain_allows`) may deliver
    /// to the inbox, be fetched from or be delivered to.
    pub limited_federation: bool,
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings {
            allow_http: false,
            authorized_fetch: false,
            max_clock_skew_secs: 12 * 3600,
            inbox_max_bytes: 1024 * 1024,
            actor_refresh_secs: 24 * 3600,
            unavailable_after_secs: 12 * 3600,
            unavailable_for_secs: 24 * 3600,
            limited_federation: false,
        }
    }
}

/// Who may read the list of moderated servers, as Mastodon's `show_domain_blocks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowDomainBlocks {
    /// Nobody: the endpoint answers 404.
    Disabled,
    /// Signed-in users.
    Users,
    /// Everyone.
    All,
}

impl ShowDomainBlocks {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "disabled" => Some(ShowDomainBlocks::Disabled),
            "users" => Some(ShowDomainBlocks::Users),
            "all" => Some(ShowDomainBlocks::All),
            _ => None,
        }
    }
}

impl Settings {
    /// Defaults for `domain`: open registrations, Mastodon's limits.
    pub fn new(domain: Domain, https: bool) -> Self {
        Settings {
            title: domain.to_string(),
            domain,
            https,
            description: String::new(),
            contact_email: String::new(),
            contact_username: None,
            registrations: Registrations::Open,
            languages: vec!["en".into()],
            max_characters: 500,
            max_media_attachments: 4,
            streaming_url: None,
            password_grant: true,
            source_url: String::new(),
            privacy_policy: String::new(),
            terms_of_service: String::new(),
            terms_of_service_date: None,
            rules: Vec::new(),
            show_domain_blocks: ShowDomainBlocks::Disabled,
            trends: crate::trends::TrendsSettings::default(),
            federation: FederationSettings::default(),
            media: crate::media::MediaSettings::default(),
            media_base_url: None,
        }
    }
}

/// Every URL the instance publishes, built in one place.
#[derive(Debug, Clone)]
pub struct Urls {
    base: String,
    streaming: String,
    media: String,
    /// Remote images not cached here are shown through `/media_proxy` (which caches them).
    proxy_remote_media: bool,
}

impl Urls {
    /// URLs for `settings`.
    pub fn new(settings: &Settings) -> Self {
        let (http, ws) = if settings.https {
            ("https", "wss")
        } else {
            ("http", "ws")
        };
        Urls {
            base: format!("{http}://{}", settings.domain),
            streaming: settings
                .streaming_url
                .clone()
                .unwrap_or_else(|| format!("{ws}://{}", settings.domain)),
            media: settings
                .media_base_url
                .clone()
                .map(|u| u.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("{http}://{}/system", settings.domain)),
            proxy_remote_media: settings.media.remote_policy
                != crate::media::RemoteMediaPolicy::Never,
        }
    }

    /// `https://domain`, no trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The streaming API base (`wss://domain`).
    pub fn streaming(&self) -> &str {
        &self.streaming
    }

    /// The ActivityPub id of a local actor.
    pub fn actor(&self, username: &str) -> String {
        format!("{}/users/{username}", self.base)
    }

    /// The id of a local actor's key.
    pub fn actor_key(&self, username: &str) -> String {
        format!("{}#main-key", self.actor(username))
    }

    /// The ActivityPub id of a local status.
    pub fn status(&self, username: &str, id: impl std::fmt::Display) -> String {
        format!("{}/statuses/{id}", self.actor(username))
    }

    /// The HTML page of a local status.
    pub fn status_page(&self, username: &str, id: impl std::fmt::Display) -> String {
        format!("{}/{id}", self.profile(username))
    }

    /// The HTML profile page of a local account.
    pub fn profile(&self, username: &str) -> String {
        format!("{}/@{username}", self.base)
    }

    /// An actor's collection or endpoint (`inbox`, `outbox`, `followers`, …).
    pub fn actor_path(&self, username: &str, path: &str) -> String {
        format!("{}/{path}", self.actor(username))
    }

    /// The instance actor (signs fetches made on behalf of the whole server).
    pub fn instance_actor(&self) -> String {
        format!("{}/actor", self.base)
    }

    /// The page about this server (the instance actor's profile page).
    pub fn about(&self) -> String {
        format!("{}/about", self.base)
    }

    /// The ActivityPub id of a local follow (or follow request).
    pub fn follow(&self, id: impl std::fmt::Display) -> String {
        format!("{}/follows/{id}", self.base)
    }

    /// The shared inbox.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// The URL of a stored media file.
    pub fn media(&self, key: &str) -> String {
        format!("{}/{key}", self.media)
    }

    /// An account's avatar or header as clients load it: the stored (or cached) file, else a
    /// remote image through our proxy (or directly when caching is off), else the default.
    pub fn account_image(
        &self,
        account: &rookery_model::Account,
        purpose: rookery_model::MediaPurpose,
    ) -> String {
        let (key, remote, name) = match purpose {
            rookery_model::MediaPurpose::Header => {
                (&account.header_key, &account.header_remote_url, "header")
            }
            _ => (&account.avatar_key, &account.avatar_remote_url, "avatar"),
        };
        match (key, remote) {
            (Some(k), _) => self.media(k),
            (None, Some(_)) if self.proxy_remote_media => {
                format!("{}/media_proxy/accounts/{}/{name}", self.base, account.id)
            }
            (None, Some(url)) => url.clone(),
            (None, None) if name == "header" => self.missing_header(),
            (None, None) => self.missing_avatar(),
        }
    }

    /// The avatar shown when an account has none.
    pub fn missing_avatar(&self) -> String {
        format!("{}/avatars/original/missing.png", self.base)
    }

    /// The header shown when an account has none.
    pub fn missing_header(&self) -> String {
        format!("{}/headers/original/missing.png", self.base)
    }
}
