//! RSA key pairs for actors: generation, PEM encoding (PKCS#8 private, SPKI public), parsing.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PublicEncryptingKey};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Something was wrong with a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed")]
    Generate,
    #[error("not a PEM block of type {0}")]
    NotPem(&'static str),
    #[error("the key could not be parsed")]
    Invalid,
}

/// An actor's RSA-2048 key pair.
pub struct KeyPair {
    inner: aws_lc_rs::rsa::KeyPair,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair(..)") // never print private material
    }
}

impl KeyPair {
    /// A new RSA-2048 key pair (tens of milliseconds: do it off the async executor).
    pub fn generate() -> Result<Self, KeyError> {
        let inner =
            aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        Ok(KeyPair { inner })
    }

    /// Reads a PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_private_pem(pem: &str) -> Result<Self, KeyError> {
        let der = decode_pem(pem, "PRIVATE KEY")?;
        let inner = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der).map_err(|_| KeyError::Invalid)?;
        Ok(KeyPair { inner })
    }

    /// The private key as PKCS#8 PEM.
    pub fn private_key_pem(&self) -> Result<String, KeyError> {
        let der = self.inner.as_der().map_err(|_| KeyError::Invalid)?;
        Ok(encode_pem("PRIVATE KEY", der.as_ref()))
    }

    /// An RSASSA-PKCS1-v1_5 SHA-256 signature of `message` (HTTP signatures).
    pub fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut out = vec![0u8; self.inner.public_modulus_len()];
        self.inner
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &rng,
                message,
                &mut out,
            )
            .map_err(|_| KeyError::Invalid)?;
        Ok(out)
    }

    /// The public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), the form
    /// `publicKeyPem` carries in ActivityPub.
    pub fn public_key_pem(&self) -> String {
        match self.inner.public_key().as_der() {
            Ok(der) => encode_pem("PUBLIC KEY", der.as_ref()),
            Err(_) => String::new(),
        }
    }
}

/// Parses an SPKI RSA public key PEM, as found in `publicKey.publicKeyPem`.
pub fn parse_public_key_pem(pem: &str) -> Result<PublicEncryptingKey, KeyError> {
    let der = decode_pem(pem, "PUBLIC KEY")?;
    PublicEncryptingKey::from_der(&der).map_err(|_| KeyError::Invalid)
}

/// The DER of an SPKI public key PEM.
pub fn public_key_der(pem: &str) -> Result<Vec<u8>, KeyError> {
    decode_pem(pem, "PUBLIC KEY")
}

/// One DER element at the start of `der`: (tag, contents, rest).
fn der_element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The PKCS#1 `RSAPublicKey` inside an SPKI `SubjectPublicKeyInfo` (checking it is RSA).
pub fn rsa_public_key_from_spki(spki: &[u8]) -> Option<Vec<u8>> {
    /// rsaEncryption, 1.2.840.113549.1.1.1
    const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (0x30, body, _) = der_element(spki)? else {
        return None;
    };
    let (0x30, alg, rest) = der_element(body)? else {
        return None;
    };
    let (0x06, oid, _) = der_element(alg)? else {
        return None;
    };
    if oid != RSA_OID {
        return None;
    }
    let (0x03, bits, _) = der_element(rest)? else {
        return None;
    };
    let (&unused, key) = bits.split_first()?;
    (unused == 0 && !key.is_empty()).then(|| key.to_vec())
}

fn encode_pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn decode_pem(pem: &str, label: &'static str) -> Result<Vec<u8>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin).ok_or(KeyError::NotPem(label))? + begin.len();
    let stop = pem[start..].find(&end).ok_or(KeyError::NotPem(label))? + start;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).map_err(|_| KeyError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let pair = KeyPair::generate().unwrap();
        let private = pair.private_key_pem().unwrap();
        let again = KeyPair::from_private_pem(&private).unwrap();
        assert_eq!(again.public_key_pem(), pair.public_key_pem());
        assert!(parse_public_key_pem(&pair.public_key_pem()).is_ok());
        assert!(format!("{pair:?}").contains(".."));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(parse_public_key_pem("").is_err());
        assert!(
            parse_public_key_pem("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----")
                .is_err()
        );
        assert!(
            parse_public_key_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
                .is_err()
        );
        assert!(
            KeyPair::from_private_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
            )
            .is_err()
        );
    }
}
