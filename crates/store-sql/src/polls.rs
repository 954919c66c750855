//! Polls and votes.

use std::collections::HashMap;

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Poll, PollStore, PollTx, Result, StoreError};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::placeholders;
use crate::transaction::SqlTx;

const COLUMNS: &str = "id, status_id, account_id, options, multiple, hide_totals, expires_at, \
    remote_tallies, remote_voters_count, created_at";

fn from_row(r: &impl Fields) -> Result<Poll> {
    let options: Vec<String> = serde_json::from_str(&r.text("options")?)
        .map_err(|e| StoreError::Corrupt(format!("poll options: {e}")))?;
    let remote: Option<Vec<i64>> = r
        .opt_text("remote_tallies")?
        .map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("poll tallies: {e}")))?;
    let mut tallies = vec![0; options.len()];
    if let Some(counts) = &remote {
        for (slot, n) in tallies.iter_mut().zip(counts) {
            *slot = *n;
        }
    }
    Ok(Poll {
        id: Id::from_i64(r.int("id")?),
        status_id: Id::from_i64(r.int("status_id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        tallies,
        options,
        multiple: r.flag("multiple")?,
        hide_totals: r.flag("hide_totals")?,
        expires_at: r.opt_int("expires_at")?.map(Timestamp::from_millis),
        voters_count: r.opt_int("remote_voters_count")?.unwrap_or(0),
        remote: remote.is_some(),
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

/// Runs `sql` with the ids as binds from `$1` (after `first`, when given, as `$1`).
async fn rows_for_ids<T>(
    c: Conn<'_>,
    sql: &str,
    first: Option<i64>,
    ids: &[Id],
    map: impl Fn(&dyn RowLike) -> Result<T> + Send + Sync,
) -> Result<Vec<T>> {
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        if let Some(f) = first {
            q = q.bind(f);
        }
        for id in ids {
            q = q.bind(id.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter().map(|r| map(r)).collect::<Result<Vec<_>>>()
    })
}

/// Object-safe row reading, for [`rows_for_ids`]'s mapper.
trait RowLike {
    fn get_int(&self, col: &str) -> Result<i64>;
}

impl<R: Fields> RowLike for R {
    fn get_int(&self, col: &str) -> Result<i64> {
        self.int(col)
    }
}

/// Fills in the tallies and voter counts of the local ones among `polls` (remote ones carry
/// their origin's).
async fn with_tallies(mut c: Conn<'_>, mut polls: Vec<Poll>) -> Result<Vec<Poll>> {
    let ids: Vec<Id> = polls.iter().filter(|p| !p.remote).map(|p| p.id).collect();
    if ids.is_empty() {
        return Ok(polls);
    }
    let list = placeholders(1, ids.len());
    let tallies = rows_for_ids(
        c.reborrow(),
        &format!(
            "SELECT poll_id, choice, COUNT(*) AS n FROM poll_votes \
             WHERE poll_id IN ({list}) GROUP BY poll_id, choice"
        ),
        None,
        &ids,
        |r| Ok((r.get_int("poll_id")?, r.get_int("choice")?, r.get_int("n")?)),
    )
    .await?;
    let voters = rows_for_ids(
        c,
        &format!(
            "SELECT poll_id, COUNT(*) AS n FROM poll_voters \
             WHERE poll_id IN ({list}) GROUP BY poll_id"
        ),
        None,
        &ids,
        |r| Ok((r.get_int("poll_id")?, r.get_int("n")?)),
    )
    .await?;
    let index: HashMap<i64, usize> = polls
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_i64(), i))
        .collect();
    for (poll, choice, n) in tallies {
        if let Some(&i) = index.get(&poll)
            && let Some(slot) = usize::try_from(choice)
                .ok()
                .and_then(|c| polls[i].tallies.get_mut(c))
        {
            *slot = n;
        }
    }
    for (poll, n) in voters {
        if let Some(&i) = index.get(&poll) {
            polls[i].voters_count = n;
        }
    }
    Ok(polls)
}

async fn polls_where(mut c: Conn<'_>, column: &str, ids: &[Id]) -> Result<Vec<Poll>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM polls WHERE {column} IN ({})",
        placeholders(1, ids.len())
    );
    let polls = with_conn!(c.reborrow(), |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for id in ids {
            q = q.bind(id.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter().map(from_row).collect::<Result<Vec<_>>>()
    })?;
    with_tallies(c, polls).await
}

#[async_trait]
impl PollStore for SqlStore {
    async fn poll(&self, id: Id) -> Result<Option<Poll>> {
        read!(&self.pools, |c| polls_where(c, "id", &[id]).await).map(|mut v: Vec<Poll>| v.pop())
    }

    async fn polls_of_statuses(&self, status_ids: &[Id]) -> Result<Vec<Poll>> {
        read!(&self.pools, |c| polls_where(c, "status_id", status_ids)
            .await)
    }

    async fn own_votes(&self, account_id: Id, poll_ids: &[Id]) -> Result<Vec<(Id, i64)>> {
        if poll_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT poll_id, choice FROM poll_votes WHERE account_id = $1 \
             AND poll_id IN ({}) ORDER BY id",
            placeholders(2, poll_ids.len())
        );
        read!(&self.pools, |c| rows_for_ids(
            c,
            &sql,
            Some(account_id.as_i64()),
            poll_ids,
            |r| Ok((Id::from_i64(r.get_int("poll_id")?), r.get_int("choice")?))
        )
        .await)
    }

    async fn poll_voters(&self, poll_id: Id) -> Result<Vec<Id>> {
        read!(&self.pools, |c| rows_for_ids(
            c,
            "SELECT account_id FROM poll_voters WHERE poll_id = $1 ORDER BY account_id",
            None,
            &[poll_id],
            |r| Ok(Id::from_i64(r.get_int("account_id")?))
        )
        .await)
    }
}

#[async_trait]
impl PollTx for SqlTx {
    async fn insert_poll(&mut self, p: &Poll) -> Result<()> {
        let options = serde_json::to_string(&p.options)
            .map_err(|e| StoreError::Database(format!("poll options: {e}")))?;
        exec!(
            self.conn(),
            "INSERT INTO polls (id, status_id, account_id, options, multiple, hide_totals, \
             expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            p.id.as_i64(),
            p.status_id.as_i64(),
            p.account_id.as_i64(),
            options,
            p.multiple,
            p.hide_totals,
            p.expires_at.map(Timestamp::as_millis),
            p.created_at.as_millis()
        )?;
        Ok(())
    }

    async fn update_poll(&mut self, p: &Poll, reset: bool) -> Result<()> {
        let options = serde_json::to_string(&p.options)
            .map_err(|e| StoreError::Database(format!("poll options: {e}")))?;
        if reset {
            self.void_votes(p.id.as_i64()).await?;
        }
        exec!(
            self.conn(),
            "UPDATE polls SET options = $1, multiple = $2, hide_totals = $3, expires_at = $4 \
             WHERE id = $5",
            options,
            p.multiple,
            p.hide_totals,
            p.expires_at.map(Timestamp::as_millis),
            p.id.as_i64()
        )?;
        Ok(())
    }

    async fn delete_poll(&mut self, poll_id: Id) -> Result<()> {
        let id = poll_id.as_i64();
        self.void_votes(id).await?;
        exec!(self.conn(), "DELETE FROM polls WHERE id = $1", id)?;
        Ok(())
    }

    async fn cast_votes(
        &mut self,
        poll_id: Id,
        account_id: Id,
        votes: &[(Id, i64)],
        multiple: bool,
        now: Timestamp,
    ) -> Result<bool> {
        let first = exec!(
            self.conn(),
            "INSERT INTO poll_voters (poll_id, account_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            poll_id.as_i64(),
            account_id.as_i64(),
            now.as_millis()
        )?;
        if first == 0 && !multiple {
            return Ok(false);
        }
        let mut added = 0;
        for (id, choice) in votes {
            added += exec!(
                self.conn(),
                "INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                id.as_i64(),
                poll_id.as_i64(),
                account_id.as_i64(),
                *choice,
                now.as_millis()
            )?;
        }
        Ok(added > 0)
    }

    async fn save_remote_poll(&mut self, p: &Poll) -> Result<Id> {
        let options = serde_json::to_string(&p.options)
            .map_err(|e| StoreError::Database(format!("poll options: {e}")))?;
        let tallies = serde_json::to_string(&p.tallies)
            .map_err(|e| StoreError::Database(format!("poll tallies: {e}")))?;
        let existing = fetch_optional!(
            self.conn(),
            "SELECT id, options FROM polls WHERE status_id = $1",
            |r| Ok::<_, StoreError>((r.int("id")?, r.text("options")?)),
            p.status_id.as_i64()
        )?;
        let Some((id, old_options)) = existing else {
            exec!(
                self.conn(),
                "INSERT INTO polls (id, status_id, account_id, options, multiple, hide_totals, \
                 expires_at, remote_tallies, remote_voters_count, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                p.id.as_i64(),
                p.status_id.as_i64(),
                p.account_id.as_i64(),
                options,
                p.multiple,
                p.hide_totals,
                p.expires_at.map(Timestamp::as_millis),
                tallies,
                p.voters_count,
                p.created_at.as_millis()
            )?;
            return Ok(p.id);
        };
        if old_options != options {
            self.void_votes(id).await?;
        }
        exec!(
            self.conn(),
            "UPDATE polls SET options = $1, multiple = $2, expires_at = $3, remote_tallies = $4, \
             remote_voters_count = $5 WHERE id = $6",
            options,
            p.multiple,
            p.expires_at.map(Timestamp::as_millis),
            tallies,
            p.voters_count,
            id
        )?;
        Ok(Id::from_i64(id))
    }
}

impl SqlTx {
    /// Deletes the votes and voters of a poll.
    async fn void_votes(&mut self, poll_id: i64) -> Result<()> {
        exec!(
            self.conn(),
            "DELETE FROM poll_votes WHERE poll_id = $1",
            poll_id
        )?;
        exec!(
            self.conn(),
            "DELETE FROM poll_voters WHERE poll_id = $1",
            poll_id
        )?;
        Ok(())
    }
}
