//! `/` and `/about`: what this server is, its numbers, rules and texts, and how to join.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use rookery_api as api;

use super::view::{display_name, full_acct};
use super::{Site, render};
use crate::{ApiError, AppState};

/// An app to use this server with.
struct App {
    name: &'static str,
    platform: &'static str,
    url: &'static str,
}

/// A few well-known apps that speak the Mastodon API.
const APPS: &[App] = &[
    App {
        name: "Mastodon",
        platform: "Android",
        url: "https://play.google.com/store/apps/details?id=org.joinmastodon.android",
    },
    App {
        name: "Mastodon",
        platform: "iPhone and iPad",
        url: "https://apps.apple.com/app/mastodon-for-iphone-and-ipad/id1571998974",
    },
    App {
        name: "Tusky",
        platform: "Android",
        url: "https://tusky.app/",
    },
    App {
        name: "Ivory",
        platform: "iPhone, iPad and Mac",
        url: "https://tapbots.com/ivory/",
    },
    App {
        name: "Elk",
        platform: "web",
        url: "https://elk.zone/",
    },
    App {
        name: "Phanpy",
        platform: "web",
        url: "https://phanpy.social/",
    },
    App {
        name: "More apps",
        platform: "on joinmastodon.org",
        url: "https://joinmastodon.org/apps",
    },
];

/// The contact account, as the page shows it.
struct Contact {
    name: String,
    acct: String,
    url: String,
    avatar: String,
    avatar_alt: String,
}

impl Contact {
    fn of(a: api::Account, domain: &str) -> Contact {
        Contact {
            name: display_name(&a),
            acct: full_acct(&a.acct, domain),
            url: a.url,
            avatar: a.avatar_static,
            avatar_alt: a.avatar_description,
        }
    }
}

#[derive(Template)]
#[template(path = "about.html")]
struct About {
    site: Site,
    actor: String,
    url: String,
    description: String,
    /// Server-made HTML (escaped text).
    extended_description: String,
    open_registrations: bool,
    users: i64,
    statuses: i64,
    active_month: i64,
    domains: i64,
    apps: &'static [App],
    rules: Vec<api::Rule>,
    contact: Option<Contact>,
    contact_email: String,
    /// Server-made HTML (escaped text).
    privacy_policy: Option<String>,
    /// The day they took effect, and server-made HTML (escaped text).
    terms_of_service: Option<(String, String)>,
}

/// `GET /` and `GET /about`: what this server is, its numbers, rules and texts, how to join.
/// (Also the instance actor's profile page.)
pub(crate) async fn about(State(state): State<AppState>) -> Result<Response, ApiError> {
    let about = state.services.pages().about().await?;
    let site = Site::of(&state.services);
    let urls = &state.services.urls;
    render(&About {
        actor: urls.instance_actor(),
        url: format!("{}/about", urls.base()),
        description: about.info.description,
        extended_description: about.extended_description,
        open_registrations: about.info.open_registrations,
        users: about.info.stats.local_users,
        statuses: about.info.stats.local_statuses,
        active_month: about.info.stats.active_month,
        domains: about.info.stats.known_domains,
        apps: APPS,
        rules: about.rules,
        contact: about.contact_account.map(|a| Contact::of(a, &site.domain)),
        contact_email: about.contact_email,
        privacy_policy: about.privacy_policy,
        terms_of_service: about.terms_of_service,
        site,
    })
}
