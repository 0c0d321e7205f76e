//! Status changes as the rest of the system learns of them: a cancellation is recorded
//! together with its `OrderCancelled` event, in the caller's transaction.

use service_kit::db::Db;
use service_kit::events::{CancelReason, OrderCancelled};
use service_kit::ids::OrderId;
use service_kit::outbox;
use spin_sdk::sqlite::Error;

use crate::domain::Status;
use crate::repository::{self, Change};
use crate::SERVICE;

/// Where an order is asked to go.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Paid,
    PaymentFailed,
    Fulfilled,
    Cancelled(CancelReason),
}

impl Target {
    /// The status it leads to.
    pub fn status(self) -> Status {
        match self {
            Self::Paid => Status::Paid,
            Self::PaymentFailed => Status::PaymentFailed,
            Self::Fulfilled => Status::Fulfilled,
            Self::Cancelled(_) => Status::Cancelled,
        }
    }
}

/// Moves order `id` to `target` if its status allows; a cancellation enqueues
/// `OrderCancelled` (caused by `traceparent`). `None` if there is no such order. Run it
/// inside a transaction.
pub fn apply(
    db: &Db,
    id: &OrderId,
    target: Target,
    traceparent: Option<&str>,
) -> Result<Option<Change>, Error> {
    let reason = match target {
        Target::Cancelled(reason) => Some(reason),
        _ => None,
    };
    let change = repository::transition(db, id, target.status(), reason)?;
    if let (Some(reason), Some(Change { order, moved: true })) = (reason, &change) {
        let event = OrderCancelled {
            order_id: order.id.clone(),
            user_id: order.user_id.clone(),
            email: order.email.clone(),
            reason,
        };
        outbox::enqueue(db, SERVICE, &event, traceparent)?;
    }
    Ok(change)
}
