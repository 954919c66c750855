//! RSA key pairs for actors (generation, PEM encoding: PKCS#8 private, SPKI public) and the
//! public keys of other servers' actors (SPKI and PKCS#1 PEM, FEP-521a Multikey).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PublicEncryptingKey};
use aws_lc_rs::signature::{self, KeyPair as _};

/// Something was wrong with a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed")]
    Generate,
    #[error("not a PEM block of type {0}")]
    NotPem(&'static str),
    #[error("the key could not be parsed")]
    Invalid,
    #[error("the key does not go with the signature's algorithm")]
    WrongAlgorithm,
    #[error("the signature does not match")]
    Mismatch,
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

/// Parses an RSA public key PEM, as found in `publicKey.publicKeyPem`.
pub fn parse_public_key_pem(pem: &str) -> Result<PublicEncryptingKey, KeyError> {
    let der = decode_pem(pem, "PUBLIC KEY")?;
    PublicEncryptingKey::from_der(&der).map_err(|_| KeyError::Invalid)
}

/// The SubjectPublicKeyInfo prefix of an Ed25519 key (OID 1.3.101.112), before its 32 bytes.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// A public key an actor publishes, checked and ready to verify signatures with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA: DER, either PKCS#1 `RSAPublicKey` or SPKI (the verifier takes both).
    Rsa(Vec<u8>),
    /// Ed25519: the raw 32 bytes.
    Ed25519([u8; 32]),
}

impl PublicKey {
    /// Reads `publicKeyPem`: SPKI (`PUBLIC KEY`, RSA or Ed25519) or PKCS#1 (`RSA PUBLIC KEY`,
    /// which some servers publish).
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let block = pem::parse(text.trim()).map_err(|_| KeyError::NotPem("PUBLIC KEY"))?;
        let der = block.contents();
        match block.tag() {
            "PUBLIC KEY" => match der.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
                Some(raw) => Self::ed25519(raw),
                None => Self::rsa(der),
            },
            "RSA PUBLIC KEY" => Self::rsa(der),
            _ => Err(KeyError::NotPem("PUBLIC KEY")),
        }
    }

    /// Reads a FEP-521a `Multikey`'s `publicKeyMultibase`: base58btc (`z…`) of a multicodec
    /// key, Ed25519 (`0xed 0x01`) or RSA (`0x85 0x24`, PKCS#1 DER).
    pub fn from_multibase(text: &str) -> Result<Self, KeyError> {
        let encoded = text.strip_prefix('z').ok_or(KeyError::Invalid)?;
        let bytes = base58btc_decode(encoded).ok_or(KeyError::Invalid)?;
        match bytes.as_slice() {
            [0xed, 0x01, raw @ ..] => Self::ed25519(raw),
            [0x85, 0x24, der @ ..] => Self::rsa(der),
            _ => Err(KeyError::Invalid),
        }
    }

    /// Every key in a text of PEM blocks (what Rookery stores for a remote actor: its
    /// `publicKey` first, then its Multikeys); blocks that are not usable keys are skipped.
    pub fn all_from_pem(text: &str) -> Vec<PublicKey> {
        pem::parse_many(text)
            .unwrap_or_default()
            .into_iter()
            .take(8)
            .filter_map(|block| Self::from_pem(&pem::encode(&block)).ok())
            .collect()
    }

    /// The key as PEM: SPKI (`PUBLIC KEY`), or PKCS#1 (`RSA PUBLIC KEY`) for an RSA key read
    /// in that form.
    pub fn to_pem(&self) -> String {
        match self {
            PublicKey::Ed25519(raw) => {
                let mut der = ED25519_SPKI_PREFIX.to_vec();
                der.extend_from_slice(raw);
                encode_pem("PUBLIC KEY", &der)
            }
            // An SPKI starts SEQUENCE { SEQUENCE { OID rsaEncryption …; PKCS#1 with the modulus.
            PublicKey::Rsa(der) if der.get(4..8) == Some(&[0x30, 0x0d, 0x06, 0x09][..]) => {
                encode_pem("PUBLIC KEY", der)
            }
            PublicKey::Rsa(der) => encode_pem("RSA PUBLIC KEY", der),
        }
    }

    fn rsa(der: &[u8]) -> Result<Self, KeyError> {
        signature::ParsedPublicKey::new(
            &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            der,
        )
        .map_err(|_| KeyError::Invalid)?;
        Ok(PublicKey::Rsa(der.to_vec()))
    }

    fn ed25519(raw: &[u8]) -> Result<Self, KeyError> {
        let raw: [u8; 32] = raw.try_into().map_err(|_| KeyError::Invalid)?;
        signature::ParsedPublicKey::new(&signature::ED25519, raw).map_err(|_| KeyError::Invalid)?;
        Ok(PublicKey::Ed25519(raw))
    }

    /// Checks `sig` over `message` with `algorithm`; `None` picks what the key implies
    /// (RSASSA-PKCS1-v1_5 with SHA-256 for RSA, as every fediverse server signs).
    pub fn verify(
        &self,
        algorithm: Option<Algorithm>,
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), KeyError> {
        let (alg, key): (&'static dyn signature::VerificationAlgorithm, &[u8]) =
            match (self, algorithm) {
                (PublicKey::Rsa(der), None | Some(Algorithm::RsaPkcs1Sha256)) => (
                    &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                    der,
                ),
                (PublicKey::Rsa(der), Some(Algorithm::RsaPssSha512)) => {
                    (&signature::RSA_PSS_2048_8192_SHA512, der)
                }
                (PublicKey::Ed25519(raw), None | Some(Algorithm::Ed25519)) => {
                    (&signature::ED25519, raw)
                }
                _ => return Err(KeyError::WrongAlgorithm),
            };
        signature::UnparsedPublicKey::new(alg, key)
            .verify(message, sig)
            .map_err(|_| KeyError::Mismatch)
    }
}

/// A signature algorithm a verifier was told to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RsaPkcs1Sha256,
    RsaPssSha512,
    Ed25519,
}

/// Decodes base58 (Bitcoin alphabet), as multibase `z` uses. `None` on a foreign character or
/// input over 4 KiB (a key is far smaller).
fn base58btc_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    if text.len() > 4096 {
        return None;
    }
    // Little-endian base-256 digits of the number so far.
    let mut digits: Vec<u8> = Vec::with_capacity(text.len());
    for c in text.bytes() {
        let mut carry = ALPHABET.iter().position(|a| *a == c)?;
        for d in digits.iter_mut() {
            carry += usize::from(*d) * 58;
            *d = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            digits.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    // Each leading '1' is a leading zero byte.
    let zeros = text.bytes().take_while(|c| *c == b'1').count();
    let mut out = vec![0u8; zeros];
    out.extend(digits.iter().rev());
    Some(out)
}

/// Encodes bytes as multibase base58btc (`z` and the Bitcoin alphabet), the form of a
/// FEP-521a `publicKeyMultibase`.
pub fn multibase_base58btc(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    // Little-endian base-58 digits of the number so far.
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
    for b in bytes {
        let mut carry = usize::from(*b);
        for d in digits.iter_mut() {
            carry += usize::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    // Each leading zero byte is a leading '1'.
    let mut out = String::from("z");
    out.extend(bytes.iter().take_while(|b| **b == 0).map(|_| '1'));
    out.extend(
        digits
            .iter()
            .rev()
            .map(|d| char::from(ALPHABET[usize::from(*d)])),
    );
    out
}

fn encode_pem(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

fn decode_pem(text: &str, label: &'static str) -> Result<Vec<u8>, KeyError> {
    let block = pem::parse(text.trim()).map_err(|_| KeyError::NotPem(label))?;
    if block.tag() != label {
        return Err(KeyError::NotPem(label));
    }
    Ok(block.into_contents())
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

    /// The SPKI DER of an RSA-2048 key is a 24-byte header and then the PKCS#1 key.
    fn pkcs1_pem(spki_pem: &str) -> String {
        let der = decode_pem(spki_pem, "PUBLIC KEY").unwrap();
        encode_pem("RSA PUBLIC KEY", &der[24..])
    }

    #[test]
    fn public_keys_in_every_published_form() {
        let pair = KeyPair::generate().unwrap();
        let spki = PublicKey::from_pem(&pair.public_key_pem()).unwrap();
        let pkcs1 = PublicKey::from_pem(&pkcs1_pem(&pair.public_key_pem())).unwrap();
        let message = b"the signing string";
        let sig = pair.sign_sha256(message).unwrap();
        spki.verify(None, message, &sig).unwrap();
        pkcs1
            .verify(Some(Algorithm::RsaPkcs1Sha256), message, &sig)
            .unwrap();
        assert!(matches!(
            pkcs1.verify(None, b"another string", &sig),
            Err(KeyError::Mismatch)
        ));
        assert!(matches!(
            spki.verify(Some(Algorithm::Ed25519), message, &sig),
            Err(KeyError::WrongAlgorithm)
        ));
        // Ed25519 as SPKI PEM and as a FEP-521a Multikey.
        let ed = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
        let raw = ed.public_key().as_ref().to_vec();
        let mut spki_der = ED25519_SPKI_PREFIX.to_vec();
        spki_der.extend(&raw);
        let from_pem = PublicKey::from_pem(&encode_pem("PUBLIC KEY", &spki_der)).unwrap();
        let mut multicodec = vec![0xed, 0x01];
        multicodec.extend(&raw);
        let from_multibase = PublicKey::from_multibase(&multibase_base58btc(&multicodec)).unwrap();
        assert_eq!(from_pem, from_multibase);
        let sig = ed.sign(message);
        from_multibase.verify(None, message, sig.as_ref()).unwrap();
        // An RSA Multikey (PKCS#1 DER behind 0x1205).
        let der = decode_pem(&pair.public_key_pem(), "PUBLIC KEY").unwrap();
        let mut rsa = vec![0x85, 0x24];
        rsa.extend(&der[24..]);
        assert_eq!(
            PublicKey::from_multibase(&multibase_base58btc(&rsa)).unwrap(),
            PublicKey::Rsa(der[24..].to_vec())
        );
    }

    #[test]
    fn key_sets_round_trip_through_pem() {
        let pair = KeyPair::generate().unwrap();
        let rsa = PublicKey::from_pem(&pair.public_key_pem()).unwrap();
        let pkcs1 = PublicKey::from_pem(&pkcs1_pem(&pair.public_key_pem())).unwrap();
        let generated = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
        let ed = PublicKey::Ed25519(generated.public_key().as_ref().try_into().unwrap());
        assert_eq!(rsa.to_pem(), pair.public_key_pem());
        let text = format!("{}{}garbage\n{}", rsa.to_pem(), pkcs1.to_pem(), ed.to_pem());
        let all = PublicKey::all_from_pem(&text);
        assert_eq!(all.len(), 3);
        assert_eq!(all[1].to_pem(), pkcs1.to_pem());
        assert_eq!(all[2], ed);
        assert!(PublicKey::all_from_pem("").is_empty());
    }

    #[test]
    fn base58_decodes_known_values_and_refuses_the_rest() {
        assert_eq!(base58btc_decode("StV1DL6CwTryKyV").unwrap(), b"hello world");
        assert_eq!(base58btc_decode("11").unwrap(), vec![0, 0]);
        assert_eq!(base58btc_decode("").unwrap(), Vec::<u8>::new());
        assert!(base58btc_decode("0OIl").is_none());
        assert!(base58btc_decode(&"z".repeat(5000)).is_none());
        for bytes in [&b"\x00\x01\xff"[..], &[0u8; 5], &[255u8; 40]] {
            assert_eq!(
                base58btc_decode(&multibase_base58btc(bytes)[1..]).unwrap(),
                bytes
            );
        }
    }

    #[test]
    fn hostile_public_keys_are_refused() {
        for bad in [
            "",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQL\n-----END PUBLIC KEY-----",
        ] {
            assert!(PublicKey::from_pem(bad).is_err(), "{bad}");
        }
        for bad in ["", "z", "zzzz", "m7QEJ", "z0OIl", "z6Mk"] {
            assert!(PublicKey::from_multibase(bad).is_err(), "{bad}");
        }
    }
}
