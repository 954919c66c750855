//! IP blocks (`/api/v1/admin/ip_blocks`): networks whose sign-ups wait for approval or are
//! refused, or whose every request is refused. Requests ask often, so the blocks (with the
//! allowed domains, read as often by federation) are kept for [`POLICY_TTL_MS`] per process
//! and read again at once after a change made through it.

use std::net::IpAddr;
use std::sync::Arc;

use rookery_api as api;
use rookery_model::{Id, Permission};
use rookery_store::{IpBlock, IpBlockSeverity};

use super::Moderator;
use super::audit::{Entry, record};
use crate::{Result, ServiceError, Services};

/// How long a process keeps its copy of the IP blocks and allowed domains.
pub const POLICY_TTL_MS: i64 = 30_000;

/// Longest comment kept.
const MAX_COMMENT: usize = 1000;

/// Longest lifetime `expires_in` may ask for (about a hundred years).
const MAX_EXPIRES_IN_SECS: i64 = 100 * 366 * 86_400;

/// The IP blocks and allowed domains, as last read.
#[derive(Debug, Default)]
pub struct PolicySnapshot {
    pub(crate) ip_blocks: Vec<(Network, IpBlock)>,
    pub(crate) allowed_domains: Vec<String>,
}

/// A network, `ADDRESS/PREFIX`, with the host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

fn bits(a: IpAddr) -> (u128, u8) {
    match a {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

fn mask(width: u8, prefix: u8) -> u128 {
    let shift = u32::from(width.saturating_sub(prefix));
    if shift >= 128 { 0 } else { u128::MAX << shift }
}

impl Network {
    /// `ADDRESS` or `ADDRESS/PREFIX` (host bits are cleared: `8.8.8.8/24` is `8.8.8.0/24`).
    pub fn parse(text: &str) -> Option<Network> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => {
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?))
            }
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let addr = addr.to_canonical();
        let (value, width) = bits(addr);
        let prefix = prefix.unwrap_or(width);
        if prefix > width {
            return None;
        }
        let cleared = value & mask(width, prefix);
        let addr = match addr {
            IpAddr::V4(_) => IpAddr::from(u32::try_from(cleared).ok()?.to_be_bytes()),
            IpAddr::V6(_) => IpAddr::from(cleared.to_be_bytes()),
        };
        Some(Network { addr, prefix })
    }

    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ((net, width), (value, ip_width)) = (bits(self.addr), bits(ip.to_canonical()));
        width == ip_width && (net & mask(width, self.prefix)) == (value & mask(width, self.prefix))
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Mastodon's Admin::IpBlock entity.
pub fn ip_block_entity(b: &IpBlock) -> api::AdminIpBlock {
    api::AdminIpBlock {
        id: b.id.to_string(),
        ip: b.ip.clone(),
        severity: b.severity.as_str().to_owned(),
        comment: b.comment.clone(),
        created_at: b.created_at.to_rfc3339(),
        expires_at: b.expires_at.map(|t| t.to_rfc3339()),
    }
}

/// What a moderator asks for (`None`: unchanged, on an update).
#[derive(Debug, Clone, Default)]
pub struct IpBlockInput {
    pub ip: Option<String>,
    pub severity: Option<String>,
    pub comment: Option<String>,
    /// Seconds from now; `Some(None)` clears the expiry on an update.
    pub expires_in: Option<Option<i64>>,
}

/// IP blocks, for moderators who may manage blocks.
pub struct IpBlocks<'a> {
    s: &'a Services,
}

impl Services {
    /// IP blocks.
    pub fn ip_blocks(&self) -> IpBlocks<'_> {
        IpBlocks { s: self }
    }

    /// The IP blocks and allowed domains, from this process's copy when it is fresh.
    pub(crate) async fn server_policy(&self) -> Result<Arc<PolicySnapshot>> {
        let now = self.clock.now();
        let cached = self
            .federation
            .server_policy
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .filter(|(at, _)| at.as_millis() + POLICY_TTL_MS > now.as_millis())
            .map(|(_, p)| p);
        if let Some(p) = cached {
            return Ok(p);
        }
        let policy = self.store.server_policy_store();
        let ip_blocks = policy
            .ip_blocks()
            .await?
            .into_iter()
            .filter_map(|b| Network::parse(&b.ip).map(|n| (n, b)))
            .collect();
        let allowed_domains = policy
            .domain_allows()
            .await?
            .into_iter()
            .map(|a| a.domain)
            .collect();
        let snapshot = Arc::new(PolicySnapshot {
            ip_blocks,
            allowed_domains,
        });
        if let Ok(mut c) = self.federation.server_policy.lock() {
            *c = Some((now, snapshot.clone()));
        }
        Ok(snapshot)
    }

    /// Drops this process's copy of the IP blocks and allowed domains.
    pub(crate) fn forget_server_policy(&self) {
        if let Ok(mut c) = self.federation.server_policy.lock() {
            *c = None;
        }
    }

    /// The strictest live IP block covering `ip`, if any.
    pub async fn ip_block_for(&self, ip: IpAddr) -> Result<Option<IpBlockSeverity>> {
        let now = self.clock.now();
        let rank = |s: IpBlockSeverity| match s {
            IpBlockSeverity::SignUpRequiresApproval => 0,
            IpBlockSeverity::SignUpBlock => 1,
            IpBlockSeverity::NoAccess => 2,
        };
        Ok(self
            .server_policy()
            .await?
            .ip_blocks
            .iter()
            .filter(|(n, b)| n.contains(ip) && b.expires_at.is_none_or(|t| t > now))
            .map(|(_, b)| b.severity)
            .max_by_key(|s| rank(*s)))
    }
}

fn parse_severity(text: &str) -> Result<IpBlockSeverity> {
    IpBlockSeverity::parse(text.trim()).ok_or_else(|| {
        ServiceError::invalid(
            "severity",
            format!("{text:?} is not one of sign_up_requires_approval, sign_up_block, no_access"),
        )
    })
}

impl IpBlocks<'_> {
    /// Every block, newest first.
    pub async fn list(&self, by: Moderator) -> Result<Vec<IpBlock>> {
        by.require(Permission::ManageBlocks)?;
        Ok(self.s.store.server_policy_store().ip_blocks().await?)
    }

    /// The block with `id`.
    pub async fn get(&self, by: Moderator, id: Id) -> Result<IpBlock> {
        by.require(Permission::ManageBlocks)?;
        self.s
            .store
            .server_policy_store()
            .ip_block(id)
            .await?
            .ok_or(ServiceError::NotFound("IP block"))
    }

    /// Blocks a network.
    pub async fn create(&self, by: Moderator, input: IpBlockInput) -> Result<IpBlock> {
        by.require(Permission::ManageBlocks)?;
        let now = self.s.clock.now();
        let mut block = IpBlock {
            id: self.s.ids.next_id(),
            ip: String::new(),
            severity: IpBlockSeverity::NoAccess,
            comment: String::new(),
            expires_at: None,
            created_at: now,
            updated_at: now,
        };
        if input.ip.as_deref().is_none_or(|i| i.trim().is_empty()) {
            return Err(ServiceError::invalid("ip", "can't be blank"));
        }
        if input
            .severity
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err(ServiceError::invalid("severity", "can't be blank"));
        }
        self.apply(&mut block, input).await?;
        self.save(by, &block, "create").await?;
        Ok(block)
    }

    /// Changes the block with `id`.
    pub async fn update(&self, by: Moderator, id: Id, input: IpBlockInput) -> Result<IpBlock> {
        let mut block = self.get(by, id).await?;
        self.apply(&mut block, input).await?;
        block.updated_at = self.s.clock.now();
        self.save(by, &block, "update").await?;
        Ok(block)
    }

    /// Lifts the block with `id`.
    pub async fn delete(&self, by: Moderator, id: Id) -> Result<IpBlock> {
        let block = self.get(by, id).await?;
        let mut tx = self.s.store.begin().await?;
        tx.server_policy().delete_ip_block(id).await?;
        record(self.s, &mut *tx, by, entry("destroy", &block)).await?;
        tx.commit().await?;
        self.s.forget_server_policy();
        Ok(block)
    }

    async fn apply(&self, block: &mut IpBlock, input: IpBlockInput) -> Result<()> {
        if let Some(ip) = input.ip {
            let network = Network::parse(&ip).ok_or_else(|| {
                ServiceError::invalid(
                    "ip",
                    format!(
                        "{:?} is not an IP address or a network (ADDRESS/PREFIX)",
                        ip.trim()
                    ),
                )
            })?;
            let text = network.to_string();
            let taken = self
                .s
                .store
                .server_policy_store()
                .ip_blocks()
                .await?
                .iter()
                .any(|b| b.ip == text && b.id != block.id);
            if taken {
                return Err(ServiceError::invalid("ip", "has already been taken"));
            }
            block.ip = text;
        }
        if let Some(s) = input.severity {
            block.severity = parse_severity(&s)?;
        }
        if let Some(c) = input.comment {
            if c.chars().count() > MAX_COMMENT {
                return Err(ServiceError::invalid(
                    "comment",
                    format!("is too long (maximum is {MAX_COMMENT} characters)"),
                ));
            }
            block.comment = c;
        }
        match input.expires_in {
            None => {}
            Some(None) => block.expires_at = None,
            Some(Some(secs)) => {
                if !(1..=MAX_EXPIRES_IN_SECS).contains(&secs) {
                    return Err(ServiceError::invalid(
                        "expires_in",
                        "must be a positive number of seconds (at most a hundred years)",
                    ));
                }
                block.expires_at = Some(self.s.clock.now().plus_millis(secs * 1000));
            }
        }
        Ok(())
    }

    async fn save(&self, by: Moderator, block: &IpBlock, action: &str) -> Result<()> {
        let mut tx = self.s.store.begin().await?;
        tx.server_policy().put_ip_block(block).await?;
        record(self.s, &mut *tx, by, entry(action, block)).await?;
        tx.commit().await?;
        self.s.forget_server_policy();
        Ok(())
    }
}

fn entry<'a>(action: &'a str, b: &'a IpBlock) -> Entry<'a> {
    Entry {
        action,
        target_type: "IpBlock",
        target_id: Some(b.id),
        target_name: &b.ip,
        reason: &b.comment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_parsed_and_cleared() {
        let n = |t: &str| Network::parse(t).map(|n| n.to_string());
        assert_eq!(n("8.8.8.0/24").as_deref(), Some("8.8.8.0/24"));
        assert_eq!(n("8.8.8.8/24").as_deref(), Some("8.8.8.0/24"));
        assert_eq!(n("127.0.0.1").as_deref(), Some("127.0.0.1/32"));
        assert_eq!(n("2001:db8::1/32").as_deref(), Some("2001:db8::/32"));
        assert_eq!(n("::ffff:10.0.0.1").as_deref(), Some("10.0.0.1/32"));
        for bad in [
            "",
            "8.8.8.0/33",
            "8.8.8/24",
            "1.2.3.4/",
            "1.2.3.4/-1",
            "::/129",
            "x",
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
        let net = Network::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains("1.2.3.4".parse().unwrap())
        );
    }
}
