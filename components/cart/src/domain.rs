//! What a cart is: product ids and quantities, at most [`MAX_LINES`] distinct products,
//! never prices.

use serde::{Deserialize, Serialize};
use service_kit::ids::ProductId;

use crate::error::CartError;

/// Distinct products a cart may hold.
pub const MAX_LINES: usize = 50;

/// How many of one product: 1 to 99.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u32")]
pub struct Quantity(u32);

impl TryFrom<u32> for Quantity {
    type Error = String;

    fn try_from(quantity: u32) -> Result<Self, Self::Error> {
        if (1..=99).contains(&quantity) {
            Ok(Self(quantity))
        } else {
            Err("must be between 1 and 99".to_owned())
        }
    }
}

/// The body of `PUT /cart/items/:product_id`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityChange {
    #[serde(deserialize_with = "whole_quantity")]
    pub quantity: Quantity,
}

/// A quantity as JSON Schema's `integer` allows it (`3.0` is 3).
fn whole_quantity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Quantity, D::Error> {
    let quantity: u32 = service_kit::integer::whole(d)?;
    Quantity::try_from(quantity).map_err(serde::de::Error::custom)
}

/// A product id from the path.
pub fn product_id(text: &str) -> Result<ProductId, CartError> {
    ProductId::parse(text).ok_or_else(|| CartError::InvalidProductId(text.to_owned()))
}

/// A user's cart as stored (schema: `kv-schemas/cart/cart.schema.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredCart {
    pub items: Vec<StoredItem>,
    /// RFC 3339.
    pub updated_at: String,
}

/// One line of a stored cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredItem {
    pub product_id: ProductId,
    pub quantity: u32,
    /// RFC 3339: when the product was first put in the cart.
    pub added_at: String,
}

impl StoredCart {
    /// The products in the cart, in the order they were added.
    pub fn product_ids(&self) -> Vec<&ProductId> {
        self.items.iter().map(|item| &item.product_id).collect()
    }

    /// Sets the quantity of `product_id` at time `now`, adding the line if new.
    pub fn set(
        &mut self,
        product_id: &ProductId,
        quantity: Quantity,
        now: &str,
    ) -> Result<(), CartError> {
        if let Some(item) = self.items.iter_mut().find(|i| &i.product_id == product_id) {
            item.quantity = quantity.0;
        } else if self.items.len() >= MAX_LINES {
            return Err(CartError::Full);
        } else {
            self.items.push(StoredItem {
                product_id: product_id.clone(),
                quantity: quantity.0,
                added_at: now.to_owned(),
            });
        }
        self.updated_at = now.to_owned();
        Ok(())
    }

    /// Removes `product_id` at time `now`.
    pub fn remove(&mut self, product_id: &ProductId, now: &str) -> Result<(), CartError> {
        let before = self.items.len();
        self.items.retain(|item| &item.product_id != product_id);
        if self.items.len() == before {
            return Err(CartError::NotInCart(product_id.clone()));
        }
        self.updated_at = now.to_owned();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-24T00:00:00.000Z";
    const LATER: &str = "2026-11-24T00:01:00.000Z";

    fn quantity(n: u32) -> Quantity {
        Quantity::try_from(n).unwrap()
    }

    #[test]
    fn quantities_are_bounded() {
        assert!(Quantity::try_from(0).is_err());
        assert!(Quantity::try_from(100).is_err());
        assert_eq!(quantity(99), Quantity(99));
        let body: Result<QuantityChange, _> = serde_json::from_str(r#"{"quantity": 0}"#);
        assert!(body.is_err());
    }

    #[test]
    fn setting_adds_then_changes_a_line() {
        let mut cart = StoredCart::default();
        let id = ProductId::new();
        cart.set(&id, quantity(2), NOW).unwrap();
        cart.set(&id, quantity(5), LATER).unwrap();
        assert_eq!(cart.items.len(), 1);
        assert_eq!(cart.items[0].quantity, 5);
        assert_eq!(cart.items[0].added_at, NOW);
        assert_eq!(cart.updated_at, LATER);
    }

    #[test]
    fn a_full_cart_takes_no_new_product_but_changes_old_ones() {
        let mut cart = StoredCart::default();
        for _ in 0..MAX_LINES {
            cart.set(&ProductId::new(), quantity(1), NOW).unwrap();
        }
        assert!(matches!(
            cart.set(&ProductId::new(), quantity(1), NOW),
            Err(CartError::Full)
        ));
        let first = cart.items[0].product_id.clone();
        cart.set(&first, quantity(3), NOW).unwrap();
        assert_eq!(cart.items.len(), MAX_LINES);
    }

    #[test]
    fn removing_needs_the_line() {
        let mut cart = StoredCart::default();
        let id = ProductId::new();
        assert!(matches!(
            cart.remove(&id, NOW),
            Err(CartError::NotInCart(_))
        ));
        cart.set(&id, quantity(1), NOW).unwrap();
        cart.remove(&id, LATER).unwrap();
        assert!(cart.items.is_empty());
    }

    #[test]
    fn product_ids_parse() {
        assert!(product_id("nope").is_err());
        let id = ProductId::new();
        assert_eq!(product_id(&id.as_str().to_uppercase()).unwrap(), id);
    }
}
