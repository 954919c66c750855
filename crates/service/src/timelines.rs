//! Timelines: home, public, hashtag and an account's statuses, rendered for a viewer with
//! what they hide removed.

use rookery_api as api;
use rookery_model::{Account, Id, Visibility};
use rookery_store::{AccountStatusesFilter, LocalAccount, TimelinePage};

use crate::{Result, ServiceError, Services};

/// A page of a timeline as the viewer sees it, with the ids of the first and last status read
/// (newest, oldest): links page from those, so a page whose statuses were all left out (blocks,
/// mutes, `hide` filters) still leads on instead of ending the timeline.
#[derive(Debug, Clone, Default)]
pub struct StatusPage {
    pub statuses: Vec<api::Status>,
    pub bounds: Option<(Id, Id)>,
}

impl StatusPage {
    /// The bounds of `read`, newest first.
    pub(crate) fn bounds_of(read: &[rookery_model::Status]) -> Option<(Id, Id)> {
        read.first().zip(read.last()).map(|(a, b)| (a.id, b.id))
    }
}

/// The filters of `GET /api/v1/accounts/:id/statuses`.
#[derive(Debug, Clone, Default)]
pub struct AccountStatusesQuery {
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    /// Only statuses with this hashtag.
    pub tagged: Option<String>,
    /// Only statuses with attachments.
    pub only_media: bool,
}

impl Services {
    /// [`Services::without_hidden`] as a [`StatusPage`] with the bounds read.
    pub(crate) async fn without_hidden_page(
        &self,
        bounds: Option<(Id, Id)>,
        viewer: Option<&Account>,
        context: Option<rookery_store::FilterContext>,
        list: Vec<api::Status>,
    ) -> Result<StatusPage> {
        Ok(StatusPage {
            statuses: self.without_hidden(viewer, context, list).await?,
            bounds,
        })
    }

    /// `GET /api/v1/timelines/home`.
    pub async fn home_timeline(
        &self,
        user: &LocalAccount,
        page: TimelinePage,
    ) -> Result<StatusPage> {
        let statuses = self.store.home_timeline(user.account.id, page).await?;
        let bounds = StatusPage::bounds_of(&statuses);
        let list = self.status_entities(Some(&user.account), &statuses).await?;
        self.without_hidden_page(
            bounds,
            Some(&user.account),
            Some(rookery_store::FilterContext::Home),
            list,
        )
        .await
    }

    /// `GET /api/v1/timelines/public`.
    pub async fn public_timeline(
        &self,
        viewer: Option<&Account>,
        local: Option<bool>,
        only_media: bool,
        page: TimelinePage,
    ) -> Result<StatusPage> {
        let statuses = self.store.public_timeline(local, only_media, page).await?;
        let bounds = StatusPage::bounds_of(&statuses);
        let statuses = self.without_limited(viewer, statuses).await?;
        let list = self.status_entities(viewer, &statuses).await?;
        self.without_hidden_page(
            bounds,
            viewer,
            Some(rookery_store::FilterContext::Public),
            list,
        )
        .await
    }

    /// `GET /api/v1/timelines/tag/:hashtag`.
    pub async fn tag_timeline(
        &self,
        viewer: Option<&Account>,
        tag: &str,
        local: Option<bool>,
        only_media: bool,
        page: TimelinePage,
    ) -> Result<StatusPage> {
        let tag = tag.trim().trim_start_matches('#');
        if tag.is_empty()
            || tag.chars().count() > 100
            || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            return Ok(StatusPage::default());
        }
        let statuses = self
            .store
            .tag_timeline(tag, local, only_media, page)
            .await?;
        let bounds = StatusPage::bounds_of(&statuses);
        let statuses = self.without_limited(viewer, statuses).await?;
        let list = self.status_entities(viewer, &statuses).await?;
        self.without_hidden_page(
            bounds,
            viewer,
            Some(rookery_store::FilterContext::Public),
            list,
        )
        .await
    }

    /// `GET /api/v1/accounts/:id/statuses`.
    pub async fn account_statuses(
        &self,
        viewer: Option<&Account>,
        account_id: Id,
        query: AccountStatusesQuery,
        page: TimelinePage,
    ) -> Result<StatusPage> {
        let AccountStatusesQuery {
            exclude_replies,
            exclude_reblogs,
            tagged,
            only_media,
        } = query;
        let account = self
            .store
            .account(account_id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        if account.suspended_at.is_some() {
            return Ok(StatusPage::default());
        }
        let mut visibilities = vec![Visibility::Public, Visibility::Unlisted];
        if let Some(v) = viewer {
            let follows = v.id == account.id
                || self
                    .store
                    .relationships(v.id, &[account.id])
                    .await?
                    .first()
                    .is_some_and(|(_, r)| r.following);
            if follows {
                visibilities.push(Visibility::Private);
            }
        }
        let filter = AccountStatusesFilter {
            visibilities,
            exclude_replies,
            exclude_reblogs,
            tagged: tagged.map(|t| t.trim().trim_start_matches('#').to_owned()),
            only_media,
        };
        let statuses = self
            .store
            .account_statuses(account.id, &filter, page)
            .await?;
        let bounds = StatusPage::bounds_of(&statuses);
        let list = self.status_entities(viewer, &statuses).await?;
        self.without_hidden_page(
            bounds,
            viewer,
            Some(rookery_store::FilterContext::Account),
            list,
        )
        .await
    }
}
