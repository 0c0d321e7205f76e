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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_first_value_or_none_once_the_timeout_passed() {
        let mut calls = 0;
        let third = eventually(Duration::from_secs(5), || {
            calls += 1;
            std::future::ready((calls == 3).then_some(calls))
        })
        .await;
        assert_eq!(third, Some(3));

        let started = Instant::now();
        let never: Option<()> =
            eventually(Duration::from_millis(120), || std::future::ready(None)).await;
        assert_eq!(never, None);
        assert!(started.elapsed() >= Duration::from_millis(120));
    }
}
