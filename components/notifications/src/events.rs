//! Which notification each consumed event becomes, and its text: order and payment events
//! are for their user; alerts are for every admin. Runs inside the inbox transaction: only
//! the database write here; the email goes out afterwards (see `email`).

use service_kit::clock::now_ms;
use service_kit::db::Db;
use service_kit::events::{
    AlertRaised, AlertResolved, CancelReason, Envelope, IntegrationEvent, OrderCancelled,
    OrderCreated, PaymentFailed, PaymentFailure, PaymentRefunded, PaymentSucceeded,
};
use service_kit::inbox::HandlerError;

use crate::domain::{format_money, order_label, Audience, Kind, NewBroadcast, NewNotification};
use crate::repository;

/// Records the notification for one event (once per event id); other types are ignored.
pub fn handle(db: &Db, envelope: &Envelope) -> Result<(), HandlerError> {
    let id = envelope.id.as_str();
    match envelope.event_type.as_str() {
        AlertRaised::TYPE => {
            repository::insert_broadcast(db, &alert_raised(decode(envelope)?), id, now_ms())?;
        }
        AlertResolved::TYPE => {
            repository::insert_broadcast(db, &alert_resolved(decode(envelope)?), id, now_ms())?;
        }
        _ => {
            if let Some(notification) = compose(envelope)? {
                repository::insert(db, &notification, id, now_ms())?;
            }
        }
    }
    Ok(())
}

fn compose(envelope: &Envelope) -> Result<Option<NewNotification>, HandlerError> {
    let notification = match envelope.event_type.as_str() {
        OrderCreated::TYPE => order_confirmed(decode(envelope)?),
        PaymentSucceeded::TYPE => payment_received(decode(envelope)?),
        PaymentFailed::TYPE => payment_failed(decode(envelope)?),
        OrderCancelled::TYPE => order_cancelled(decode(envelope)?),
        PaymentRefunded::TYPE => payment_refunded(decode(envelope)?),
        _ => return Ok(None),
    };
    Ok(Some(notification))
}

fn alert_raised(event: AlertRaised) -> NewBroadcast {
    NewBroadcast {
        audience: Audience::Admins,
        kind: Kind::AlertRaised,
        title: "Alert raised".to_owned(),
        body: format!(
            "{}. Rule {}; see the ops dashboard.",
            event.alert.summary, event.alert.rule_id
        ),
    }
}

fn alert_resolved(event: AlertResolved) -> NewBroadcast {
    NewBroadcast {
        audience: Audience::Admins,
        kind: Kind::AlertResolved,
        title: "Alert resolved".to_owned(),
        body: format!(
            "No longer firing: {} (raised {}, resolved {}).",
            event.alert.summary, event.alert.raised_at, event.resolved_at
        ),
    }
}

fn decode<E: IntegrationEvent>(envelope: &Envelope) -> Result<E, HandlerError> {
    envelope.decode::<E>().map_err(HandlerError::Reject)
}

fn order_confirmed(event: OrderCreated) -> NewNotification {
    let items: u64 = event
        .lines
        .iter()
        .map(|line| u64::from(line.quantity))
        .sum();
    let noun = if items == 1 { "item" } else { "items" };
    NewNotification {
        body: format!(
            "Thanks for your order {}: {items} {noun} for {}. We will let you know as soon as the payment goes through.",
            order_label(&event.order_id),
            format_money(&event.total),
        ),
        title: "Order confirmed".to_owned(),
        kind: Kind::OrderConfirmed,
        user_id: event.user_id,
        email: event.email,
        order_id: event.order_id,
    }
}

fn payment_received(event: PaymentSucceeded) -> NewNotification {
    NewNotification {
        body: format!(
            "We received your payment of {} for order {}.",
            format_money(&event.amount),
            order_label(&event.order_id),
        ),
        title: "Payment received".to_owned(),
        kind: Kind::PaymentReceived,
        user_id: event.user_id,
        email: event.email,
        order_id: event.order_id,
    }
}

fn payment_failed(event: PaymentFailed) -> NewNotification {
    let why = match event.reason {
        PaymentFailure::CardDeclined => "your card was declined",
        PaymentFailure::ProcessingError => "the card processor kept failing",
    };
    NewNotification {
        body: format!(
            "We could not take the payment of {} for order {}: {why}. The order was not completed and nothing was charged.",
            format_money(&event.amount),
            order_label(&event.order_id),
        ),
        title: "Payment failed".to_owned(),
        kind: Kind::PaymentFailed,
        user_id: event.user_id,
        email: event.email,
        order_id: event.order_id,
    }
}

fn order_cancelled(event: OrderCancelled) -> NewNotification {
    let order = order_label(&event.order_id);
    let body = match event.reason {
        CancelReason::Customer => format!(
            "Your order {order} was cancelled as you asked. If it was already paid, the payment will be refunded."
        ),
        CancelReason::OutOfStock => format!(
            "We had to cancel your order {order}: an item is out of stock. You will not be charged."
        ),
    };
    NewNotification {
        body,
        title: "Order cancelled".to_owned(),
        kind: Kind::OrderCancelled,
        user_id: event.user_id,
        email: event.email,
        order_id: event.order_id,
    }
}

fn payment_refunded(event: PaymentRefunded) -> NewNotification {
    NewNotification {
        body: format!(
            "We refunded {} for your cancelled order {}.",
            format_money(&event.amount),
            order_label(&event.order_id),
        ),
        title: "Payment refunded".to_owned(),
        kind: Kind::PaymentRefunded,
        user_id: event.user_id,
        email: event.email,
        order_id: event.order_id,
    }
}
