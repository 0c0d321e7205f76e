//! The telemetry domain: the window aggregates are read over, which events count as
//! failures, and the arithmetic of rates, lag and series.

use service_kit::events::{
    CardProcessorFailuresDetected, IntegrationEvent, PaymentFailed, PaymentSucceeded, StockRejected,
};

/// How long event counts are kept, and the longest window.
pub const RETENTION_SECONDS: i64 = 3600;
/// Points in each service's event series.
pub const SERIES_POINTS: usize = 12;

/// Event types that report something going wrong.
pub const FAILURE_TYPES: [&str; 3] = [
    PaymentFailed::TYPE,
    StockRejected::TYPE,
    CardProcessorFailuresDetected::TYPE,
];

/// The window aggregates are read over: 1 s to [`RETENTION_SECONDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window(u32);

impl Window {
    pub fn parse(text: &str) -> Option<Self> {
        text.trim()
            .parse::<u32>()
            .ok()
            .filter(|seconds| (1..=RETENTION_SECONDS as u32).contains(seconds))
            .map(Self)
    }

    pub fn seconds(self) -> u32 {
        self.0
    }

    /// The seconds each series point covers (the window split in [`SERIES_POINTS`]).
    pub fn slot_seconds(self) -> i64 {
        i64::from(self.0.div_ceil(SERIES_POINTS as u32)).max(1)
    }
}

/// Events of one producer and type within the window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counted {
    pub producer: String,
    pub event_type: String,
    pub events: i64,
    pub lag_ms_total: i64,
    pub lag_ms_max: i64,
}

/// One producer's events within the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProducerStats {
    pub events: i64,
    pub failures: i64,
    pub lag_ms_total: i64,
    pub lag_ms_max: i64,
}

impl ProducerStats {
    pub fn add(&mut self, counted: &Counted) {
        self.events += counted.events;
        if FAILURE_TYPES.contains(&counted.event_type.as_str()) {
            self.failures += counted.events;
        }
        self.lag_ms_total += counted.lag_ms_total;
        self.lag_ms_max = self.lag_ms_max.max(counted.lag_ms_max);
    }

    pub fn failure_rate(&self) -> Option<f64> {
        ratio(self.failures, self.events)
    }

    pub fn lag_ms_avg(&self) -> Option<f64> {
        (self.events > 0).then(|| self.lag_ms_total as f64 / self.events as f64)
    }
}

/// Payments' outcomes within the window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentOutcomes {
    pub succeeded: i64,
    pub failed: i64,
    pub processor_failure_bursts: i64,
}

impl PaymentOutcomes {
    pub fn add(&mut self, counted: &Counted) {
        match counted.event_type.as_str() {
            PaymentSucceeded::TYPE => self.succeeded += counted.events,
            PaymentFailed::TYPE => self.failed += counted.events,
            CardProcessorFailuresDetected::TYPE => self.processor_failure_bursts += counted.events,
            _ => {}
        }
    }

    /// PaymentFailed / (PaymentSucceeded + PaymentFailed); `None` without payments.
    pub fn failure_rate(&self) -> Option<f64> {
        ratio(self.failed, self.succeeded + self.failed)
    }
}

/// `part / whole` (0 to 1); `None` when `whole` is 0.
pub fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// `count` events in `window` as a rate per minute.
pub fn per_minute(count: i64, window: Window) -> f64 {
    count as f64 * 60.0 / f64::from(window.seconds())
}

/// Events per series point, oldest first, from `(slot, events)` pairs where a slot is
/// `second / slot_seconds` and the last slot holds `now_s`.
pub fn series(slots: &[(i64, i64)], window: Window, now_s: i64) -> Vec<i64> {
    let last = now_s / window.slot_seconds();
    let first = last - SERIES_POINTS as i64 + 1;
    let mut points = vec![0; SERIES_POINTS];
    for (slot, events) in slots {
        if (first..=last).contains(slot) {
            points[(slot - first) as usize] += events;
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(event_type: &str, events: i64, lag: i64) -> Counted {
        Counted {
            producer: "payments".into(),
            event_type: event_type.into(),
            events,
            lag_ms_total: lag * events,
            lag_ms_max: lag,
        }
    }

    #[test]
    fn windows_parse_within_retention() {
        assert_eq!(Window::parse("300").map(Window::seconds), Some(300));
        assert_eq!(Window::parse("0"), None);
        assert_eq!(Window::parse("3601"), None);
        assert_eq!(Window::parse("soon"), None);
        assert_eq!(Window::parse("300").unwrap().slot_seconds(), 25);
        assert_eq!(Window::parse("5").unwrap().slot_seconds(), 1);
    }

    #[test]
    fn producer_stats_count_failures_and_lag() {
        let mut stats = ProducerStats::default();
        assert_eq!(stats.failure_rate(), None);
        assert_eq!(stats.lag_ms_avg(), None);
        stats.add(&counted("PaymentSucceeded", 3, 10));
        stats.add(&counted("PaymentFailed", 1, 50));
        assert_eq!(stats.events, 4);
        assert_eq!(stats.failures, 1);
        assert_eq!(stats.failure_rate(), Some(0.25));
        assert_eq!(stats.lag_ms_avg(), Some(20.0));
        assert_eq!(stats.lag_ms_max, 50);
    }

    #[test]
    fn payment_failure_rate_counts_only_outcomes() {
        let mut outcomes = PaymentOutcomes::default();
        assert_eq!(outcomes.failure_rate(), None);
        outcomes.add(&counted("PaymentFailed", 5, 0));
        assert_eq!(outcomes.failure_rate(), Some(1.0));
        outcomes.add(&counted("PaymentSucceeded", 15, 0));
        outcomes.add(&counted("PaymentRefunded", 7, 0));
        outcomes.add(&counted("CardProcessorFailuresDetected", 1, 0));
        assert_eq!(outcomes.failure_rate(), Some(0.25));
        assert_eq!(outcomes.processor_failure_bursts, 1);
    }

    #[test]
    fn rates_and_series() {
        let window = Window::parse("120").unwrap();
        assert_eq!(per_minute(30, window), 15.0);
        let now_s = 1_000;
        let slot = window.slot_seconds();
        let last = now_s / slot;
        let points = series(&[(last, 2), (last - 11, 1), (last - 12, 9)], window, now_s);
        assert_eq!(points.len(), SERIES_POINTS);
        assert_eq!(points[11], 2);
        assert_eq!(points[0], 1);
        assert_eq!(points.iter().sum::<i64>(), 3);
    }
}
