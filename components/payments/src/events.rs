//! What payments does with each event it consumes. Runs inside the inbox transaction:
//! only database writes here; the charging itself happens afterwards (see `charging`).

use service_kit::clock::now_ms;
use service_kit::db::Db;
use service_kit::events::{
    Envelope, IntegrationEvent, OrderCancelled, OrderCreated, StockRejected, StockReserved,
};
use service_kit::inbox::HandlerError;

use crate::repository;

/// Handles one event; types payments does not consume are ignored.
pub fn handle(db: &Db, envelope: &Envelope) -> Result<(), HandlerError> {
    let now = now_ms();
    match envelope.event_type.as_str() {
        OrderCreated::TYPE => {
            let order = decode::<OrderCreated>(envelope)?;
            repository::record_intent(db, &order, envelope.traceparent.as_deref(), now)?;
        }
        StockReserved::TYPE => {
            let reserved = decode::<StockReserved>(envelope)?;
            repository::record_stock_reserved(db, &reserved.order_id, now)?;
        }
        StockRejected::TYPE => {
            let rejected = decode::<StockRejected>(envelope)?;
            repository::void(db, &rejected.order_id, "out_of_stock", now)?;
        }
        OrderCancelled::TYPE => {
            // Nothing charged or in flight: void. A charge in flight or made: refund it
            // once it is known (see `charging`).
            let cancelled = decode::<OrderCancelled>(envelope)?;
            repository::void(db, &cancelled.order_id, "order_cancelled", now)?;
            repository::request_cancel(db, &cancelled.order_id, now)?;
        }
        _ => {}
    }
    Ok(())
}

fn decode<E: IntegrationEvent>(envelope: &Envelope) -> Result<E, HandlerError> {
    envelope.decode::<E>().map_err(HandlerError::Reject)
}
