//! WebFinger: which local account a `resource` names.

use rookery_model::{Domain, Username};

use crate::{Result, ServiceError, Services};
use rookery_store::LocalAccount;

/// Longest `resource` considered (anything longer is malformed).
const MAX_RESOURCE_LEN: usize = 512;

/// What a WebFinger `resource` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `acct:user@domain` (the `acct:` prefix may be left out).
    Acct { user: String, domain: String },
    /// An `http(s)://` URL (an actor id or profile page).
    Url(String),
}

/// Why a `resource` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    #[error("missing resource parameter")]
    Missing,
    #[error("resource is too long")]
    TooLong,
    #[error("resource is malformed")]
    Malformed,
}

impl Resource {
    /// Parses the `resource` query parameter.
    pub fn parse(raw: &str) -> std::result::Result<Resource, ResourceError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(ResourceError::Missing);
        }
        if raw.len() > MAX_RESOURCE_LEN {
            return Err(ResourceError::TooLong);
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ResourceError::Malformed);
        }
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            return Ok(Resource::Url(raw.to_owned()));
        }
        let rest = if lower.starts_with("acct:") {
            &raw[5..]
        } else if raw.contains(':') {
            return Err(ResourceError::Malformed);
        } else {
            raw
        };
        let rest = rest.strip_prefix('@').unwrap_or(rest);
        match rest.split_once('@') {
            Some((user, domain))
                if !user.is_empty() && !domain.is_empty() && !domain.contains('@') =>
            {
                Ok(Resource::Acct {
                    user: user.to_owned(),
                    domain: domain.to_owned(),
                })
            }
            _ => Err(ResourceError::Malformed),
        }
    }
}

/// Whom a WebFinger resource names.
#[derive(Debug, Clone)]
pub enum WebfingerTarget {
    /// The instance actor (`acct:DOMAIN@DOMAIN`, or its URL), as Mastodon and GoToSocial
    /// publish it: peers look up every signer they do not know, including this one.
    Instance,
    /// A local account.
    Account(Box<LocalAccount>),
}

impl Services {
    /// The local actor a WebFinger resource names, or `NotFound` (other domains, unknown or
    /// suspended accounts, URLs that are not ours).
    pub async fn webfinger(&self, resource: &Resource) -> Result<WebfingerTarget> {
        let username = match resource {
            Resource::Acct { user, domain } => {
                let ours = Domain::parse(domain).is_ok_and(|d| d == self.settings.domain);
                if !ours {
                    return Err(ServiceError::NotFound("account"));
                }
                if user.eq_ignore_ascii_case(self.settings.domain.as_str()) {
                    return Ok(WebfingerTarget::Instance);
                }
                user.clone()
            }
            Resource::Url(url) => {
                if url == &self.urls.instance_actor() {
                    return Ok(WebfingerTarget::Instance);
                }
                let base = self.urls.base();
                let path = url
                    .strip_prefix(base)
                    .ok_or(ServiceError::NotFound("account"))?;
                path.strip_prefix("/users/")
                    .or_else(|| path.strip_prefix("/@"))
                    .ok_or(ServiceError::NotFound("account"))?
                    .to_owned()
            }
        };
        let username = Username::parse(&username).map_err(|_| ServiceError::NotFound("account"))?;
        match self
            .store
            .local_account_by_username(username.as_str())
            .await?
        {
            Some(local) if local.account.suspended_at.is_none() => {
                Ok(WebfingerTarget::Account(Box::new(local)))
            }
            _ if self
                .account_deletions()
                .was_deleted(username.as_str())
                .await? =>
            {
                Err(ServiceError::Gone("account"))
            }
            _ => Err(ServiceError::NotFound("account")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_in_use() {
        assert_eq!(
            Resource::parse("acct:alice@example.com"),
            Ok(Resource::Acct {
                user: "alice".into(),
                domain: "example.com".into()
            })
        );
        assert_eq!(
            Resource::parse("ACCT:@alice@localhost:3000"),
            Ok(Resource::Acct {
                user: "alice".into(),
                domain: "localhost:3000".into()
            })
        );
        assert_eq!(
            Resource::parse("alice@example.com"),
            Ok(Resource::Acct {
                user: "alice".into(),
                domain: "example.com".into()
            })
        );
        assert!(matches!(
            Resource::parse("https://example.com/users/alice"),
            Ok(Resource::Url(_))
        ));
    }

    #[test]
    fn refuses_malformed() {
        assert_eq!(Resource::parse(""), Err(ResourceError::Missing));
        assert_eq!(
            Resource::parse(&"a".repeat(10_000)),
            Err(ResourceError::TooLong)
        );
        for bad in [
            "acct:",
            "acct:alice",
            "acct:@example.com",
            "acct:alice@",
            "mailto:a@b",
            "acct:a@b@c",
            "acct:al ice@x",
            "acct:alice@x\u{0}",
            "alice",
        ] {
            assert!(Resource::parse(bad).is_err(), "{bad:?}");
        }
    }
}
