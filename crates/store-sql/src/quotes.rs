//! Quote posts and quote policies (see `rookery_store::QuoteStore`).

use async_trait::async_trait;
use rookery_model::{Id, QuotePolicy, Timestamp};
use rookery_store::{Quote, QuoteState, QuoteStore, QuoteTx, Result, StoreError, TimelinePage};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::paging::keyset;
use crate::statuses::placeholders;
use crate::transaction::SqlTx;

const COLUMNS: &str = "id, status_id, account_id, quoted_status_id, quoted_account_id, \
    quoted_uri, state, activity_uri, approval_uri, created_at, updated_at";

fn quote_from_row(r: &(impl Fields + ?Sized)) -> Result<Quote> {
    let state = r.text("state")?;
    Ok(Quote {
        id: Id::from_i64(r.int("id")?),
        status_id: Id::from_i64(r.int("status_id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        quoted_status_id: r.opt_int("quoted_status_id")?.map(Id::from_i64),
        quoted_account_id: r.opt_int("quoted_account_id")?.map(Id::from_i64),
        quoted_uri: r.text("quoted_uri")?,
        state: QuoteState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("quote state {state:?}")))?,
        activity_uri: r.opt_text("activity_uri")?,
        approval_uri: r.opt_text("approval_uri")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

/// Rows of `sql`, which takes `ids` as `$1…$n`.
async fn by_ids<T>(
    c: Conn<'_>,
    sql: &str,
    ids: &[Id],
    map: impl Fn(&dyn Fields) -> Result<T> + Send + Sync,
) -> Result<Vec<T>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for id in ids {
            q = q.bind(id.as_i64());
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter().map(|r| map(r)).collect::<Result<Vec<_>>>()
    })
}

async fn one_where(c: Conn<'_>, column: &str, value: &str) -> Result<Option<Quote>> {
    fetch_optional!(
        c,
        format!("SELECT {COLUMNS} FROM quotes WHERE {column} = $1 ORDER BY id LIMIT 1"),
        quote_from_row,
        value
    )
}

#[async_trait]
impl QuoteStore for SqlStore {
    async fn quotes_by(&self, status_ids: &[Id]) -> Result<Vec<Quote>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM quotes WHERE status_id IN ({})",
            placeholders(1, status_ids.len())
        );
        read!(&self.pools, |c| by_ids(c, &sql, status_ids, |r| {
            quote_from_row(r)
        })
        .await)
    }

    async fn quote(&self, id: Id) -> Result<Option<Quote>> {
        let sql = format!("SELECT {COLUMNS} FROM quotes WHERE id = $1");
        read!(&self.pools, |c| fetch_optional!(
            c,
            sql.clone(),
            quote_from_row,
            id.as_i64()
        ))
    }

    async fn quote_by_activity(&self, activity_uri: &str) -> Result<Option<Quote>> {
        read!(&self.pools, |c| one_where(c, "activity_uri", activity_uri)
            .await)
    }

    async fn accepted_quotes_by_approval(
        &self,
        approval_uri: &str,
        quoted_account_id: Id,
    ) -> Result<Vec<Quote>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM quotes WHERE approval_uri = $1 AND quoted_account_id = $2 \
             AND state = 'accepted' ORDER BY id LIMIT 100"
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(approval_uri)
                .bind(quoted_account_id.as_i64())
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map(quote_from_row).collect()
        }))
    }

    async fn quotes_of_uri(&self, quoted_uri: &str) -> Result<Vec<Quote>> {
        let sql =
            format!("SELECT {COLUMNS} FROM quotes WHERE quoted_uri = $1 ORDER BY id LIMIT 1000");
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(quoted_uri)
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map(quote_from_row).collect()
        }))
    }

    async fn accepted_quotes(
        &self,
        quoted_status_id: Id,
        page: TimelinePage,
    ) -> Result<Vec<Quote>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM quotes WHERE quoted_status_id = $1 AND state = 'accepted' \
             AND id > $2 AND id < $3 ORDER BY id {{order}} LIMIT $4"
        );
        read!(&self.pools, |c| keyset(
            c,
            &sql,
            &[quoted_status_id.as_i64()],
            page,
            |r| quote_from_row(r)
        )
        .await)
    }

    async fn quotes_counts(&self, status_ids: &[Id]) -> Result<Vec<(Id, i64)>> {
        let sql = format!(
            "SELECT quoted_status_id AS s, COUNT(*) AS n FROM quotes \
             WHERE state = 'accepted' AND quoted_status_id IN ({}) GROUP BY quoted_status_id",
            placeholders(1, status_ids.len())
        );
        read!(&self.pools, |c| by_ids(c, &sql, status_ids, |r| Ok((
            Id::from_i64(r.int("s")?),
            r.int("n")?
        )))
        .await)
    }

    async fn quote_policies(&self, status_ids: &[Id]) -> Result<Vec<(Id, QuotePolicy)>> {
        let sql = format!(
            "SELECT status_id, policy FROM quote_policies WHERE status_id IN ({})",
            placeholders(1, status_ids.len())
        );
        read!(&self.pools, |c| by_ids(c, &sql, status_ids, |r| Ok((
            Id::from_i64(r.int("status_id")?),
            QuotePolicy::from_bits(r.int("policy")?)
        )))
        .await)
    }
}

#[async_trait]
impl QuoteTx for SqlTx {
    async fn insert_quote(&mut self, q: &Quote) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "INSERT INTO quotes (id, status_id, account_id, quoted_status_id, quoted_account_id, \
             quoted_uri, state, activity_uri, approval_uri, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (status_id) DO NOTHING",
            q.id.as_i64(),
            q.status_id.as_i64(),
            q.account_id.as_i64(),
            q.quoted_status_id.map(Id::as_i64),
            q.quoted_account_id.map(Id::as_i64),
            q.quoted_uri.as_str(),
            q.state.as_str(),
            q.activity_uri.as_deref(),
            q.approval_uri.as_deref(),
            q.created_at.as_millis(),
            q.updated_at.as_millis()
        )? == 1)
    }

    async fn set_quote_state(
        &mut self,
        id: Id,
        from: &[QuoteState],
        to: QuoteState,
        approval_uri: Option<&str>,
        activity_uri: Option<&str>,
        now: Timestamp,
    ) -> Result<bool> {
        if from.is_empty() {
            return Ok(false);
        }
        // States are this crate's own constants: no user text reaches the SQL.
        let states = from
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE quotes SET state = $2, approval_uri = $3, \
             activity_uri = COALESCE($4, activity_uri), updated_at = $5 \
             WHERE id = $1 AND state IN ({states})"
        );
        Ok(exec!(
            self.conn(),
            sqlx::AssertSqlSafe(sql),
            id.as_i64(),
            to.as_str(),
            approval_uri,
            activity_uri,
            now.as_millis()
        )? == 1)
    }

    async fn link_quoted(
        &mut self,
        quoted_uri: &str,
        status_id: Id,
        account_id: Id,
    ) -> Result<u64> {
        exec!(
            self.conn(),
            "UPDATE quotes SET quoted_status_id = $2, quoted_account_id = $3 \
             WHERE quoted_uri = $1 AND quoted_status_id IS NULL",
            quoted_uri,
            status_id.as_i64(),
            account_id.as_i64()
        )
    }

    async fn set_quote_policy(&mut self, status_id: Id, policy: QuotePolicy) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO quote_policies (status_id, policy) VALUES ($1, $2) \
             ON CONFLICT (status_id) DO UPDATE SET policy = excluded.policy",
            status_id.as_i64(),
            policy.bits()
        )?;
        Ok(())
    }
}
