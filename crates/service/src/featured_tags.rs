//! Featured hashtags: the ones a user shows on their profile, with how often they used them
//! (`/api/v1/featured_tags`, `/api/v1/accounts/:id/featured_tags`, `POST
//! /api/v1/tags/:name/feature` and `/unfeature`), the actor's `featuredTags` collection, and
//! what the HTML pages of a hashtag (`/tags/:name`, `/@user/tagged/:name`) list.

use rookery_api as api;
use rookery_model::{Account, Id};
use rookery_store::{FeatureOutcome, FeaturedTag, LocalAccount, Tag, TimelinePage};
use serde_json::{Value, json};

use crate::{AccountStatusesQuery, Result, ServiceError, Services};

/// Hashtags an account may feature (Mastodon's `FeaturedTag::LIMIT`).
pub const LIMIT: u32 = 10;
/// Hashtags suggested at most.
const SUGGESTIONS: u32 = 10;
/// Suggestions come from this many of the user's newest posts (as Mastodon's do).
const RECENT_STATUSES: u32 = 1000;
/// Posts an HTML hashtag page lists.
const PAGE_POSTS: u32 = 20;

/// Mastodon's message when the limit is reached.
const LIMIT_MESSAGE: &str = "You have already featured the maximum number of hashtags";

/// What the HTML page of a hashtag lists.
#[derive(Debug, Clone)]
pub struct TagPage {
    /// The hashtag as asked for (without `#`).
    pub name: String,
    /// For `/@user/tagged/:name`: the account (`acct`, profile URL).
    pub account: Option<(String, String)>,
    /// Its newest public posts (only public and unlisted ones of the account, for an account).
    pub statuses: Vec<api::Status>,
}

/// The featured hashtags area's use cases.
#[derive(Clone, Copy)]
pub struct FeaturedTags<'a> {
    s: &'a Services,
}

impl Services {
    /// Featured hashtags.
    pub fn featured_tags(&self) -> FeaturedTags<'_> {
        FeaturedTags { s: self }
    }

    /// `GET /users/:name/collections/tags`: the account's featured hashtags, as Mastodon
    /// publishes them (a `Collection` of `Hashtag`s, each leading to the account's posts with
    /// it).
    pub async fn ap_featured_tags(&self, username: &str) -> Result<Value> {
        let local = self.local_account(username).await?;
        if local.account.suspended_at.is_some() {
            return Err(ServiceError::NotFound("account"));
        }
        let featured = self
            .store
            .featured_tag_store()
            .featured_tags(local.account.id)
            .await?;
        let items: Vec<Value> = featured
            .iter()
            .map(|f| {
                json!({
                    "type": "Hashtag",
                    "href": self.featured_tags().url(&local.account, &f.name),
                    "name": format!("#{}", f.name),
                })
            })
            .collect();
        Ok(json!({
            "@context": [
                rookery_activitypub::AS_CONTEXT,
                {"Hashtag": "as:Hashtag"}
            ],
            "id": self.urls.actor_path(username, "collections/tags"),
            "type": "Collection",
            "totalItems": items.len(),
            "items": items,
        }))
    }
}

/// A name typed to be featured: surrounding space and one `#` in front are dropped.
fn featured_name(raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    let name = trimmed.strip_prefix('#').unwrap_or(trimmed);
    if name.is_empty() {
        return Err(ServiceError::invalid("Name", "can't be blank"));
    }
    match crate::tags::tag_name(name) {
        Ok(valid) if valid == name => Ok(valid),
        _ => Err(ServiceError::invalid("Name", "is invalid")),
    }
}

impl FeaturedTags<'_> {
    /// `https://DOMAIN/@user/tagged/name` (`@user@domain` for a remote account).
    fn url(&self, account: &Account, name: &str) -> String {
        let acct = match &account.domain {
            None => account.username.as_str().to_owned(),
            Some(d) => format!("{}@{d}", account.username.as_str()),
        };
        format!(
            "{}/@{acct}/tagged/{}",
            self.s.urls.base(),
            name.to_lowercase()
        )
    }

    fn entity(&self, account: &Account, f: &FeaturedTag) -> api::FeaturedTag {
        api::FeaturedTag {
            id: f.id.to_string(),
            name: f.name.clone(),
            url: self.url(account, &f.name),
            statuses_count: f.statuses_count.to_string(),
            last_status_at: f.last_status_at.map(|t| t.to_date_string()),
        }
    }

    async fn entities(&self, account: &Account) -> Result<Vec<api::FeaturedTag>> {
        Ok(self
            .s
            .store
            .featured_tag_store()
            .featured_tags(account.id)
            .await?
            .iter()
            .map(|f| self.entity(account, f))
            .collect())
    }

    /// `GET /api/v1/featured_tags`: the user's, most used first.
    pub async fn list(&self, user: &LocalAccount) -> Result<Vec<api::FeaturedTag>> {
        self.entities(&user.account).await
    }

    /// `GET /api/v1/accounts/:id/featured_tags`: anyone's (none for a suspended account).
    pub async fn of_account(&self, account_id: Id) -> Result<Vec<api::FeaturedTag>> {
        let account = self
            .s
            .store
            .account(account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        if account.suspended_at.is_some() {
            return Ok(Vec::new());
        }
        self.entities(&account).await
    }

    /// Features `tag` as `name`. The same name again answers with the featured tag there is,
    /// as Mastodon does; the same hashtag spelled otherwise is refused.
    async fn feature(&self, user: &LocalAccount, name: &str) -> Result<(Tag, FeaturedTag)> {
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        let tag = tx
            .tags()
            .ensure_tag(self.s.ids.next_id(), name, now)
            .await?;
        let outcome = tx
            .featured_tags()
            .feature_tag(
                self.s.ids.next_id(),
                user.account.id,
                &tag,
                name,
                LIMIT,
                now,
            )
            .await?;
        match outcome {
            FeatureOutcome::Featured(f) => {
                let href = self.url(&user.account, &f.name);
                self.s
                    .federate_featured_tag(tx.as_mut(), &user.account, &f.name, &href, true)
                    .await?;
                tx.commit().await?;
                Ok((tag, f))
            }
            FeatureOutcome::AlreadyFeatured(f) if f.name == name => Ok((tag, f)),
            FeatureOutcome::AlreadyFeatured(_) => {
                Err(ServiceError::invalid("Tag", "has already been taken"))
            }
            FeatureOutcome::LimitReached => Err(ServiceError::Conflict(LIMIT_MESSAGE.into())),
        }
    }

    /// `POST /api/v1/featured_tags` (`name`, `#` allowed in front).
    pub async fn create(&self, user: &LocalAccount, raw: &str) -> Result<api::FeaturedTag> {
        let name = featured_name(raw)?;
        let (_, f) = self.feature(user, &name).await?;
        Ok(self.entity(&user.account, &f))
    }

    /// `DELETE /api/v1/featured_tags/:id`: only the user's own.
    pub async fn delete(&self, user: &LocalAccount, id: Id) -> Result<()> {
        let featured = self
            .s
            .store
            .featured_tag_store()
            .featured_tags(user.account.id)
            .await?;
        let name = featured
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.name.clone())
            .ok_or(ServiceError::NotFound("featured tag"))?;
        let mut tx = self.s.store.begin().await?;
        if !tx
            .featured_tags()
            .unfeature_tag(user.account.id, id)
            .await?
        {
            return Err(ServiceError::NotFound("featured tag"));
        }
        self.removed(tx.as_mut(), user, &name).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Tells the followers' servers, in `tx`, that `name` is no longer featured.
    async fn removed(
        &self,
        tx: &mut dyn rookery_store::Transaction,
        user: &LocalAccount,
        name: &str,
    ) -> Result<()> {
        let href = self.url(&user.account, name);
        self.s
            .federate_featured_tag(tx, &user.account, name, &href, false)
            .await
    }

    /// `POST /api/v1/tags/:name/feature` (`feature`) and `/unfeature`: the Tag entity with
    /// `featuring`. Unfeaturing one not featured is fine.
    pub async fn set_featuring(
        &self,
        user: &LocalAccount,
        raw: &str,
        feature: bool,
    ) -> Result<api::Tag> {
        let name = crate::tags::tag_name(raw)?;
        let tag = if feature {
            self.feature(user, &name).await?.0
        } else {
            match self.s.store.tag_store().tag_by_name(&name).await? {
                Some(tag) => {
                    let mut tx = self.s.store.begin().await?;
                    if tx
                        .featured_tags()
                        .unfeature_tag_by_tag(user.account.id, tag.id)
                        .await?
                    {
                        self.removed(tx.as_mut(), user, &tag.name).await?;
                    }
                    tx.commit().await?;
                    tag
                }
                None => {
                    return self
                        .s
                        .tags()
                        .entity(None, &name, Some(false), Some(false))
                        .await;
                }
            }
        };
        let (following, featuring) = self.s.tags().flags(user.account.id, tag.id).await?;
        self.s
            .tags()
            .entity(Some(tag.id), &tag.name, Some(following), Some(featuring))
            .await
    }

    /// `GET /api/v1/featured_tags/suggestions`: the hashtags the user used most in their
    /// newest posts and does not feature yet, as Tag entities.
    pub async fn suggestions(&self, user: &LocalAccount) -> Result<Vec<api::Tag>> {
        let tags = self
            .s
            .store
            .featured_tag_store()
            .featured_tag_suggestions(user.account.id, RECENT_STATUSES, SUGGESTIONS)
            .await?;
        let ids: Vec<Id> = tags.iter().map(|t| t.id).collect();
        let followed = self
            .s
            .store
            .tag_store()
            .following_tags(user.account.id, &ids)
            .await?;
        let mut out = Vec::with_capacity(tags.len());
        for t in tags {
            let following = followed.contains(&t.id);
            out.push(
                self.s
                    .tags()
                    .entity(Some(t.id), &t.name, Some(following), Some(false))
                    .await?,
            );
        }
        Ok(out)
    }

    /// `GET /tags/:name`: the newest public posts with the hashtag (none for a name that
    /// cannot be one).
    pub async fn tag_page(&self, raw: &str) -> Result<TagPage> {
        let page = TimelinePage {
            max_id: None,
            since_id: None,
            min_id: None,
            limit: PAGE_POSTS,
        };
        let statuses = match crate::tags::tag_name(raw) {
            Ok(name) => {
                self.s
                    .tag_timeline(None, &name, None, false, page)
                    .await?
                    .statuses
            }
            Err(_) => Vec::new(),
        };
        Ok(TagPage {
            name: raw.trim_start_matches('#').to_owned(),
            account: None,
            statuses,
        })
    }

    /// `GET /@user/tagged/:name`: a local account's newest public and unlisted posts with the
    /// hashtag.
    pub async fn account_tag_page(&self, username: &str, raw: &str) -> Result<TagPage> {
        let local = self.s.local_account(username).await?;
        if local.account.suspended_at.is_some() {
            return Err(ServiceError::NotFound("account"));
        }
        let page = TimelinePage {
            max_id: None,
            since_id: None,
            min_id: None,
            limit: PAGE_POSTS,
        };
        let statuses = match crate::tags::tag_name(raw) {
            Ok(name) => {
                let query = AccountStatusesQuery {
                    exclude_reblogs: true,
                    tagged: Some(name),
                    ..AccountStatusesQuery::default()
                };
                self.s
                    .account_statuses(None, local.account.id, query, page)
                    .await?
                    .statuses
            }
            Err(_) => Vec::new(),
        };
        Ok(TagPage {
            name: raw.trim_start_matches('#').to_owned(),
            account: Some((
                local.account.username.as_str().to_owned(),
                self.s.urls.profile(local.account.username.as_str()),
            )),
            statuses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn featured_names_are_checked_as_mastodon_does() {
        assert_eq!(featured_name(" #Rust ").unwrap(), "Rust");
        assert_eq!(featured_name("über_alles").unwrap(), "über_alles");
        assert!(matches!(
            featured_name(" # "),
            Err(ServiceError::Invalid { field: "Name", .. })
        ));
        for bad in ["##rust", "a b", "123", "x-y", "<b>"] {
            assert!(featured_name(bad).is_err(), "{bad}");
        }
    }
}
