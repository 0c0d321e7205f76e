//! The payments domain: ids, statuses, the card token, a payment, and the retry policy of a
//! charge.

use service_kit::ids::{OrderId, UserId};
use service_kit::money::Money;

service_kit::id_type!(
    /// A payment: one per order.
    PaymentId
);

/// Where a payment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Waiting until both the payment intent (`OrderCreated`) and the stock reservation
    /// (`StockReserved`) have arrived.
    AwaitingStock,
    /// Has both: due to be charged (or being charged, or retrying).
    Charging,
    /// Charged.
    Succeeded,
    /// Could not be charged; will not be retried.
    Failed,
    /// Never charged, and never will be (out of stock, or cancelled first).
    Voided,
    /// Charged, then refunded because the order was cancelled.
    Refunded,
}

impl PaymentStatus {
    /// The status as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingStock => "awaiting_stock",
            Self::Charging => "charging",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Voided => "voided",
            Self::Refunded => "refunded",
        }
    }

    /// Reads a stored status.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::AwaitingStock,
            Self::Charging,
            Self::Succeeded,
            Self::Failed,
            Self::Voided,
            Self::Refunded,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// A card processor token. It is never shown: only its [`CardToken::hint`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardToken(String);

impl CardToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a customer may see of the token: `tok_visa` -> `visa`; nothing for tokens of
    /// another shape.
    pub fn hint(&self) -> Option<String> {
        self.0
            .strip_prefix("tok_")
            .filter(|rest| !rest.is_empty())
            .map(|rest| rest.chars().take(24).collect())
    }
}

/// A payment with its intent (a row that has only seen stock events is not one yet).
#[derive(Debug, Clone)]
pub struct Payment {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub user_id: UserId,
    pub email: Option<String>,
    pub amount: Money,
    pub card_token: CardToken,
    pub stock_reserved: bool,
    pub status: PaymentStatus,
    /// Charge attempts started so far.
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub charge_id: Option<String>,
    pub failure_reason: Option<String>,
    /// The trace context of the order's checkout, carried by the payment's events.
    pub traceparent: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Charge attempts before a payment fails with `processing_error`.
pub const MAX_CHARGE_ATTEMPTS: i64 = 4;

/// How long a claimed charge or refund is reserved for the instance that claimed it; after
/// that (the instance died mid-call) another instance may claim it again.
pub const CLAIM_LEASE_MS: i64 = 30_000;

/// Delay before retrying a refund the processor could not make.
pub const REFUND_RETRY_MS: i64 = 2_000;

/// Processor failures (transient errors; a decline is the card's answer, not a failure of
/// the processor) within [`PROCESSOR_FAILURE_WINDOW_MS`] that make a burst worth announcing.
pub const PROCESSOR_FAILURE_BURST: u32 = 5;
/// The window processor failures are counted in; a burst is announced at most once per
/// window.
pub const PROCESSOR_FAILURE_WINDOW_MS: i64 = 60_000;

/// Processor failures within the window, oldest and newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    pub failures: u32,
    pub first_at: i64,
    pub last_at: i64,
    /// Whether a burst was already announced within the window.
    pub announced: bool,
}

impl FailureWindow {
    /// Whether this window is a burst not announced yet.
    pub fn is_new_burst(&self) -> bool {
        self.failures >= PROCESSOR_FAILURE_BURST && !self.announced
    }
}

/// Delay before the next charge attempt after `failed_attempts` transient errors:
/// 500 ms, 1 s, 2 s, …
pub fn charge_retry_delay_ms(failed_attempts: i64) -> i64 {
    500 << (failed_attempts.clamp(1, 6) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for text in [
            "awaiting_stock",
            "charging",
            "succeeded",
            "failed",
            "voided",
            "refunded",
        ] {
            assert_eq!(
                PaymentStatus::parse(text).map(PaymentStatus::as_str),
                Some(text)
            );
        }
        assert_eq!(PaymentStatus::parse("paid"), None);
    }

    #[test]
    fn token_hint_hides_the_token() {
        assert_eq!(CardToken::new("tok_visa").hint().as_deref(), Some("visa"));
        assert_eq!(CardToken::new("tok_").hint(), None);
        assert_eq!(CardToken::new("4242424242424242").hint(), None);
    }

    #[test]
    fn a_burst_is_announced_once() {
        let window = |failures, announced| FailureWindow {
            failures,
            first_at: 0,
            last_at: 1,
            announced,
        };
        assert!(!window(PROCESSOR_FAILURE_BURST - 1, false).is_new_burst());
        assert!(window(PROCESSOR_FAILURE_BURST, false).is_new_burst());
        assert!(!window(PROCESSOR_FAILURE_BURST + 3, true).is_new_burst());
    }

    #[test]
    fn retry_delays_grow() {
        assert_eq!(charge_retry_delay_ms(1), 500);
        assert_eq!(charge_retry_delay_ms(2), 1000);
        assert_eq!(charge_retry_delay_ms(3), 2000);
    }
}
