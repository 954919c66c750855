//! Domains a user blocks (`/api/v1/domain_blocks`): the accounts of a blocked domain are
//! hidden from the user everywhere blocked accounts are (timelines, notifications, streams).

use rookery_events::{Event, channel, names};
use rookery_model::{Domain, Id};
use rookery_store::{LocalAccount, TimelinePage};

use crate::{Result, ServiceError, Services};

/// Domains a user may block.
const MAX_BLOCKS: u32 = 10_000;

impl Services {
    /// A domain as a user names it (`example.com`, any case), checked.
    fn blockable_domain(&self, raw: &str) -> Result<String> {
        let d = Domain::parse(raw.trim())
            .map_err(|_| ServiceError::invalid("domain", format!("{raw:?} is not a domain")))?;
        let d = d.to_string().to_lowercase();
        if d == self.settings.domain.to_string().to_lowercase() {
            return Err(ServiceError::invalid(
                "domain",
                "is this server's own domain",
            ));
        }
        Ok(d)
    }

    /// `GET /api/v1/domain_blocks`: `(block id, domain)`, newest first.
    pub async fn user_domain_blocks(
        &self,
        user: &LocalAccount,
        page: TimelinePage,
    ) -> Result<Vec<(Id, String)>> {
        Ok(self
            .store
            .user_domain_block_store()
            .user_domain_blocks(user.account.id, page)
            .await?)
    }

    /// `POST /api/v1/domain_blocks` (`block`) and `DELETE` (`!block`).
    pub async fn set_domain_block(
        &self,
        user: &LocalAccount,
        raw: &str,
        block: bool,
    ) -> Result<()> {
        let domain = self.blockable_domain(raw)?;
        let mut tx = self.store.begin().await?;
        if block {
            let existing = self
                .store
                .user_domain_block_store()
                .user_domain_blocks(
                    user.account.id,
                    TimelinePage {
                        limit: MAX_BLOCKS,
                        ..TimelinePage::default()
                    },
                )
                .await?;
            if existing.len() >= MAX_BLOCKS as usize && !existing.iter().any(|(_, d)| *d == domain)
            {
                return Err(ServiceError::invalid(
                    "domain",
                    format!("at most {MAX_BLOCKS} blocked domains"),
                ));
            }
            tx.user_domain_blocks()
                .block_domain(
                    self.ids.next_id(),
                    user.account.id,
                    &domain,
                    self.clock.now(),
                )
                .await?;
        } else {
            tx.user_domain_blocks()
                .unblock_domain(user.account.id, &domain)
                .await?;
        }
        tx.commit().await?;
        // Streaming connections re-read whom the user must not hear from.
        self.events.publish(
            &channel::user(user.account.id),
            Event::new(names::RELATIONSHIPS, None),
        );
        Ok(())
    }
}
