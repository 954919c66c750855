//! Secrets: random tokens, digests for storing them, and signatures for stateless forms.

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rookery_model::Random;

/// 32 random bytes, base64url without padding (43 characters).
pub fn random_token(random: &dyn Random) -> String {
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 as lower-case hex: how token secrets are stored.
pub fn sha256_hex(text: &str) -> String {
    digest::digest(&digest::SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// PKCE S256: `base64url(sha256(verifier)) == challenge`.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let d = digest::digest(&digest::SHA256, verifier.as_bytes());
    let expected = URL_SAFE_NO_PAD.encode(d.as_ref());
    constant_time_eq(expected.as_bytes(), challenge.as_bytes())
}

/// Compares without leaking where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `payload.signature`, the signature an HMAC-SHA256 of the payload under `key`.
pub fn sign(key: &[u8], payload: &str) -> String {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&k, payload.as_bytes());
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// The payload of a [`sign`]ed value, if the signature holds.
pub fn verify<'a>(key: &[u8], signed: &'a str) -> Option<&'a str> {
    let (payload, sig) = signed.rsplit_once('.')?;
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::verify(&k, payload.as_bytes(), &sig).ok()?;
    Some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_rfc7636_example() {
        // RFC 7636, appendix B.
        assert!(pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_s256_matches(
            "wrong",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn signatures() {
        let s = sign(b"key", "a.b|c");
        assert_eq!(verify(b"key", &s), Some("a.b|c"));
        assert_eq!(verify(b"other", &s), None);
        assert_eq!(verify(b"key", &s.replace("a.b", "a.x")), None);
        assert_eq!(verify(b"key", "garbage"), None);
        assert_eq!(sha256_hex("abc").len(), 64);
    }
}
