//! Money as integer minor units with an ISO 4217 currency code: no floating point anywhere.

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code: three upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// The shop's currency.
    pub fn usd() -> Self {
        Self("USD".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Currency {
    type Error = String;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(format!(
                "`{code}` is not an ISO 4217 currency code (three capital letters)"
            ))
        }
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> Self {
        currency.0
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount of money: `amount` minor units (cents) of `currency`, never negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawMoney")]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

#[derive(Deserialize)]
struct RawMoney {
    #[serde(deserialize_with = "crate::integer::whole")]
    amount: i64,
    currency: Currency,
}

impl TryFrom<RawMoney> for Money {
    type Error = String;

    fn try_from(raw: RawMoney) -> Result<Self, Self::Error> {
        Money::new(raw.amount, raw.currency)
    }
}

/// Why arithmetic on money failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is too large")]
    Overflow,
}

impl Money {
    /// Money of `amount` minor units; negative amounts are rejected.
    pub fn new(amount: i64, currency: Currency) -> Result<Self, String> {
        if amount < 0 {
            return Err("amount must not be negative".to_owned());
        }
        Ok(Self { amount, currency })
    }

    /// Zero of `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self {
            amount: 0,
            currency,
        }
    }

    /// `self * quantity`.
    pub fn times(&self, quantity: u32) -> Result<Self, MoneyError> {
        let amount = self
            .amount
            .checked_mul(i64::from(quantity))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self {
            amount,
            currency: self.currency.clone(),
        })
    }

    /// `self + other`, both in the same currency.
    pub fn plus(&self, other: &Money) -> Result<Self, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(
                self.currency.clone(),
                other.currency.clone(),
            ));
        }
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self {
            amount,
            currency: self.currency.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let ok: Money = serde_json::from_str(r#"{"amount":1999,"currency":"USD"}"#).unwrap();
        assert_eq!(ok.amount, 1999);
        assert!(serde_json::from_str::<Money>(r#"{"amount":-1,"currency":"USD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":1,"currency":"usd"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":1.5,"currency":"USD"}"#).is_err());
    }

    #[test]
    fn arithmetic_is_checked() {
        let price = Money::new(250, Currency::usd()).unwrap();
        assert_eq!(price.times(3).unwrap().amount, 750);
        assert_eq!(price.plus(&price).unwrap().amount, 500);
        let euros = Money::new(1, Currency::try_from("EUR".to_owned()).unwrap()).unwrap();
        assert!(matches!(
            price.plus(&euros),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(
            Money::new(i64::MAX, Currency::usd()).unwrap().times(2),
            Err(MoneyError::Overflow)
        );
    }
}
