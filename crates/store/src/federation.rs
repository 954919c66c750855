//! Federation bookkeeping.

use rookery_model::Timestamp;

/// How deliveries to one host have been going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryHost {
    pub host: String,
    /// Failures since the last success.
    pub failures: i64,
    /// The first failure since the last success.
    pub first_failure_at: Option<Timestamp>,
    pub last_failure_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    /// Deliveries are skipped until then.
    pub unavailable_until: Option<Timestamp>,
}

impl DeliveryHost {
    /// Whether deliveries should be skipped at `now`.
    pub fn unavailable_at(&self, now: Timestamp) -> bool {
        self.unavailable_until.is_some_and(|u| u > now)
    }
}
