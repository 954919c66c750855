//! Filters, their keywords and statuses.

use std::collections::HashMap;

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{
    Filter, FilterAction, FilterContext, FilterKeyword, FilterStatus, FilterStore, FilterTx,
    Result, StoreError,
};

use crate::SqlStore;
use crate::db::{Conn, Fields, exec, map_err, read, with_conn};
use crate::transaction::SqlTx;

fn contexts_text(contexts: &[FilterContext]) -> String {
    contexts
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn from_row(r: &impl Fields) -> Result<Filter> {
    let action = r.text("action")?;
    let contexts = r.text("contexts")?;
    Ok(Filter {
        id: Id::from_i64(r.int("id")?),
        account_id: Id::from_i64(r.int("account_id")?),
        title: r.text("title")?,
        contexts: contexts
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| {
                FilterContext::parse(c)
                    .ok_or_else(|| StoreError::Corrupt(format!("filter context {c:?}")))
            })
            .collect::<Result<_>>()?,
        action: FilterAction::parse(&action)
            .ok_or_else(|| StoreError::Corrupt(format!("filter action {action:?}")))?,
        expires_at: r.opt_int("expires_at")?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(r.int("created_at")?),
        keywords: Vec::new(),
        statuses: Vec::new(),
    })
}

/// The account's filters with their keywords and statuses, in one round trip: a row per
/// keyword (or one per keyword-less filter), then a row per status.
async fn filters_of(c: Conn<'_>, account_id: Id) -> Result<Vec<Filter>> {
    const SQL: &str = "SELECT f.id, f.account_id, f.title, f.contexts, f.action, f.expires_at, \
        f.created_at, k.id AS k_id, k.keyword, k.whole_word, \
        CAST(NULL AS BIGINT) AS s_id, CAST(NULL AS BIGINT) AS s_status \
        FROM filters f LEFT JOIN filter_keywords k ON k.filter_id = f.id \
        WHERE f.account_id = $1 \
        UNION ALL \
        SELECT f.id, f.account_id, f.title, f.contexts, f.action, f.expires_at, \
        f.created_at, CAST(NULL AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS BOOLEAN), \
        s.id, s.status_id \
        FROM filters f JOIN filter_statuses s ON s.filter_id = f.id \
        WHERE f.account_id = $1 \
        ORDER BY 1, 8, 11";
    let rows = with_conn!(c, |e, p| {
        let rows = sqlx::query(SQL)
            .bind(account_id.as_i64())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let keyword = match r.opt_int("k_id")? {
                    Some(id) => Some(FilterKeyword {
                        id: Id::from_i64(id),
                        filter_id: Id::from_i64(r.int("id")?),
                        keyword: r.text("keyword")?,
                        whole_word: r.flag("whole_word")?,
                    }),
                    None => None,
                };
                let status = match (r.opt_int("s_id")?, r.opt_int("s_status")?) {
                    (Some(id), Some(status)) => Some(FilterStatus {
                        id: Id::from_i64(id),
                        filter_id: Id::from_i64(r.int("id")?),
                        status_id: Id::from_i64(status),
                    }),
                    _ => None,
                };
                Ok((from_row(r)?, keyword, status))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut filters: Vec<Filter> = Vec::new();
    let mut index: HashMap<Id, usize> = HashMap::new();
    for (filter, keyword, status) in rows {
        let at = *index.entry(filter.id).or_insert_with(|| {
            filters.push(filter);
            filters.len() - 1
        });
        if let Some(k) = keyword {
            filters[at].keywords.push(k);
        }
        if let Some(s) = status {
            filters[at].statuses.push(s);
        }
    }
    Ok(filters)
}

async fn insert_keyword(c: Conn<'_>, k: &FilterKeyword) -> Result<()> {
    exec!(
        c,
        "INSERT INTO filter_keywords (id, filter_id, keyword, whole_word) VALUES ($1, $2, $3, $4)",
        k.id.as_i64(),
        k.filter_id.as_i64(),
        k.keyword.as_str(),
        k.whole_word
    )?;
    Ok(())
}

async fn insert_status(c: Conn<'_>, s: &FilterStatus) -> Result<()> {
    exec!(
        c,
        "INSERT INTO filter_statuses (id, filter_id, status_id) VALUES ($1, $2, $3)",
        s.id.as_i64(),
        s.filter_id.as_i64(),
        s.status_id.as_i64()
    )?;
    Ok(())
}

#[async_trait]
impl FilterStore for SqlStore {
    async fn filters(&self, account_id: Id) -> Result<Vec<Filter>> {
        read!(&self.pools, |c| filters_of(c, account_id).await)
    }
}

#[async_trait]
impl FilterTx for SqlTx {
    async fn insert_filter(&mut self, f: &Filter) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO filters (id, account_id, title, contexts, action, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            f.id.as_i64(),
            f.account_id.as_i64(),
            f.title.as_str(),
            contexts_text(&f.contexts),
            f.action.as_str(),
            f.expires_at.map(Timestamp::as_millis),
            f.created_at.as_millis()
        )?;
        for k in &f.keywords {
            insert_keyword(self.conn(), k).await?;
        }
        for s in &f.statuses {
            insert_status(self.conn(), s).await?;
        }
        Ok(())
    }

    async fn update_filter(&mut self, f: &Filter) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE filters SET title = $3, contexts = $4, action = $5, expires_at = $6 \
             WHERE account_id = $1 AND id = $2",
            f.account_id.as_i64(),
            f.id.as_i64(),
            f.title.as_str(),
            contexts_text(&f.contexts),
            f.action.as_str(),
            f.expires_at.map(Timestamp::as_millis)
        )? == 1)
    }

    async fn delete_filter(&mut self, account_id: Id, id: Id) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM filters WHERE account_id = $1 AND id = $2",
            account_id.as_i64(),
            id.as_i64()
        )? == 1)
    }

    async fn insert_filter_keyword(&mut self, keyword: &FilterKeyword) -> Result<()> {
        insert_keyword(self.conn(), keyword).await
    }

    async fn update_filter_keyword(&mut self, account_id: Id, k: &FilterKeyword) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "UPDATE filter_keywords SET keyword = $3, whole_word = $4 WHERE id = $2 \
             AND filter_id IN (SELECT id FROM filters WHERE account_id = $1)",
            account_id.as_i64(),
            k.id.as_i64(),
            k.keyword.as_str(),
            k.whole_word
        )? == 1)
    }

    async fn delete_filter_keyword(&mut self, account_id: Id, id: Id) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM filter_keywords WHERE id = $2 \
             AND filter_id IN (SELECT id FROM filters WHERE account_id = $1)",
            account_id.as_i64(),
            id.as_i64()
        )? == 1)
    }

    async fn insert_filter_status(&mut self, status: &FilterStatus) -> Result<()> {
        insert_status(self.conn(), status).await
    }

    async fn delete_filter_status(&mut self, account_id: Id, id: Id) -> Result<bool> {
        Ok(exec!(
            self.conn(),
            "DELETE FROM filter_statuses WHERE id = $2 \
             AND filter_id IN (SELECT id FROM filters WHERE account_id = $1)",
            account_id.as_i64(),
            id.as_i64()
        )? == 1)
    }
}
