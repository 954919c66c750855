//! Passwords: argon2id hashes in PHC string form.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rookery_model::Random;

use crate::{Result, ServiceError};

/// Shortest password accepted (Mastodon's rule).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password accepted (Mastodon's rule; longer input is refused, not truncated).
pub const MAX_PASSWORD_LEN: usize = 72;

/// Checks the length rules.
pub fn validate(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(ServiceError::invalid(
            "password",
            format!("is too short (minimum is {MIN_PASSWORD_LEN} characters)"),
        ));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(ServiceError::invalid(
            "password",
            format!("is too long (maximum is {MAX_PASSWORD_LEN} characters)"),
        ));
    }
    Ok(())
}

/// Hashes with argon2id (the crate's OWASP-recommended defaults: 19 MiB, t=2, p=1).
/// CPU-heavy: runs on the blocking pool. (Outside tests, through [`Passwords`].)
#[cfg(test)]
pub async fn hash(password: &str, random: &dyn Random) -> Result<String> {
    hash_holding(password, random, None).await
}

/// [`hash`], holding `turn` until the computation ends (even if the caller goes away).
async fn hash_holding(
    password: &str,
    random: &dyn Random,
    turn: Option<tokio::sync::OwnedSemaphorePermit>,
) -> Result<String> {
    let mut salt = [0u8; 16];
    random.fill(&mut salt);
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| ServiceError::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
#[cfg(test)]
pub async fn verify(password: &str, phc: &str) -> bool {
    verify_holding(password, phc, None).await
}

/// [`verify`], holding `turn` until the computation ends.
async fn verify_holding(
    password: &str,
    phc: &str,
    turn: Option<tokio::sync::OwnedSemaphorePermit>,
) -> bool {
    let password = password.to_owned();
    let phc = phc.to_owned();
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        PasswordHash::new(&phc)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// How many argon2 computations run at once in a process. Each takes 19 MiB and a core for
/// tens of milliseconds: a burst of sign-ins waits its turn here instead of exhausting a small
/// machine's memory (fifty at once would take a gigabyte).
pub const CONCURRENT_HASHES: usize = 2;

/// Hashing and checking passwords, at most [`CONCURRENT_HASHES`] at a time.
#[derive(Debug)]
pub struct Passwords {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    /// The hash of a random password, checked against for logins that match no account.
    decoy: tokio::sync::OnceCell<String>,
}

impl Default for Passwords {
    fn default() -> Self {
        Passwords {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENT_HASHES)),
            decoy: tokio::sync::OnceCell::new(),
        }
    }
}

impl Passwords {
    /// [`hash`], waiting for a turn (held by the computation itself, so a caller that goes
    /// away does not let another start while it still runs).
    pub async fn hash(&self, password: &str, random: &dyn Random) -> Result<String> {
        let turn = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        hash_holding(password, random, Some(turn)).await
    }

    /// [`verify`], waiting for a turn.
    pub async fn verify(&self, password: &str, phc: &str) -> bool {
        let Ok(turn) = self.permits.clone().acquire_owned().await else {
            return false;
        };
        verify_holding(password, phc, Some(turn)).await
    }

    /// Spends the time a check of `password` takes, against no account: a login that matches
    /// none is not told apart from a wrong password by how long the answer takes.
    pub async fn verify_nothing(&self, password: &str, random: &dyn Random) {
        let decoy = self
            .decoy
            .get_or_try_init(|| async { self.hash(&generate(random), random).await })
            .await;
        if let Ok(phc) = decoy {
            let _ = self.verify(password, phc).await;
        }
    }
}

/// A random password of 24 URL-safe characters, for accounts created by an admin.
pub fn generate(random: &dyn Random) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 24];
    random.fill(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SystemRandom;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("correct horse", &SystemRandom).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h).await);
        assert!(!verify("wrong horse", &h).await);
        assert!(!verify("correct horse", "not a hash").await);
    }

    #[tokio::test]
    async fn hashing_waits_for_a_turn() {
        let p = Passwords::default();
        // Every turn taken: a sign-in waits rather than starting a hash of its own.
        let taken = p
            .permits
            .acquire_many(CONCURRENT_HASHES as u32)
            .await
            .unwrap();
        let waiting = tokio::time::timeout(
            std::time::Duration::from_millis(300),
            p.hash("correct horse", &SystemRandom),
        )
        .await;
        assert!(waiting.is_err(), "hashed without a turn");
        drop(taken);
        let h = p.hash("correct horse", &SystemRandom).await.unwrap();
        assert!(p.verify("correct horse", &h).await);
        // A login matching no account is checked against the decoy, made once.
        p.verify_nothing("correct horse", &SystemRandom).await;
        let decoy = p.decoy.get().cloned().unwrap();
        p.verify_nothing("other", &SystemRandom).await;
        assert_eq!(p.decoy.get(), Some(&decoy));
        assert_eq!(p.permits.available_permits(), CONCURRENT_HASHES);
    }

    #[test]
    fn length_rules() {
        assert!(validate("1234567").is_err());
        assert!(validate("12345678").is_ok());
        assert!(validate(&"x".repeat(73)).is_err());
        assert_eq!(generate(&SystemRandom).len(), 24);
    }
}
