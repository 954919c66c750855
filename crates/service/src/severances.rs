//! Severed relationships (Mastodon 4.3). When a moderator suspends a remote account or a whole
//! domain, or a user blocks a domain, follows between local and remote accounts are removed;
//! the removal is recorded in the same transaction, each local account that lost follows or
//! followers gets a `severed_relationships` notification (with the RelationshipSeveranceEvent
//! entity), and the lost accounts can be downloaded as CSV from `/severed_relationships`.

use std::collections::{BTreeMap, HashMap};

use rookery_api as api;
use rookery_model::{Account, Id};
use rookery_store::{
    AccountSeverance, Follow, LocalAccount, Notification, NotificationKind, SeveranceEvent,
    SeveranceKind, SeveredFollow, Transaction,
};

use crate::{Result, ServiceError, Services};

/// Severances listed on the page.
const LIST_LIMIT: u32 = 200;

/// Severed relationships: recording them, and showing them to the local accounts concerned.
pub struct Severances<'a> {
    s: &'a Services,
}

impl Services {
    /// Severed relationships.
    pub fn severances(&self) -> Severances<'_> {
        Severances { s: self }
    }
}

/// A CSV download: its file name and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    pub filename: String,
    pub text: String,
}

/// One CSV field, quoted when it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// What a file name may hold of a target's name.
fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The entity of `s`, Mastodon's RelationshipSeveranceEvent.
pub fn severance_entity(s: &AccountSeverance) -> api::RelationshipSeveranceEvent {
    api::RelationshipSeveranceEvent {
        id: s.id.to_string(),
        kind: s.event.kind.as_str().to_owned(),
        purged: s.event.purged,
        target_name: s.event.target_name.clone(),
        followers_count: s.followers_count,
        following_count: s.following_count,
        created_at: s.created_at.to_rfc3339(),
    }
}

impl Severances<'_> {
    /// Records, in `tx`, that `follows` (just removed) were severed by `kind` about
    /// `target_name`, and notifies each local account concerned. Follows with no local side
    /// (or two) are not recorded. Returns the notifications written, to publish after commit.
    pub(crate) async fn record(
        &self,
        tx: &mut dyn Transaction,
        kind: SeveranceKind,
        target_name: &str,
        follows: &[Follow],
    ) -> Result<Vec<Notification>> {
        if follows.is_empty() {
            return Ok(Vec::new());
        }
        let s = self.s;
        let mut ids: Vec<Id> = follows
            .iter()
            .flat_map(|f| [f.account_id, f.target_account_id])
            .collect();
        ids.sort();
        ids.dedup();
        let accounts: HashMap<Id, Account> = s
            .store
            .accounts(&ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let now = s.clock.now();
        let event = SeveranceEvent {
            id: s.ids.next_id(),
            kind,
            target_name: target_name.to_owned(),
            purged: false,
            created_at: now,
        };
        let mut severed = Vec::new();
        // Per local account: (followers lost, follows lost).
        let mut tally: BTreeMap<Id, (i64, i64)> = BTreeMap::new();
        for f in follows {
            let (Some(from), Some(to)) = (
                accounts.get(&f.account_id),
                accounts.get(&f.target_account_id),
            ) else {
                continue;
            };
            let (local, remote, active) = match (from.is_local(), to.is_local()) {
                (true, false) => (from, to, true),
                (false, true) => (to, from, false),
                _ => continue,
            };
            severed.push(SeveredFollow {
                id: s.ids.next_id(),
                event_id: event.id,
                local_account_id: local.id,
                remote_acct: remote.acct(),
                active,
                show_reblogs: f.show_reblogs,
                notify: f.notify,
            });
            let counts = tally.entry(local.id).or_default();
            if active {
                counts.1 += 1;
            } else {
                counts.0 += 1;
            }
        }
        if severed.is_empty() {
            return Ok(Vec::new());
        }
        tx.severances().insert_event(&event).await?;
        tx.severances().insert_severed(&severed).await?;
        let mut shown = Vec::new();
        for (account_id, (followers_count, following_count)) in tally {
            let each = AccountSeverance {
                id: s.ids.next_id(),
                account_id,
                event: event.clone(),
                followers_count,
                following_count,
                created_at: now,
            };
            tx.severances().insert_account_severance(&each).await?;
            // From the account to itself, sharing the severance's id (as Mastodon's).
            let mut n = Notification {
                id: each.id,
                account_id,
                from_account_id: account_id,
                kind: NotificationKind::SeveredRelationships,
                status_id: None,
                group_key: None,
                created_at: now,
                filtered: false,
            };
            if s.store_notification(tx, &mut n).await? {
                shown.push(n);
            }
        }
        Ok(shown)
    }

    /// Publishes what [`Severances::record`] notified, once its transaction committed.
    pub(crate) async fn publish(&self, shown: Vec<Notification>) {
        if shown.is_empty() {
            return;
        }
        if let Err(e) = self.s.publish_notifications(shown).await {
            tracing::warn!(error = ?e.log_cause(), "severed relationships not streamed");
        }
    }

    /// The severances `list`'s `severed_relationships` notifications are about, by
    /// notification id.
    pub(crate) async fn notified(
        &self,
        list: &[&Notification],
    ) -> Result<HashMap<Id, api::RelationshipSeveranceEvent>> {
        let ids: Vec<Id> = list
            .iter()
            .filter(|n| n.kind == NotificationKind::SeveredRelationships)
            .map(|n| n.id)
            .collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let owners: HashMap<Id, Id> = list.iter().map(|n| (n.id, n.account_id)).collect();
        Ok(self
            .s
            .store
            .severance_store()
            .account_severances(&ids)
            .await?
            .into_iter()
            .filter(|s| owners.get(&s.id) == Some(&s.account_id))
            .map(|s| (s.id, severance_entity(&s)))
            .collect())
    }

    /// `GET /severed_relationships`: the user's severances, newest first.
    pub async fn of(&self, user: &LocalAccount) -> Result<Vec<AccountSeverance>> {
        Ok(self
            .s
            .store
            .severance_store()
            .severances_of(user.account.id, LIST_LIMIT)
            .await?)
    }

    /// `GET /severed_relationships/:id/following.csv` (`following`) and `followers.csv`: what
    /// `user` lost in one of their own severances, in Mastodon's CSV shape.
    pub async fn csv(&self, user: &LocalAccount, id: Id, following: bool) -> Result<CsvFile> {
        let store = self.s.store.severance_store();
        let sev = store
            .account_severance(id)
            .await?
            .filter(|s| s.account_id == user.account.id)
            .ok_or(ServiceError::NotFound("severed relationships"))?;
        let rows = store
            .severed_follows(sev.event.id, user.account.id, following)
            .await?;
        let mut text = if following {
            "Account address,Show boosts,Notify on new posts,Languages\n".to_owned()
        } else {
            "Account address\n".to_owned()
        };
        for r in rows {
            if following {
                text.push_str(&format!(
                    "{},{},{},\n",
                    field(&r.remote_acct),
                    r.show_reblogs,
                    r.notify
                ));
            } else {
                text.push_str(&format!("{}\n", field(&r.remote_acct)));
            }
        }
        let date: String = sev.event.created_at.to_rfc3339().chars().take(10).collect();
        let kind = if following { "following" } else { "followers" };
        Ok(CsvFile {
            filename: format!("{kind}-{}-{date}.csv", file_safe(&sev.event.target_name)),
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{field, file_safe};

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(field("alice@example.com"), "alice@example.com");
        assert_eq!(field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_safe("bad.example\"\r\n"), "bad.example___");
    }
}
