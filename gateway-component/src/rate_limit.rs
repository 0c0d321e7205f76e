//! Per-client token buckets kept in the gateway's key-value store, so limits hold across
//! requests (each request is a fresh instance).
//!
//! Read-modify-write on Spin's key-value store is not atomic: concurrent requests of one
//! client can each spend the same token. The limit is therefore approximate under bursts,
//! which is acceptable for slowing clients down; it is never exceeded by more than the
//! number of requests in flight at once.

use serde::{Deserialize, Serialize};
use spin_sdk::key_value::Store;

/// A bucket's rules: it holds at most `capacity` tokens and gains `per_minute` a minute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    capacity: f64,
    refill_per_ms: f64,
}

impl Limit {
    /// `per_minute` requests a minute, with bursts of as many.
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            capacity: f64::from(per_minute.max(1)),
            refill_per_ms: f64::from(per_minute.max(1)) / 60_000.0,
        }
    }
}

/// The stored state of one client's bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    tokens: f64,
    updated_at_ms: i64,
}

impl Bucket {
    /// Takes one token at `now_ms`; `Err(seconds)` says when the next one will be there.
    pub fn take(stored: Option<Bucket>, limit: Limit, now_ms: i64) -> (Bucket, Result<(), u32>) {
        let mut bucket = stored.unwrap_or(Bucket {
            tokens: limit.capacity,
            updated_at_ms: now_ms,
        });
        let elapsed = (now_ms - bucket.updated_at_ms).max(0) as f64;
        bucket.tokens = (bucket.tokens + elapsed * limit.refill_per_ms).min(limit.capacity);
        bucket.updated_at_ms = now_ms;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            (bucket, Ok(()))
        } else {
            let wait_ms = (1.0 - bucket.tokens) / limit.refill_per_ms;
            (bucket, Err((wait_ms / 1000.0).ceil().max(1.0) as u32))
        }
    }
}

/// Spends one of `client`'s tokens in bucket family `class`; `Err(seconds)` when none is
/// left. A store that cannot be read or written lets the request through (failing open
/// keeps the shop up when only the limiter's storage is in trouble).
pub fn check(
    store: &Store,
    class: &str,
    client: &str,
    limit: Limit,
    now_ms: i64,
) -> Result<(), u32> {
    let key = format!("rate:{class}:{client}");
    let stored = store
        .get(&key)
        .ok()
        .flatten()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let (bucket, outcome) = Bucket::take(stored, limit, now_ms);
    if let Ok(bytes) = serde_json::to_vec(&bucket) {
        if let Err(error) = store.set(&key, &bytes) {
            eprintln!("gateway: saving rate limit bucket {key}: {error:?}");
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills() {
        let limit = Limit::per_minute(3);
        let mut stored = None;
        for _ in 0..3 {
            let (bucket, outcome) = Bucket::take(stored, limit, 1_000);
            assert_eq!(outcome, Ok(()));
            stored = Some(bucket);
        }
        let (bucket, outcome) = Bucket::take(stored, limit, 1_000);
        assert_eq!(outcome, Err(20), "one token comes every 20 s");
        let (_, outcome) = Bucket::take(Some(bucket), limit, 21_000);
        assert_eq!(outcome, Ok(()));
    }

    #[test]
    fn tokens_never_exceed_the_capacity() {
        let limit = Limit::per_minute(2);
        let (bucket, _) = Bucket::take(None, limit, 0);
        let (bucket, _) = Bucket::take(Some(bucket), limit, 10_000_000);
        assert_eq!(bucket.tokens, 1.0);
    }
}
