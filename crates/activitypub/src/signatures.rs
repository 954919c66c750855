//! HTTP signatures as the fediverse speaks them (draft-cavage-http-signatures, Mastodon's
//! dialect): `Signature: keyId="…",algorithm="rsa-sha256",headers="(request-target) host date
//! digest",signature="…"` over RSA-SHA256, with a `Digest: SHA-256=…` of the body on POST.
//!
//! Pure functions over header values: no HTTP library, no clock. Callers supply the request's
//! method, path and headers, and decide about freshness with [`check_date`].
//!
//! RFC 9421 message signatures (`Signature-Input`) are in [`message`]; [`Incoming`] takes
//! whichever of the two a request carries.

pub mod message;
pub mod structured;

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::keys::{Algorithm, KeyPair, PublicKey};

/// Why a signature or digest was refused (phrased for logs and 401 bodies).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("malformed Signature header: {0}")]
    Malformed(&'static str),
    #[error("unsupported signature algorithm {0:?}")]
    Algorithm(String),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("signed header {0:?} is missing from the request")]
    MissingHeader(String),
    #[error("the signature does not match")]
    Mismatch,
    #[error("the key is not a usable RSA public key")]
    Key,
    #[error("the Digest header does not match the body")]
    Digest,
    #[error("no supported digest in the Digest header")]
    NoDigest,
    #[error("the Date header is missing or not an HTTP date")]
    Date,
    #[error("the request is dated {0} s from now, beyond the allowed skew")]
    Skew(i64),
    #[error("the signature expired {0} s ago")]
    Expired(i64),
    #[error("the request is not signed")]
    Unsigned,
}

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub key_id: String,
    /// As given (`rsa-sha256`, `hs2019`, …); `None` when absent.
    pub algorithm: Option<String>,
    /// Lower-cased names of the signed headers, in order (`date` when the parameter is absent,
    /// as the draft says).
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    /// `(created)` and `(expires)` values, when given.
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

/// Longest `Signature` header accepted.
const MAX_HEADER: usize = 8 * 1024;
/// Most signed headers accepted.
const MAX_SIGNED_HEADERS: usize = 32;

impl SignatureHeader {
    /// Parses `keyId="…",algorithm="…",headers="…",signature="…"` (any order, optional
    /// whitespace, unknown parameters ignored; a `Signature ` scheme prefix from an
    /// `Authorization` header is accepted).
    pub fn parse(value: &str) -> Result<SignatureHeader, SignatureError> {
        if value.len() > MAX_HEADER {
            return Err(SignatureError::Malformed("too long"));
        }
        let value = value.trim();
        let value = value
            .strip_prefix("Signature ")
            .or_else(|| value.strip_prefix("signature "))
            .unwrap_or(value);
        let mut key_id = None;
        let mut algorithm = None;
        let mut headers = None;
        let mut signature = None;
        let mut created = None;
        let mut expires = None;
        let mut rest = value;
        while !rest.trim().is_empty() {
            let (name, after) = rest
                .split_once('=')
                .ok_or(SignatureError::Malformed("a parameter without a value"))?;
            let name = name
                .trim()
                .trim_start_matches(',')
                .trim()
                .to_ascii_lowercase();
            let after = after.trim_start();
            let (val, next) = if let Some(quoted) = after.strip_prefix('"') {
                let end = quoted
                    .find('"')
                    .ok_or(SignatureError::Malformed("an unterminated quoted value"))?;
                (&quoted[..end], &quoted[end + 1..])
            } else {
                match after.find(',') {
                    Some(i) => (&after[..i], &after[i..]),
                    None => (after, ""),
                }
            };
            let next = next.trim_start();
            if !next.is_empty() && !next.starts_with(',') {
                return Err(SignatureError::Malformed(
                    "parameters must be separated by commas",
                ));
            }
            rest = next.strip_prefix(',').unwrap_or(next);
            let val = val.trim().to_owned();
            match name.as_str() {
                "keyid" => key_id = Some(val),
                "algorithm" => algorithm = Some(val),
                "headers" => headers = Some(val),
                "signature" => signature = Some(val),
                "created" => created = val.parse().ok(),
                "expires" => expires = val.parse().ok(),
                _ => {}
            }
        }
        let key_id = key_id
            .filter(|k| !k.is_empty())
            .ok_or(SignatureError::Malformed("no keyId"))?;
        let signature = STANDARD
            .decode(
                signature
                    .ok_or(SignatureError::Malformed("no signature"))?
                    .as_bytes(),
            )
            .map_err(|_| SignatureError::Malformed("the signature is not base64"))?;
        let headers: Vec<String> = match headers {
            Some(h) => h.split_whitespace().map(str::to_ascii_lowercase).collect(),
            None => vec!["date".into()],
        };
        if headers.is_empty() || headers.len() > MAX_SIGNED_HEADERS {
            return Err(SignatureError::Malformed("bad headers list"));
        }
        Ok(SignatureHeader {
            key_id,
            algorithm,
            headers,
            signature,
            created,
            expires,
        })
    }

    /// The `Signature` header value for these parameters.
    pub fn to_header(&self) -> String {
        format!(
            "keyId=\"{}\",algorithm=\"{}\",headers=\"{}\",signature=\"{}\"",
            self.key_id,
            self.algorithm.as_deref().unwrap_or("rsa-sha256"),
            self.headers.join(" "),
            STANDARD.encode(&self.signature)
        )
    }

    /// Whether the signature covers `name` (lower case).
    pub fn covers(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h == name)
    }

    /// Refuses a signature that leaves out what the receiver insists on: the request target,
    /// the host and the time always (so it cannot be replayed at another path, to another
    /// server, or later — the `Date` header or, as `hs2019` allows, the `(created)`
    /// pseudo-header; [`SignatureHeader::check_time`] checks it), the digest when the request
    /// has a body (so the body cannot be swapped).
    pub fn ensure_covers(&self, has_body: bool) -> Result<(), SignatureError> {
        if !self.covers("(request-target)") {
            return Err(SignatureError::NotCovered("(request-target)"));
        }
        if !self.covers("host") {
            return Err(SignatureError::NotCovered("host"));
        }
        if !self.covers("date") && !self.covers("(created)") {
            return Err(SignatureError::NotCovered("date"));
        }
        if has_body && !self.covers("digest") {
            return Err(SignatureError::NotCovered("digest"));
        }
        Ok(())
    }
}

impl SignatureHeader {
    /// Whether the request is fresh: its signed `(created)` (and `(expires)`) when those are
    /// covered, else its `Date` header.
    pub fn check_time(
        &self,
        req: &dyn SignedRequest,
        now_unix: i64,
        max_skew_secs: i64,
    ) -> Result<(), SignatureError> {
        if self.covers("(created)") {
            let expires = if self.covers("(expires)") {
                self.expires
            } else {
                None
            };
            return check_window(self.created, expires, now_unix, max_skew_secs);
        }
        let date = req
            .header_values("date")
            .into_iter()
            .next()
            .ok_or(SignatureError::Date)?;
        check_date(&date, now_unix, max_skew_secs)
    }
}

/// Checks a signature's creation time is within `max_skew_secs` of now and that it has not
/// expired (an hour of grace for clocks, at most the skew).
pub fn check_window(
    created: Option<i64>,
    expires: Option<i64>,
    now_unix: i64,
    max_skew_secs: i64,
) -> Result<(), SignatureError> {
    let created = created.ok_or(SignatureError::Date)?;
    if created.abs_diff(now_unix) > max_skew_secs.unsigned_abs() {
        return Err(SignatureError::Skew(created.saturating_sub(now_unix)));
    }
    if let Some(expires) = expires {
        let grace = max_skew_secs.min(3600);
        let late = now_unix.saturating_sub(expires);
        if late > grace {
            return Err(SignatureError::Expired(late));
        }
    }
    Ok(())
}

/// A request's signature, whichever scheme it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// draft-cavage (`Signature: keyId=…`), what most servers send.
    Cavage(SignatureHeader),
    /// RFC 9421 (`Signature-Input` + `Signature`).
    Message(message::MessageSignature),
}

impl Incoming {
    /// Reads the signature a request carries: RFC 9421 when `Signature-Input` is present,
    /// else draft-cavage from `Signature` (or `Authorization: Signature …`).
    pub fn from_request(req: &dyn SignedRequest) -> Result<Incoming, SignatureError> {
        let first = |name: &str| req.header_values(name).into_iter().next();
        if let Some(input) = first("signature-input") {
            let signature = first("signature").ok_or(SignatureError::Malformed(
                "Signature-Input without Signature",
            ))?;
            return message::MessageSignature::parse(&input, &signature).map(Incoming::Message);
        }
        let header = first("signature")
            .or_else(|| first("authorization"))
            .ok_or(SignatureError::Unsigned)?;
        SignatureHeader::parse(&header).map(Incoming::Cavage)
    }

    /// The `keyId` (`keyid`) it names.
    pub fn key_id(&self) -> &str {
        match self {
            Incoming::Cavage(s) => &s.key_id,
            Incoming::Message(s) => &s.key_id,
        }
    }

    /// Which scheme, for logs and metrics (`cavage`, `rfc9421`).
    pub fn scheme(&self) -> &'static str {
        match self {
            Incoming::Cavage(_) => "cavage",
            Incoming::Message(_) => "rfc9421",
        }
    }

    /// See [`SignatureHeader::ensure_covers`] and [`message::MessageSignature::ensure_covers`].
    pub fn ensure_covers(&self, has_body: bool) -> Result<(), SignatureError> {
        match self {
            Incoming::Cavage(s) => s.ensure_covers(has_body),
            Incoming::Message(s) => s.ensure_covers(has_body),
        }
    }

    /// Whether the request is fresh (see [`check_window`] and [`check_date`]).
    pub fn check_time(
        &self,
        req: &dyn SignedRequest,
        now_unix: i64,
        max_skew_secs: i64,
    ) -> Result<(), SignatureError> {
        match self {
            Incoming::Cavage(s) => s.check_time(req, now_unix, max_skew_secs),
            Incoming::Message(s) => check_window(s.created, s.expires, now_unix, max_skew_secs),
        }
    }

    /// Checks the body against the digest the signature covers (`Digest` or
    /// `Content-Digest`).
    pub fn verify_body(&self, req: &dyn SignedRequest, body: &[u8]) -> Result<(), SignatureError> {
        // Every value of the header, joined as the signature covers them.
        let first = |name: &str| {
            let values = req.header_values(name);
            (!values.is_empty()).then(|| values.join(", "))
        };
        match self {
            Incoming::Cavage(_) => {
                verify_digest(&first("digest").ok_or(SignatureError::NoDigest)?, body)
            }
            Incoming::Message(_) => message::verify_content_digest(
                &first("content-digest").ok_or(SignatureError::NoDigest)?,
                body,
            ),
        }
    }

    /// Checks the signature with the signer's key; `scheme` is how the request reached us
    /// (`https`), which RFC 9421's `@target-uri` covers.
    pub fn verify(
        &self,
        req: &dyn SignedRequest,
        scheme: &str,
        key: &PublicKey,
    ) -> Result<(), SignatureError> {
        match self {
            Incoming::Cavage(s) => verify_with(req, s, key),
            Incoming::Message(s) => s.verify(req, scheme, key),
        }
    }
}

/// What of a request a signature is computed over.
pub trait SignedRequest {
    /// Upper- or lower-case method (`POST`).
    fn method(&self) -> &str;
    /// Path with query (`/users/alice/inbox?x=1`).
    fn path_and_query(&self) -> &str;
    /// Every value of header `name` (lower case), in order.
    fn header_values(&self, name: &str) -> Vec<String>;
}

/// The signing string for `headers` over `req`.
pub fn signing_string(
    req: &dyn SignedRequest,
    sig: &SignatureHeader,
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(sig.headers.len());
    for name in &sig.headers {
        let value = match name.as_str() {
            "(request-target)" => format!(
                "{} {}",
                req.method().to_ascii_lowercase(),
                req.path_and_query()
            ),
            "(created)" => sig
                .created
                .ok_or(SignatureError::Malformed("(created) without created"))?
                .to_string(),
            "(expires)" => sig
                .expires
                .ok_or(SignatureError::Malformed("(expires) without expires"))?
                .to_string(),
            other => {
                let values = req.header_values(other);
                if values.is_empty() {
                    return Err(SignatureError::MissingHeader(other.to_owned()));
                }
                values
                    .iter()
                    .map(|v| v.trim())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// Checks `sig` over `req` with the PEM public key of its `keyId` (SPKI or PKCS#1).
pub fn verify(
    req: &dyn SignedRequest,
    sig: &SignatureHeader,
    public_key_pem: &str,
) -> Result<(), SignatureError> {
    let key = PublicKey::from_pem(public_key_pem).map_err(|_| SignatureError::Key)?;
    verify_with(req, sig, &key)
}

/// Checks a draft-cavage signature with a parsed key. RSA-SHA256 is what servers send with
/// RSA keys, whatever they call it (`rsa-sha256`, `hs2019`, or nothing); `hs2019` (or
/// `ed25519`) with an Ed25519 key is Ed25519. 1024-bit RSA keys, which some old servers still
/// have, are accepted.
fn verify_with(
    req: &dyn SignedRequest,
    sig: &SignatureHeader,
    key: &PublicKey,
) -> Result<(), SignatureError> {
    let algorithm = match (
        sig.algorithm
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        key,
    ) {
        (None | Some("rsa-sha256" | "hs2019"), PublicKey::Rsa(_)) => Algorithm::RsaPkcs1Sha256,
        (None | Some("hs2019" | "ed25519"), PublicKey::Ed25519(_)) => Algorithm::Ed25519,
        (Some(other), _) => return Err(SignatureError::Algorithm(other.to_owned())),
    };
    let text = signing_string(req, sig)?;
    key.verify(Some(algorithm), text.as_bytes(), &sig.signature)
        .map_err(|_| SignatureError::Mismatch)
}

/// Signs `req` over `headers` (lower-case names; they must be present on `req`) and returns the
/// `Signature` header value.
pub fn sign(
    req: &dyn SignedRequest,
    key: &KeyPair,
    key_id: &str,
    headers: &[&str],
) -> Result<String, SignatureError> {
    let mut sig = SignatureHeader {
        key_id: key_id.to_owned(),
        algorithm: Some("rsa-sha256".into()),
        headers: headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
        signature: Vec::new(),
        created: None,
        expires: None,
    };
    let text = signing_string(req, &sig)?;
    sig.signature = key
        .sign_sha256(text.as_bytes())
        .map_err(|_| SignatureError::Key)?;
    Ok(sig.to_header())
}

/// The `Digest` header value for `body`: `SHA-256=<base64>`.
pub fn digest_header(body: &[u8]) -> String {
    format!(
        "SHA-256={}",
        STANDARD.encode(digest::digest(&digest::SHA256, body).as_ref())
    )
}

/// Checks a `Digest` header against `body`. Several digests may be listed; every SHA-256 and
/// SHA-512 one present must match, and at least one must be present.
pub fn verify_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut checked = false;
    for part in header.split(',') {
        let Some((alg, value)) = part.trim().split_once('=') else {
            continue;
        };
        let algorithm = match alg.trim().to_ascii_uppercase().as_str() {
            "SHA-256" => &digest::SHA256,
            "SHA-512" => &digest::SHA512,
            _ => continue,
        };
        let expected = STANDARD
            .decode(value.trim())
            .map_err(|_| SignatureError::Digest)?;
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

/// Checks a `Date` header (RFC 7231 IMF-fixdate) is within `max_skew_secs` of `now_unix`.
pub fn check_date(date: &str, now_unix: i64, max_skew_secs: i64) -> Result<(), SignatureError> {
    let t = parse_http_date(date).ok_or(SignatureError::Date)?;
    let skew = t - now_unix;
    if skew.abs() > max_skew_secs {
        return Err(SignatureError::Skew(skew));
    }
    Ok(())
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `Sun, 06 Nov 1994 08:49:37 GMT` into Unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let (_, rest) = s.split_once(", ")?;
    let mut parts = rest.split(' ');
    let day: i64 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let mi: i64 = hms.next()?.parse().ok()?;
    let se: i64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || se > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Formats Unix seconds as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil from days (inverse of the above).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests;
