//! Domain blocks: one row per blocked domain; look-ups check a domain and its parents.

use rookery_model::{BlockSeverity, Domain, DomainBlock, Id, Timestamp};
use rookery_store::{Result, StoreError};

use crate::db::{Conn, Fields, exec, map_err, with_conn};
use crate::statuses::placeholders;

const COLUMNS: &str = "domain, severity, reject_media, reject_reports, private_comment, \
    public_comment, created_at, updated_at, id, obfuscate";

fn from_row(r: &impl Fields) -> Result<DomainBlock> {
    let domain = r.text("domain")?;
    let severity = r.text("severity")?;
    Ok(DomainBlock {
        id: Id::from_i64(r.int("id")?),
        domain: Domain::parse(&domain)
            .map_err(|e| StoreError::Corrupt(format!("domain block {domain:?}: {e}")))?,
        severity: BlockSeverity::parse(&severity)
            .ok_or_else(|| StoreError::Corrupt(format!("domain block severity {severity:?}")))?,
        reject_media: r.flag("reject_media")?,
        reject_reports: r.flag("reject_reports")?,
        private_comment: r.text("private_comment")?,
        public_comment: r.text("public_comment")?,
        obfuscate: r.flag("obfuscate")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

/// Every block, by domain.
pub(crate) async fn list(c: Conn<'_>) -> Result<Vec<DomainBlock>> {
    let sql = format!("SELECT {COLUMNS} FROM domain_blocks ORDER BY domain");
    with_conn!(c, |e, p| {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .persistent(p)
            .fetch_all(&mut *e)
            .await
            .map_err(map_err)?;
        rows.iter().map(from_row).collect()
    })
}

/// Blocks of any of `domains` (a domain and its parents).
pub(crate) async fn matching(c: Conn<'_>, domains: &[String]) -> Result<Vec<DomainBlock>> {
    if domains.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM domain_blocks WHERE domain IN ({})",
        placeholders(1, domains.len())
    );
    with_conn!(c, |e, p| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for d in domains {
            q = q.bind(d);
        }
        let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
        rows.iter().map(from_row).collect()
    })
}

/// The block with id `id`.
pub(crate) async fn by_id(c: Conn<'_>, id: Id) -> Result<Option<DomainBlock>> {
    let sql = format!("SELECT {COLUMNS} FROM domain_blocks WHERE id = $1");
    with_conn!(c, |e, p| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id.as_i64())
            .persistent(p)
            .fetch_optional(&mut *e)
            .await
            .map_err(map_err)?;
        row.as_ref().map(from_row).transpose()
    })
}

/// Adds or replaces the block of `b.domain` (keeping its id and creation time).
pub(crate) async fn put(c: Conn<'_>, b: &DomainBlock) -> Result<()> {
    let sql = format!(
        "INSERT INTO domain_blocks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (domain) DO UPDATE SET severity = excluded.severity, \
         reject_media = excluded.reject_media, reject_reports = excluded.reject_reports, \
         private_comment = excluded.private_comment, public_comment = excluded.public_comment, \
         obfuscate = excluded.obfuscate, updated_at = excluded.updated_at"
    );
    with_conn!(c, |e, p| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(b.domain.as_str())
            .bind(b.severity.as_str())
            .bind(b.reject_media)
            .bind(b.reject_reports)
            .bind(&b.private_comment)
            .bind(&b.public_comment)
            .bind(b.created_at.as_millis())
            .bind(b.updated_at.as_millis())
            .bind(b.id.as_i64())
            .bind(b.obfuscate)
            .persistent(p)
            .execute(&mut *e)
            .await
            .map_err(map_err)?;
        Ok(())
    })
}

/// Removes the block of `domain`; whether there was one.
pub(crate) async fn delete(c: Conn<'_>, domain: &str) -> Result<bool> {
    exec!(c, "DELETE FROM domain_blocks WHERE domain = $1", domain).map(|n| n == 1)
}
