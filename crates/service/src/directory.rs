//! What the instance tells about itself beyond `/api/v2/instance`: weekly activity, the
//! servers it knows, the extended description, rules, translation languages, and the profile
//! directory.

use rookery_api as api;
use rookery_store::DirectoryOrder;
use serde_json::{Value, json};

use crate::{Result, ServiceError, Services};

const WEEK_MS: i64 = 7 * 86_400_000;
const MONDAY_OFFSET_MS: i64 = 3 * 86_400_000;
/// Weeks `/api/v1/instance/activity` covers, this one included (Mastodon's 12).
const ACTIVITY_WEEKS: i64 = 12;
/// Peers listed at most.
const MAX_PEERS: u32 = 10_000;

impl Services {
    /// `GET /api/v1/instance/activity`: the last 12 weeks, newest first, numbers as strings.
    pub async fn instance_activity(&self) -> Result<Vec<Value>> {
        let now = self.clock.now().as_millis();
        let this_week = (now + MONDAY_OFFSET_MS).div_euclid(WEEK_MS);
        let first = this_week - (ACTIVITY_WEEKS - 1);
        let since = rookery_model::Timestamp::from_millis(first * WEEK_MS - MONDAY_OFFSET_MS);
        let weeks = self.store.directory_store().weekly_activity(since).await?;
        Ok((0..ACTIVITY_WEEKS)
            .map(|back| {
                let week = this_week - back;
                let w = weeks.iter().find(|w| w.week == week);
                json!({
                    "week": ((week * WEEK_MS - MONDAY_OFFSET_MS) / 1000).to_string(),
                    "statuses": w.map_or(0, |w| w.statuses).to_string(),
                    "logins": w.map_or(0, |w| w.logins).to_string(),
                    "registrations": w.map_or(0, |w| w.registrations).to_string(),
                })
            })
            .collect())
    }

    /// `GET /api/v1/instance/peers`: domains of the servers whose accounts are known.
    pub async fn instance_peers(&self) -> Result<Vec<String>> {
        Ok(self.store.directory_store().peers(MAX_PEERS).await?)
    }

    /// `GET /api/v1/instance/languages`: every language a post may be tagged with.
    pub fn instance_languages(&self) -> Value {
        Value::Array(
            crate::languages::LANGUAGES
                .iter()
                .map(|(code, name)| json!({"code": code, "name": name}))
                .collect(),
        )
    }

    /// `GET /api/v1/instance/privacy_policy`: the configured policy as HTML, or, when none is
    /// set, a statement saying so and whom to ask.
    pub fn privacy_policy(&self) -> Value {
        let content = self.privacy_policy_html().unwrap_or_else(|| {
            let contact = match self.settings.contact_email.trim() {
                "" => "its administrators".to_owned(),
                email => email.to_owned(),
            };
            paragraphs(&format!(
                "{} has not published a privacy policy. Ask {contact} how it keeps and uses \
                 your data.",
                self.settings.title
            ))
        });
        // From the configuration, which keeps no date of change: the time of the answer.
        json!({
            "updated_at": self.clock.now().to_rfc3339(),
            "content": content,
        })
    }

    /// `GET /api/v1/instance/terms_of_service[/:date]`: the configured terms (Mastodon's
    /// TermsOfService), `None` when there are none or `date` is not the day they took effect
    /// (the configuration requires that day with the terms).
    pub fn terms_of_service(&self, date: Option<&str>) -> Option<Value> {
        let (effective, content) = self.terms_of_service_html()?;
        if date.is_some_and(|d| d != effective) {
            return None;
        }
        Some(json!({
            "effective_date": effective,
            "effective": true,
            "content": content,
            "succeeded_by": null,
        }))
    }

    /// The configured privacy policy as HTML (escaped text in paragraphs), if there is one.
    pub(crate) fn privacy_policy_html(&self) -> Option<String> {
        let text = self.settings.privacy_policy.trim();
        (!text.is_empty()).then(|| paragraphs(text))
    }

    /// The configured terms of service: the day they took effect and their text as HTML
    /// (escaped, in paragraphs), if there are any.
    pub(crate) fn terms_of_service_html(&self) -> Option<(String, String)> {
        let text = self.settings.terms_of_service.trim();
        let effective = self.settings.terms_of_service_date.clone()?;
        (!text.is_empty()).then(|| (effective, paragraphs(text)))
    }

    /// `GET /api/v1/instance/domain_blocks`: the servers moderated here (limited or suspended)
    /// with their public comments, as `instance.show_domain_blocks` allows; `None` when the
    /// viewer may not see them (Mastodon answers 404 then).
    pub async fn public_domain_blocks(&self, signed_in: bool) -> Result<Option<Vec<Value>>> {
        use crate::settings::ShowDomainBlocks;
        let shown = match self.settings.show_domain_blocks {
            ShowDomainBlocks::All => true,
            ShowDomainBlocks::Users => signed_in,
            ShowDomainBlocks::Disabled => false,
        };
        if !shown {
            return Ok(None);
        }
        let mut blocks = self.store.domain_blocks().await?;
        blocks.sort_by(|a, b| a.domain.as_str().cmp(b.domain.as_str()));
        Ok(Some(
            blocks
                .iter()
                .filter(|b| b.severity != rookery_model::BlockSeverity::Noop)
                .map(|b| {
                    let domain = b.domain.as_str();
                    let shown = if b.obfuscate {
                        crate::moderation::domain_blocks::obfuscated(domain)
                    } else {
                        domain.to_owned()
                    };
                    json!({
                        "domain": shown,
                        "digest": crate::crypto::sha256_hex(domain),
                        "severity": b.severity.as_str(),
                        "comment": Some(b.public_comment.trim()).filter(|c| !c.is_empty()),
                    })
                })
                .collect(),
        ))
    }

    /// `GET /api/v1/instance/extended_description`: the configured description as HTML.
    pub fn extended_description(&self) -> Value {
        // The description comes from the configuration, which keeps no date of change: the
        // time of the answer stands in.
        json!({
            "updated_at": self.clock.now().to_rfc3339(),
            "content": self.extended_description_html(),
        })
    }

    /// The configured description as HTML (escaped text; empty when there is none).
    pub(crate) fn extended_description_html(&self) -> String {
        let text = self.settings.description.trim();
        if text.is_empty() {
            String::new()
        } else {
            format!("<p>{}</p>", crate::render::escape_html(text))
        }
    }

    /// `GET /api/v1/directory`: discoverable accounts, `active` (recently posting) or `new`.
    pub async fn directory(
        &self,
        order: Option<&str>,
        local_only: bool,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<api::Account>> {
        let order = match order.unwrap_or("active") {
            "active" | "" => DirectoryOrder::Active,
            "new" => DirectoryOrder::New,
            other => {
                return Err(ServiceError::invalid(
                    "order",
                    format!("{other:?} is not active or new"),
                ));
            }
        };
        if offset > 10_000 {
            return Ok(Vec::new());
        }
        let found = self
            .store
            .directory_store()
            .directory(order, local_only, offset, limit.clamp(1, 80))
            .await?;
        self.account_entities(&found.iter().collect::<Vec<_>>())
            .await
    }
}

/// Plain text as HTML: paragraphs where blank lines are, line breaks within them, escaped.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(crate::render::escape_html).collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect()
}
