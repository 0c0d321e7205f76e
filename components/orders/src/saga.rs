//! orders' side of the checkout saga: what catalog's and payments' events do to an order,
//! and the watchdog that wakes the other services when an order stops moving.

use service_kit::db::Db;
use service_kit::events::{
    CancelReason, Envelope, OrderCancelled, PaymentFailed, PaymentSucceeded, StockRejected,
};
use service_kit::inbox::HandlerError;
use service_kit::{outbox, Problem};
use spin_sdk::sqlite::Error;

use crate::domain::Status;
use crate::error::OrdersError;
use crate::repository::{self, Order};
use crate::SERVICE;

/// An order waiting for payment with no change for this long gets its events published
/// again.
pub const STALE_AFTER_MS: i64 = 10_000;

/// Handles one event from catalog or payments; other types are ignored.
pub fn handle(db: &Db, envelope: &Envelope) -> Result<(), HandlerError> {
    let trace = envelope.traceparent.as_deref();
    let reject = HandlerError::Reject;
    if envelope.is::<StockRejected>() {
        let event = envelope.decode::<StockRejected>().map_err(reject)?;
        cancel(db, event.order_id.as_str(), CancelReason::OutOfStock, trace)?;
    } else if envelope.is::<PaymentSucceeded>() {
        let event = envelope.decode::<PaymentSucceeded>().map_err(reject)?;
        // An order cancelled meanwhile stays cancelled: payments refunds on OrderCancelled.
        repository::transition(db, event.order_id.as_str(), Status::Paid, None)?;
    } else if envelope.is::<PaymentFailed>() {
        let event = envelope.decode::<PaymentFailed>().map_err(reject)?;
        repository::transition(db, event.order_id.as_str(), Status::PaymentFailed, None)?;
    }
    Ok(())
}

/// Cancels order `id` if it still waits for payment, announcing it; returns the order.
pub fn cancel(
    db: &Db,
    id: &str,
    reason: CancelReason,
    trace: Option<&str>,
) -> Result<Option<(Order, bool)>, Error> {
    let reason_text = match reason {
        CancelReason::Customer => "customer",
        CancelReason::OutOfStock => "out_of_stock",
    };
    let outcome = repository::transition(db, id, Status::Cancelled, Some(reason_text))?;
    if let Some((order, true)) = &outcome {
        if let (Some(order_id), Some(user_id)) = (
            service_kit::ids::OrderId::parse(&order.id),
            service_kit::ids::UserId::parse(&order.user_id),
        ) {
            let event = OrderCancelled {
                order_id,
                user_id,
                email: order.email.clone(),
                reason,
            };
            outbox::enqueue(db, SERVICE, &event, trace)?;
        }
    }
    Ok(outcome)
}

/// The customer's cancel: only while the order waits for payment.
pub fn cancel_by_customer(db: &Db, order: &Order, trace: Option<&str>) -> Result<Order, Problem> {
    let outcome = db.transaction(|db| cancel(db, &order.id, CancelReason::Customer, trace))?;
    match outcome {
        Some((order, true)) => Ok(order),
        Some((order, false)) => Err(OrdersError::IllegalTransition {
            current: order.status,
            wanted: "cancelled".into(),
        }
        .into()),
        None => Err(OrdersError::NotFound(order.id.clone()).into()),
    }
}

/// The watchdog: publishes again the events of orders that stopped moving, which wakes every
/// service that still holds unfinished work for them (after a Redis outage, for example).
/// Returns whether any order still waits for payment.
pub fn watch(db: &Db) -> Result<bool, Error> {
    for id in repository::stale_pending(db, STALE_AFTER_MS)? {
        db.transaction(|db| {
            outbox::republish(db, &id)?;
            repository::mark_nudged(db, &id)
        })?;
    }
    repository::any_pending(db)
}
