//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use rookery_model::{Role, SystemClock};

use crate::app::{self, App, StartError};
use crate::config::{self, Resolved};

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
    /// Run every role (web, and later streaming, workers, scheduler) in one process.
    Serve {
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
        command: AccountsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create a local account with a generated password (printed once).
    Create {
        username: String,
        #[arg(long)]
        email: String,
        /// user, moderator, admin or owner.
        #[arg(long, default_value = "user")]
        role: Role,
    },
    /// List local accounts, newest first.
    List {
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show one local account.
    Show { username: String },
    /// Set a new generated password (printed once).
    ResetPassword { username: String },
    /// Change an account's role: user, moderator, admin or owner.
    SetRole { username: String, role: Role },
    /// Suspend an account (or reinstate it with --undo).
    Suspend {
        username: String,
        #[arg(long)]
        undo: bool,
    },
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
            print!("{}", config::EXAMPLE);
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            let cfg = resolve(&cli)?;
            println!(
                "configuration is valid\n  domain:   {}\n  listen:   {}\n  database: {}\n  data_dir: {}",
                cfg.settings.domain,
                cfg.listen,
                rookery_store_sql::redact_url(&cfg.db.url),
                cfg.data_dir.display()
            );
            Ok(())
        }
        Command::Serve { listen } => {
            let mut cfg = resolve(&cli)?;
            if let Some(l) = listen {
                cfg.listen = l.parse().map_err(|_| {
                    config::ConfigError::new("--listen", format!("{l:?} is not an address:port"))
                })?;
            }
            init_logging(&cfg);
            let app = App::build(&cfg).await?;
            let bound = app.local_addr().unwrap_or(cfg.listen);
            println!(
                "Rookery {} is running at {}/ (listening on {bound}, database {})",
                rookery_service::VERSION,
                app.services.urls.base(),
                rookery_store_sql::redact_url(&cfg.db.url),
            );
            println!(
                "Create the first admin account with:\n  {} admin accounts create USERNAME --email YOU@EXAMPLE.COM --role owner",
                self_command(&cli)
            );
            app.run(app::shutdown_signal())
                .await
                .map_err(|e| StartError::Other(format!("server error: {e}")))
        }
        Command::Db { command } => {
            let cfg = resolve(&cli)?;
            init_logging(&cfg);
            match command {
                DbCommand::Migrate => {
                    let applied = app::migrate(&cfg, &SystemClock).await?;
                    if applied.is_empty() {
                        println!(
                            "The database schema is up to date (version {}).",
                            rookery_store_sql::expected_version()
                        );
                    } else {
                        println!(
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
                    println!(
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
        Command::Admin {
            command: AdminCommand::Accounts { command },
        } => {
            let cfg = resolve(&cli)?;
            init_logging(&cfg);
            let store = app::open_store(&cfg, &SystemClock).await?;
            let services = app::services(&cfg, store);
            let out = match command {
                AccountsCommand::Create {
                    username,
                    email,
                    role,
                } => crate::admin::create(&services, username, email, *role).await?,
                AccountsCommand::List { limit } => crate::admin::list(&services, *limit).await?,
                AccountsCommand::Show { username } => {
                    crate::admin::show(&services, username).await?
                }
                AccountsCommand::ResetPassword { username } => {
                    crate::admin::reset_password(&services, username).await?
                }
                AccountsCommand::SetRole { username, role } => {
                    crate::admin::set_role(&services, username, *role).await?
                }
                AccountsCommand::Suspend { username, undo } => {
                    crate::admin::suspend(&services, username, *undo).await?
                }
            };
            print!("{out}");
            Ok(())
        }
    }
}
