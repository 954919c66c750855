//! Webhooks.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{Result, Webhook, WebhookStore, WebhookTx};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::transaction::SqlTx;

const COLUMNS: &str = "id, url, secret, events, template, enabled, created_at, updated_at";

fn webhook_from_row(r: &impl Fields) -> Result<Webhook> {
    Ok(Webhook {
        id: Id::from_i64(r.int("id")?),
        url: r.text("url")?,
        secret: r.text("secret")?,
        events: r
            .text("events")?
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect(),
        template: r.opt_text("template")?,
        enabled: r.flag("enabled")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let sql = format!("SELECT {COLUMNS} FROM webhooks ORDER BY id");
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .persistent(p)
                    .fetch_all(&mut *e)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(webhook_from_row).collect()
            })
        })
    }

    async fn dead_jobs_since(
        &self,
        after: Timestamp,
        limit: u32,
    ) -> Result<Vec<(Id, String, Timestamp)>> {
        read!(&self.pools, |c| {
            with_conn!(c, |e, p| {
                let rows = sqlx::query(
                    "SELECT id, kind, updated_at FROM jobs WHERE state = 'dead' \
                     AND updated_at > $1 ORDER BY updated_at, id LIMIT $2",
                )
                .bind(after.as_millis())
                .bind(i64::from(limit))
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            Id::from_i64(r.int("id")?),
                            r.text("kind")?,
                            Timestamp::from_millis(r.int("updated_at")?),
                        ))
                    })
                    .collect()
            })
        })
    }

    async fn webhook(&self, id: Id) -> Result<Option<Webhook>> {
        let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1");
        read!(&self.pools, |c| {
            fetch_optional!(c, sql.as_str(), webhook_from_row, id.as_i64())
        })
    }
}

#[async_trait]
impl WebhookTx for SqlTx {
    async fn insert_webhook(&mut self, w: &Webhook) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO webhooks (id, url, secret, events, template, enabled, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            w.id.as_i64(),
            w.url.as_str(),
            w.secret.as_str(),
            w.events.join(","),
            w.template.as_deref(),
            w.enabled,
            w.created_at.as_millis(),
            w.updated_at.as_millis()
        )?;
        Ok(())
    }

    async fn update_webhook(&mut self, w: &Webhook) -> Result<bool> {
        let n = exec!(
            self.conn(),
            "UPDATE webhooks SET url = $2, secret = $3, events = $4, template = $5, \
             enabled = $6, updated_at = $7 WHERE id = $1",
            w.id.as_i64(),
            w.url.as_str(),
            w.secret.as_str(),
            w.events.join(","),
            w.template.as_deref(),
            w.enabled,
            w.updated_at.as_millis()
        )?;
        Ok(n > 0)
    }

    async fn delete_webhook(&mut self, id: Id) -> Result<bool> {
        let n = exec!(
            self.conn(),
            "DELETE FROM webhooks WHERE id = $1",
            id.as_i64()
        )?;
        Ok(n > 0)
    }
}
