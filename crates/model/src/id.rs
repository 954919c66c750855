//! 64-bit, time-sortable identifiers (Mastodon's "Snowflake" scheme): the high 48 bits are
//! milliseconds since the Unix epoch, the low 16 bits a per-millisecond sequence.
//! See `docs/adr/0002-ids.md`.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::{Clock, Timestamp};

/// A row identifier. Rendered as a decimal string in the API, stored as `BIGINT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(i64);

const SEQUENCE_BITS: u32 = 16;

impl Id {
    /// Wraps a raw value (from storage).
    pub const fn from_i64(v: i64) -> Self {
        Id(v)
    }

    /// The raw value.
    pub const fn as_i64(self) -> i64 {
        self.0
    }

    /// The smallest id that could have been made at `t`; for time-based pagination bounds.
    pub const fn lowest_at(t: Timestamp) -> Self {
        Id(t.as_millis() << SEQUENCE_BITS)
    }

    /// When this id was made.
    pub const fn timestamp(self) -> Timestamp {
        Timestamp::from_millis(self.0 >> SEQUENCE_BITS)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The text was not a decimal id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id")]
pub struct InvalidId;

impl FromStr for Id {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidId);
        }
        s.parse::<i64>().map(Id).map_err(|_| InvalidId)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A source of randomness; passed in so tests are deterministic.
pub trait Random: Send + Sync + fmt::Debug {
    /// Fills `buf` with random bytes (cryptographically secure in the real implementation).
    fn fill(&self, buf: &mut [u8]);

    /// A random `u64`.
    fn next_u64(&self) -> u64 {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b)
    }
}

/// Makes [`Id`]s that increase strictly within one process.
///
/// Each new millisecond starts its sequence at a random point in the lower half of the 16-bit
/// space, so two processes making ids in the same millisecond are unlikely to collide; within a
/// process, ids never repeat and never go backwards even if the clock does (the generator then
/// keeps counting on from the last millisecond it used).
#[derive(Debug, Clone)]
pub struct IdGenerator {
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    state: Arc<Mutex<(i64, i64)>>,
}

impl IdGenerator {
    /// A generator reading `clock` and seeding sequences from `random`.
    pub fn new(clock: Arc<dyn Clock>, random: Arc<dyn Random>) -> Self {
        IdGenerator {
            clock,
            random,
            state: Arc::new(Mutex::new((i64::MIN, 0))),
        }
    }

    /// The next id.
    pub fn next_id(&self) -> Id {
        let now = self.clock.now().as_millis();
        let mut state = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (last_ms, last_seq) = *state;
        let (ms, seq) = if now > last_ms {
            (now, (self.random.next_u64() & 0x7fff) as i64)
        } else if last_seq < 0xffff {
            (last_ms, last_seq + 1)
        } else {
            (last_ms + 1, 0)
        };
        *state = (ms, seq);
        Id((ms << SEQUENCE_BITS) | seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ManualClock;

    #[derive(Debug)]
    struct Counter(std::sync::atomic::AtomicU64);
    impl Random for Counter {
        fn fill(&self, buf: &mut [u8]) {
            let v = self.0.fetch_add(7, std::sync::atomic::Ordering::SeqCst);
            for (i, b) in buf.iter_mut().enumerate() {
                *b = (v >> (8 * (i % 8))) as u8;
            }
        }
    }

    fn generator(clock: Arc<ManualClock>) -> IdGenerator {
        IdGenerator::new(clock, Arc::new(Counter(0.into())))
    }

    #[test]
    fn ids_carry_their_time_and_sort() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_700_000_000_000)));
        let g = generator(clock.clone());
        let a = g.next_id();
        assert_eq!(a.timestamp().as_millis(), 1_700_000_000_000);
        let b = g.next_id();
        assert!(b > a);
        clock.advance(1);
        let c = g.next_id();
        assert!(c > b);
        assert_eq!(c.timestamp().as_millis(), 1_700_000_000_001);
        assert!(Id::lowest_at(c.timestamp()) <= c);
    }

    #[test]
    fn never_repeats_when_clock_stands_still_or_goes_back() {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_000_000)));
        let g = generator(clock.clone());
        let mut last = g.next_id();
        for i in 0..200_000 {
            if i == 100 {
                clock.set(Timestamp::from_millis(999_000));
            }
            let next = g.next_id();
            assert!(next > last, "{next} after {last}");
            last = next;
        }
    }

    #[test]
    fn parses_only_decimal() {
        assert_eq!("123".parse::<Id>(), Ok(Id(123)));
        for bad in ["", "-1", "12a", "1e5", " 1", "99999999999999999999", "１２"] {
            assert!(bad.parse::<Id>().is_err(), "{bad:?}");
        }
    }
}
