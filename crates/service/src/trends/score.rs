//! How trends are scored: Mastodon's "expected against observed" surge, kept at its peak and
//! halved every half-life (`app/models/trends/{tags,links,statuses}.rb`), over rows the store
//! counts in SQL.
//!
//! For a hashtag or a link, `observed` is the number of distinct accounts that used it in the
//! last 24 hours and `expected` the number in the 24 hours before (at least 1). The surge is
//!
//! ```text
//! surge = (observed - expected)² / expected   when observed ≥ threshold and observed ≥ expected
//!       = 0                                    otherwise
//! ```
//!
//! The highest surge of the last two days is kept with its time, and the item's score is that
//! peak halved every half-life since (4 hours for hashtags, 8 for links); items below a score
//! of 1 leave the trends. A status's `observed` is its favourites plus boosts, `expected` is 1,
//! and its surge is halved every 2 hours since it was posted; it leaves below 0.3.
//!
//! Mastodon counts use by calendar day; these windows roll, so a surge does not reset at
//! midnight. Mastodon's threshold is 5 accounts (or interactions); here it is 3, as Rookery
//! instances are usually small.

use rookery_model::{Id, Timestamp};
use rookery_store::trends::{StatusInteractions, Trend, TrendKind, TrendUse};

const HOUR_MS: i64 = 3_600_000;
pub(crate) const DAY_MS: i64 = 24 * HOUR_MS;

/// Scores are stored in millionths.
const SCALE: f64 = 1_000_000.0;

/// The constants of one kind of trend.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// Fewest accounts (interactions, for statuses) that can make a trend.
    pub threshold: f64,
    /// The score halves every this long.
    pub halflife_ms: i64,
    /// Below this score an item stops trending.
    pub floor: f64,
    /// A peak older than this is forgotten (hashtags and links).
    pub cooldown_ms: i64,
}

pub(crate) const TAGS: Rules = Rules {
    threshold: 3.0,
    halflife_ms: 4 * HOUR_MS,
    floor: 1.0,
    cooldown_ms: 2 * DAY_MS,
};

pub(crate) const LINKS: Rules = Rules {
    threshold: 3.0,
    halflife_ms: 8 * HOUR_MS,
    floor: 1.0,
    cooldown_ms: 2 * DAY_MS,
};

pub(crate) const STATUSES: Rules = Rules {
    threshold: 3.0,
    halflife_ms: 2 * HOUR_MS,
    floor: 0.3,
    cooldown_ms: 2 * DAY_MS,
};

/// Items kept per kind (more than any client pages through).
pub(crate) const MAX_ITEMS: usize = 500;

/// How much more an item is used than expected (0 when it is not, or too little).
pub(crate) fn surge(observed: f64, expected: f64, threshold: f64) -> f64 {
    let expected = expected.max(1.0);
    if observed < threshold || observed < expected {
        0.0
    } else {
        (observed - expected).powi(2) / expected
    }
}

/// `score` halved for every `halflife_ms` in `elapsed_ms`.
pub(crate) fn decay(score: f64, elapsed_ms: i64, halflife_ms: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)] // milliseconds far below 2^52
    let halvings = elapsed_ms.max(0) as f64 / halflife_ms.max(1) as f64;
    score * 0.5f64.powf(halvings)
}

#[allow(clippy::cast_possible_truncation)] // clamped to the range first
pub(crate) fn to_stored(score: f64) -> i64 {
    (score * SCALE).round().clamp(0.0, 9.0e18) as i64
}

#[allow(clippy::cast_precision_loss)] // scores are far below 2^52 millionths
pub(crate) fn from_stored(stored: i64) -> f64 {
    stored as f64 / SCALE
}

/// Scores hashtags or links from their use, carrying forward the peaks of `previous`. Only
/// items still in `uses` are scored: one whose every recent use became ineligible (its
/// accounts suspended, its posts deleted or made sensitive, the hashtag disabled) leaves the
/// trends at once rather than decaying.
pub(crate) fn score_uses(
    kind: TrendKind,
    rules: Rules,
    uses: &[TrendUse],
    previous: &[Trend],
    now: Timestamp,
) -> Vec<Trend> {
    let before: std::collections::HashMap<Id, &Trend> =
        previous.iter().map(|t| (t.item_id, t)).collect();
    let now_ms = now.as_millis();
    let mut out = Vec::new();
    for u in uses {
        #[allow(clippy::cast_precision_loss)] // account counts
        let s = surge(u.recent as f64, u.earlier as f64, rules.threshold);
        let (mut peak, mut peak_at) = before
            .get(&u.item_id)
            .filter(|t| t.max_score_at.as_millis() >= now_ms - rules.cooldown_ms)
            .map_or((0.0, now), |t| (from_stored(t.max_score), t.max_score_at));
        if s > peak {
            peak = s;
            peak_at = now;
        }
        let score = decay(peak, now_ms - peak_at.as_millis(), rules.halflife_ms);
        if score >= rules.floor {
            out.push(Trend {
                kind,
                item_id: u.item_id,
                score: to_stored(score),
                max_score: to_stored(peak),
                max_score_at: peak_at,
                review: None,
            });
        }
    }
    best_first(out)
}

/// Scores statuses from their favourites and boosts, decaying from when they were posted.
pub(crate) fn score_statuses(rows: &[StatusInteractions], now: Timestamp) -> Vec<Trend> {
    let rules = STATUSES;
    let out = rows
        .iter()
        .filter_map(|r| {
            #[allow(clippy::cast_precision_loss)] // interaction counts
            let peak = surge(r.interactions as f64, 1.0, rules.threshold);
            let score = decay(
                peak,
                now.as_millis() - r.created_at.as_millis(),
                rules.halflife_ms,
            );
            (peak > 0.0 && score >= rules.floor).then(|| Trend {
                kind: TrendKind::Status,
                item_id: r.status_id,
                score: to_stored(score),
                max_score: to_stored(peak),
                max_score_at: r.created_at,
                review: None,
            })
        })
        .collect();
    best_first(out)
}

fn best_first(mut items: Vec<Trend>) -> Vec<Trend> {
    items.sort_by(|a, b| b.score.cmp(&a.score).then(b.item_id.cmp(&a.item_id)));
    items.truncate(MAX_ITEMS);
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(id: i64, recent: i64, earlier: i64) -> TrendUse {
        TrendUse {
            item_id: Id::from_i64(id),
            recent,
            earlier,
        }
    }

    #[test]
    fn a_surge_needs_the_threshold_and_more_than_expected() {
        assert_eq!(surge(2.0, 0.0, 3.0), 0.0);
        assert_eq!(surge(3.0, 0.0, 3.0), 4.0);
        assert_eq!(surge(3.0, 5.0, 3.0), 0.0);
        assert_eq!(surge(10.0, 5.0, 3.0), 5.0);
    }

    #[test]
    fn scores_halve_every_halflife() {
        assert!((decay(8.0, 2 * HOUR_MS, HOUR_MS) - 2.0).abs() < 1e-9);
        assert_eq!(decay(8.0, -5, HOUR_MS), 8.0);
    }

    #[test]
    fn a_peak_is_carried_and_decays() {
        let now = Timestamp::from_millis(10 * DAY_MS);
        let first = score_uses(
            TrendKind::Tag,
            TAGS,
            &[uses(1, 5, 0), uses(2, 1, 0)],
            &[],
            now,
        );
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].score, to_stored(16.0));
        // Four hours later nobody else used it: the peak, halved once, remains.
        let later = Timestamp::from_millis(now.as_millis() + 4 * HOUR_MS);
        let second = score_uses(TrendKind::Tag, TAGS, &[uses(1, 5, 0)], &first, later);
        assert_eq!(second[0].score, to_stored(8.0));
        assert_eq!(second[0].max_score_at, now);
        // Its uses became ineligible (suspended accounts, deleted posts): gone at once.
        assert!(score_uses(TrendKind::Tag, TAGS, &[], &first, later).is_empty());
        // After the cooldown the peak is forgotten.
        let much_later = Timestamp::from_millis(now.as_millis() + 3 * DAY_MS);
        assert!(score_uses(TrendKind::Tag, TAGS, &[uses(1, 0, 5)], &first, much_later).is_empty());
    }

    #[test]
    fn statuses_decay_from_when_they_were_posted() {
        let now = Timestamp::from_millis(10 * DAY_MS);
        let row = |id, n, age_h| StatusInteractions {
            status_id: Id::from_i64(id),
            interactions: n,
            created_at: Timestamp::from_millis(now.as_millis() - age_h * HOUR_MS),
        };
        let scored = score_statuses(&[row(1, 3, 0), row(2, 2, 0), row(3, 3, 10)], now);
        assert_eq!(scored.len(), 1);
        assert_eq!(scored[0].item_id, Id::from_i64(1));
    }
}
