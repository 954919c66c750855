//! Integration tests: the real application on real databases, driven over HTTP, and the real
//! binary driven from the command line. One test binary, to keep link time down.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

mod account_deletion;
mod announcements;
mod api;
mod browser;
mod browser_e2e;
mod capabilities;
mod cards;
mod cli;
mod conversations;
mod custom_emoji;
mod directory;
mod domain_blocks;
mod e2e;
mod email_change;
mod endorsements;
mod export;
mod featured_tags;
mod federated_featured_tags;
mod federated_media;
mod federated_polls;
mod federation;
mod filters;
mod imports;
mod inbox;
mod interactions;
mod invites;
mod kit;
mod lists;
mod mail;
mod media;
mod notification_emails;
mod notification_requests;
mod notifications;
mod oauth;
mod pages;
mod polls;
mod rate_limits;
mod registration;
mod relationships;
mod roles;
mod scheduled_races;
mod scheduled_statuses;
mod settings_account;
mod settings_pages;
mod sign_up_page;
mod social;
mod statuses;
mod streaming;
mod streaming_bus;
mod tags;
mod tls;
mod trends;
mod two_instances;
