//! The command line.

use std::path::PathBuf;

/// Prints a line to stdout, ignoring a closed pipe (`rookery serve | head -1` must not stop
/// the server).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

use clap::{Parser, Subcommand};
use rookery_model::SystemClock;

pub use crate::admin_trends::TrendsCommand;
use crate::app::{self, StartError};
use crate::config::{self, Resolved};
use crate::roles::{self, ConfigSource, Roles};

/// Rookery: a Mastodon-compatible ActivityPub server.
#[derive(Debug, Parser)]
#[command(name = "rookery", version, about, max_term_width = 100)]
pub struct Cli {
    /// Configuration file (TOML). Without one, defaults and ROOKERY_* variables apply.
    #[arg(long, short = 'c', global = true, env = "ROOKERY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and media (overrides `data_dir`).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every role (web, worker with every queue, scheduler) in one process.
    Serve {
        /// Address to listen on (overrides `server.listen`).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Run the web role only: the API, ActivityPub and HTML pages.
    Web {
        /// Address to listen on (overrides `server.listen`).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Run a worker for some queues, e.g. `--queues ingress=8,push=16,pull=4`.
    Worker {
        /// Queues and their concurrency (default: `[worker] queues` from the configuration).
        #[arg(long)]
        queues: Option<String>,
        /// This machine's name for concurrency overrides (overrides `worker.node`).
        #[arg(long)]
        node: Option<String>,
        /// Where to serve /health, /ready and /metrics (overrides `server.admin_listen`).
        #[arg(long)]
        admin_listen: Option<String>,
    },
    /// Run the scheduler (periodic jobs). Run two or more: one leads, the others stand by.
    Scheduler {
        /// Where to serve /health, /ready and /metrics (overrides `server.admin_listen`).
        #[arg(long)]
        admin_listen: Option<String>,
    },
    /// Run the streaming API role: WebSocket and server-sent events, fed by the event bus
    /// (set `redis.url` so it hears what other processes publish).
    Streaming {
        /// Address to listen on (overrides `server.listen`).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply missing migrations.
    Migrate,
    /// Show the schema version of the database and of this binary.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a complete, commented configuration file.
    Example,
    /// Check the configuration (file and environment) and say what it resolves to.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Local accounts.
    Accounts {
        #[command(subcommand)]
        command: crate::admin_accounts::AccountsCommand,
    },
    /// Jobs in the queues.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Queue settings.
    Queues {
        #[command(subcommand)]
        command: QueuesCommand,
    },
    /// Instance-wide blocks of other servers.
    Domains {
        #[command(subcommand)]
        command: DomainsCommand,
    },
    /// Media storage: how much is used, and applying the cache limits.
    Media {
        #[command(subcommand)]
        command: MediaCommand,
    },
    /// OAuth applications (for bots, integrations and test suites).
    Apps {
        #[command(subcommand)]
        command: AppsCommand,
    },
    /// Access tokens made without a browser.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// This instance's custom emoji (`:shortcode:` in posts, names and bios).
    Emoji {
        #[command(subcommand)]
        command: EmojiCommand,
    },
    /// Announcements to everyone on the instance, shown by apps.
    Announcements {
        #[command(subcommand)]
        command: AnnouncementsCommand,
    },
    /// Trending hashtags, links and statuses, and their review (`trends.review`).
    Trends {
        #[command(subcommand)]
        command: crate::admin_trends::TrendsCommand,
    },
    /// Outgoing mail (`[smtp]`).
    Mail {
        #[command(subcommand)]
        command: crate::admin_mail::MailCommand,
    },
    /// Invite links (sign-ups through them work even when sign-ups are closed).
    Invites {
        #[command(subcommand)]
        command: crate::admin_invites::InvitesCommand,
    },
    /// Webhooks: endpoints told of new accounts, reports, posts and dead jobs.
    Webhooks {
        #[command(subcommand)]
        command: crate::admin_webhooks::WebhooksCommand,
    },
    /// Reports to the moderators.
    Reports {
        #[command(subcommand)]
        command: crate::admin_reports::ReportsCommand,
    },
    /// The server's rules (shown on sign-up and the about page, cited by reports).
    Rules {
        #[command(subcommand)]
        command: crate::admin_rules::RulesCommand,
    },
    /// Relays this instance subscribes to.
    Relays {
        #[command(subcommand)]
        command: crate::admin_relays::RelaysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AnnouncementsCommand {
    /// Add an announcement (published at once unless --unpublished).
    Add {
        /// The text: plain text; links, #hashtags, @mentions and :emoji: are shown as in posts.
        #[arg(long)]
        text: String,
        /// When what is announced begins (RFC 3339, or a date); needs --ends-at.
        #[arg(long, requires = "ends_at")]
        starts_at: Option<String>,
        /// When it ends; needs --starts-at.
        #[arg(long, requires = "starts_at")]
        ends_at: Option<String>,
        /// The times are whole days (apps show dates only).
        #[arg(long)]
        all_day: bool,
        /// Keep it hidden until `publish`.
        #[arg(long)]
        unpublished: bool,
    },
    /// List the announcements, published or not, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show an announcement to everyone.
    Publish { id: String },
    /// Hide an announcement (kept, with its reactions, until published again).
    Unpublish { id: String },
    /// Remove an announcement with its reactions.
    Remove { id: String },
}

#[derive(Debug, Subcommand)]
pub enum EmojiCommand {
    /// Add an emoji from a PNG, GIF or WebP file (256 KiB at most).
    Add {
        /// Letters, digits and underscores (at least two), without the colons.
        shortcode: String,
        /// The image file.
        file: PathBuf,
        /// The category pickers group it under.
        #[arg(long)]
        category: Option<String>,
        /// Leave it out of pickers (it still shows where its shortcode is typed).
        #[arg(long)]
        unlisted: bool,
    },
    /// Add every `.png`, `.gif` and `.webp` file of a directory (or a `.tar.gz`/`.tgz`
    /// archive), each named by its shortcode; shortcodes already taken are skipped.
    Import {
        /// A directory or a `.tar.gz` archive.
        path: PathBuf,
        /// The category pickers group them under.
        #[arg(long)]
        category: Option<String>,
        /// Leave them out of pickers.
        #[arg(long)]
        unlisted: bool,
    },
    /// List the emoji: shortcode, category, whether pickers show it, image URL.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an emoji and its image (posts using it show the shortcode as text again).
    Remove { shortcode: String },
    /// Set the category of an emoji, or remove it with --none.
    Category {
        shortcode: String,
        #[arg(required_unless_present = "none")]
        category: Option<String>,
        /// No category.
        #[arg(long, conflicts_with = "category")]
        none: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Register an application; prints its client id and secret.
    Create {
        #[arg(long)]
        name: String,
        /// Space-separated scopes (default: read).
        #[arg(long)]
        scopes: Option<String>,
        #[arg(long, default_value = "urn:ietf:wg:oauth:2.0:oob")]
        redirect_uri: String,
        /// A client id of your choosing (16 to 256 characters), with --client-secret.
        #[arg(long)]
        client_id: Option<String>,
        /// A client secret of your choosing, with --client-id.
        #[arg(long)]
        client_secret: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Make an access token for a local account through an application; prints it.
    Create {
        /// The account's username.
        #[arg(long)]
        account: String,
        /// The application's client id.
        #[arg(long)]
        app: String,
        /// Space-separated scopes, within the application's (default: all of them).
        #[arg(long)]
        scopes: Option<String>,
        /// A token of your choosing (16 to 256 characters) instead of a random one.
        #[arg(long)]
        token: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Bytes stored by category: local uploads, remote attachments, avatars/headers, emoji.
    Usage {
        #[arg(long)]
        json: bool,
    },
    /// Apply the remote cache's age limit and size cap now (least recently used copies go
    /// first), and delete expired unattached uploads.
    Prune {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DomainsCommand {
    /// Block a domain and its subdomains (or change its block).
    Block {
        domain: String,
        /// suspend (nothing in or out), silence (hidden from public timelines), or noop.
        #[arg(long, default_value = "suspend")]
        severity: String,
        /// Do not fetch or store media from it.
        #[arg(long)]
        reject_media: bool,
        /// Ignore reports from it.
        #[arg(long)]
        reject_reports: bool,
        /// A note for moderators.
        #[arg(long, default_value = "")]
        comment: String,
        /// A note that may be shown publicly.
        #[arg(long, default_value = "")]
        public_comment: String,
        /// Star out part of the domain in the public list of blocks.
        #[arg(long)]
        obfuscate: bool,
    },
    /// Lift the block of a domain.
    Unblock { domain: String },
    /// List blocks.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first.
    List {
        #[arg(long)]
        queue: Option<String>,
        /// ready, running or dead.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one job, with its payload and last error.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Make a dead job run again.
    Retry { id: String },
    /// Delete a job that is not running.
    Discard { id: String },
    /// Counts and lag per queue.
    Stats {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum QueuesCommand {
    /// Change a queue's concurrency on one node; running workers pick it up within seconds.
    SetConcurrency {
        queue: String,
        /// Concurrent jobs (0 pauses the queue on that node).
        concurrency: Option<u32>,
        /// The node (`worker.node`, default the host name).
        #[arg(long)]
        node: String,
        /// Remove the override: the node's configuration applies again.
        #[arg(long, conflicts_with = "concurrency")]
        clear: bool,
    },
    /// Show a node's concurrency overrides.
    Overrides {
        #[arg(long)]
        node: String,
    },
}

fn parse_addr(option: &str, text: &str) -> Result<std::net::SocketAddr, StartError> {
    text.parse().map_err(|_| {
        config::ConfigError::new(option, format!("{text:?} is not an address:port")).into()
    })
}

fn source(cli: &Cli) -> ConfigSource {
    ConfigSource {
        file: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
    }
}

fn resolve(cli: &Cli) -> Result<Resolved, StartError> {
    let env = std::env::vars();
    let cfg = config::load(cli.config.as_deref(), env)?;
    Ok(cfg.resolve(cli.data_dir.as_deref())?)
}

fn init_logging(cfg: &Resolved) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter: tracing_subscriber::filter::Targets = cfg.log.level.parse().unwrap_or_default();
    let registry = tracing_subscriber::registry().with(filter);
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = if cfg.log.format == "json" {
        registry.with(fmt.json()).try_init()
    } else {
        registry.with(fmt).try_init()
    };
}

/// The command prefix that reproduces this invocation's `--config`/`--data-dir`.
fn self_command(cli: &Cli) -> String {
    let mut cmd = String::from("rookery");
    if let Some(c) = &cli.config {
        cmd.push_str(&format!(" --config {}", c.display()));
    }
    if let Some(d) = &cli.data_dir {
        cmd.push_str(&format!(" --data-dir {}", d.display()));
    }
    cmd
}

/// Runs the command.
pub async fn run(cli: Cli) -> Result<(), StartError> {
    match &cli.command {
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            {
                use std::io::Write as _;
                let _ = write!(std::io::stdout(), "{}", config::EXAMPLE);
            }
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            let cfg = resolve(&cli)?;
            say!(
                "configuration is valid\n  domain:   {}\n  listen:   {}\n  database: {}\n  data_dir: {}",
                cfg.settings.domain,
                cfg.listen,
                rookery_store_sql::redact_url(&cfg.db.url),
                cfg.data_dir.display()
            );
            Ok(())
        }
        Command::Serve { listen } | Command::Web { listen } => {
            let mut cfg = resolve(&cli)?;
            if let Some(l) = listen {
                cfg.listen = parse_addr("--listen", l)?;
            }
            init_logging(&cfg);
            let everything = matches!(cli.command, Command::Serve { .. });
            let roles = Roles {
                web: true,
                streaming: everything,
                worker: everything.then(|| cfg.worker.queues.clone()),
                scheduler: everything,
            };
            let command = self_command(&cli);
            roles::run(&cfg, roles, source(&cli), |services, bound| {
                say!(
                    "Rookery {} is running at {}/ (listening on {}, database {})",
                    rookery_service::VERSION,
                    services.urls.base(),
                    bound.map_or_else(|| cfg.listen.to_string(), |a| a.to_string()),
                    rookery_store_sql::redact_url(&cfg.db.url),
                );
                say!(
                    "Create the first admin account with:\n  {command} admin accounts create USERNAME --email YOU@EXAMPLE.COM --role owner"
                );
            })
            .await
        }
        Command::Worker {
            queues,
            node,
            admin_listen,
        } => {
            let mut cfg = resolve(&cli)?;
            if let Some(a) = admin_listen {
                cfg.admin_listen = parse_addr("--admin-listen", a)?;
            }
            if let Some(n) = node {
                cfg.worker.options.node = n.clone();
            }
            let queues = match queues {
                Some(q) => rookery_jobs::parse_queue_list(q)
                    .map_err(|e| config::ConfigError::new("--queues", e))?,
                None => cfg.worker.queues.clone(),
            };
            init_logging(&cfg);
            let roles = Roles {
                web: false,
                streaming: false,
                worker: Some(queues),
                scheduler: false,
            };
            roles::run(&cfg, roles, source(&cli), |_, bound| {
                say!(
                    "Rookery worker on node {} (health and metrics on {})",
                    cfg.worker.options.node,
                    bound.map_or_else(|| cfg.admin_listen.to_string(), |a| a.to_string())
                );
            })
            .await
        }
        Command::Scheduler { admin_listen } => {
            let mut cfg = resolve(&cli)?;
            if let Some(a) = admin_listen {
                cfg.admin_listen = parse_addr("--admin-listen", a)?;
            }
            init_logging(&cfg);
            let roles = Roles {
                web: false,
                streaming: false,
                worker: None,
                scheduler: true,
            };
            roles::run(&cfg, roles, source(&cli), |_, bound| {
                say!(
                    "Rookery scheduler (health and metrics on {})",
                    bound.map_or_else(|| cfg.admin_listen.to_string(), |a| a.to_string())
                );
            })
            .await
        }
        Command::Streaming { listen } => {
            let mut cfg = resolve(&cli)?;
            if let Some(l) = listen {
                cfg.listen = parse_addr("--listen", l)?;
            }
            init_logging(&cfg);
            let roles = Roles {
                web: false,
                streaming: true,
                worker: None,
                scheduler: false,
            };
            roles::run(&cfg, roles, source(&cli), |services, bound| {
                say!(
                    "Rookery streaming API for {}, event bus {} (listening on {})",
                    services.urls.base(),
                    services.events.status().backend,
                    bound.map_or_else(|| cfg.listen.to_string(), |a| a.to_string()),
                );
            })
            .await
        }
        Command::Db { command } => {
            let cfg = resolve(&cli)?;
            init_logging(&cfg);
            match command {
                DbCommand::Migrate => {
                    let applied = app::migrate(&cfg, &SystemClock).await?;
                    if applied.is_empty() {
                        say!(
                            "The database schema is up to date (version {}).",
                            rookery_store_sql::expected_version()
                        );
                    } else {
                        say!(
                            "Applied migrations {applied:?}; schema is at version {}.",
                            rookery_store_sql::expected_version()
                        );
                    }
                    Ok(())
                }
                DbCommand::Status => {
                    use rookery_store::Store;
                    config::prepare_data_dir(&cfg.data_dir)?;
                    let store = rookery_store_sql::SqlStore::connect(&cfg.db)
                        .await
                        .map_err(|e| {
                            config::ConfigError::new("database.url", format!("cannot connect: {e}"))
                        })?;
                    let s = store
                        .schema_status()
                        .await
                        .map_err(|e| StartError::Other(e.to_string()))?;
                    say!(
                        "database schema version {}, binary expects {}: {}",
                        s.applied,
                        s.expected,
                        if s.is_current() {
                            "current"
                        } else if s.applied < s.expected {
                            "run `rookery db migrate`"
                        } else {
                            "the database is newer than this binary"
                        }
                    );
                    Ok(())
                }
            }
        }
        Command::Admin { command } => {
            let cfg = resolve(&cli)?;
            init_logging(&cfg);
            let store = app::open_store(&cfg, &SystemClock).await?;
            // Administrative commands publish no streaming events worth a Redis connection.
            let services = app::services(
                &cfg,
                store,
                std::sync::Arc::new(rookery_events::InProcessBus::default()),
            )?;
            app::seed(&services).await?;
            let out = match command {
                AdminCommand::Accounts { command } => {
                    crate::admin_accounts::accounts(&services, command).await?
                }
                AdminCommand::Jobs { command } => crate::admin::jobs(&services, command).await?,
                AdminCommand::Queues { command } => {
                    crate::admin::queues(&services, command).await?
                }
                AdminCommand::Domains { command } => {
                    crate::admin::domains(&services, command).await?
                }
                AdminCommand::Media { command } => crate::admin::media(&services, command).await?,
                AdminCommand::Apps { command } => {
                    crate::admin_apps::apps(&services, command).await?
                }
                AdminCommand::Tokens { command } => {
                    crate::admin_apps::tokens(&services, command).await?
                }
                AdminCommand::Emoji { command } => {
                    crate::admin_emoji::emoji(&services, command).await?
                }
                AdminCommand::Announcements { command } => {
                    crate::admin_announcements::announcements(&services, command).await?
                }
                AdminCommand::Trends { command } => {
                    crate::admin_trends::trends(&services, command).await?
                }
                AdminCommand::Mail { command } => {
                    crate::admin_mail::mail(&services, command).await?
                }
                AdminCommand::Invites { command } => {
                    crate::admin_invites::invites(&services, command).await?
                }
                AdminCommand::Webhooks { command } => {
                    crate::admin_webhooks::webhooks(&services, command).await?
                }
                AdminCommand::Reports { command } => {
                    crate::admin_reports::reports(&services, command).await?
                }
                AdminCommand::Rules { command } => {
                    crate::admin_rules::rules(&services, command).await?
                }
                AdminCommand::Relays { command } => {
                    crate::admin_relays::relays(&services, command).await?
                }
            };
            {
                use std::io::Write as _;
                let _ = write!(std::io::stdout(), "{out}");
            }
            Ok(())
        }
    }
}
