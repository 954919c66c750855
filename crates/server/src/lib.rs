//! The `rookery` binary's library: configuration, the command line, and the wiring that picks
//! concrete backends and starts process roles. Nothing below this crate chooses a backend.
//!
//! Tests boot the real application through [`app::App`].

pub mod admin;
pub mod admin_accounts;
pub mod admin_announcements;
pub mod admin_apps;
pub mod admin_emoji;
pub mod admin_invites;
pub mod admin_mail;
pub mod admin_moderation;
pub mod admin_relays;
pub mod admin_reports;
pub mod admin_rules;
pub mod admin_trends;
pub mod admin_webhooks;
pub mod app;
pub mod cli;
pub mod config;
pub mod dns;
pub mod federation;
pub mod mail;
pub mod media;
pub mod roles;
pub mod serve;
pub mod tls;
