//! Configuration: one TOML file, then `ROOKERY_*` environment overrides, then command-line
//! flags; validated at start-up so a mistake stops the process with one line naming the option.
//! See `docs/adr/0003-configuration.md` and `rookery config example`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use rookery_jobs::{Queue, WorkerOptions, parse_queue_list};
use rookery_model::Domain;
use rookery_service::{Registrations, Settings};

mod bus;
mod email_blocks;
mod federation;
mod mail;
mod media;
pub use bus::{BusSettings, RedisConfig, StreamingConfig};
pub use email_blocks::EmailDomainBlocksConfig;
pub use federation::{FederationConfig, TransportSettings};
pub use mail::SmtpConfig;
pub use media::{MediaBackend, MediaConfig, S3MediaConfig, StorageSettings};

/// A configuration problem: which option, and why. Displayed as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option}: {reason}")]
pub struct ConfigError {
    pub option: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(option: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            option: option.into(),
            reason: reason.into(),
        }
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite database and local media live.
    pub data_dir: Option<PathBuf>,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub instance: InstanceConfig,
    pub worker: WorkerConfig,
    pub oauth: OAuthConfig,
    pub rate_limits: RateLimitConfig,
    pub log: LogConfig,
    pub redis: RedisConfig,
    pub streaming: StreamingConfig,
    pub federation: FederationConfig,
    pub media: MediaConfig,
    pub trends: TrendsConfig,
    pub smtp: SmtpConfig,
    pub email_domain_blocks: EmailDomainBlocksConfig,
}

/// `[trends]`: trending hashtags, links and statuses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrendsConfig {
    /// Compute and show trends (off: the endpoints answer empty lists).
    pub enabled: bool,
    /// Show only what an operator approved (`rookery admin trends approve`).
    pub review: bool,
}

impl Default for TrendsConfig {
    fn default() -> Self {
        let d = rookery_service::trends::TrendsSettings::default();
        TrendsConfig {
            enabled: d.enabled,
            review: d.review,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub per_token: u32,
    pub per_address: u32,
    pub window_secs: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            per_token: 300,
            per_address: 7_500,
            window_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuthConfig {
    pub password_grant: bool,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            password_grant: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    pub domain: String,
    pub https: Option<bool>,
    pub admin_listen: String,
    /// PEM certificate chain and private key: serve HTTPS directly (no reverse proxy).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Reverse proxies (addresses or `address/prefix` blocks) whose `X-Forwarded-For` and
    /// `Forwarded` headers name the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:3000".into(),
            domain: "localhost:3000".into(),
            https: None,
            admin_listen: "127.0.0.1:9100".into(),
            tls_cert: None,
            tls_key: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// `[worker] queues`: a table (`{ default = 4, push = 16 }`) or a list (`"default=4,push=16"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum QueueSpec {
    List(String),
    Table(BTreeMap<String, u64>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
    pub node: Option<String>,
    pub queues: Option<QueueSpec>,
    pub lease_secs: u64,
    pub shutdown_timeout_secs: u64,
    pub poll_interval_ms: u64,
    pub lag_threshold_secs: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            node: None,
            queues: None,
            lease_secs: 60,
            shutdown_timeout_secs: 30,
            poll_interval_ms: 500,
            lag_threshold_secs: 300,
        }
    }
}

/// This machine's name: `/proc/sys/kernel/hostname`, `$HOSTNAME`, or `rookery`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "rookery".into())
}

/// Queue concurrency from `[worker] queues` (every queue at its default when unset).
pub fn queue_map(spec: Option<&QueueSpec>) -> Result<BTreeMap<Queue, usize>, ConfigError> {
    let err = |reason: String| ConfigError::new("worker.queues", reason);
    match spec {
        None => Ok(Queue::ALL
            .into_iter()
            .map(|q| (q, q.default_concurrency()))
            .collect()),
        Some(QueueSpec::List(text)) => parse_queue_list(text).map_err(err),
        Some(QueueSpec::Table(table)) => {
            let mut out = BTreeMap::new();
            for (name, n) in table {
                let q = Queue::parse(name).ok_or_else(|| err(format!("unknown queue {name:?}")))?;
                let n = usize::try_from(*n)
                    .ok()
                    .filter(|n| *n <= 10_000)
                    .ok_or_else(|| err(format!("{name}: concurrency must be at most 10000")))?;
                out.insert(q, n);
            }
            if out.is_empty() {
                return Err(err("no queues given".into()));
            }
            Ok(out)
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub url: Option<String>,
    pub migration_url: Option<String>,
    pub max_connections: u32,
    pub pgbouncer: bool,
    pub connect_timeout_secs: u64,
    pub auto_migrate: Option<bool>,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            migration_url: None,
            max_connections: 10,
            pgbouncer: false,
            connect_timeout_secs: 5,
            auto_migrate: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstanceConfig {
    pub title: Option<String>,
    pub description: String,
    pub contact_email: String,
    pub contact_username: Option<String>,
    pub registrations: String,
    pub languages: Vec<String>,
    pub max_characters: u32,
    pub source_url: String,
    /// Plain text; paragraphs separated by blank lines.
    pub privacy_policy: String,
    /// Plain text; paragraphs separated by blank lines.
    pub terms_of_service: String,
    /// The day the terms took effect, `YYYY-MM-DD`.
    pub terms_of_service_date: Option<String>,
    /// `disabled`, `users` or `all`.
    pub show_domain_blocks: String,
    /// The server's rules, in order: each a text, or `{ text = "…", hint = "…" }`. Only seeds
    /// the `rules` table on first start (see docs/moderation-policy.md).
    pub rules: Vec<RuleConfig>,
}

/// One of `instance.rules`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RuleConfig {
    Text(String),
    Full {
        text: String,
        #[serde(default)]
        hint: String,
    },
}

impl Default for InstanceConfig {
    fn default() -> Self {
        InstanceConfig {
            title: None,
            description: String::new(),
            contact_email: String::new(),
            contact_username: None,
            registrations: "open".into(),
            languages: vec!["en".into()],
            max_characters: 500,
            source_url: String::new(),
            privacy_policy: String::new(),
            terms_of_service: String::new(),
            terms_of_service_date: None,
            show_domain_blocks: "disabled".into(),
            rules: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub level: String,
    pub format: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

/// Environment variables that are not configuration options.
const NOT_OPTIONS: &[&str] = &["ROOKERY_CONFIG"];

/// Reads the file (if any) and applies `ROOKERY_*` overrides from `env`.
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut table = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::new("config", format!("cannot read {}: {e}", path.display()))
            })?;
            text.parse::<toml::Table>().map_err(|e| {
                ConfigError::new(
                    "config",
                    format!(
                        "{} is not valid TOML: {}",
                        path.display(),
                        one_line(&e.to_string())
                    ),
                )
            })?
        }
        None => toml::Table::new(),
    };
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    let mut overrides = Vec::new();
    for (key, value) in env {
        let Some(rest) = key.strip_prefix("ROOKERY_") else {
            continue;
        };
        if NOT_OPTIONS.contains(&key.as_str()) || rest.is_empty() {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        if path.iter().any(String::is_empty) {
            return Err(ConfigError::new(key, "malformed variable name"));
        }
        sources.insert(path.join("."), key.clone());
        overrides.push((path, value));
    }
    for (path, raw) in &overrides {
        set_path(&mut table, path, typed_value(raw))
            .map_err(|reason| ConfigError::new(path.join("."), reason))?;
    }
    // An override read as a number or boolean may be meant as text (a title "2024"):
    // retry those as strings before giving up.
    let mut attempts = 0;
    loop {
        let de = toml::Value::Table(table.clone());
        match serde_path_to_error::deserialize::<_, Config>(de) {
            Ok(config) => return Ok(config),
            Err(err) => {
                let path = err.path().to_string();
                let inner = one_line(&err.inner().to_string());
                let overridden = overrides.iter().find(|(p, _)| p.join(".") == path);
                match overridden {
                    Some((p, raw))
                        if attempts < overrides.len() && !inner.contains("unknown field") =>
                    {
                        attempts += 1;
                        set_path(&mut table, p, toml::Value::String(raw.clone()))
                            .map_err(|reason| ConfigError::new(path.clone(), reason))?;
                    }
                    _ => {
                        let option = if path == "." {
                            "config".to_owned()
                        } else {
                            path
                        };
                        let reason = match sources.get(&option) {
                            Some(var) => format!("{inner} (from {var})"),
                            None => inner,
                        };
                        return Err(ConfigError::new(option, reason));
                    }
                }
            }
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn typed_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => match t.remove("v") {
            Some(
                v @ (toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::Float(_)),
            ) => v,
            Some(v @ toml::Value::Array(_)) => v,
            _ => toml::Value::String(raw.to_owned()),
        },
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty option name".into());
    };
    let mut cur = table;
    for p in parents {
        let entry = cur
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{p}` is not a section"))?;
    }
    cur.insert(last.clone(), value);
    Ok(())
}

/// What worker processes need.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub queues: BTreeMap<Queue, usize>,
    pub options: WorkerOptions,
    pub lag_threshold_ms: i64,
}

/// The configuration checked and resolved into what the process needs.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub worker: WorkerSettings,
    pub settings: Settings,
    pub db: rookery_store_sql::DbOptions,
    pub auto_migrate: bool,
    pub rate_limits: Option<rookery_http::ratelimit::RateLimits>,
    /// The proxies whose forwarded client addresses are believed.
    pub trusted_proxies: Vec<rookery_http::ratelimit::Network>,
    pub log: LogConfig,
    pub bus: BusSettings,
    /// The outgoing HTTP client of federation.
    pub transport: TransportSettings,
    /// Certificate and key files when this process terminates TLS itself.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Media storage and ffmpeg.
    pub media: MediaBackend,
    /// Outgoing mail (`None`: mail is off).
    pub smtp: Option<rookery_mail::SmtpSettings>,
    /// Where sign-ups look up the MX records of addresses (`None`: they do not).
    pub mx_dns: Option<rookery_dns::DnsSettings>,
}

impl Config {
    /// Checks every value and fills in derived defaults. `data_dir_flag` (`--data-dir`) wins
    /// over the file.
    pub fn resolve(&self, data_dir_flag: Option<&Path>) -> Result<Resolved, ConfigError> {
        let data_dir = data_dir_flag
            .map(Path::to_path_buf)
            .or_else(|| self.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("./data"));
        let listen: SocketAddr = self.server.listen.parse().map_err(|_| {
            ConfigError::new(
                "server.listen",
                format!(
                    "{:?} is not an address:port such as 127.0.0.1:3000",
                    self.server.listen
                ),
            )
        })?;
        let admin_listen: SocketAddr = self.server.admin_listen.parse().map_err(|_| {
            ConfigError::new(
                "server.admin_listen",
                format!(
                    "{:?} is not an address:port such as 127.0.0.1:9100",
                    self.server.admin_listen
                ),
            )
        })?;
        let w = &self.worker;
        let node = w.node.clone().unwrap_or_else(hostname);
        if node.trim().is_empty() {
            return Err(ConfigError::new("worker.node", "must not be empty"));
        }
        for (option, value) in [
            ("worker.lease_secs", w.lease_secs),
            ("worker.poll_interval_ms", w.poll_interval_ms),
        ] {
            if value == 0 {
                return Err(ConfigError::new(option, "must be at least 1"));
            }
        }
        let worker = WorkerSettings {
            queues: queue_map(w.queues.as_ref())?,
            options: WorkerOptions {
                node,
                lease: std::time::Duration::from_secs(w.lease_secs),
                poll_interval: std::time::Duration::from_millis(w.poll_interval_ms),
                shutdown_timeout: std::time::Duration::from_secs(w.shutdown_timeout_secs),
                ..WorkerOptions::default()
            },
            lag_threshold_ms: i64::try_from(w.lag_threshold_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
        };
        let domain = Domain::parse(&self.server.domain).map_err(|e| {
            ConfigError::new("server.domain", format!("{:?} {e}", self.server.domain))
        })?;
        let tls = match (&self.server.tls_cert, &self.server.tls_key) {
            (None, None) => None,
            (Some(cert), Some(key)) => {
                crate::tls::load(cert, key).map_err(|e| ConfigError::new("server.tls_cert", e))?;
                Some((cert.clone(), key.clone()))
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "server.tls_key",
                    "tls_cert is set but tls_key is not",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "server.tls_cert",
                    "tls_key is set but tls_cert is not",
                ));
            }
        };
        let https = self.server.https.unwrap_or_else(|| {
            if tls.is_some() {
                return true;
            }
            let host = domain.host();
            !(host == "localhost" || host.ends_with(".localhost") || host.starts_with("127."))
        });
        let url = match &self.database.url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}/rookery.db", data_dir.display()),
        };
        check_db_url("database.url", &url)?;
        if let Some(m) = &self.database.migration_url {
            check_db_url("database.migration_url", m)?;
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::new(
                "database.max_connections",
                "must be at least 1",
            ));
        }
        let engine = rookery_store_sql::engine_of(&url);
        let auto_migrate = self
            .database
            .auto_migrate
            .unwrap_or(engine == Some(rookery_store::Engine::Sqlite));
        let mut db = rookery_store_sql::DbOptions::new(url);
        db.migration_url = self.database.migration_url.clone();
        db.max_connections = self.database.max_connections;
        db.pgbouncer = self.database.pgbouncer;
        db.connect_timeout =
            std::time::Duration::from_secs(self.database.connect_timeout_secs.max(1));

        let i = &self.instance;
        let registrations = match i.registrations.as_str() {
            "open" => Registrations::Open,
            "approval" => Registrations::Approval,
            "closed" => Registrations::Closed,
            other => {
                return Err(ConfigError::new(
                    "instance.registrations",
                    format!("{other:?} is not one of \"open\", \"approval\", \"closed\""),
                ));
            }
        };
        if let Some(name) = &i.contact_username {
            rookery_model::Username::parse(name).map_err(|e| {
                ConfigError::new("instance.contact_username", format!("{name:?} {e}"))
            })?;
        }
        if i.max_characters < 1 {
            return Err(ConfigError::new(
                "instance.max_characters",
                "must be at least 1",
            ));
        }
        let mut settings = Settings::new(domain, https);
        if let Some(t) = &i.title {
            settings.title = t.clone();
        }
        settings.description = i.description.clone();
        settings.contact_email = i.contact_email.clone();
        settings.contact_username = i.contact_username.clone();
        settings.registrations = registrations;
        settings.languages = i.languages.clone();
        settings.max_characters = i.max_characters;
        settings.privacy_policy = i.privacy_policy.clone();
        settings.terms_of_service = i.terms_of_service.clone();
        if let Some(date) = &i.terms_of_service_date
            && !is_date(date)
        {
            return Err(ConfigError::new(
                "instance.terms_of_service_date",
                format!("{date:?} is not a date like 2026-01-31"),
            ));
        }
        if !i.terms_of_service.trim().is_empty() && i.terms_of_service_date.is_none() {
            // Apps remember which terms were accepted by this date: it must not move.
            return Err(ConfigError::new(
                "instance.terms_of_service_date",
                "is needed with instance.terms_of_service: the day the terms took effect, \
                 like 2026-01-31",
            ));
        }
        settings.terms_of_service_date = i.terms_of_service_date.clone();
        settings.rules = Vec::with_capacity(i.rules.len());
        for rule in &i.rules {
            let (text, hint) = match rule {
                RuleConfig::Text(t) => (t.trim(), ""),
                RuleConfig::Full { text, hint } => (text.trim(), hint.trim()),
            };
            if text.is_empty() || text.chars().count() > 300 || hint.chars().count() > 2000 {
                return Err(ConfigError::new(
                    "instance.rules",
                    "each rule needs a text of at most 300 characters (and a hint of at most \
                     2,000)",
                ));
            }
            settings.rules.push((text.to_owned(), hint.to_owned()));
        }
        settings.show_domain_blocks =
            rookery_service::ShowDomainBlocks::parse(&i.show_domain_blocks).ok_or_else(|| {
                ConfigError::new(
                    "instance.show_domain_blocks",
                    format!(
                        "{:?} is not one of disabled, users, all",
                        i.show_domain_blocks
                    ),
                )
            })?;
        settings.password_grant = self.oauth.password_grant;
        settings.trends = rookery_service::trends::TrendsSettings {
            enabled: self.trends.enabled,
            review: self.trends.review,
        };
        if !i.source_url.is_empty() && url::Url::parse(&i.source_url).is_err() {
            return Err(ConfigError::new(
                "instance.source_url",
                format!("{:?} is not a URL", i.source_url),
            ));
        }
        settings.source_url = i.source_url.clone();

        if self.log.format != "text" && self.log.format != "json" {
            return Err(ConfigError::new(
                "log.format",
                format!("{:?} is not one of \"text\", \"json\"", self.log.format),
            ));
        }
        self.log
            .level
            .parse::<tracing_subscriber::filter::Targets>()
            .map_err(|e| ConfigError::new("log.level", format!("{:?}: {e}", self.log.level)))?;
        let rl = &self.rate_limits;
        if rl.enabled && (rl.per_token == 0 || rl.per_address == 0 || rl.window_secs == 0) {
            return Err(ConfigError::new(
                "rate_limits",
                "per_token, per_address and window_secs must be at least 1 (or set enabled = false)",
            ));
        }
        let rate_limits = rl.enabled.then(|| rookery_http::ratelimit::RateLimits {
            per_token: rl.per_token,
            per_address: rl.per_address,
            window_ms: i64::try_from(rl.window_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
        });
        let mut trusted_proxies = Vec::with_capacity(self.server.trusted_proxies.len());
        for t in &self.server.trusted_proxies {
            trusted_proxies.push(rookery_http::ratelimit::Network::parse(t).ok_or_else(|| {
                ConfigError::new(
                    "server.trusted_proxies",
                    format!("{t:?} is not an address or an address/prefix block"),
                )
            })?);
        }
        let bus = bus::resolve(&self.redis, &self.streaming)?;
        let mut transport = federation::resolve(&self.federation, &mut settings.federation)?;
        transport.fetch.user_agent = format!(
            "Rookery/{} (+{}/)",
            rookery_service::VERSION,
            rookery_service::Urls::new(&settings).base()
        );
        let base_url = rookery_service::Urls::new(&settings).base().to_owned();
        let media = media::resolve(&self.media, &data_dir, &base_url, &mut settings.media)?;
        let smtp = self.smtp.resolve(settings.domain.as_str())?;
        let mx_dns = self.email_domain_blocks.resolve()?;
        Ok(Resolved {
            media,
            smtp,
            mx_dns,
            tls,
            bus,
            transport,
            rate_limits,
            trusted_proxies,
            data_dir,
            listen,
            admin_listen,
            worker,
            settings,
            db,
            auto_migrate,
            log: self.log.clone(),
        })
    }
}

fn check_db_url(option: &str, url: &str) -> Result<(), ConfigError> {
    match rookery_store_sql::engine_of(url) {
        Some(rookery_store::Engine::Sqlite) => {
            let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
            if path.is_empty() {
                return Err(ConfigError::new(option, "sqlite URL has no file path"));
            }
            Ok(())
        }
        Some(rookery_store::Engine::Postgres) => {
            let parsed = url::Url::parse(url).map_err(|e| {
                ConfigError::new(
                    option,
                    format!(
                        "{:?} is not a valid URL: {e}",
                        rookery_store_sql::redact_url(url)
                    ),
                )
            })?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(ConfigError::new(option, "PostgreSQL URL has no host"));
            }
            Ok(())
        }
        None => Err(ConfigError::new(
            option,
            format!(
                "{:?} is not a database URL: expected sqlite://PATH or postgres://USER@HOST/DB",
                rookery_store_sql::redact_url(url)
            ),
        )),
    }
}

/// Makes sure the data directory exists and is writable.
pub fn prepare_data_dir(dir: &Path) -> Result<(), ConfigError> {
    let fail = |e: std::io::Error| {
        ConfigError::new(
            "data_dir",
            format!("{} is not writable: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".rookery-write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

/// `rookery config example`: every option, commented, with its default.
pub const EXAMPLE: &str = include_str!("../config.example.toml");

#[cfg(test)]
mod tests;

/// Whether `text` is a calendar date written `YYYY-MM-DD`.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return false;
    }
    let (m, d) = (m.parse::<u32>().unwrap_or(0), d.parse::<u32>().unwrap_or(0));
    (1..=12).contains(&m) && (1..=31).contains(&d)
}
