//! Relays this instance subscribes to.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Relay, RelayState, RelayStore, RelayTx, Result, StoreError};

use crate::SqlStore;
use crate::db::{Fields, exec, map_err, read, with_conn};
use crate::transaction::SqlTx;

const COLUMNS: &str = "id, inbox_url, follow_activity_id, state, created_at, updated_at";

fn relay_from_row(r: &impl Fields) -> Result<Relay> {
    let state = r.text("state")?;
    Ok(Relay {
        id: Id::from_i64(r.int("id")?),
        inbox_url: r.text("inbox_url")?,
        follow_activity_id: r.text("follow_activity_id")?,
        state: RelayState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("relay state {state:?}")))?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

#[async_trait]
impl RelayStore for SqlStore {
    async fn relays(&self) -> Result<Vec<Relay>> {
        let sql = format!("SELECT {COLUMNS} FROM relays ORDER BY id");
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map(relay_from_row).collect()
        }))
    }

    async fn relay_by_follow(&self, follow_activity_id: &str) -> Result<Option<Relay>> {
        let sql = format!("SELECT {COLUMNS} FROM relays WHERE follow_activity_id = $1");
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(follow_activity_id)
                .persistent(p)
                .fetch_optional(&mut *e)
                .await
                .map_err(map_err)?;
            row.as_ref().map(relay_from_row).transpose()
        }))
    }
}

#[async_trait]
impl RelayTx for SqlTx {
    async fn insert_relay(&mut self, r: &Relay) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "INSERT INTO relays (id, inbox_url, follow_activity_id, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (inbox_url) DO NOTHING",
            r.id.as_i64(),
            r.inbox_url.as_str(),
            r.follow_activity_id.as_str(),
            r.state.as_str(),
            r.created_at.as_millis(),
            r.updated_at.as_millis()
        )? == 1)
    }

    async fn set_relay_state(&mut self, id: Id, state: RelayState, now: Timestamp) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE relays SET state = $2, updated_at = $3 WHERE id = $1",
            id.as_i64(),
            state.as_str(),
            now.as_millis()
        )? == 1)
    }

    async fn delete_relay(&mut self, id: Id) -> Result<bool> {
        Ok(exec!(self.conn(), "DELETE FROM relays WHERE id = $1", id.as_i64())? == 1)
    }
}
