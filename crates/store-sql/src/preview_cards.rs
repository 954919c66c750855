//! Preview cards and the statuses showing them.

use async_trait::async_trait;
use rookery_model::{Id, Timestamp};
use rookery_store::{PreviewCard, PreviewCardStore, PreviewCardTx, Result};

use crate::SqlStore;
use crate::db::{Conn, Fields, Prefixed, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::placeholders;
use crate::transaction::SqlTx;

const COLUMNS: &str = "c.id, c.url, c.title, c.description, c.kind, c.author_name, \
    c.author_url, c.provider_name, c.provider_url, c.image_remote_url, c.media_id, \
    c.language, c.fetched_at";

fn from_row(r: &impl Fields) -> Result<PreviewCard> {
    Ok(PreviewCard {
        id: Id::from_i64(r.int("id")?),
        url: r.text("url")?,
        title: r.text("title")?,
        description: r.text("description")?,
        kind: r.text("kind")?,
        author_name: r.text("author_name")?,
        author_url: r.text("author_url")?,
        provider_name: r.text("provider_name")?,
        provider_url: r.text("provider_url")?,
        image_remote_url: r.opt_text("image_remote_url")?,
        media_id: r.opt_int("media_id")?.map(Id::from_i64),
        language: r.opt_text("language")?,
        fetched_at: Timestamp::from_millis(r.int("fetched_at")?),
    })
}

async fn by_url(c: Conn<'_>, url: &str) -> Result<Option<PreviewCard>> {
    let sql = format!("SELECT {COLUMNS} FROM preview_cards c WHERE c.url = $1");
    fetch_optional!(c, sql.as_str(), |r: &_| from_row(r), url)
}

#[async_trait]
impl PreviewCardStore for SqlStore {
    async fn card_by_url(&self, url: &str) -> Result<Option<PreviewCard>> {
        read!(&self.pools, |c| by_url(c, url).await)
    }

    async fn cards_of_statuses(&self, status_ids: &[Id]) -> Result<Vec<(Id, PreviewCard)>> {
        if status_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT s.status_id AS s_status_id, {COLUMNS} FROM status_preview_cards s \
             JOIN preview_cards c ON c.id = s.preview_card_id WHERE s.status_id IN ({})",
            placeholders(1, status_ids.len())
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for id in status_ids {
                q = q.bind(id.as_i64());
            }
            let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
            rows.iter()
                .map(|r| {
                    Ok((
                        Id::from_i64(Prefixed(r, "s_").int("status_id")?),
                        from_row(r)?,
                    ))
                })
                .collect::<Result<Vec<_>>>()
        }))
    }

    async fn cards_by_ids(&self, ids: &[Id]) -> Result<Vec<PreviewCard>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM preview_cards c WHERE c.id IN ({})",
            placeholders(1, ids.len())
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(id.as_i64());
            }
            let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
            rows.iter().map(from_row).collect::<Result<Vec<_>>>()
        }))
    }
}

#[async_trait]
impl PreviewCardTx for SqlTx {
    async fn upsert_card(&mut self, card: &PreviewCard) -> Result<Id> {
        exec!(
            self.conn(),
            "INSERT INTO preview_cards (id, url, title, description, kind, author_name, \
             author_url, provider_name, provider_url, image_remote_url, media_id, language, \
             fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (url) DO UPDATE SET title = excluded.title, \
             description = excluded.description, kind = excluded.kind, \
             author_name = excluded.author_name, author_url = excluded.author_url, \
             provider_name = excluded.provider_name, provider_url = excluded.provider_url, \
             image_remote_url = excluded.image_remote_url, media_id = excluded.media_id, \
             language = excluded.language, fetched_at = excluded.fetched_at",
            card.id.as_i64(),
            card.url.as_str(),
            card.title.as_str(),
            card.description.as_str(),
            card.kind.as_str(),
            card.author_name.as_str(),
            card.author_url.as_str(),
            card.provider_name.as_str(),
            card.provider_url.as_str(),
            card.image_remote_url.as_deref(),
            card.media_id.map(Id::as_i64),
            card.language.as_deref(),
            card.fetched_at.as_millis()
        )?;
        let stored = by_url(self.conn(), &card.url).await?;
        Ok(stored.map_or(card.id, |c| c.id))
    }

    async fn attach_card(&mut self, status_id: Id, card_id: Id) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO status_preview_cards (status_id, preview_card_id) VALUES ($1, $2) \
             ON CONFLICT (status_id) DO UPDATE SET preview_card_id = excluded.preview_card_id",
            status_id.as_i64(),
            card_id.as_i64()
        )?;
        Ok(())
    }

    async fn detach_card(&mut self, status_id: Id) -> Result<()> {
        exec!(
            self.conn(),
            "DELETE FROM status_preview_cards WHERE status_id = $1",
            status_id.as_i64()
        )?;
        Ok(())
    }
}
