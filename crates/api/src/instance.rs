//! The Instance entity, v1 (`/api/v1/instance`) and v2 (`/api/v2/instance`).

use serde::Serialize;
use serde_json::Value;

use crate::account::Account;

/// docs.joinmastodon.org/entities/V1_Instance
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InstanceV1 {
    pub uri: String,
    pub title: String,
    pub short_description: String,
    pub description: String,
    pub email: String,
    pub version: String,
    pub urls: V1Urls,
    pub stats: V1Stats,
    pub thumbnail: Option<String>,
    pub languages: Vec<String>,
    pub registrations: bool,
    pub approval_required: bool,
    pub invites_enabled: bool,
    pub configuration: V1Configuration,
    pub contact_account: Option<Account>,
    pub rules: Vec<Rule>,
}

/// `urls` of the v1 instance.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct V1Urls {
    pub streaming_api: String,
}

/// `stats` of the v1 instance.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct V1Stats {
    pub user_count: i64,
    pub status_count: i64,
    pub domain_count: i64,
}

/// `configuration` of the v1 instance.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct V1Configuration {
    pub accounts: Value,
    pub statuses: Value,
    pub media_attachments: Value,
    pub polls: Value,
}

/// An instance rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub text: String,
    pub hint: String,
}

/// docs.joinmastodon.org/entities/Instance
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InstanceV2 {
    pub domain: String,
    pub title: String,
    pub version: String,
    pub source_url: String,
    pub description: String,
    pub usage: V2Usage,
    pub thumbnail: V2Thumbnail,
    pub icon: Vec<Value>,
    pub languages: Vec<String>,
    pub configuration: V2Configuration,
    pub registrations: V2Registrations,
    pub api_versions: Value,
    pub contact: V2Contact,
    pub rules: Vec<Rule>,
}

/// `usage` of the v2 instance.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct V2Usage {
    pub users: V2UsageUsers,
}

/// `usage.users` of the v2 instance.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct V2UsageUsers {
    pub active_month: i64,
}

/// `thumbnail` of the v2 instance.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct V2Thumbnail {
    pub url: String,
    pub blurhash: Option<String>,
    pub versions: Option<Value>,
}

/// `configuration` of the v2 instance.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct V2Configuration {
    pub urls: Value,
    pub vapid: Value,
    pub accounts: Value,
    pub statuses: Value,
    pub media_attachments: Value,
    pub polls: Value,
    pub translation: Value,
}

/// `registrations` of the v2 instance.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct V2Registrations {
    pub enabled: bool,
    pub approval_required: bool,
    pub message: Option<String>,
    pub url: Option<String>,
}

/// `contact` of the v2 instance.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct V2Contact {
    pub email: String,
    pub account: Option<Account>,
}
