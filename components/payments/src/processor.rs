//! What payments needs from a card processor. The processor is an outside system: calls to
//! it are never part of a database transaction, so it must be idempotent by the key we give.

use service_kit::money::Money;

/// The answer to a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Charged (or charged before under the same idempotency key).
    Approved { charge_id: String },
    /// The card was declined: retrying will not help.
    Declined,
    /// The processor failed this time: retrying may help.
    TransientError,
}

/// The answer to a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Refunded (or refunded before).
    Refunded,
    /// The processor will never refund this charge (it does not know it).
    Rejected { reason: String },
    /// The processor failed this time: retrying may help.
    TransientError,
}

/// A card processor.
pub trait CardProcessor {
    /// Charges `amount` to the card behind `token`. A repeated `idempotency_key` (the order
    /// id) never charges again: it answers the first approval.
    fn charge(&self, idempotency_key: &str, token: &str, amount: &Money) -> ChargeOutcome;

    /// Refunds a charge in full; refunding twice refunds once.
    fn refund(&self, charge_id: &str) -> RefundOutcome;
}
