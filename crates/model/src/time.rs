//! Time as the system sees it: milliseconds since the Unix epoch, read from a [`Clock`].

use std::sync::atomic::{AtomicI64, Ordering};

/// (year, month, day)
type Date = (i64, u32, u32);
/// (hour, minute, second, millisecond)
type TimeOfDay = (u32, u32, u32, u32);

/// A point in time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// Wraps a count of milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (rounded down).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This time plus `ms` milliseconds (saturating).
    pub const fn plus_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// ISO 8601 / RFC 3339 with milliseconds and `Z`, as Mastodon renders times:
    /// `2019-11-26T23:27:31.000Z`.
    pub fn to_rfc3339(self) -> String {
        let (date, rest) = self.civil();
        let (h, m, s, ms) = rest;
        format!(
            "{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z",
            date.0, date.1, date.2
        )
    }

    /// The date only (`2019-11-26`), as Mastodon renders `last_status_at`.
    pub fn to_date_string(self) -> String {
        let ((y, mo, d), _) = self.civil();
        format!("{y:04}-{mo:02}-{d:02}")
    }

    /// RFC 2822 in UTC, as RSS `pubDate` wants it: `Tue, 26 Nov 2019 23:27:31 +0000`.
    pub fn to_rfc2822(self) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let ((y, mo, d), (h, m, s, _)) = self.civil();
        // 1970-01-01 was a Thursday.
        let weekday = DAYS[self.0.div_euclid(86_400_000).rem_euclid(7) as usize];
        let month = MONTHS[(mo as usize).saturating_sub(1) % 12];
        format!("{weekday}, {d:02} {month} {y:04} {h:02}:{m:02}:{s:02} +0000")
    }

    /// Parses an RFC 3339 timestamp (any offset); sub-millisecond digits are dropped.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let parsed =
            ::time::OffsetDateTime::parse(text, &::time::format_description::well_known::Rfc3339)
                .ok()?;
        let ms = parsed.unix_timestamp_nanos().div_euclid(1_000_000);
        i64::try_from(ms).ok().map(Timestamp)
    }

    fn civil(self) -> (Date, TimeOfDay) {
        let days = self.0.div_euclid(86_400_000);
        let ms_of_day = self.0.rem_euclid(86_400_000);
        // Days to civil date (proleptic Gregorian), after H. Hinnant's `civil_from_days`.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        let secs = ms_of_day / 1000;
        (
            (y, m as u32, d as u32),
            (
                (secs / 3600) as u32,
                ((secs / 60) % 60) as u32,
                (secs % 60) as u32,
                (ms_of_day % 1000) as u32,
            ),
        )
    }
}

/// Where the current time comes from. Passed in everywhere time matters, so tests of expiry,
/// backoff and scheduling can set it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the wall clock
    fn now(&self) -> Timestamp {
        let ms = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(_) => 0,
        };
        Timestamp(ms)
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: Timestamp) -> Self {
        ManualClock(AtomicI64::new(at.0))
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_mastodon() {
        assert_eq!(
            Timestamp::from_millis(0).to_rfc3339(),
            "1970-01-01T00:00:00.000Z"
        );
        // 2019-11-26T23:27:31.123Z
        let t = Timestamp::from_millis(1_574_810_851_123);
        assert_eq!(t.to_rfc3339(), "2019-11-26T23:27:31.123Z");
        assert_eq!(t.to_date_string(), "2019-11-26");
        // a leap day
        let leap = Timestamp::parse_rfc3339("2024-02-29T12:00:00Z").unwrap();
        assert_eq!(leap.to_rfc3339(), "2024-02-29T12:00:00.000Z");
    }

    #[test]
    fn formats_for_rss() {
        assert_eq!(
            Timestamp::from_millis(0).to_rfc2822(),
            "Thu, 01 Jan 1970 00:00:00 +0000"
        );
        assert_eq!(
            Timestamp::from_millis(1_574_810_851_123).to_rfc2822(),
            "Tue, 26 Nov 2019 23:27:31 +0000"
        );
        let leap = Timestamp::parse_rfc3339("2024-02-29T12:00:00Z").unwrap();
        assert_eq!(leap.to_rfc2822(), "Thu, 29 Feb 2024 12:00:00 +0000");
        assert_eq!(
            Timestamp::from_millis(-1).to_rfc2822(),
            "Wed, 31 Dec 1969 23:59:59 +0000"
        );
    }

    #[test]
    fn parse_round_trips_and_rejects_garbage() {
        let t = Timestamp::parse_rfc3339("2019-11-26T23:27:31.123Z").unwrap();
        assert_eq!(t.as_millis(), 1_574_810_851_123);
        let offset = Timestamp::parse_rfc3339("2019-11-27T01:27:31.123+02:00").unwrap();
        assert_eq!(offset, t);
        assert!(Timestamp::parse_rfc3339("yesterday").is_none());
        assert!(Timestamp::parse_rfc3339("").is_none());
    }

    #[test]
    fn before_epoch_formats() {
        assert_eq!(
            Timestamp::from_millis(-1).to_rfc3339(),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(Timestamp::from_millis(10));
        assert_eq!(c.now().as_millis(), 10);
        c.advance(5);
        assert_eq!(c.now().as_millis(), 15);
    }
}
