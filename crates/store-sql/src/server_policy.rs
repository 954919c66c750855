//! Server-wide moderation policy: allowed domains, e-mail domain blocks, canonical e-mail
//! blocks, IP blocks, domain blocks by id and the address each user signed up from.

use async_trait::async_trait;
use rookery_model::{DomainBlock, Id, Timestamp};
use rookery_store::{
    CanonicalEmailBlock, DomainAllow, EmailDomainBlock, IpBlock, IpBlockSeverity, Result,
    ServerPolicyStore, ServerPolicyTx, SignUpDetails, StoreError,
};

use crate::SqlStore;
use crate::db::{Fields, exec, fetch_optional, map_err, read, with_conn};
use crate::statuses::placeholders;
use crate::transaction::SqlTx;

/// Every row of `$sql` (binds after it), read with `$map`.
macro_rules! all_rows {
    ($c:expr, $sql:expr, $map:expr $(, $bind:expr)*) => {
        with_conn!($c, |e, p| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(String::from($sql)))
                $(.bind($bind))*
                .persistent(p)
                .fetch_all(&mut *e)
                .await
                .map_err(map_err)?;
            rows.iter().map($map).collect()
        })
    };
}

fn allow_from_row(r: &impl Fields) -> Result<DomainAllow> {
    Ok(DomainAllow {
        id: Id::from_i64(r.int("id")?),
        domain: r.text("domain")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

fn email_domain_from_row(r: &impl Fields) -> Result<EmailDomainBlock> {
    Ok(EmailDomainBlock {
        id: Id::from_i64(r.int("id")?),
        domain: r.text("domain")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

fn canonical_from_row(r: &impl Fields) -> Result<CanonicalEmailBlock> {
    Ok(CanonicalEmailBlock {
        id: Id::from_i64(r.int("id")?),
        canonical_email_hash: r.text("canonical_email_hash")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
    })
}

const IP_COLUMNS: &str = "id, ip, severity, comment, expires_at, created_at, updated_at";

fn ip_from_row(r: &impl Fields) -> Result<IpBlock> {
    let severity = r.text("severity")?;
    Ok(IpBlock {
        id: Id::from_i64(r.int("id")?),
        ip: r.text("ip")?,
        severity: IpBlockSeverity::parse(&severity)
            .ok_or_else(|| StoreError::Corrupt(format!("IP block severity {severity:?}")))?,
        comment: r.text("comment")?,
        expires_at: r.opt_int("expires_at")?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(r.int("created_at")?),
        updated_at: Timestamp::from_millis(r.int("updated_at")?),
    })
}

#[async_trait]
impl ServerPolicyStore for SqlStore {
    async fn domain_block_by_id(&self, id: Id) -> Result<Option<DomainBlock>> {
        read!(&self.pools, |c| crate::domain_blocks::by_id(c, id).await)
    }

    async fn domain_allows(&self) -> Result<Vec<DomainAllow>> {
        read!(&self.pools, |c| all_rows!(
            c,
            "SELECT id, domain, created_at FROM domain_allows ORDER BY domain",
            allow_from_row
        ))
    }

    async fn domain_allow(&self, id: Id) -> Result<Option<DomainAllow>> {
        read!(&self.pools, |c| fetch_optional!(
            c,
            "SELECT id, domain, created_at FROM domain_allows WHERE id = $1",
            allow_from_row,
            id.as_i64()
        ))
    }

    async fn email_domain_blocks(&self) -> Result<Vec<EmailDomainBlock>> {
        read!(&self.pools, |c| all_rows!(
            c,
            "SELECT id, domain, created_at FROM email_domain_blocks ORDER BY id DESC",
            email_domain_from_row
        ))
    }

    async fn email_domain_block(&self, id: Id) -> Result<Option<EmailDomainBlock>> {
        read!(&self.pools, |c| fetch_optional!(
            c,
            "SELECT id, domain, created_at FROM email_domain_blocks WHERE id = $1",
            email_domain_from_row,
            id.as_i64()
        ))
    }

    async fn email_domain_blocks_matching(
        &self,
        domains: &[String],
    ) -> Result<Vec<EmailDomainBlock>> {
        if domains.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, domain, created_at FROM email_domain_blocks WHERE domain IN ({})",
            placeholders(1, domains.len())
        );
        read!(&self.pools, |c| with_conn!(c, |e, p| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for d in domains {
                q = q.bind(d);
            }
            let rows = q.persistent(p).fetch_all(&mut *e).await.map_err(map_err)?;
            rows.iter().map(email_domain_from_row).collect()
        }))
    }

    async fn canonical_email_blocks(&self) -> Result<Vec<CanonicalEmailBlock>> {
        read!(&self.pools, |c| all_rows!(
            c,
            "SELECT id, canonical_email_hash, created_at FROM canonical_email_blocks \
             ORDER BY id DESC",
            canonical_from_row
        ))
    }

    async fn canonical_email_block(&self, id: Id) -> Result<Option<CanonicalEmailBlock>> {
        read!(&self.pools, |c| fetch_optional!(
            c,
            "SELECT id, canonical_email_hash, created_at FROM canonical_email_blocks \
             WHERE id = $1",
            canonical_from_row,
            id.as_i64()
        ))
    }

    async fn canonical_email_blocks_by_hash(&self, hash: &str) -> Result<Vec<CanonicalEmailBlock>> {
        read!(&self.pools, |c| all_rows!(
            c,
            "SELECT id, canonical_email_hash, created_at FROM canonical_email_blocks \
             WHERE canonical_email_hash = $1",
            canonical_from_row,
            hash
        ))
    }

    async fn ip_blocks(&self) -> Result<Vec<IpBlock>> {
        let sql = format!("SELECT {IP_COLUMNS} FROM ip_blocks ORDER BY id DESC");
        read!(&self.pools, |c| all_rows!(c, sql.as_str(), ip_from_row))
    }

    async fn ip_block(&self, id: Id) -> Result<Option<IpBlock>> {
        let sql = format!("SELECT {IP_COLUMNS} FROM ip_blocks WHERE id = $1");
        read!(&self.pools, |c| fetch_optional!(
            c,
            sql.as_str(),
            ip_from_row,
            id.as_i64()
        ))
    }

    async fn sign_up_details(&self, account_id: Id) -> Result<SignUpDetails> {
        let found: Option<SignUpDetails> = read!(&self.pools, |c| fetch_optional!(
            c,
            "SELECT sign_up_ip, sign_up_reason FROM users WHERE account_id = $1",
            |r: &_| -> Result<SignUpDetails> {
                Ok(SignUpDetails {
                    ip: Fields::opt_text(r, "sign_up_ip")?,
                    reason: Fields::opt_text(r, "sign_up_reason")?,
                })
            },
            account_id.as_i64()
        ))?;
        Ok(found.unwrap_or_default())
    }

    async fn cached_media_of_domain(
        &self,
        domain: &str,
        limit: u32,
    ) -> Result<Vec<rookery_model::MediaAttachment>> {
        read!(&self.pools, |c| crate::media::cached_of_domain(
            c, domain, limit
        )
        .await)
    }
}

#[async_trait]
impl ServerPolicyTx for SqlTx {
    async fn insert_domain_allow(&mut self, a: &DomainAllow) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO domain_allows (id, domain, created_at) VALUES ($1, $2, $3)",
            a.id.as_i64(),
            a.domain.as_str(),
            a.created_at.as_millis()
        )?;
        Ok(())
    }

    async fn delete_domain_allow(&mut self, id: Id) -> Result<bool> {
        exec!(
            self.conn(),
            "DELETE FROM domain_allows WHERE id = $1",
            id.as_i64()
        )
        .map(|n| n == 1)
    }

    async fn insert_email_domain_block(&mut self, b: &EmailDomainBlock) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO email_domain_blocks (id, domain, created_at) VALUES ($1, $2, $3)",
            b.id.as_i64(),
            b.domain.as_str(),
            b.created_at.as_millis()
        )?;
        Ok(())
    }

    async fn delete_email_domain_block(&mut self, id: Id) -> Result<bool> {
        exec!(
            self.conn(),
            "DELETE FROM email_domain_blocks WHERE id = $1",
            id.as_i64()
        )
        .map(|n| n == 1)
    }

    async fn insert_canonical_email_block(&mut self, b: &CanonicalEmailBlock) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO canonical_email_blocks (id, canonical_email_hash, created_at) \
             VALUES ($1, $2, $3)",
            b.id.as_i64(),
            b.canonical_email_hash.as_str(),
            b.created_at.as_millis()
        )?;
        Ok(())
    }

    async fn delete_canonical_email_block(&mut self, id: Id) -> Result<bool> {
        exec!(
            self.conn(),
            "DELETE FROM canonical_email_blocks WHERE id = $1",
            id.as_i64()
        )
        .map(|n| n == 1)
    }

    async fn put_ip_block(&mut self, b: &IpBlock) -> Result<()> {
        exec!(
            self.conn(),
            "INSERT INTO ip_blocks (id, ip, severity, comment, expires_at, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO UPDATE SET ip = excluded.ip, severity = excluded.severity, \
             comment = excluded.comment, expires_at = excluded.expires_at, \
             updated_at = excluded.updated_at",
            b.id.as_i64(),
            b.ip.as_str(),
            b.severity.as_str(),
            b.comment.as_str(),
            b.expires_at.map(Timestamp::as_millis),
            b.created_at.as_millis(),
            b.updated_at.as_millis()
        )?;
        Ok(())
    }

    async fn delete_ip_block(&mut self, id: Id) -> Result<bool> {
        exec!(
            self.conn(),
            "DELETE FROM ip_blocks WHERE id = $1",
            id.as_i64()
        )
        .map(|n| n == 1)
    }

    async fn set_sign_up_details(&mut self, account_id: Id, details: &SignUpDetails) -> Result<()> {
        exec!(
            self.conn(),
            "UPDATE users SET sign_up_ip = $1, sign_up_reason = $2 WHERE account_id = $3",
            details.ip.as_deref(),
            details.reason.as_deref(),
            account_id.as_i64()
        )?;
        Ok(())
    }
}
