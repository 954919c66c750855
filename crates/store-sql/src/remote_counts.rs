//! Remote accounts' counts (see `rookery_store::RemoteCountsTx`).

use async_trait::async_trait;
use rookery_model::Id;
use rookery_store::{RemoteCounts, RemoteCountsTx, Result};

use crate::db::exec;
use crate::transaction::SqlTx;

#[async_trait]
impl RemoteCountsTx for SqlTx {
    async fn set_remote_counts(&mut self, account_id: Id, counts: RemoteCounts) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE accounts SET followers_count = COALESCE($2, followers_count), \
             following_count = COALESCE($3, following_count), \
             statuses_count = COALESCE($4, statuses_count) \
             WHERE id = $1 AND domain IS NOT NULL",
            account_id.as_i64(),
            counts.followers,
            counts.following,
            counts.statuses
        )? == 1)
    }
}
