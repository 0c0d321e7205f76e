//! What the gateway measures of every upstream call, for telemetry: per service and 5-second
//! slice, the calls, the failed ones and a latency histogram ([`Traffic`]), in the gateway's
//! key-value store under `traffic:<service>:<slice>`.
//!
//! The request path pays one read and one write of a small record per upstream call, like
//! the circuit breaker's; nothing is published per request. Telemetry pulls the sums over
//! its window from `GET /internal/gateway/traffic` when it needs them. Updates are
//! last-write-wins like the breaker's, so concurrent calls may undercount a little.

use std::collections::BTreeMap;

use service_kit::traffic::Traffic;
use spin_sdk::key_value::Store;

use crate::config::Service;

/// The length of one slice.
const SLICE_MS: i64 = 5_000;
/// Slices kept (an hour): starting a slice deletes the one this much older. After a quiet
/// spell some older slices stay behind; they are small, and never read again.
const KEPT_SLICES: i64 = 720;

fn key(service: Service, slice: i64) -> String {
    format!("traffic:{}:{slice}", service.name())
}

fn load(store: &Store, key: &str) -> Option<Traffic> {
    let bytes = store.get(key).ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// Counts one call to `service` that took `latency_ms` and ended at `now_ms`. A failure of
/// the store only loses the measurement.
pub fn record(store: &Store, service: Service, latency_ms: u64, failed: bool, now_ms: i64) {
    let slice = now_ms / SLICE_MS;
    let key = key(service, slice);
    let existing = load(store, &key);
    let starts_slice = existing.is_none();
    let mut traffic = existing.unwrap_or_default();
    traffic.record(latency_ms, failed);
    if let Ok(bytes) = serde_json::to_vec(&traffic) {
        let _ = store.set(&key, &bytes);
    }
    if starts_slice {
        let _ = store.delete(&self::key(service, slice - KEPT_SLICES));
    }
}

/// Every service's calls within the last `window_seconds` (whole slices; at most what is
/// kept), by service name; services without calls are left out.
pub fn sums(store: &Store, window_seconds: u32, now_ms: i64) -> BTreeMap<&'static str, Traffic> {
    let last = now_ms / SLICE_MS;
    let slices = (i64::from(window_seconds) * 1000 / SLICE_MS).clamp(1, KEPT_SLICES);
    let mut sums = BTreeMap::new();
    for service in Service::ALL {
        let mut sum = Traffic::default();
        for slice in (last - slices + 1)..=last {
            if let Some(traffic) = load(store, &key(service, slice)) {
                sum.merge(&traffic);
            }
        }
        if sum.requests > 0 {
            sums.insert(service.name(), sum);
        }
    }
    sums
}
