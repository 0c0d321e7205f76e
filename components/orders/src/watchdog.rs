//! The saga watchdog (see `docs/events.md`): an order still `pending_payment` with no change
//! for [`STALE_AFTER_MS`] gets its events published again, at most once per that period,
//! which wakes every service still holding unfinished work for it (after a Redis outage,
//! for example). It runs on the service's tick, kept alive while any order waits for
//! payment, and for one order whenever that order is read.

use service_kit::clock::now_ms;
use service_kit::db::Db;
use service_kit::ids::OrderId;
use service_kit::messaging::Messaging;
use service_kit::outbox;
use spin_sdk::sqlite::Error;

use crate::domain::Status;
use crate::repository::{self, Order};

/// How long an order may wait for payment without any change before it is nudged, and how
/// long between two nudges of one order.
pub const STALE_AFTER_MS: i64 = 10_000;

/// How often the tick comes while any order waits for payment.
pub const TICK_EVERY_MS: i64 = 2_000;

/// Nudges every stuck order; returns how many were nudged (their events are due: relay).
pub fn sweep(db: &Db) -> Result<usize, Error> {
    let mut nudged = 0;
    for id in repository::stale_pending(db, STALE_AFTER_MS)? {
        if nudge(db, &id)? {
            nudged += 1;
        }
    }
    Ok(nudged)
}

/// Nudges `order` (as just read) if it is stuck; free unless it is. Returns whether it was.
pub fn check(db: &Db, order: &Order) -> Result<bool, Error> {
    if is_stuck(
        order.status,
        order.updated_at,
        order.last_nudged_at,
        now_ms(),
    ) {
        nudge(db, &order.id)
    } else {
        Ok(false)
    }
}

/// Asks for the next tick while any order waits for payment.
pub fn keep_watching(db: &Db, messaging: &Messaging) -> Result<(), Error> {
    if repository::any_pending(db)? {
        messaging.schedule_tick(TICK_EVERY_MS);
    }
    Ok(())
}

/// Whether an order in `status`, last changed at `updated_at` and last nudged at
/// `last_nudged_at`, is due for a nudge at `now` (all Unix ms).
fn is_stuck(status: Status, updated_at: i64, last_nudged_at: Option<i64>, now: i64) -> bool {
    let before = now - STALE_AFTER_MS;
    status == Status::PendingPayment
        && updated_at < before
        && last_nudged_at.is_none_or(|at| at < before)
}

/// Republishes order `id`'s events, unless a concurrent run already did (the claim and the
/// republication commit together).
fn nudge(db: &Db, id: &OrderId) -> Result<bool, Error> {
    db.transaction(|db| {
        let claimed = repository::claim_nudge(db, id, STALE_AFTER_MS)?;
        if claimed {
            outbox::republish(db, id.as_str())?;
        }
        Ok(claimed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_orders_idle_for_the_whole_period_are_stuck() {
        let now = 1_000_000;
        let old = now - STALE_AFTER_MS - 1;
        let recent = now - STALE_AFTER_MS + 1;
        assert!(is_stuck(Status::PendingPayment, old, None, now));
        assert!(is_stuck(Status::PendingPayment, old, Some(old), now));
        assert!(!is_stuck(Status::PendingPayment, recent, None, now));
        assert!(!is_stuck(Status::PendingPayment, old, Some(recent), now));
        for status in [
            Status::Paid,
            Status::Fulfilled,
            Status::PaymentFailed,
            Status::Cancelled,
        ] {
            assert!(!is_stuck(status, old, None, now), "{status}");
        }
    }
}
