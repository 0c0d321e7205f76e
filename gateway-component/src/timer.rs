//! Timers on spin-sdk's executor: a future that completes at a monotonic-clock instant, so
//! an upstream call can race its deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{select, Either};
use spin_executor::CancelOnDropToken;
use wasi::clocks::monotonic_clock;

/// Now, in monotonic-clock nanoseconds.
pub fn now_ns() -> u64 {
    monotonic_clock::now()
}

/// Completes once the monotonic clock reaches `deadline_ns`.
pub struct Sleep {
    deadline_ns: u64,
    /// The registered clock pollable; dropping it unregisters it.
    registration: Option<CancelOnDropToken>,
}

/// Sleeps for `duration`.
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(now_ns().saturating_add(duration.as_nanos() as u64))
}

/// Sleeps until `deadline_ns` (monotonic nanoseconds).
pub fn sleep_until(deadline_ns: u64) -> Sleep {
    Sleep {
        deadline_ns,
        registration: None,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if now_ns() >= self.deadline_ns {
            self.registration = None;
            return Poll::Ready(());
        }
        let pollable = monotonic_clock::subscribe_instant(self.deadline_ns);
        let token = spin_executor::push_waker_and_get_token(pollable, context.waker().clone());
        self.registration = Some(token.into());
        Poll::Pending
    }
}

/// Runs `future` until `deadline_ns`; `None` if the deadline came first (the future is
/// dropped, which abandons an outgoing request).
pub async fn until<F: Future>(deadline_ns: u64, future: F) -> Option<F::Output> {
    let future = std::pin::pin!(future);
    match select(future, sleep_until(deadline_ns)).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(((), _)) => None,
    }
}
