//! Hashtags: `GET /api/v1/tags/:name` with a week of use, following and unfollowing them, and
//! the list a user follows. Followed hashtags bring public posts into home (see
//! [`Services::feed_recipients`]).

use std::collections::HashMap;

use rookery_api as api;
use rookery_model::{Account, Id, Timestamp};
use rookery_store::{LocalAccount, Tag, TagDay, TimelinePage};

use crate::{Result, ServiceError, Services};

const DAY_MS: i64 = 86_400_000;
/// Days of history a Tag shows.
const HISTORY_DAYS: i64 = 7;

/// A hashtag name as typed (`#` allowed in front), if it can be one.
pub(crate) fn tag_name(raw: &str) -> Result<String> {
    let name = raw.trim().trim_start_matches('#');
    if name.is_empty()
        || name.chars().count() > 100
        || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
        || name.chars().all(|c| c.is_ascii_digit())
    {
        return Err(ServiceError::NotFound("tag"));
    }
    Ok(name.to_owned())
}

/// The hashtags area's use cases.
#[derive(Clone, Copy)]
pub struct Tags<'a> {
    s: &'a Services,
}

impl Services {
    /// Hashtags: lookup, follows.
    pub fn tags(&self) -> Tags<'_> {
        Tags { s: self }
    }
}

impl Tags<'_> {
    /// The entity of `tag` (id empty for one never used) with `following` and `featuring`
    /// for a viewer.
    pub(crate) async fn entity(
        &self,
        id: Option<Id>,
        name: &str,
        following: Option<bool>,
        featuring: Option<bool>,
    ) -> Result<api::Tag> {
        let now = self.s.clock.now().as_millis();
        let today = now.div_euclid(DAY_MS);
        let since = Timestamp::from_millis((today - (HISTORY_DAYS - 1)) * DAY_MS);
        let days: HashMap<i64, TagDay> = match id {
            Some(id) => self
                .s
                .store
                .tag_store()
                .tag_history(id, since)
                .await?
                .into_iter()
                .map(|d| (d.day, d))
                .collect(),
            None => HashMap::new(),
        };
        let history = (0..HISTORY_DAYS)
            .map(|back| {
                let day = today - back;
                let d = days.get(&day);
                api::TagHistory {
                    day: (day * 86_400).to_string(),
                    uses: d.map_or(0, |d| d.uses).to_string(),
                    accounts: d.map_or(0, |d| d.accounts).to_string(),
                }
            })
            .collect();
        Ok(api::Tag {
            id: id.map(|i| i.to_string()).unwrap_or_default(),
            name: name.to_owned(),
            url: format!("{}/tags/{}", self.s.urls.base(), name.to_lowercase()),
            history,
            following,
            featuring,
        })
    }

    /// Whether `account_id` follows and features `tag_id`.
    pub(crate) async fn flags(&self, account_id: Id, tag_id: Id) -> Result<(bool, bool)> {
        let store = &self.s.store;
        let following = !store
            .tag_store()
            .following_tags(account_id, &[tag_id])
            .await?
            .is_empty();
        let featuring = !store
            .featured_tag_store()
            .featuring_tags(account_id, &[tag_id])
            .await?
            .is_empty();
        Ok((following, featuring))
    }

    /// `GET /api/v1/tags/:name`: any valid name answers, used or not (as Mastodon's does).
    pub async fn get(&self, viewer: Option<&Account>, raw: &str) -> Result<api::Tag> {
        let name = tag_name(raw)?;
        let tag = self.s.store.tag_store().tag_by_name(&name).await?;
        let (following, featuring) = match (viewer, &tag) {
            (Some(v), Some(t)) => {
                let (following, featuring) = self.flags(v.id, t.id).await?;
                (Some(following), Some(featuring))
            }
            (Some(_), None) => (Some(false), Some(false)),
            (None, _) => (None, None),
        };
        match tag {
            Some(t) => self.entity(Some(t.id), &t.name, following, featuring).await,
            None => self.entity(None, &name, following, featuring).await,
        }
    }

    /// `POST /api/v1/tags/:name/follow` (`follow`) and `/unfollow`.
    pub async fn set_following(
        &self,
        user: &LocalAccount,
        raw: &str,
        follow: bool,
    ) -> Result<api::Tag> {
        let name = tag_name(raw)?;
        let now = self.s.clock.now();
        let mut tx = self.s.store.begin().await?;
        let tag: Tag = tx
            .tags()
            .ensure_tag(self.s.ids.next_id(), &name, now)
            .await?;
        if follow {
            tx.tags()
                .follow_tag(self.s.ids.next_id(), user.account.id, tag.id, now)
                .await?;
        } else {
            tx.tags().unfollow_tag(user.account.id, tag.id).await?;
        }
        tx.commit().await?;
        let (_, featuring) = self.flags(user.account.id, tag.id).await?;
        self.entity(Some(tag.id), &tag.name, Some(follow), Some(featuring))
            .await
    }

    /// `GET /api/v1/followed_tags`: `(follow id, tag)`, newest follow first.
    pub async fn followed(
        &self,
        user: &LocalAccount,
        page: TimelinePage,
    ) -> Result<Vec<(Id, api::Tag)>> {
        let rows = self
            .s
            .store
            .tag_store()
            .followed_tags(user.account.id, page)
            .await?;
        let ids: Vec<Id> = rows.iter().map(|(_, t)| t.id).collect();
        let featured = self
            .s
            .store
            .featured_tag_store()
            .featuring_tags(user.account.id, &ids)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (follow_id, t) in rows {
            let featuring = featured.contains(&t.id);
            out.push((
                follow_id,
                self.entity(Some(t.id), &t.name, Some(true), Some(featuring))
                    .await?,
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_are_checked() {
        assert_eq!(tag_name("#Rust").unwrap(), "Rust");
        assert_eq!(tag_name("über_alles").unwrap(), "über_alles");
        assert!(tag_name("").is_err());
        assert!(tag_name("#").is_err());
        assert!(tag_name("a b").is_err());
        assert!(tag_name("123").is_err());
        assert!(tag_name(&"x".repeat(101)).is_err());
    }
}
