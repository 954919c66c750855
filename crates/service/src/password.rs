//! Passwords: argon2id hashes in PHC string form.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// Argon2 working memory, kept between computations: a process holds [`CONCURRENT_HASHES`]
/// of these (19 MiB each) for good instead of allocating one per sign-in. Freed per
/// computation, the allocator kept a copy per thread that ever hashed, and a burst of
/// sign-ins grew the process by half a gigabyte.
type Memory = Vec<Block>;

/// Argon2id with the crate's OWASP-recommended parameters (19 MiB, t=2, p=1).
fn default_params() -> Params {
    Params::default()
}

/// Runs argon2 into `out` with `memory` (grown to what `params` need).
fn compute(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Memory,
) -> std::result::Result<(), argon2::Error> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
}

/// The PHC string of a new argon2id hash of `password` with `salt`.
fn hash_with(password: &str, salt: &[u8], memory: &mut Memory) -> Result<String> {
    let failed =
        |e: &dyn std::fmt::Display| ServiceError::Internal(format!("password hashing failed: {e}"));
    let params = default_params();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt_string = SaltString::encode_b64(salt).map_err(|e| failed(&e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(&argon, &params, password.as_bytes(), salt, &mut out, memory)
        .map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt_string.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `phc` (any argon2 variant and parameters).
fn verify_with(password: &str, phc: &str, memory: &mut Memory) -> bool {
    let mut check = || -> Option<bool> {
        let stored = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(stored.algorithm).ok()?;
        let version = match stored.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&stored).ok()?;
        let expected = stored.hash?;
        let mut salt = [0u8; 64];
        let salt = stored.salt?.decode_b64(&mut salt).ok()?;
        let argon = Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0u8; expected.len()];
        compute(&argon, &params, password.as_bytes(), salt, &mut out, memory).ok()?;
        // Compared in constant time.
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

/// Hashes with argon2id. CPU-heavy: runs on the blocking pool. (Outside tests, through
/// [`Passwords`].)
#[cfg(test)]
pub async fn hash(password: &str, random: &dyn Random) -> Result<String> {
    hash_holding(password, random, None, Memory::new()).await.0
}

/// [`hash`] with `memory`, holding `turn` until the computation ends (even if the caller goes
/// away); the memory comes back with the result.
async fn hash_holding(
    password: &str,
    random: &dyn Random,
    turn: Option<tokio::sync::OwnedSemaphorePermit>,
    mut memory: Memory,
) -> (Result<String>, Option<Memory>) {
    let mut salt = [0u8; 16];
    random.fill(&mut salt);
    let password = password.to_owned();
    let done = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let result = hash_with(&password, &salt, &mut memory);
        (result, memory)
    })
    .await;
    match done {
        Ok((result, memory)) => (result, Some(memory)),
        Err(e) => (Err(ServiceError::Internal(e.to_string())), None),
    }
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
#[cfg(test)]
pub async fn verify(password: &str, phc: &str) -> bool {
    verify_holding(password, phc, None, Memory::new()).await.0
}

/// [`verify`] with `memory`, holding `turn` until the computation ends.
async fn verify_holding(
    password: &str,
    phc: &str,
    turn: Option<tokio::sync::OwnedSemaphorePermit>,
    mut memory: Memory,
) -> (bool, Option<Memory>) {
    let password = password.to_owned();
    let phc = phc.to_owned();
    let done = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let ok = verify_with(&password, &phc, &mut memory);
        (ok, memory)
    })
    .await;
    match done {
        Ok((ok, memory)) => (ok, Some(memory)),
        Err(_) => (false, None),
    }
}

/// How many argon2 computations run at once in a process. Each takes 19 MiB and a core for
/// tens of milliseconds: a burst of sign-ins waits its turn here instead of exhausting a small
/// machine's memory (fifty at once would take a gigabyte).
pub const CONCURRENT_HASHES: usize = 2;

/// Hashing and checking passwords, at most [`CONCURRENT_HASHES`] at a time.
#[derive(Debug)]
pub struct Passwords {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    /// Working memory of computations that ended, for the next ones (at most one per turn).
    memory: std::sync::Mutex<Vec<Memory>>,
    /// The hash of a random password, checked against for logins that match no account.
    decoy: tokio::sync::OnceCell<String>,
}

impl Default for Passwords {
    fn default() -> Self {
        Passwords {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENT_HASHES)),
            memory: std::sync::Mutex::new(Vec::new()),
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
        let (result, memory) = hash_holding(password, random, Some(turn), self.take_memory()).await;
        self.give_memory(memory);
        result
    }

    /// [`verify`], waiting for a turn.
    pub async fn verify(&self, password: &str, phc: &str) -> bool {
        let Ok(turn) = self.permits.clone().acquire_owned().await else {
            return false;
        };
        let (ok, memory) = verify_holding(password, phc, Some(turn), self.take_memory()).await;
        self.give_memory(memory);
        ok
    }

    /// Working memory for a computation that has its turn.
    fn take_memory(&self) -> Memory {
        self.memory
            .lock()
            .ok()
            .and_then(|mut m| m.pop())
            .unwrap_or_default()
    }

    /// Keeps a computation's memory for the next (trimmed to the default size, if a stored
    /// hash with more memory needed more).
    fn give_memory(&self, memory: Option<Memory>) {
        let Some(mut memory) = memory else { return };
        let blocks = default_params().block_count();
        if memory.len() > blocks {
            memory.truncate(blocks);
            memory.shrink_to_fit();
        }
        if let Ok(mut kept) = self.memory.lock()
            && kept.len() < CONCURRENT_HASHES
        {
            kept.push(memory);
        }
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

    /// Hashes stored before the working memory was kept (made by the crate's own hasher),
    /// and other argon2 parameters, still verify; new hashes verify with the crate's verifier.
    #[tokio::test]
    async fn hashes_match_the_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let old = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        let smaller = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(4096, 3, 1, None).unwrap(),
        )
        .hash_password(b"correct horse", &salt)
        .unwrap()
        .to_string();
        let p = Passwords::default();
        for phc in [&old, &smaller] {
            assert!(p.verify("correct horse", phc).await, "{phc}");
            assert!(!p.verify("correct horsE", phc).await, "{phc}");
        }
        let new = p.hash("correct horse", &SystemRandom).await.unwrap();
        let parsed = PasswordHash::new(&new).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(new.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{new}");
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
