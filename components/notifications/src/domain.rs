//! The notifications domain: ids, kinds, a notification, money as people read it, and the
//! list query.

use service_kit::http::Query;
use service_kit::ids::{OrderId, UserId};
use service_kit::money::Money;
use service_kit::FieldError;

service_kit::id_type!(
    /// A notification.
    NotificationId
);

/// What a notification is about; one kind per consumed event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OrderConfirmed,
    PaymentReceived,
    PaymentFailed,
    OrderCancelled,
    PaymentRefunded,
    AlertRaised,
    AlertResolved,
}

impl Kind {
    /// The kind as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderConfirmed => "order_confirmed",
            Self::PaymentReceived => "payment_received",
            Self::PaymentFailed => "payment_failed",
            Self::OrderCancelled => "order_cancelled",
            Self::PaymentRefunded => "payment_refunded",
            Self::AlertRaised => "alert_raised",
            Self::AlertResolved => "alert_resolved",
        }
    }
}

/// A notification to be stored.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: UserId,
    /// Where to email it; no email is sent without one.
    pub email: Option<String>,
    pub kind: Kind,
    pub order_id: OrderId,
    pub title: String,
    pub body: String,
}

/// Who a notification shown to a whole audience is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every admin: each gets a copy of their own (with its own read state) the first time
    /// they list their notifications after it arrived.
    Admins,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admins => "admins",
        }
    }
}

/// A notification for an audience, to be stored once and copied to each member.
#[derive(Debug, Clone)]
pub struct NewBroadcast {
    pub audience: Audience,
    pub kind: Kind,
    pub title: String,
    pub body: String,
}

/// A stored notification.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: NotificationId,
    pub email: Option<String>,
    pub kind: String,
    /// The order it is about; none for an audience's notifications.
    pub order_id: Option<String>,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// `amount` as people read it: `$1,234.56` for dollars, `1,234.56 EUR` otherwise (minor
/// units are cents).
pub fn format_money(money: &Money) -> String {
    let units = (money.amount / 100).to_string();
    let mut grouped = String::new();
    for (index, digit) in units.chars().enumerate() {
        if index > 0 && (units.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let number = format!("{grouped}.{:02}", money.amount % 100);
    match money.currency.as_str() {
        "USD" => format!("${number}"),
        code => format!("{number} {code}"),
    }
}

/// How an order is named in text: `#` and the first 8 characters of its id.
pub fn order_label(order_id: &OrderId) -> String {
    format!("#{}", &order_id.as_str()[..8])
}

/// The largest page size.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// The last page that may be asked for (keeps offsets small).
pub const MAX_PAGE: u32 = 10_000;

/// `GET /notifications` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub unread_only: bool,
    pub page: u32,
    pub page_size: u32,
}

impl ListQuery {
    /// Reads `unread`, `page` and `page_size`; every invalid one is named.
    pub fn parse(query: &Query) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let unread_only = query
            .parse_opt("unread", "true or false", |text| match text {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            })
            .unwrap_or_else(|error| {
                errors.push(error);
                None
            })
            .unwrap_or(false);
        let mut number = |name: &str, max: u32, default: u32| {
            query
                .parse_opt(name, &format!("an integer from 1 to {max}"), |text| {
                    text.parse::<u32>().ok().filter(|n| (1..=max).contains(n))
                })
                .unwrap_or_else(|error| {
                    errors.push(error);
                    None
                })
                .unwrap_or(default)
        };
        let page = number("page", MAX_PAGE, 1);
        let page_size = number("page_size", MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
        if errors.is_empty() {
            Ok(Self {
                unread_only,
                page,
                page_size,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_kit::money::Currency;

    #[test]
    fn money_reads_like_money() {
        let usd = |amount| format_money(&Money::new(amount, Currency::usd()).unwrap());
        assert_eq!(usd(1234), "$12.34");
        assert_eq!(usd(5), "$0.05");
        assert_eq!(usd(123_456_789), "$1,234,567.89");
        let eur = Money::new(100_000, Currency::try_from("EUR".to_owned()).unwrap()).unwrap();
        assert_eq!(format_money(&eur), "1,000.00 EUR");
    }

    #[test]
    fn list_query_names_bad_fields() {
        let query = ListQuery::parse(&Query::parse("unread=true&page=2&page_size=5")).unwrap();
        assert_eq!(
            query,
            ListQuery {
                unread_only: true,
                page: 2,
                page_size: 5
            }
        );
        let errors =
            ListQuery::parse(&Query::parse("unread=yes&page=0&page_size=101")).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["unread", "page", "page_size"]);
    }
}
