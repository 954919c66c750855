//! The notification policy: which notifications from people without a relationship to the
//! recipient are accepted, held back as requests, or dropped (Mastodon 4.3's rules).

use rookery_api as api;
use rookery_model::Timestamp;
use rookery_store::{
    LocalAccount, Notification, NotificationKind, NotificationPolicy, PolicyAction, Transaction,
};

use super::Notifications;
use crate::{Result, ServiceError};

/// A sender's account younger than this is new (`for_new_accounts`).
const NEW_ACCOUNT_MILLIS: i64 = 30 * 24 * 3600 * 1000;
/// A follower of less than this does not count yet (`for_not_followers`).
const NEW_FOLLOWER_MILLIS: i64 = 3 * 24 * 3600 * 1000;
/// Pending requests are counted up to this many (Mastodon's cap).
const PENDING_CAP: i64 = 100;

/// Kinds a policy may hold back; the others (posts of people one follows, edits) always
/// arrive.
fn filterable(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::Mention
            | NotificationKind::Reblog
            | NotificationKind::Follow
            | NotificationKind::FollowRequest
            | NotificationKind::Favourite
    )
}

/// What the recipient's policy does with `n`: the strongest action among the cases it meets.
pub(super) async fn verdict(tx: &mut dyn Transaction, n: &Notification) -> Result<PolicyAction> {
    if !filterable(n.kind) || n.account_id == n.from_account_id {
        return Ok(PolicyAction::Accept);
    }
    let policy = tx
        .notification_requests()
        .policy_in_tx(n.account_id)
        .await?;
    // A limited account (by a moderator, or through its domain) reaches only those who follow
    // it, unless the recipient accepts limited accounts (`for_limited_accounts`).
    if policy.for_limited_accounts != PolicyAction::Accept
        && tx
            .account_moderation()
            .silenced_stranger(n.from_account_id, n.account_id)
            .await?
    {
        return Ok(policy.for_limited_accounts);
    }
    let private_mentions =
        n.kind == NotificationKind::Mention && policy.for_private_mentions != PolicyAction::Accept;
    let relationship_cases = [
        policy.for_not_following,
        policy.for_not_followers,
        policy.for_new_accounts,
    ];
    if !private_mentions
        && relationship_cases
            .iter()
            .all(|a| *a == PolicyAction::Accept)
    {
        return Ok(PolicyAction::Accept); // nothing to look up (limited accounts: none yet)
    }
    let facts = tx
        .notification_requests()
        .sender_facts(n.account_id, n.from_account_id)
        .await?;
    if facts.permitted {
        return Ok(PolicyAction::Accept);
    }
    let now = n.created_at.as_millis();
    let recent = |t: Option<Timestamp>, span: i64| t.is_some_and(|t| t.as_millis() > now - span);
    let mut action = PolicyAction::Accept;
    if !facts.followed {
        action = action.max(policy.for_not_following);
    }
    if facts.follower_since.is_none() || recent(facts.follower_since, NEW_FOLLOWER_MILLIS) {
        action = action.max(policy.for_not_followers);
    }
    if recent(facts.sender_created_at, NEW_ACCOUNT_MILLIS) {
        action = action.max(policy.for_new_accounts);
    }
    if private_mentions
        && !facts.followed
        && action < policy.for_private_mentions
        && let Some(status_id) = n.status_id
        && tx
            .notification_requests()
            .unsolicited_private_mention(status_id, n.account_id, n.from_account_id)
            .await?
    {
        action = policy.for_private_mentions;
    }
    Ok(action)
}

/// Changes to a policy (`PATCH /api/v2/notifications/policy`); `None` keeps a case as it is.
#[derive(Debug, Default, Clone)]
pub struct PolicyUpdate {
    pub for_not_following: Option<String>,
    pub for_not_followers: Option<String>,
    pub for_new_accounts: Option<String>,
    pub for_private_mentions: Option<String>,
    pub for_limited_accounts: Option<String>,
}

impl PolicyUpdate {
    /// The update in the version 1 shape: `true` filters, `false` accepts.
    pub fn from_flags(
        filter_not_following: Option<bool>,
        filter_not_followers: Option<bool>,
        filter_new_accounts: Option<bool>,
        filter_private_mentions: Option<bool>,
    ) -> Self {
        let action = |f: Option<bool>| {
            f.map(|f| {
                if f {
                    PolicyAction::Filter
                } else {
                    PolicyAction::Accept
                }
                .as_str()
                .to_owned()
            })
        };
        PolicyUpdate {
            for_not_following: action(filter_not_following),
            for_not_followers: action(filter_not_followers),
            for_new_accounts: action(filter_new_accounts),
            for_private_mentions: action(filter_private_mentions),
            for_limited_accounts: None,
        }
    }

    fn apply(&self, mut p: NotificationPolicy) -> Result<NotificationPolicy> {
        let set =
            |slot: &mut PolicyAction, field: &'static str, v: &Option<String>| -> Result<()> {
                if let Some(v) = v.as_deref() {
                    *slot = PolicyAction::parse(v).ok_or_else(|| {
                        ServiceError::invalid(field, format!("{v:?} is not accept, filter or drop"))
                    })?;
                }
                Ok(())
            };
        set(
            &mut p.for_not_following,
            "for_not_following",
            &self.for_not_following,
        )?;
        set(
            &mut p.for_not_followers,
            "for_not_followers",
            &self.for_not_followers,
        )?;
        set(
            &mut p.for_new_accounts,
            "for_new_accounts",
            &self.for_new_accounts,
        )?;
        set(
            &mut p.for_private_mentions,
            "for_private_mentions",
            &self.for_private_mentions,
        )?;
        set(
            &mut p.for_limited_accounts,
            "for_limited_accounts",
            &self.for_limited_accounts,
        )?;
        Ok(p)
    }
}

impl Notifications<'_> {
    /// `GET /api/v2/notifications/policy`.
    pub async fn policy(&self, user: &LocalAccount) -> Result<api::NotificationPolicy> {
        let store = self.s.store.notification_requests();
        let policy = store.notification_policy(user.account.id).await?;
        let (requests, notifications) = store.pending_counts(user.account.id, PENDING_CAP).await?;
        Ok(api::NotificationPolicy {
            for_not_following: policy.for_not_following.as_str(),
            for_not_followers: policy.for_not_followers.as_str(),
            for_new_accounts: policy.for_new_accounts.as_str(),
            for_private_mentions: policy.for_private_mentions.as_str(),
            for_limited_accounts: policy.for_limited_accounts.as_str(),
            summary: api::NotificationPolicySummary {
                pending_requests_count: requests,
                pending_notifications_count: notifications,
            },
        })
    }

    /// `GET /api/v1/notifications/policy`: the same, each case filtered or not (`drop`
    /// counts as filtered).
    pub async fn policy_v1(&self, user: &LocalAccount) -> Result<api::NotificationPolicyV1> {
        let p = self.policy(user).await?;
        let filters = |a: &str| a != PolicyAction::Accept.as_str();
        Ok(api::NotificationPolicyV1 {
            filter_not_following: filters(p.for_not_following),
            filter_not_followers: filters(p.for_not_followers),
            filter_new_accounts: filters(p.for_new_accounts),
            filter_private_mentions: filters(p.for_private_mentions),
            summary: p.summary,
        })
    }

    /// `PATCH /api/v2/notifications/policy` (and v1 `PUT`): unknown actions are refused whole.
    pub async fn update_policy(&self, user: &LocalAccount, update: &PolicyUpdate) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        let current = tx
            .notification_requests()
            .policy_in_tx(user.account.id)
            .await?;
        let next = update.apply(current)?;
        tx.notification_requests()
            .set_notification_policy(user.account.id, &next, self.s.clock.now())
            .await?;
        Ok(tx.commit().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_refuse_unknown_actions_and_keep_what_is_left_out() {
        let base = NotificationPolicy::default();
        let u = PolicyUpdate {
            for_not_following: Some("drop".into()),
            ..PolicyUpdate::default()
        };
        let p = u.apply(base).unwrap();
        assert_eq!(p.for_not_following, PolicyAction::Drop);
        assert_eq!(p.for_private_mentions, PolicyAction::Filter);
        let bad = PolicyUpdate {
            for_new_accounts: Some("maybe".into()),
            ..PolicyUpdate::default()
        };
        assert!(bad.apply(base).is_err());
        let v1 = PolicyUpdate::from_flags(Some(true), Some(false), None, None);
        let p = v1.apply(base).unwrap();
        assert_eq!(p.for_not_following, PolicyAction::Filter);
        assert_eq!(p.for_not_followers, PolicyAction::Accept);
        assert_eq!(p.for_new_accounts, PolicyAction::Accept);
    }

    #[test]
    fn only_interactions_from_others_are_filterable() {
        assert!(filterable(NotificationKind::Mention));
        assert!(filterable(NotificationKind::FollowRequest));
        assert!(!filterable(NotificationKind::Status));
        assert!(!filterable(NotificationKind::Update));
    }
}
