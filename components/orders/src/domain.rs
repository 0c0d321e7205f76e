//! The order's status machine and the checkout request: values that parse, so nothing invalid
//! reaches the repository.

use serde::{Deserialize, Serialize};
use service_kit::events::{Address, CancelReason, OrderLine};
use service_kit::money::{Currency, Money};
use service_kit::FieldError;
use sha2::{Digest, Sha256};

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    PendingPayment,
    Paid,
    Fulfilled,
    PaymentFailed,
    Cancelled,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 5] = [
        Self::PendingPayment,
        Self::Paid,
        Self::Fulfilled,
        Self::PaymentFailed,
        Self::Cancelled,
    ];

    /// The name stored and shown (`pending_payment`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Fulfilled => "fulfilled",
            Self::PaymentFailed => "payment_failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The status named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Whether an order in `self` may move to `to`: `pending_payment -> paid -> fulfilled`,
    /// `pending_payment -> payment_failed`, `pending_payment -> cancelled`; nothing else.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (PendingPayment, Paid | PaymentFailed | Cancelled) | (Paid, Fulfilled)
        )
    }

    /// The statuses an order may be in to move to `self`.
    pub fn predecessors(self) -> Vec<Status> {
        Self::ALL
            .into_iter()
            .filter(|from| from.can_become(self))
            .collect()
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name a cancel reason is stored under (as in the `OrderCancelled` payload).
pub fn reason_name(reason: CancelReason) -> &'static str {
    match reason {
        CancelReason::Customer => "customer",
        CancelReason::OutOfStock => "out_of_stock",
    }
}

/// The cancel reason named `text`.
pub fn parse_reason(text: &str) -> Option<CancelReason> {
    [CancelReason::Customer, CancelReason::OutOfStock]
        .into_iter()
        .find(|reason| reason_name(*reason) == text)
}

/// `POST /orders` as sent. Missing text fields read as empty, so that validation names
/// each one (`shipping_address.city`), not just the object that lacks it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub shipping_address: AddressInput,
    pub payment: PaymentInput,
}

/// A shipping address as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
}

/// How the customer pays, as sent: a card processor token, never card data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    #[serde(default)]
    pub card_token: String,
}

/// A valid checkout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub shipping_address: Address,
    pub card_token: String,
}

impl CheckoutRequest {
    /// Trims and checks every field; names each bad one (`shipping_address.city`, ...).
    pub fn validate(self) -> Result<Checkout, Vec<FieldError>> {
        let input = self.shipping_address;
        let mut shipping_address = Address {
            name: input.name,
            line1: input.line1,
            line2: input.line2.filter(|line| !line.trim().is_empty()),
            city: input.city,
            postal_code: input.postal_code,
            country: input.country,
        };
        let mut errors = shipping_address.check("shipping_address");
        let card_token = self.payment.card_token.trim().to_owned();
        if !is_card_token(&card_token) {
            errors.push(FieldError::new(
                "payment.card_token",
                "must be a card token such as tok_visa",
            ));
        }
        if errors.is_empty() {
            Ok(Checkout {
                shipping_address,
                card_token,
            })
        } else {
            Err(errors)
        }
    }
}

impl Checkout {
    /// A digest of what was asked for: a repeat with the same Idempotency-Key must match it.
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::json!({
            "shipping_address": self.shipping_address,
            "card_token": self.card_token,
        });
        Sha256::digest(canonical.to_string().as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// `tok_` followed by 1 to 60 letters, digits or underscores.
fn is_card_token(token: &str) -> bool {
    token.strip_prefix("tok_").is_some_and(|rest| {
        (1..=60).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// A client's `Idempotency-Key`: 1 to 255 visible ASCII characters, scoped to its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The header name.
    pub const HEADER: &'static str = "Idempotency-Key";

    /// Parses a header value.
    pub fn parse(value: &[u8]) -> Result<Self, FieldError> {
        if (1..=255).contains(&value.len()) && value.iter().all(u8::is_ascii_graphic) {
            Ok(Self(String::from_utf8_lossy(value).into_owned()))
        } else {
            Err(FieldError::new(
                Self::HEADER,
                "must be 1 to 255 visible ASCII characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why lines could not be added up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the order's lines cannot be added up: {0}")]
pub struct Unpriceable(String);

/// The price of `quantity` units at `unit_price`.
pub fn line_total(unit_price: &Money, quantity: u32) -> Result<Money, Unpriceable> {
    unit_price
        .times(quantity)
        .map_err(|error| Unpriceable(error.to_string()))
}

/// The sum of every line (the shop's currency when there are none).
pub fn total(lines: &[OrderLine]) -> Result<Money, Unpriceable> {
    let zero = Money::zero(
        lines
            .first()
            .map_or_else(Currency::usd, |line| line.line_total.currency.clone()),
    );
    lines.iter().try_fold(zero, |sum, line| {
        sum.plus(&line.line_total)
            .map_err(|error| Unpriceable(error.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::Status::*;
    use super::*;
    use service_kit::ids::ProductId;

    fn request() -> CheckoutRequest {
        serde_json::from_value(serde_json::json!({
            "shipping_address": {
                "name": " Ada ", "line1": "12 Analytical Way", "city": "London",
                "postal_code": "N1 9GU", "country": "GB"
            },
            "payment": {"card_token": "tok_visa"}
        }))
        .unwrap()
    }

    fn line(amount: i64, currency: &str, quantity: u32) -> OrderLine {
        let unit_price =
            Money::new(amount, Currency::try_from(currency.to_owned()).unwrap()).unwrap();
        OrderLine {
            product_id: ProductId::new(),
            sku: "SKU-1".into(),
            name: "Thing".into(),
            quantity,
            line_total: line_total(&unit_price, quantity).unwrap(),
            unit_price,
        }
    }

    #[test]
    fn only_the_documented_moves_are_legal() {
        let legal = [
            (PendingPayment, Paid),
            (Paid, Fulfilled),
            (PendingPayment, PaymentFailed),
            (PendingPayment, Cancelled),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    from.can_become(to),
                    legal.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        assert_eq!(Cancelled.predecessors(), [PendingPayment]);
        assert_eq!(Fulfilled.predecessors(), [Paid]);
        assert!(PendingPayment.predecessors().is_empty());
    }

    #[test]
    fn statuses_and_reasons_round_trip_by_name() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        assert_eq!(Status::parse("shipped"), None);
        for reason in [CancelReason::Customer, CancelReason::OutOfStock] {
            assert_eq!(parse_reason(reason_name(reason)), Some(reason));
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                serde_json::json!(reason_name(reason))
            );
        }
    }

    #[test]
    fn validation_trims_and_names_every_bad_field() {
        let valid = request().validate().unwrap();
        assert_eq!(valid.shipping_address.name, "Ada");
        let mut bad = request();
        bad.shipping_address.city = " ".into();
        bad.shipping_address.country = "gb".into();
        bad.shipping_address.line2 = Some("x".repeat(201));
        bad.payment.card_token = "4242424242424242".into();
        let fields: Vec<String> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|error| error.field)
            .collect();
        assert_eq!(
            fields,
            [
                "shipping_address.city",
                "shipping_address.line2",
                "shipping_address.country",
                "payment.card_token"
            ]
        );
        let empty: CheckoutRequest =
            serde_json::from_value(serde_json::json!({"shipping_address": {}, "payment": {}}))
                .unwrap();
        assert_eq!(empty.validate().unwrap_err().len(), 6);
        for token in [
            "tok_",
            "tok_a b",
            "visa",
            &format!("tok_{}", "x".repeat(61)),
        ] {
            assert!(!is_card_token(token), "{token}");
        }
        assert!(is_card_token("tok_chargeDeclined"));
    }

    #[test]
    fn the_fingerprint_follows_the_request() {
        let first = request().validate().unwrap();
        assert_eq!(
            first.fingerprint(),
            request().validate().unwrap().fingerprint()
        );
        let mut other = request();
        other.payment.card_token = "tok_chargeDeclined".into();
        assert_ne!(first.fingerprint(), other.validate().unwrap().fingerprint());
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert_eq!(IdempotencyKey::parse(b"key-1").unwrap().as_str(), "key-1");
        assert!(IdempotencyKey::parse(&[b'k'; 255]).is_ok());
        for bad in [&b""[..], b"with space", "clé".as_bytes(), &[b'k'; 256]] {
            let error = IdempotencyKey::parse(bad).unwrap_err();
            assert_eq!(error.field, "Idempotency-Key");
        }
    }

    #[test]
    fn totals_add_lines_of_one_currency() {
        let lines = [line(250, "USD", 2), line(1000, "USD", 1)];
        assert_eq!(total(&lines).unwrap().amount, 1500);
        assert!(total(&[line(1, "USD", 1), line(1, "EUR", 1)]).is_err());
        assert!(line_total(&Money::new(i64::MAX, Currency::usd()).unwrap(), 2).is_err());
        assert_eq!(total(&[]).unwrap(), Money::zero(Currency::usd()));
    }
}
