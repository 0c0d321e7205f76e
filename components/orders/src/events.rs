//! What catalog's and payments' events do to an order. Each runs inside the inbox's
//! transaction, once per event; a transition the order's status no longer allows (a repeat,
//! or an event that arrives after the order moved on) changes nothing.

use service_kit::db::Db;
use service_kit::events::{
    CancelReason, Envelope, IntegrationEvent, PaymentFailed, PaymentSucceeded, StockRejected,
};
use service_kit::inbox::HandlerError;

use crate::lifecycle::{self, Target};

/// Handles one event. `StockRejected` cancels (`out_of_stock`, announced), `PaymentSucceeded`
/// pays (a cancelled order stays cancelled: payments refunds on `OrderCancelled`),
/// `PaymentFailed` fails the payment. `StockReserved`, `StockReleased`, `PaymentRefunded`
/// and any other type need nothing from orders.
pub fn handle(db: &Db, envelope: &Envelope) -> Result<(), HandlerError> {
    let (order_id, target) = match envelope.event_type.as_str() {
        StockRejected::TYPE => (
            decode::<StockRejected>(envelope)?.order_id,
            Target::Cancelled(CancelReason::OutOfStock),
        ),
        PaymentSucceeded::TYPE => (decode::<PaymentSucceeded>(envelope)?.order_id, Target::Paid),
        PaymentFailed::TYPE => (
            decode::<PaymentFailed>(envelope)?.order_id,
            Target::PaymentFailed,
        ),
        _ => return Ok(()),
    };
    match lifecycle::apply(db, &order_id, target, envelope.traceparent.as_deref())? {
        Some(change) if !change.moved => eprintln!(
            "orders: {} ignored: order {order_id} is {}",
            envelope.event_type, change.order.status
        ),
        Some(_) => {}
        // orders records every order before any event about it exists: this one is not ours.
        None => return Err(HandlerError::Reject(format!("no order {order_id}"))),
    }
    Ok(())
}

fn decode<E: IntegrationEvent>(envelope: &Envelope) -> Result<E, HandlerError> {
    envelope.decode::<E>().map_err(HandlerError::Reject)
}
