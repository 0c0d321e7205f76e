//! The order's status machine and the checkout request.

use serde::Deserialize;
use service_kit::events::Address;
use service_kit::{FieldError, Problem};

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    PendingPayment,
    Paid,
    Fulfilled,
    PaymentFailed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Fulfilled => "fulfilled",
            Self::PaymentFailed => "payment_failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The states an order may move to `self` from.
    pub fn allowed_from(self) -> &'static [Status] {
        match self {
            Self::PendingPayment => &[],
            Self::Paid | Self::PaymentFailed | Self::Cancelled => &[Self::PendingPayment],
            Self::Fulfilled => &[Self::Paid],
        }
    }
}

/// `POST /orders`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkout {
    pub shipping_address: Address,
    pub payment: Payment,
}

/// How the customer pays: a card processor token, never card data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub card_token: String,
}

impl Checkout {
    /// Trims and checks every field, naming each bad one.
    pub fn validate(mut self) -> Result<Self, Problem> {
        let mut errors = self.shipping_address.check("shipping_address");
        let token = &self.payment.card_token;
        let valid_token = token.len() <= 64
            && token.strip_prefix("tok_").is_some_and(|rest| {
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        if !valid_token {
            errors.push(FieldError::new(
                "payment.card_token",
                "must be a card token such as tok_visa",
            ));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(Problem::validation(errors))
        }
    }
}

/// Checks an `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub fn check_idempotency_key(key: &str) -> Result<(), Problem> {
    if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(Problem::invalid_field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;

    #[test]
    fn only_the_documented_moves_are_legal() {
        let all = [PendingPayment, Paid, Fulfilled, PaymentFailed, Cancelled];
        let legal = [
            (PendingPayment, Paid),
            (Paid, Fulfilled),
            (PendingPayment, PaymentFailed),
            (PendingPayment, Cancelled),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    to.allowed_from().contains(&from),
                    legal.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }
}
