//! What moderation hides from readers: the posts of silenced (limited) accounts in public
//! and hashtag timelines for everyone but their followers, and those of suspended accounts;
//! and the login of a disabled user.

use rookery_model::{Account, Status};

use crate::crypto::sha256_hex;
use crate::{Result, Services};

impl Services {
    /// `statuses` without those `viewer` may not see in a public timeline because their
    /// author is suspended, or silenced and not followed by `viewer`.
    pub(crate) async fn without_limited(
        &self,
        viewer: Option<&Account>,
        mut statuses: Vec<Status>,
    ) -> Result<Vec<Status>> {
        let mut authors: Vec<_> = statuses.iter().map(|s| s.account_id).collect();
        authors.sort_unstable();
        authors.dedup();
        let hidden = self
            .store
            .account_moderation_store()
            .hidden_from_public(&authors, viewer.map(|v| v.id))
            .await?;
        if !hidden.is_empty() {
            statuses.retain(|s| !hidden.contains(&s.account_id));
        }
        Ok(statuses)
    }

    /// Whether `bearer` is a live token of a user whose login a moderator disabled (the API
    /// then answers Mastodon's 403 "Your login is currently disabled").
    pub async fn login_disabled(&self, bearer: &str) -> Result<bool> {
        if bearer.is_empty() || bearer.len() > 512 {
            return Ok(false);
        }
        let found = self
            .store
            .oauth_store()
            .token_with_owner(&sha256_hex(bearer))
            .await?;
        Ok(match found {
            Some((token, _, Some(local))) => {
                token.is_active(self.clock.now())
                    && local.user.disabled
                    && local.account.suspended_at.is_none()
            }
            _ => false,
        })
    }
}
