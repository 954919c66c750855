//! Keyset paging (`max_id`, `since_id`, `min_id`, `limit`), written once for every list that
//! pages by a row id.

use rookery_store::{Result, TimelinePage};

use crate::db::{Conn, Fields, map_err, with_conn};
use crate::statuses::bounds;

/// Runs `sql` — which takes `binds` as `$1…$n`, then the lower bound, upper bound and limit
/// as `$n+1…$n+3`, and ends in `ORDER BY <key> {order} LIMIT $n+3` with `{order}` left to
/// fill — and maps each row. The result is newest first whichever way the page was read.
pub(crate) async fn keyset<T>(
    c: Conn<'_>,
    sql: &str,
    binds: &[i64],
    page: TimelinePage,
    map: impl Fn(&dyn Fields) -> Result<T> + Send + Sync,
) -> Result<Vec<T>> {
    let (lower, upper, asc) = bounds(page);
    let sql = sql.replace("{order}", if asc { "ASC" } else { "DESC" });
    let mut out = with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for b in binds {
            q = q.bind(*b);
        }
        let rows = q
            .bind(lower)
            .bind(upper)
            .bind(i64::from(page.limit))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| map(r)).collect::<Result<Vec<_>>>()
    })?;
    if asc {
        out.reverse();
    }
    Ok(out)
}
