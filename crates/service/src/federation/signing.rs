//! HTTP signatures on requests we send, and the request shape signatures are checked over.

use std::sync::Arc;

use rookery_activitypub::keys::KeyPair;
use rookery_activitypub::signatures::{self, SignedRequest, message};
use rookery_model::Account;

use crate::{Result, ServiceError, Services};

/// A request as far as signatures are concerned: method, path and headers.
#[derive(Debug, Clone)]
pub struct RequestParts {
    pub method: String,
    pub path_and_query: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
}

impl SignedRequest for RequestParts {
    fn method(&self) -> &str {
        &self.method
    }
    fn path_and_query(&self) -> &str {
        &self.path_and_query
    }
    fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl RequestParts {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Who signs: a key and the id published for it.
#[derive(Clone)]
pub(crate) struct Signer {
    pub key: Arc<KeyPair>,
    pub key_id: String,
}

/// The HTTP signature scheme a request is signed with. draft-cavage is the default: every
/// server verifies it. A server that answers 401 to it gets RFC 9421 once (a "double knock",
/// as Fedify does), and the scheme that worked is remembered for its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureScheme {
    Cavage,
    Rfc9421,
}

impl SignatureScheme {
    /// The one to try after this one was refused.
    pub fn other(self) -> SignatureScheme {
        match self {
            SignatureScheme::Cavage => SignatureScheme::Rfc9421,
            SignatureScheme::Rfc9421 => SignatureScheme::Cavage,
        }
    }
}

/// What ActivityPub GETs ask for.
pub(crate) const ACCEPT: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

impl Services {
    /// The signer for a local account.
    pub(crate) fn signer_for(&self, account: &Account) -> Result<Signer> {
        let cached = self
            .federation
            .keys
            .lock()
            .ok()
            .and_then(|k| k.get(&account.id).cloned());
        let key = match cached {
            Some(k) => k,
            None => {
                let pem = account.private_key_pem.as_deref().ok_or_else(|| {
                    ServiceError::Internal("a local account without a key".into())
                })?;
                let key = Arc::new(
                    KeyPair::from_private_pem(pem)
                        .map_err(|e| ServiceError::Internal(format!("account key: {e}")))?,
                );
                if let Ok(mut k) = self.federation.keys.lock() {
                    k.insert(account.id, key.clone());
                }
                key
            }
        };
        Ok(Signer {
            key,
            key_id: self.urls.actor_key(account.username.as_str()),
        })
    }

    /// Headers for a signed request to `url` in the scheme its host takes (see
    /// [`SignatureScheme`]).
    pub(crate) fn signed_headers(
        &self,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
        signer: &Signer,
    ) -> Result<Vec<(String, String)>> {
        let scheme = self.signature_scheme_for(url);
        self.signed_headers_with(scheme, method, url, body, signer)
    }

    /// The scheme to sign requests to `url`'s host with first.
    pub(crate) fn signature_scheme_for(&self, url: &str) -> SignatureScheme {
        super::host_of(url)
            .and_then(|h| {
                let known = self.federation.signature_schemes.lock().ok()?;
                known.get(&h).copied()
            })
            .unwrap_or(SignatureScheme::Cavage)
    }

    /// Notes that `url`'s host took `scheme` after refusing the other (or, for the default,
    /// forgets that it needed the other one).
    pub(crate) fn remember_signature_scheme(&self, url: &str, scheme: SignatureScheme) {
        let Some(host) = super::host_of(url) else {
            return;
        };
        if let Ok(mut known) = self.federation.signature_schemes.lock() {
            if scheme == SignatureScheme::Cavage {
                known.remove(&host);
            } else {
                if known.len() >= 10_000 {
                    known.clear();
                }
                known.insert(host, scheme);
            }
        }
    }

    /// Headers for a signed request to `url`: `Host`, `Date`, the body's digest and content
    /// type (or `Accept`), and the signature in `scheme`: draft-cavage (`Digest`, `Signature`
    /// over `(request-target) host date [digest]`) or RFC 9421 (`Content-Digest`,
    /// `Signature-Input` and `Signature` over `@method @target-uri [content-digest]`).
    pub(crate) fn signed_headers_with(
        &self,
        scheme: SignatureScheme,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
        signer: &Signer,
    ) -> Result<Vec<(String, String)>> {
        let parsed = split_url(url).ok_or_else(|| ServiceError::invalid("url", "not a URL"))?;
        if scheme == SignatureScheme::Rfc9421 {
            return self.rfc9421_headers(method, url, parsed, body, signer);
        }
        let mut parts = RequestParts {
            method: method.to_owned(),
            path_and_query: parsed.1,
            headers: vec![
                ("host".into(), parsed.0),
                (
                    "date".into(),
                    signatures::http_date(self.clock.now().as_millis() / 1000),
                ),
            ],
        };
        let mut signed: Vec<&str> = vec!["(request-target)", "host", "date"];
        if let Some(b) = body {
            parts
                .headers
                .push(("digest".into(), signatures::digest_header(b)));
            parts
                .headers
                .push(("content-type".into(), "application/activity+json".into()));
            signed.push("digest");
        } else {
            parts.headers.push(("accept".into(), ACCEPT.into()));
        }
        let signature = signatures::sign(&parts, &signer.key, &signer.key_id, &signed)
            .map_err(|e| ServiceError::Internal(format!("signing: {e}")))?;
        parts.headers.push(("signature".into(), signature));
        Ok(parts.headers)
    }

    fn rfc9421_headers(
        &self,
        method: &str,
        url: &str,
        (host, path_and_query): (String, String),
        body: Option<&[u8]>,
        signer: &Signer,
    ) -> Result<Vec<(String, String)>> {
        let now = self.clock.now().as_millis() / 1000;
        let mut parts = RequestParts {
            method: method.to_owned(),
            path_and_query,
            headers: vec![
                ("host".into(), host),
                ("date".into(), signatures::http_date(now)),
            ],
        };
        let mut covered: Vec<&str> = vec!["@method", "@target-uri"];
        if let Some(b) = body {
            parts
                .headers
                .push(("content-digest".into(), message::content_digest_header(b)));
            parts
                .headers
                .push(("content-type".into(), "application/activity+json".into()));
            covered.push("content-digest");
        } else {
            parts.headers.push(("accept".into(), ACCEPT.into()));
        }
        let url_scheme = if url.starts_with("http://") {
            "http"
        } else {
            "https"
        };
        let (input, signature) = message::sign(
            &parts,
            url_scheme,
            &signer.key,
            &signer.key_id,
            &covered,
            now,
        )
        .map_err(|e| ServiceError::Internal(format!("signing: {e}")))?;
        parts.headers.push(("signature-input".into(), input));
        parts.headers.push(("signature".into(), signature));
        Ok(parts.headers)
    }
}

/// `(host[:port], path?query)` of an http(s) URL.
fn split_url(url: &str) -> Option<(String, String)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.split('#').next().unwrap_or(rest);
    let (host, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return None;
    }
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    Some((host.to_owned(), path))
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_host_and_target() {
        assert_eq!(
            split_url("https://a.example/users/x/inbox?y=1#f"),
            Some(("a.example".into(), "/users/x/inbox?y=1".into()))
        );
        assert_eq!(
            split_url("http://127.0.0.1:3000"),
            Some(("127.0.0.1:3000".into(), "/".into()))
        );
        assert_eq!(split_url("https://"), None);
        assert_eq!(split_url("mailto:x"), None);
    }
}
