//! Follow suggestions (`/api/v2/suggestions`, v1's list, and dismissing one): accounts the
//! user's follows follow most, then this server's most followed, never someone the user
//! follows, blocks, mutes or dismissed.

use rookery_api as api;
use rookery_model::Id;
use rookery_store::{LocalAccount, SuggestionSource};
use serde_json::{Value, json};

use crate::{Result, Services};

impl Services {
    /// Up to `limit` (at most 80) suggestions for `user`, as v2 entities.
    pub async fn suggestions(&self, user: &LocalAccount, limit: u32) -> Result<Vec<Value>> {
        let hidden = self.hidden_for(Some(&user.account), false).await?;
        let found = self
            .store
            .suggestion_store()
            .suggestions(user.account.id, limit.clamp(1, 80))
            .await?;
        Ok(found
            .iter()
            .filter(|(a, _)| !hidden.contains(&a.id.to_string()))
            .map(|(a, source)| {
                let (source, why) = match source {
                    SuggestionSource::FriendsOfFriends => {
                        ("past_interactions", "friends_of_friends")
                    }
                    SuggestionSource::MostFollowed => ("global", "most_followed"),
                };
                json!({
                    "source": source,
                    "sources": [why],
                    "account": self.account_entity(a),
                })
            })
            .collect())
    }

    /// `GET /api/v1/suggestions`: the same accounts, without the reasons.
    pub async fn suggested_accounts(
        &self,
        user: &LocalAccount,
        limit: u32,
    ) -> Result<Vec<api::Account>> {
        let hidden = self.hidden_for(Some(&user.account), false).await?;
        Ok(self
            .store
            .suggestion_store()
            .suggestions(user.account.id, limit.clamp(1, 80))
            .await?
            .iter()
            .filter(|(a, _)| !hidden.contains(&a.id.to_string()))
            .map(|(a, _)| self.account_entity(a))
            .collect())
    }

    /// `DELETE /api/v1/suggestions/:account_id`: never suggest them again.
    pub async fn dismiss_suggestion(&self, user: &LocalAccount, target: Id) -> Result<()> {
        let target = self.live_account(target).await?;
        let mut tx = self.store.begin().await?;
        tx.suggestions()
            .dismiss_suggestion(user.account.id, target.id, self.clock.now())
            .await?;
        Ok(tx.commit().await?)
    }
}
