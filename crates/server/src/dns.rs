//! MX lookups for the use cases: the resolver of `rookery-dns` behind the service's
//! [`MxResolver`] trait.

use async_trait::async_trait;
use rookery_dns::MxLookup;
use rookery_service::moderation::email_blocks::{MxError, MxResolver};

/// [`MxResolver`] over DNS.
#[derive(Debug)]
pub struct Dns(pub MxLookup);

#[async_trait]
impl MxResolver for Dns {
    async fn mx_hosts(&self, domain: &str) -> Result<Vec<String>, MxError> {
        self.0
            .mx_hosts(domain)
            .await
            .map_err(|e| MxError(e.to_string()))
    }
}
