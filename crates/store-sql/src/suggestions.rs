//! Follow suggestions: friends of friends, then the most followed local accounts.

use async_trait::async_trait;
use rookery_model::{Account, Id, Timestamp};
use rookery_store::{Result, SuggestionSource, SuggestionStore, SuggestionTx};

use crate::SqlStore;
use crate::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::db::{Conn, exec, map_err, read, with_conn};
use crate::transaction::SqlTx;

/// Accounts `$1` may be suggested: discoverable, live, not itself, not followed, not asked
/// for, not dismissed.
const ELIGIBLE: &str = "a.id <> $1 AND a.discoverable AND a.suspended_at IS NULL \
    AND a.actor_type <> 'Application' \
    AND (a.domain IS NOT NULL OR a.id IN (SELECT account_id FROM users \
        WHERE approved AND confirmed_at IS NOT NULL AND NOT disabled)) \
    AND NOT EXISTS (SELECT 1 FROM follows x WHERE x.account_id = $1 AND x.target_account_id = a.id) \
    AND NOT EXISTS (SELECT 1 FROM follow_requests r \
        WHERE r.account_id = $1 AND r.target_account_id = a.id) \
    AND NOT EXISTS (SELECT 1 FROM suggestion_dismissals d \
        WHERE d.account_id = $1 AND d.target_account_id = a.id)";

async fn accounts(c: Conn<'_>, sql: &str, account_id: Id, limit: u32) -> Result<Vec<Account>> {
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(account_id.as_i64())
            .bind(i64::from(limit))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(account_from_row)
            .collect::<Result<Vec<_>>>()
    })
}

#[async_trait]
impl SuggestionStore for SqlStore {
    async fn suggestions(
        &self,
        account_id: Id,
        limit: u32,
    ) -> Result<Vec<(Account, SuggestionSource)>> {
        let friends = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {ELIGIBLE} AND a.id IN ( \
               SELECT f2.target_account_id FROM follows f1 \
               JOIN follows f2 ON f2.account_id = f1.target_account_id \
               WHERE f1.account_id = $1) \
             ORDER BY (SELECT COUNT(*) FROM follows f1 \
               JOIN follows f2 ON f2.account_id = f1.target_account_id \
               WHERE f1.account_id = $1 AND f2.target_account_id = a.id) DESC, a.id \
             LIMIT $2"
        );
        let popular = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {ELIGIBLE} AND a.domain IS NULL \
             ORDER BY a.followers_count DESC, a.id LIMIT $2"
        );
        let (first, second) = read!(&self.pools, |c| {
            let mut c = c;
            let first = accounts(c.reborrow(), &friends, account_id, limit).await?;
            let second = accounts(c, &popular, account_id, limit).await?;
            Ok::<_, rookery_store::StoreError>((first, second))
        })?;
        let mut out: Vec<(Account, SuggestionSource)> = first
            .into_iter()
            .map(|a| (a, SuggestionSource::FriendsOfFriends))
            .collect();
        for a in second {
            if out.len() >= limit as usize {
                break;
            }
            if !out.iter().any(|(b, _)| b.id == a.id) {
                out.push((a, SuggestionSource::MostFollowed));
            }
        }
        out.truncate(limit as usize);
        Ok(out)
    }
}

#[async_trait]
impl SuggestionTx for SqlTx {
    async fn dismiss_suggestion(
        &mut self,
        account_id: Id,
        target_id: Id,
        now: Timestamp,
    ) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO suggestion_dismissals (account_id, target_account_id, created_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            account_id.as_i64(),
            target_id.as_i64(),
            now.as_millis()
        )?;
        Ok(())
    }
}
