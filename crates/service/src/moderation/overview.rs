//! The figures at the top of the moderators' dashboard: people and posts, the queues and their
//! dead jobs, storage used.

use rookery_model::{MediaUsage, Permission};
use rookery_store::InstanceStats;

use super::Moderator;
use crate::jobs::QueueView;
use crate::{Result, Services};

/// What the dashboard shows at a glance.
#[derive(Debug, Clone)]
pub struct Overview {
    pub stats: InstanceStats,
    pub queues: Vec<QueueView>,
    pub storage: Vec<MediaUsage>,
}

impl Services {
    /// The dashboard's figures, counted now.
    pub async fn admin_overview(&self, by: Moderator) -> Result<Overview> {
        by.require(Permission::ViewDashboard)?;
        Ok(Overview {
            stats: self.store.instance_stats(self.clock.now()).await?,
            queues: self.queue_stats().await?,
            storage: self.media_usage().await?,
        })
    }
}
