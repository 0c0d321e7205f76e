//! The work payments does outside any event's transaction, because it calls the card
//! processor (an outside side effect): charging due payments and refunding cancelled ones.
//!
//! It runs after every message (events and ticks) and on every HTTP request. Each payment is
//! first claimed by a conditional update, so two instances never call the processor for the
//! same attempt (the processor's idempotency by order id is the second line of defence);
//! then the processor is called; then the outcome and its event are recorded in one
//! transaction. While anything is due later, the service asks for a tick.

use service_kit::clock::{now_ms, rfc3339};
use service_kit::db::Db;
use service_kit::events::{
    CardProcessorFailuresDetected, PaymentFailed, PaymentFailure, PaymentRefunded, PaymentSucceeded,
};
use service_kit::messaging::Messaging;
use service_kit::outbox;
use spin_sdk::sqlite::Error;

use crate::domain::{
    charge_retry_delay_ms, Payment, PaymentStatus, MAX_CHARGE_ATTEMPTS,
    PROCESSOR_FAILURE_WINDOW_MS, REFUND_RETRY_MS,
};
use crate::processor::{CardProcessor, ChargeOutcome, RefundOutcome};
use crate::repository::{self, Due, Settlement};

/// Charges and refunds what is due, relays the outbox, and schedules the next tick.
pub fn run_due(db: &Db, messaging: &Messaging, processor: &dyn CardProcessor) -> Result<(), Error> {
    let producer = messaging.service();
    for due in repository::due(db, now_ms())? {
        match due.status {
            PaymentStatus::Charging => charge(db, producer, processor, &due)?,
            _ => refund(db, producer, processor, &due)?,
        }
    }
    if let Some(due_at) = repository::next_due_at(db)? {
        messaging.schedule_tick(due_at - now_ms());
    }
    messaging.relay(db)?;
    Ok(())
}

fn charge(db: &Db, producer: &str, processor: &dyn CardProcessor, due: &Due) -> Result<(), Error> {
    let Some(payment) = repository::claim_charge(db, due, now_ms())? else {
        return Ok(());
    };
    let outcome = processor.charge(
        payment.order_id.as_str(),
        payment.card_token.as_str(),
        &payment.amount,
    );
    db.transaction(|db| {
        let Some(cancel_requested) = repository::charge_claim(db, &payment.id, payment.attempts)?
        else {
            return Ok(());
        };
        let now = now_ms();
        if outcome == ChargeOutcome::TransientError {
            watch_processor(db, producer, now)?;
        }
        let settlement = match &outcome {
            ChargeOutcome::Approved { charge_id } => {
                announce_success(db, producer, &payment)?;
                Settlement {
                    status: PaymentStatus::Succeeded,
                    charge_id: Some(charge_id),
                    failure_reason: None,
                    next_attempt_at: cancel_requested.then_some(now),
                }
            }
            ChargeOutcome::Declined => fail(db, producer, &payment, PaymentFailure::CardDeclined)?,
            ChargeOutcome::TransientError if payment.attempts >= MAX_CHARGE_ATTEMPTS => {
                fail(db, producer, &payment, PaymentFailure::ProcessingError)?
            }
            ChargeOutcome::TransientError if cancel_requested => Settlement {
                status: PaymentStatus::Voided,
                charge_id: None,
                failure_reason: Some("order_cancelled"),
                next_attempt_at: None,
            },
            ChargeOutcome::TransientError => Settlement {
                status: PaymentStatus::Charging,
                charge_id: None,
                failure_reason: None,
                next_attempt_at: Some(now + charge_retry_delay_ms(payment.attempts)),
            },
        };
        repository::settle(db, &payment.id, &settlement, now)
    })
}

/// Counts a processor failure, and announces a burst the first time the window holds
/// enough of them.
fn watch_processor(db: &Db, producer: &str, now: i64) -> Result<(), Error> {
    let window = repository::record_processor_failure(db, now)?;
    if !window.is_new_burst() {
        return Ok(());
    }
    eprintln!(
        "payments: the card processor failed {} times within {} s",
        window.failures,
        PROCESSOR_FAILURE_WINDOW_MS / 1000
    );
    let event = CardProcessorFailuresDetected {
        burst_id: service_kit::ids::random_uuid(),
        failures: window.failures,
        window_seconds: (PROCESSOR_FAILURE_WINDOW_MS / 1000) as u32,
        first_failure_at: rfc3339(window.first_at),
        last_failure_at: rfc3339(window.last_at),
    };
    outbox::enqueue(db, producer, &event, None).map(|_| ())
}

fn announce_success(db: &Db, producer: &str, payment: &Payment) -> Result<(), Error> {
    let event = PaymentSucceeded {
        order_id: payment.order_id.clone(),
        user_id: payment.user_id.clone(),
        email: payment.email.clone(),
        payment_id: payment.id.to_string(),
        amount: payment.amount.clone(),
    };
    outbox::enqueue(db, producer, &event, payment.traceparent.as_deref()).map(|_| ())
}

fn fail(
    db: &Db,
    producer: &str,
    payment: &Payment,
    reason: PaymentFailure,
) -> Result<Settlement<'static>, Error> {
    let event = PaymentFailed {
        order_id: payment.order_id.clone(),
        user_id: payment.user_id.clone(),
        email: payment.email.clone(),
        payment_id: payment.id.to_string(),
        amount: payment.amount.clone(),
        reason,
    };
    outbox::enqueue(db, producer, &event, payment.traceparent.as_deref())?;
    Ok(Settlement {
        status: PaymentStatus::Failed,
        charge_id: None,
        failure_reason: Some(match reason {
            PaymentFailure::CardDeclined => "card_declined",
            PaymentFailure::ProcessingError => "processing_error",
        }),
        next_attempt_at: None,
    })
}

fn refund(db: &Db, producer: &str, processor: &dyn CardProcessor, due: &Due) -> Result<(), Error> {
    let claimed_at = now_ms();
    let Some(payment) = repository::claim_refund(db, due, claimed_at)? else {
        return Ok(());
    };
    let Some(charge_id) = payment.charge_id.as_deref() else {
        return repository::abandon_refund(db, &payment.id, "refund_without_charge", now_ms());
    };
    let outcome = processor.refund(charge_id);
    db.transaction(|db| {
        if !repository::refund_claim(db, &payment.id, claimed_at)? {
            return Ok(());
        }
        let now = now_ms();
        match outcome {
            RefundOutcome::Refunded => {
                let event = PaymentRefunded {
                    order_id: payment.order_id.clone(),
                    user_id: payment.user_id.clone(),
                    email: payment.email.clone(),
                    payment_id: payment.id.to_string(),
                    amount: payment.amount.clone(),
                };
                outbox::enqueue(db, producer, &event, payment.traceparent.as_deref())?;
                let settlement = Settlement {
                    status: PaymentStatus::Refunded,
                    charge_id: None,
                    failure_reason: None,
                    next_attempt_at: None,
                };
                repository::settle(db, &payment.id, &settlement, now)
            }
            RefundOutcome::TransientError => {
                let settlement = Settlement {
                    status: PaymentStatus::Succeeded,
                    charge_id: None,
                    failure_reason: None,
                    next_attempt_at: Some(now + REFUND_RETRY_MS),
                };
                repository::settle(db, &payment.id, &settlement, now)
            }
            RefundOutcome::Rejected { reason } => {
                eprintln!("payments: refund of {} rejected: {reason}", payment.id);
                repository::abandon_refund(db, &payment.id, "refund_rejected", now)
            }
        }
    })
}
