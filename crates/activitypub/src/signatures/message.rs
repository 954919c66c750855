//! RFC 9421 HTTP Message Signatures, as Mastodon 4.5 and Fedify send them:
//!
//! ```text
//! Signature-Input: sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="https://a.example/users/x#main-key"
//! Signature: sig1=:base64…:
//! Content-Digest: sha-256=:base64…:
//! ```
//!
//! The signature base is one line per covered component, then `"@signature-params": …`.
//! Components with parameters (`;sf`, `;key`, `;bs`, `;req`, `;tr`) are refused: no fediverse
//! server sends them, and refusing is safer than half-supporting them.

use aws_lc_rs::digest;

use super::structured::{self, BareItem, Item, Member, Parameters};
use super::{SignatureError, SignedRequest};
use crate::keys::{Algorithm, PublicKey};

/// Most covered components accepted.
const MAX_COMPONENTS: usize = 32;

/// One signature from `Signature-Input` and `Signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSignature {
    pub label: String,
    /// Covered component names (`@method`, `content-digest`, …), lower case, in order.
    pub components: Vec<String>,
    pub key_id: String,
    /// `alg`, when given.
    pub algorithm: Option<Algorithm>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub signature: Vec<u8>,
    /// The `Signature-Input` member as parsed, serialised again for the signature base.
    params_text: String,
}

impl MessageSignature {
    /// Reads the first signature of `Signature-Input` that `Signature` carries (servers send
    /// one).
    pub fn parse(input: &str, signature: &str) -> Result<MessageSignature, SignatureError> {
        let malformed = |e: structured::Malformed| SignatureError::Malformed(e.0);
        let inputs = structured::parse_dictionary(input).map_err(malformed)?;
        let signatures = structured::parse_dictionary(signature).map_err(malformed)?;
        let (label, (items, params)) = inputs
            .into_iter()
            .find_map(|(label, m)| match m {
                Member::InnerList(items, params) => Some((label, (items, params))),
                Member::Item(_) => None,
            })
            .ok_or(SignatureError::Malformed(
                "Signature-Input has no signature",
            ))?;
        let signature = signatures
            .into_iter()
            .find(|(l, _)| *l == label)
            .and_then(|(_, m)| match m {
                Member::Item(Item {
                    value: BareItem::Bytes(b),
                    ..
                }) => Some(b),
                _ => None,
            })
            .ok_or(SignatureError::Malformed(
                "Signature has no byte sequence for the signature named in Signature-Input",
            ))?;
        if items.len() > MAX_COMPONENTS {
            return Err(SignatureError::Malformed("too many covered components"));
        }
        let mut components = Vec::with_capacity(items.len());
        for item in &items {
            match &item.value {
                BareItem::String(name) if item.params.is_empty() => {
                    if name.is_empty() || name.bytes().any(|c| c.is_ascii_uppercase()) {
                        return Err(SignatureError::Malformed("a component name is lower case"));
                    }
                    if components.contains(name) {
                        return Err(SignatureError::Malformed("a component is covered twice"));
                    }
                    components.push(name.clone());
                }
                BareItem::String(_) => {
                    return Err(SignatureError::Malformed(
                        "component parameters are not supported",
                    ));
                }
                _ => return Err(SignatureError::Malformed("a component is a string")),
            }
        }
        let string = |k: &str| param(&params, k).and_then(as_string);
        let integer = |k: &str| match param(&params, k) {
            None => Ok(None),
            Some(BareItem::Integer(n)) => Ok(Some(*n)),
            Some(_) => Err(SignatureError::Malformed(
                "created and expires are integers",
            )),
        };
        let key_id = string("keyid")
            .filter(|k| !k.is_empty())
            .ok_or(SignatureError::Malformed("no keyid"))?
            .to_owned();
        let algorithm = match string("alg") {
            None => None,
            Some("rsa-v1_5-sha256") => Some(Algorithm::RsaPkcs1Sha256),
            Some("rsa-pss-sha512") => Some(Algorithm::RsaPssSha512),
            Some("ed25519") => Some(Algorithm::Ed25519),
            Some(other) => return Err(SignatureError::Algorithm(other.to_owned())),
        };
        if param(&params, "alg").is_some() && algorithm.is_none() {
            return Err(SignatureError::Malformed("alg is a string"));
        }
        Ok(MessageSignature {
            label,
            components,
            key_id,
            algorithm,
            created: integer("created")?,
            expires: integer("expires")?,
            signature,
            params_text: structured::serialize_inner_list(&items, &params),
        })
    }

    /// Whether `name` is covered.
    pub fn covers(&self, name: &str) -> bool {
        self.components.iter().any(|c| c == name)
    }

    /// Refuses what Mastodon refuses, and a little more: the method, the target URI and the
    /// creation time must be signed, and `Content-Digest` when there is a body.
    pub fn ensure_covers(&self, has_body: bool) -> Result<(), SignatureError> {
        if !self.covers("@method") {
            return Err(SignatureError::NotCovered("@method"));
        }
        if !self.covers("@target-uri") {
            return Err(SignatureError::NotCovered("@target-uri"));
        }
        if self.created.is_none() {
            return Err(SignatureError::NotCovered("created"));
        }
        if has_body && !self.covers("content-digest") {
            return Err(SignatureError::NotCovered("content-digest"));
        }
        Ok(())
    }

    /// The signature base over `req`, reached at `scheme` (`https`).
    pub fn signature_base(
        &self,
        req: &dyn SignedRequest,
        scheme: &str,
    ) -> Result<String, SignatureError> {
        let authority = || {
            req.header_values("host")
                .first()
                .map(|h| h.trim().to_ascii_lowercase())
                .ok_or(SignatureError::MissingHeader("host".into()))
        };
        let target = req.path_and_query();
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let mut out = String::new();
        for name in &self.components {
            let value = match name.as_str() {
                "@method" => req.method().to_ascii_uppercase(),
                "@target-uri" => format!("{scheme}://{}{target}", authority()?),
                "@authority" => authority()?,
                "@scheme" => scheme.to_owned(),
                "@request-target" => target.to_owned(),
                "@path" => path.to_owned(),
                "@query" => format!("?{}", query.unwrap_or_default()),
                n if n.starts_with('@') => {
                    return Err(SignatureError::Malformed(
                        "an unsupported derived component",
                    ));
                }
                header => {
                    let values = req.header_values(header);
                    if values.is_empty() {
                        return Err(SignatureError::MissingHeader(header.to_owned()));
                    }
                    values
                        .iter()
                        .map(|v| v.trim())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            if value.contains('\n') || value.contains('\r') {
                return Err(SignatureError::Malformed(
                    "a component value has a line break",
                ));
            }
            out.push_str(&format!("\"{name}\": {value}\n"));
        }
        out.push_str("\"@signature-params\": ");
        out.push_str(&self.params_text);
        Ok(out)
    }

    /// Checks the signature over `req` with `key`.
    pub fn verify(
        &self,
        req: &dyn SignedRequest,
        scheme: &str,
        key: &PublicKey,
    ) -> Result<(), SignatureError> {
        let base = self.signature_base(req, scheme)?;
        key.verify(self.algorithm, base.as_bytes(), &self.signature)
            .map_err(|e| match e {
                crate::keys::KeyError::WrongAlgorithm => {
                    SignatureError::Algorithm("not the key's algorithm".into())
                }
                _ => SignatureError::Mismatch,
            })
    }
}

/// Signs `req` (reached at `scheme`) over `components` with an RSA key, as Mastodon 4.5 does
/// (`alg` left out: the key implies it). Returns the `Signature-Input` and `Signature` header
/// values, labelled `sig1`.
pub fn sign(
    req: &dyn SignedRequest,
    scheme: &str,
    key: &crate::keys::KeyPair,
    key_id: &str,
    components: &[&str],
    created: i64,
) -> Result<(String, String), SignatureError> {
    let items: Vec<Item> = components
        .iter()
        .map(|c| Item {
            value: BareItem::String(c.to_ascii_lowercase()),
            params: Vec::new(),
        })
        .collect();
    let params: Parameters = vec![
        ("created".into(), BareItem::Integer(created)),
        ("keyid".into(), BareItem::String(key_id.to_owned())),
    ];
    let params_text = structured::serialize_inner_list(&items, &params);
    let mut sig = MessageSignature {
        label: "sig1".into(),
        components: items
            .iter()
            .filter_map(|i| as_string(&i.value).map(str::to_owned))
            .collect(),
        key_id: key_id.to_owned(),
        algorithm: None,
        created: Some(created),
        expires: None,
        signature: Vec::new(),
        params_text,
    };
    let base = sig.signature_base(req, scheme)?;
    sig.signature = key
        .sign_sha256(base.as_bytes())
        .map_err(|_| SignatureError::Key)?;
    let signature = format!(
        "sig1=:{}:",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &sig.signature)
    );
    Ok((format!("sig1={}", sig.params_text), signature))
}

fn param<'a>(params: &'a Parameters, key: &str) -> Option<&'a BareItem> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn as_string(v: &BareItem) -> Option<&str> {
    match v {
        BareItem::String(s) => Some(s),
        _ => None,
    }
}

/// The `Content-Digest` header value for `body` (RFC 9530): `sha-256=:<base64>:`.
pub fn content_digest_header(body: &[u8]) -> String {
    let d = digest::digest(&digest::SHA256, body);
    format!(
        "sha-256=:{}:",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, d.as_ref())
    )
}

/// Checks a `Content-Digest` header against `body`: every SHA-256 and SHA-512 digest given
/// must match, and at least one must be given.
pub fn verify_content_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let members = structured::parse_dictionary(header).map_err(|_| SignatureError::Digest)?;
    let mut checked = false;
    for (name, member) in members {
        let algorithm = match name.as_str() {
            "sha-256" => &digest::SHA256,
            "sha-512" => &digest::SHA512,
            _ => continue,
        };
        let Member::Item(Item {
            value: BareItem::Bytes(expected),
            ..
        }) = member
        else {
            return Err(SignatureError::Digest);
        };
        if digest::digest(algorithm, body).as_ref() != expected.as_slice() {
            return Err(SignatureError::Digest);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::NoDigest)
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
