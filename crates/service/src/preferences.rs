//! A user's preferences: the defaults their apps read (`GET /api/v1/preferences`, `source`
//! of the credential account) and that new posts get when an app leaves them out.

use rookery_api as api;
use rookery_model::{PostingDefaults, Visibility};
use rookery_store::LocalAccount;

use crate::{Result, ServiceError, Services};

/// `source[privacy]`, `source[sensitive]`, `source[language]`, `source[quote_policy]` of
/// `update_credentials`.
#[derive(Debug, Clone, Default)]
pub struct PostingUpdate {
    pub privacy: Option<String>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    pub quote_policy: Option<String>,
}

impl PostingUpdate {
    /// Whether anything is asked.
    pub fn is_empty(&self) -> bool {
        self.privacy.is_none()
            && self.sensitive.is_none()
            && self.language.is_none()
            && self.quote_policy.is_none()
    }

    /// `current` with this update applied, or why it cannot be.
    pub(crate) fn apply(&self, current: &PostingDefaults) -> Result<PostingDefaults> {
        let mut next = current.clone();
        if let Some(p) = self.privacy.as_deref().map(str::trim) {
            // Mastodon offers these three as a default; `direct` is chosen post by post.
            next.visibility = match Visibility::parse(p) {
                Some(v @ (Visibility::Public | Visibility::Unlisted | Visibility::Private)) => v,
                _ => {
                    return Err(ServiceError::invalid(
                        "source.privacy",
                        format!("{p:?} is not public, unlisted or private"),
                    ));
                }
            };
        }
        if let Some(s) = self.sensitive {
            next.sensitive = s;
        }
        if let Some(q) = self.quote_policy.as_deref().map(str::trim) {
            next.quote_policy = rookery_model::QuotePolicy::from_setting(q).ok_or_else(|| {
                ServiceError::invalid(
                    "source.quote_policy",
                    format!("{q:?} is not public, followers or nobody"),
                )
            })?;
        }
        if let Some(l) = self.language.as_deref().map(str::trim) {
            next.language = match l {
                "" => None,
                l if language_code(l).is_some() => language_code(l),
                l => {
                    return Err(ServiceError::invalid(
                        "source.language",
                        format!("{l:?} is not an ISO 639 language code"),
                    ));
                }
            };
        }
        Ok(next)
    }
}

/// `l` as a language code (ISO 639, optionally with a region: `de`, `pt-br`), or `None`.
pub(crate) fn language_code(l: &str) -> Option<String> {
    let mut parts = l.split('-');
    let base = parts.next()?;
    let base_ok = (2..=3).contains(&base.len()) && base.chars().all(|c| c.is_ascii_alphabetic());
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    (base_ok && rest_ok && l.len() <= 16).then(|| l.to_ascii_lowercase())
}

impl Services {
    /// `GET /api/v1/preferences`. Reading preferences are Mastodon's defaults: they are set
    /// in Mastodon's web settings, which apps do not change.
    pub fn preferences(&self, user: &LocalAccount) -> api::Preferences {
        let posting = &user.user.posting;
        api::Preferences {
            visibility: posting.visibility.as_str().to_owned(),
            sensitive: posting.sensitive,
            language: posting.language.clone(),
            quote_policy: posting.quote_policy.setting().to_owned(),
            expand_media: "default".to_owned(),
            expand_spoilers: false,
            autoplay_gifs: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_check_what_they_set() {
        let current = PostingDefaults::default();
        let up = |privacy: Option<&str>, language: Option<&str>| PostingUpdate {
            privacy: privacy.map(Into::into),
            sensitive: Some(true),
            language: language.map(Into::into),
            quote_policy: None,
        };
        let next = up(Some("private"), Some("DE")).apply(&current).unwrap();
        assert_eq!(next.visibility, Visibility::Private);
        assert!(next.sensitive);
        assert_eq!(next.language.as_deref(), Some("de"));
        assert_eq!(up(None, Some("")).apply(&next).unwrap().language, None);
        for bad in ["direct", "everyone", ""] {
            assert!(up(Some(bad), None).apply(&current).is_err(), "{bad}");
        }
        assert_eq!(
            up(None, Some("pt-BR"))
                .apply(&current)
                .unwrap()
                .language
                .as_deref(),
            Some("pt-br")
        );
        for bad in ["english", "e", "e1", "<b>", "de-", "-de", "de--at"] {
            assert!(up(None, Some(bad)).apply(&current).is_err(), "{bad}");
        }
        assert!(PostingUpdate::default().is_empty());
    }
}
