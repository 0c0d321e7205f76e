//! Request traffic as the gateway measures it and telemetry reads it: per service, the
//! calls, the failed ones, and a latency histogram with fixed bounds (so histograms of
//! different time slices add up, and quantiles come out of the sum).

use serde::{Deserialize, Serialize};

/// Upper bounds (inclusive, milliseconds) of the histogram's buckets; one more bucket holds
/// everything slower.
pub const BOUNDS_MS: [u64; 11] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/// Calls to one service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    pub requests: u64,
    /// Calls that failed: 5xx, no answer, timeout (client errors are not failures).
    pub errors: u64,
    /// Calls per latency bucket: `latency[i]` counts calls up to `BOUNDS_MS[i]`, the last
    /// entry those slower than every bound.
    pub latency: Vec<u64>,
}

impl Traffic {
    /// Counts one call that took `latency_ms`.
    pub fn record(&mut self, latency_ms: u64, failed: bool) {
        self.requests += 1;
        self.errors += u64::from(failed);
        self.latency.resize(BOUNDS_MS.len() + 1, 0);
        let bucket = BOUNDS_MS
            .iter()
            .position(|bound| latency_ms <= *bound)
            .unwrap_or(BOUNDS_MS.len());
        self.latency[bucket] += 1;
    }

    /// Adds `other`'s calls to these.
    pub fn merge(&mut self, other: &Traffic) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.latency.resize(BOUNDS_MS.len() + 1, 0);
        for (total, count) in self.latency.iter_mut().zip(&other.latency) {
            *total += count;
        }
    }

    /// The share of failed calls (0 to 1); `None` without calls.
    pub fn error_rate(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.errors as f64 / self.requests as f64)
    }

    /// The latency under which a share `q` (0 to 1) of the calls fell, as the upper bound of
    /// its bucket (the slowest bound for calls beyond every bound); `None` without calls.
    pub fn quantile_ms(&self, q: f64) -> Option<u64> {
        let total: u64 = self.latency.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (index, count) in self.latency.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(BOUNDS_MS[index.min(BOUNDS_MS.len() - 1)]);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_into_buckets_and_reads_quantiles() {
        let mut traffic = Traffic::default();
        assert_eq!(traffic.quantile_ms(0.5), None);
        assert_eq!(traffic.error_rate(), None);
        for _ in 0..98 {
            traffic.record(3, false);
        }
        traffic.record(700, true);
        traffic.record(60_000, true);
        assert_eq!(traffic.requests, 100);
        assert_eq!(traffic.error_rate(), Some(0.02));
        assert_eq!(traffic.quantile_ms(0.5), Some(5));
        assert_eq!(traffic.quantile_ms(0.98), Some(5));
        assert_eq!(traffic.quantile_ms(0.99), Some(1000));
        assert_eq!(traffic.quantile_ms(1.0), Some(10_000));
    }

    #[test]
    fn merged_slices_add_up() {
        let mut a = Traffic::default();
        a.record(20, false);
        let mut b = Traffic::default();
        b.record(20, true);
        b.record(400, false);
        let mut sum = Traffic::default();
        sum.merge(&a);
        sum.merge(&b);
        assert_eq!((sum.requests, sum.errors), (3, 1));
        assert_eq!(sum.latency[2], 2);
        assert_eq!(sum.quantile_ms(0.99), Some(500));
    }
}
