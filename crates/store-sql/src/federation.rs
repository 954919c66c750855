//! What federation needs from storage: remote actors and statuses by ActivityPub id, follows
//! by activity id, where followers live, and which delivery hosts keep failing.

use rookery_model::{Account, Id, Status, Timestamp};
use rookery_store::{DeliveryHost, Follow, Result};

use crate::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::db::{Conn, Fields, exec, fetch_optional, map_err, with_conn};
use crate::restrictions::{FOLLOW_COLUMNS, follow_from_row};
use crate::statuses::{STATUS_COLUMNS, status_from_row};

pub(crate) async fn account_by_uri(c: Conn<'_>, uri: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.uri = $1");
    fetch_optional!(c, sql, account_from_row, uri)
}

pub(crate) async fn remote_account(
    c: Conn<'_>,
    username: &str,
    domain: &str,
) -> Result<Option<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a \
         WHERE lower(a.username) = lower($1) AND lower(a.domain) = lower($2)"
    );
    fetch_optional!(c, sql, account_from_row, username, domain)
}

pub(crate) async fn status_by_uri(c: Conn<'_>, uri: &str) -> Result<Option<Status>> {
    let sql = format!("SELECT {STATUS_COLUMNS} FROM statuses s WHERE s.uri = $1");
    fetch_optional!(c, sql, status_from_row, uri)
}

/// The follow (`requests = false`) or follow request with this activity id.
pub(crate) async fn follow_by_uri(
    c: Conn<'_>,
    uri: &str,
    requests: bool,
) -> Result<Option<Follow>> {
    let table = if requests {
        "follow_requests"
    } else {
        "follows"
    };
    let sql = format!("SELECT {FOLLOW_COLUMNS} FROM {table} WHERE uri = $1");
    fetch_optional!(c, sql, follow_from_row, uri)
}

pub(crate) async fn has_local_followers(c: Conn<'_>, account_id: Id) -> Result<bool> {
    let sql = "SELECT EXISTS (SELECT 1 FROM follows f JOIN accounts a ON a.id = f.account_id \
        WHERE f.target_account_id = $1 AND a.domain IS NULL) AS found";
    with_conn!(c, |e, p| {
        let row = sqlx::query(sql)
            .bind(account_id.as_i64())
            .persistent(p)
            .fetch_one(&mut *e)
            .await
            .map_err(map_err)?;
        row.flag("found")
    })
}

/// The follow, else the follow request, from `account_id` to `target`.
pub(crate) async fn follow_between(
    mut c: Conn<'_>,
    account_id: Id,
    target: Id,
) -> Result<Option<Follow>> {
    for table in ["follows", "follow_requests"] {
        let sql = format!(
            "SELECT {FOLLOW_COLUMNS} FROM {table} WHERE account_id = $1 AND target_account_id = $2"
        );
        let found = fetch_optional!(
            c.reborrow(),
            sql.as_str(),
            follow_from_row,
            account_id.as_i64(),
            target.as_i64()
        )?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Distinct inboxes (the shared one when the server has it) of an account's remote followers.
pub(crate) async fn follower_inboxes(c: Conn<'_>, account_id: Id) -> Result<Vec<String>> {
    let sql = "SELECT DISTINCT COALESCE(a.shared_inbox_url, a.inbox_url) AS inbox \
        FROM follows f JOIN accounts a ON a.id = f.account_id \
        WHERE f.target_account_id = $1 AND a.domain IS NOT NULL \
        AND COALESCE(a.shared_inbox_url, a.inbox_url) IS NOT NULL ORDER BY inbox";
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sql)
            .bind(account_id.as_i64())
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| r.text("inbox")).collect()
    })
}

/// Replaces what a remote actor's document says about it.
pub(crate) async fn update_remote_account(c: Conn<'_>, a: &Account) -> Result<()> {
    let sql = "UPDATE accounts SET username = $1, display_name = $2, note = $3, url = $4, \
        inbox_url = $5, shared_inbox_url = $6, followers_url = $7, actor_type = $8, \
        public_key_pem = $9, locked = $10, discoverable = $11, fields = $12, \
        avatar_media_id = CASE WHEN avatar_remote_url = $13 THEN avatar_media_id END, \
        header_media_id = CASE WHEN header_remote_url = $14 THEN header_media_id END, \
        avatar_remote_url = $13, header_remote_url = $14, fetched_at = $15, updated_at = $16, \
        indexable = $18, attribution_domains = $19, avatar_description = $20, \
        header_description = $21, created_at = $22, also_known_as = $23 \
        WHERE id = $17 AND domain IS NOT NULL";
    let n = with_conn!(c, |e, p| {
        sqlx::query(sql)
            .bind(a.username.as_str())
            .bind(&a.display_name)
            .bind(&a.note)
            .bind(a.url.as_deref())
            .bind(a.inbox_url.as_deref())
            .bind(a.shared_inbox_url.as_deref())
            .bind(a.followers_url.as_deref())
            .bind(a.actor_type.as_str())
            .bind(&a.public_key_pem)
            .bind(a.locked)
            .bind(a.discoverable)
            .bind(crate::accounts::fields_to_json(&a.fields))
            .bind(a.avatar_remote_url.as_deref())
            .bind(a.header_remote_url.as_deref())
            .bind(a.fetched_at.map(Timestamp::as_millis))
            .bind(a.updated_at.as_millis())
            .bind(a.id.as_i64())
            .bind(a.profile.indexable)
            .bind(crate::accounts::strings_to_json(
                &a.profile.attribution_domains,
            ))
            .bind(&a.profile.avatar_description)
            .bind(&a.profile.header_description)
            .bind(a.created_at.as_millis())
            .bind(crate::accounts::strings_to_json(&a.profile.also_known_as))
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)
            .map(|d| d.rows_affected())
    })?;
    if n == 0 {
        return Err(rookery_store::StoreError::NotFound("remote account".into()));
    }
    Ok(())
}

/// Removes a remote account and everything it made; follow counts of the accounts it followed
/// or was followed by are corrected first.
pub(crate) async fn delete_remote_account(c: Conn<'_>, id: Id) -> Result<bool> {
    crate::account_deletion::delete_account_row(c, id, false).await
}

const HOST_COLUMNS: &str =
    "host, failures, first_failure_at, last_failure_at, last_success_at, unavailable_until";

fn host_from_row(r: &impl Fields) -> Result<DeliveryHost> {
    let ts = |v: Option<i64>| v.map(Timestamp::from_millis);
    Ok(DeliveryHost {
        host: r.text("host")?,
        failures: r.int("failures")?,
        first_failure_at: ts(r.opt_int("first_failure_at")?),
        last_failure_at: ts(r.opt_int("last_failure_at")?),
        last_success_at: ts(r.opt_int("last_success_at")?),
        unavailable_until: ts(r.opt_int("unavailable_until")?),
    })
}

pub(crate) async fn delivery_host(c: Conn<'_>, host: &str) -> Result<Option<DeliveryHost>> {
    let sql = format!("SELECT {HOST_COLUMNS} FROM delivery_hosts WHERE host = $1");
    fetch_optional!(c, sql, host_from_row, host)
}

pub(crate) async fn delivery_hosts(c: Conn<'_>) -> Result<Vec<DeliveryHost>> {
    let sql = format!("SELECT {HOST_COLUMNS} FROM delivery_hosts ORDER BY host");
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(host_from_row).collect()
    })
}

/// A delivery to `host` succeeded: it is available again.
pub(crate) async fn delivery_succeeded(mut c: Conn<'_>, host: &str, now: Timestamp) -> Result<()> {
    let changed = exec!(
        c.reborrow(),
        "UPDATE delivery_hosts SET failures = 0, first_failure_at = NULL, unavailable_until = NULL, \
         last_success_at = $1 WHERE host = $2",
        now.as_millis(),
        host
    )?;
    if changed == 0 {
        exec!(
            c,
            "INSERT INTO delivery_hosts (host, failures, last_success_at) VALUES ($1, 0, $2) \
             ON CONFLICT (host) DO UPDATE SET last_success_at = $2",
            host,
            now.as_millis()
        )?;
    }
    Ok(())
}

/// A delivery to `host` failed; returns the host's record afterwards. When failures have gone on
/// since longer than `unavailable_after`, the host is skipped until `now + skip_for`.
pub(crate) async fn delivery_failed(
    mut c: Conn<'_>,
    host: &str,
    now: Timestamp,
    unavailable_after_ms: i64,
    skip_for_ms: i64,
) -> Result<Option<DeliveryHost>> {
    exec!(
        c.reborrow(),
        "INSERT INTO delivery_hosts (host, failures, first_failure_at, last_failure_at) \
         VALUES ($1, 1, $2, $2) ON CONFLICT (host) DO UPDATE SET \
         failures = delivery_hosts.failures + 1, last_failure_at = $2, \
         first_failure_at = COALESCE(delivery_hosts.first_failure_at, $2)",
        host,
        now.as_millis()
    )?;
    exec!(
        c.reborrow(),
        "UPDATE delivery_hosts SET unavailable_until = $1 \
         WHERE host = $2 AND first_failure_at <= $3",
        now.as_millis() + skip_for_ms,
        host,
        now.as_millis() - unavailable_after_ms
    )?;
    delivery_host(c, host).await
}
