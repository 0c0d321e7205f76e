//! Polling until something holds.

use std::future::Future;
use std::time::{Duration, Instant};

/// Calls `probe` every 50 ms until it returns `Some`, and returns that; `None` once
/// `timeout` has passed (callers say what they waited for: `.expect("…")`).
pub async fn eventually<T, F, Fut>(timeout: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
