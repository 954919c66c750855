//! Reports from other servers: a `Flag` activity naming local accounts and/or posts becomes a
//! report for our moderators, one per local account concerned, filed by the sending actor's
//! account. A remote account is reported here too when the posts named answer one of our
//! users (what another server forwards with Mastodon's `forward_to_domains`). Dropped when the sender's server is suspended or its reports are rejected
//! (`reject_reports`), when nothing local is named, or past [`FLAGS_PER_HOST_PER_HOUR`].

use rookery_activitypub::vocab::Activity;
use rookery_model::{Account, BlockSeverity, Id, Status};
use rookery_store::Report;
use serde_json::Value;

use crate::Result;
use crate::Services;
use crate::moderation::reports::MAX_STATUSES;

/// Reports taken in from one server an hour, at most (beyond: dropped, and logged).
pub const FLAGS_PER_HOST_PER_HOUR: i64 = 30;
/// Longest comment kept from another server (the rest is cut).
pub const MAX_REMOTE_COMMENT_CHARS: usize = 5000;
/// Local accounts one `Flag` may report at most.
const MAX_TARGETS: usize = 10;

/// The URIs a `Flag`'s `object` names (a URI, an object with an `id`, or a list of those),
/// at most `limit`.
fn object_uris(raw: &[u8], limit: usize) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<Value>(raw) else {
        return Vec::new();
    };
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => m.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    match v.get("object") {
        Some(Value::Array(list)) => list.iter().filter_map(one).take(limit).collect(),
        Some(other) => one(other).into_iter().collect(),
        None => Vec::new(),
    }
}

impl Services {
    /// A received `Flag` (see the module's documentation).
    pub(super) async fn on_flag(&self, actor: &Account, a: &Activity, raw: &[u8]) -> Result<()> {
        let Some(host) = actor.domain.as_ref().map(|d| d.as_str().to_owned()) else {
            return Ok(());
        };
        if self
            .domain_block_for(&host)
            .await?
            .is_some_and(|b| b.reject_reports || b.severity == BlockSeverity::Suspend)
        {
            tracing::info!(host, id = %a.id, "report dropped: reports from this server are rejected");
            return Ok(());
        }
        let now = self.clock.now();
        let recent = self
            .store
            .report_store()
            .reports_from_domain_since(&host, now.plus_millis(-3600 * 1000))
            .await?;
        if recent >= FLAGS_PER_HOST_PER_HOUR {
            tracing::warn!(host, id = %a.id, "report dropped: too many reports from this server");
            return Ok(());
        }
        // Who and what is reported: local accounts named, and the authors of local posts named.
        let mut targets: Vec<Account> = Vec::new();
        let mut statuses: Vec<Status> = Vec::new();
        for uri in object_uris(raw, MAX_STATUSES + MAX_TARGETS) {
            if let Some(account) = self.local_target(Some(&uri)).await? {
                if !targets.iter().any(|t| t.id == account.id) {
                    targets.push(account);
                }
            } else if let Some(status) = self.local_status_of(Some(&uri)).await? {
                if !statuses.iter().any(|s| s.id == status.id) {
                    statuses.push(status);
                }
            } else if let Some(status) = self.store.status_by_uri(&uri).await?
                && self.answers_a_local_account(&status).await?
                && !statuses.iter().any(|s| s.id == status.id)
            {
                statuses.push(status);
            }
        }
        for st in &statuses {
            if targets.iter().any(|t| t.id == st.account_id) {
                continue;
            }
            let author = if st.local {
                self.local_target_by_id(st.account_id).await?
            } else {
                self.store
                    .account(st.account_id)
                    .await?
                    .filter(|a| a.suspended_at.is_none())
            };
            if let Some(author) = author {
                targets.push(author);
            }
        }
        if targets.is_empty() {
            return Ok(());
        }
        let text = a
            .content
            .as_deref()
            .map(crate::filters::html_to_text)
            .unwrap_or_default();
        let comment: String = text.trim().chars().take(MAX_REMOTE_COMMENT_CHARS).collect();
        let mut tx = self.store.begin().await?;
        let mut shown = Vec::new();
        for (i, target) in targets.iter().take(MAX_TARGETS).enumerate() {
            // One report per account; the first keeps the activity's id, so a repeated
            // delivery of the same `Flag` finds it and files nothing.
            let uri = if i == 0 {
                a.id.clone()
            } else {
                format!("{}#{}", a.id, target.id)
            };
            let status_ids: Vec<Id> = statuses
                .iter()
                .filter(|s| s.account_id == target.id)
                .map(|s| s.id)
                .collect();
            let report = Report {
                id: self.ids.next_id(),
                account_id: actor.id,
                target_account_id: target.id,
                category: "other".into(),
                rule_ids: Vec::new(),
                comment: comment.clone(),
                forwarded: false,
                uri: Some(uri),
                assigned_account_id: None,
                action_taken_at: None,
                action_taken_by_account_id: None,
                created_at: now,
                updated_at: now,
                status_ids,
            };
            if let Some(list) = self
                .reports()
                .file(tx.as_mut(), &report, actor, target)
                .await?
            {
                shown.extend(list);
            }
        }
        tx.commit().await?;
        self.reports().publish(shown).await;
        Ok(())
    }

    /// Whether `status` (another server's) answers one of our users.
    async fn answers_a_local_account(&self, status: &Status) -> Result<bool> {
        if status.local {
            return Ok(false);
        }
        let Some(parent) = status.in_reply_to_account_id else {
            return Ok(false);
        };
        Ok(self
            .store
            .account(parent)
            .await?
            .is_some_and(|a| a.is_local()))
    }

    /// A live local account by id.
    async fn local_target_by_id(&self, id: Id) -> Result<Option<Account>> {
        Ok(self
            .store
            .account(id)
            .await?
            .filter(|a| a.is_local() && a.suspended_at.is_none()))
    }
}

#[cfg(test)]
mod tests {
    use super::object_uris;

    #[test]
    fn object_takes_a_uri_an_object_or_a_list() {
        let one = br#"{"object": "https://a.example/users/x"}"#;
        assert_eq!(object_uris(one, 5), vec!["https://a.example/users/x"]);
        let list = br#"{"object": ["https://a/u", {"id": "https://a/s/1"}, 3]}"#;
        assert_eq!(object_uris(list, 5), vec!["https://a/u", "https://a/s/1"]);
        assert_eq!(object_uris(list, 1), vec!["https://a/u"]);
        assert!(object_uris(b"not json", 5).is_empty());
        assert!(object_uris(br#"{"object": 7}"#, 5).is_empty());
    }
}
