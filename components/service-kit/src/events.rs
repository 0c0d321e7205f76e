//! Integration events: the envelope every event travels in, and the typed payload of each
//! event type. Payloads are contracts between services (each has a JSON Schema in
//! `kv-schemas/events/`); they carry data, never behaviour.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ids::{EventId, OrderId, ProductId, UserId};
use crate::money::Money;

/// The channel each producing service publishes on.
pub mod channels {
    pub const ORDERS: &str = "wasmart.orders";
    pub const CATALOG: &str = "wasmart.catalog";
    pub const PAYMENTS: &str = "wasmart.payments";
    /// Operational events: alerts raised and resolved.
    pub const OPS: &str = "wasmart.ops";
}

/// A domain event type: its name (past tense), schema version and channel.
pub trait IntegrationEvent: Serialize + DeserializeOwned {
    const TYPE: &'static str;
    const VERSION: u32;
    const CHANNEL: &'static str;

    /// What ties this event to others: the order for checkout events (every event of one
    /// checkout shares it), the alert or burst for operational ones.
    fn correlation_id(&self) -> String;
}

/// What travels on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: u32,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    /// The order id (every event of one checkout shares it), or the alert or burst id of an
    /// operational event.
    pub correlation_id: String,
    /// W3C trace context of the request or event that caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// The service that published it.
    pub producer: String,
    pub payload: serde_json::Value,
}

impl Envelope {
    /// Wraps `event`, produced by `producer` now.
    pub fn new<E: IntegrationEvent>(producer: &str, event: &E, traceparent: Option<&str>) -> Self {
        Self {
            id: EventId::new(),
            event_type: E::TYPE.to_owned(),
            version: E::VERSION,
            occurred_at: crate::clock::now_rfc3339(),
            correlation_id: event.correlation_id(),
            traceparent: traceparent.map(str::to_owned),
            producer: producer.to_owned(),
            payload: serde_json::to_value(event).unwrap_or_default(),
        }
    }

    /// Whether this envelope holds an `E`.
    pub fn is<E: IntegrationEvent>(&self) -> bool {
        self.event_type == E::TYPE
    }

    /// The payload as `E`; fails on another type, a newer major version, or a payload that
    /// does not match.
    pub fn decode<E: IntegrationEvent>(&self) -> Result<E, String> {
        if !self.is::<E>() {
            return Err(format!("expected {}, got {}", E::TYPE, self.event_type));
        }
        if self.version != E::VERSION {
            return Err(format!(
                "{} version {} is not understood",
                E::TYPE,
                self.version
            ));
        }
        serde_json::from_value(self.payload.clone())
            .map_err(|error| format!("{} payload does not match its schema: {error}", E::TYPE))
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl Address {
    /// Names each field out of bounds (`<prefix>.city`, ...): as sent, 1 to `max`
    /// characters, not all whitespace (the public schema's `minLength`, `maxLength` and
    /// `pattern: \S`); then trims every field.
    pub fn check(&mut self, prefix: &str) -> Vec<crate::FieldError> {
        let mut errors = Vec::new();
        let mut field = |name: &str, value: &mut String, max: usize| {
            let blank = value.trim().is_empty();
            let length = value.chars().count();
            *value = value.trim().to_owned();
            if blank || length > max {
                errors.push(crate::FieldError::new(
                    format!("{prefix}.{name}"),
                    format!("must be 1 to {max} characters"),
                ));
            }
        };
        field("name", &mut self.name, 100);
        field("line1", &mut self.line1, 200);
        field("city", &mut self.city, 100);
        field("postal_code", &mut self.postal_code, 20);
        if let Some(line2) = &mut self.line2 {
            let length = line2.chars().count();
            *line2 = line2.trim().to_owned();
            if length > 200 {
                errors.push(crate::FieldError::new(
                    format!("{prefix}.line2"),
                    "must be at most 200 characters",
                ));
            }
        }
        if self.country.len() != 2 || !self.country.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(crate::FieldError::new(
                format!("{prefix}.country"),
                "must be an ISO 3166-1 alpha-2 code such as GB",
            ));
        }
        errors
    }
}

/// One priced line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: ProductId,
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub line_total: Money,
}

/// A quantity of one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    pub product_id: ProductId,
    pub quantity: u32,
}

/// orders: a checkout was recorded, status `pending_payment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    pub order_id: OrderId,
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    /// A card processor token (never card data).
    pub card_token: String,
    pub shipping_address: Address,
}

/// Why an order was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The customer cancelled it.
    Customer,
    /// The catalog could not reserve the stock.
    OutOfStock,
}

/// orders: an order was cancelled; stock held for it goes back, and a payment made for it
/// is refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    pub order_id: OrderId,
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub reason: CancelReason,
}

/// catalog: stock for every line of an order was taken out of the available stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReserved {
    pub order_id: OrderId,
    pub lines: Vec<StockLine>,
}

/// catalog: the stock for an order could not be reserved; nothing was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRejected {
    pub order_id: OrderId,
    pub product_id: ProductId,
    pub requested: u32,
    pub available: u32,
}

/// catalog: stock reserved for an order went back (payment failed or order cancelled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReleased {
    pub order_id: OrderId,
    pub lines: Vec<StockLine>,
}

/// payments: the order's amount was charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSucceeded {
    pub order_id: OrderId,
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub payment_id: String,
    pub amount: Money,
}

/// Why a payment failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentFailure {
    /// The card was declined.
    CardDeclined,
    /// The processor kept failing after every retry.
    ProcessingError,
}

/// payments: the order could not be charged; it will not be retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFailed {
    pub order_id: OrderId,
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub payment_id: String,
    pub amount: Money,
    pub reason: PaymentFailure,
}

/// payments: a charge was refunded (its order was cancelled after it was paid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRefunded {
    pub order_id: OrderId,
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub payment_id: String,
    pub amount: Money,
}

/// payments: the card processor failed (transient errors, not declines) at least
/// `failures` times within `window_seconds`; announced at most once per window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardProcessorFailuresDetected {
    /// Identifies this burst (the envelope's correlation id).
    pub burst_id: String,
    pub failures: u32,
    pub window_seconds: u32,
    /// RFC 3339: the first and last failure counted.
    pub first_failure_at: String,
    pub last_failure_at: String,
}

/// An alert as the alerts service announces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDetails {
    pub alert_id: String,
    pub rule_id: String,
    /// The service the measurement is about.
    pub service: String,
    /// What was measured, e.g. `payment_failure_rate`.
    pub metric: String,
    pub value: f64,
    pub threshold: f64,
    /// One line for people, e.g. "payments: payment failure rate 100% above 50%".
    pub summary: String,
    /// RFC 3339.
    pub raised_at: String,
}

/// alerts: a rule's measurement crossed its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRaised {
    #[serde(flatten)]
    pub alert: AlertDetails,
}

/// alerts: a raised alert's measurement is back within its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertResolved {
    #[serde(flatten)]
    pub alert: AlertDetails,
    /// RFC 3339.
    pub resolved_at: String,
}

macro_rules! integration_event {
    ($event:ty, $name:literal, $channel:expr, |$this:ident| $correlation:expr) => {
        impl IntegrationEvent for $event {
            const TYPE: &'static str = $name;
            const VERSION: u32 = 1;
            const CHANNEL: &'static str = $channel;

            fn correlation_id(&self) -> String {
                let $this = self;
                $correlation
            }
        }
    };
    ($event:ty, $name:literal, $channel:expr) => {
        integration_event!($event, $name, $channel, |event| event.order_id.to_string());
    };
}

integration_event!(OrderCreated, "OrderCreated", channels::ORDERS);
integration_event!(OrderCancelled, "OrderCancelled", channels::ORDERS);
integration_event!(StockReserved, "StockReserved", channels::CATALOG);
integration_event!(StockRejected, "StockRejected", channels::CATALOG);
integration_event!(StockReleased, "StockReleased", channels::CATALOG);
integration_event!(PaymentSucceeded, "PaymentSucceeded", channels::PAYMENTS);
integration_event!(PaymentFailed, "PaymentFailed", channels::PAYMENTS);
integration_event!(PaymentRefunded, "PaymentRefunded", channels::PAYMENTS);
integration_event!(
    CardProcessorFailuresDetected,
    "CardProcessorFailuresDetected",
    channels::PAYMENTS,
    |event| event.burst_id.clone()
);
integration_event!(AlertRaised, "AlertRaised", channels::OPS, |event| event
    .alert
    .alert_id
    .clone());
integration_event!(AlertResolved, "AlertResolved", channels::OPS, |event| event
    .alert
    .alert_id
    .clone());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn address_bounds_count_the_text_as_sent_then_trim() {
        let mut address = Address {
            name: "  Ada  ".into(),
            line1: format!(" {}", "x".repeat(200)),
            line2: Some(" ".into()),
            city: "\u{3000}".into(),
            postal_code: "N1".into(),
            country: "GB".into(),
        };
        let errors = address.check("a");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        // 201 characters as sent, though 200 after trimming; an ideographic space is blank.
        assert_eq!(fields, ["a.line1", "a.city"]);
        assert_eq!(address.name, "Ada");
        assert_eq!(address.line2.as_deref(), Some(""));
    }

    #[test]
    fn envelope_round_trip() {
        let event = StockRejected {
            order_id: OrderId::new(),
            product_id: ProductId::new(),
            requested: 3,
            available: 1,
        };
        let envelope = Envelope::new("catalog", &event, None);
        let wire = serde_json::to_string(&envelope).unwrap();
        let back: Envelope = serde_json::from_str(&wire).unwrap();
        assert_eq!(back.correlation_id, event.order_id.to_string());
        assert_eq!(back.decode::<StockRejected>().unwrap(), event);
        assert!(back.decode::<StockReserved>().is_err());
        assert!(wire.contains("\"type\":\"StockRejected\""));
        let _ = Money::zero(Currency::usd());
    }
}
