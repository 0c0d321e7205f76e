//! The catalog's view of the products in a cart, and the cart priced with it.

use serde::{Deserialize, Serialize};
use service_kit::client::{call_json, upstream_url, CallError};
use service_kit::context::RequestContext;
use service_kit::ids::ProductId;
use service_kit::money::{Currency, Money};
use spin_sdk::http::Method;

use crate::domain::StoredCart;
use crate::error::CartError;

/// What catalog tells about a product (the fields a cart shows).
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub sku: String,
    pub name: String,
    pub price: Money,
    pub image_url: String,
}

/// The catalog's current data on some products; ids it does not know are absent.
#[derive(Debug, Default, Deserialize)]
pub struct Products {
    items: Vec<Product>,
}

/// Looks `ids` up in the catalog (`POST /products/lookup`), forwarding the caller's
/// context. No ids, no call.
pub fn lookup(context: &RequestContext, ids: &[&ProductId]) -> Result<Products, CartError> {
    if ids.is_empty() {
        return Ok(Products::default());
    }
    let body = serde_json::json!({ "ids": ids });
    call_json::<Products>(
        context,
        Method::Post,
        &upstream_url("catalog"),
        "/products/lookup",
        Some(&body),
    )?
    // The lookup route always exists: a 404 means it is not the catalog answering.
    .ok_or_else(|| {
        CartError::Catalog(CallError::Unavailable {
            service: "catalog".to_owned(),
            reason: "POST /products/lookup answered 404".to_owned(),
        })
    })
}

/// One priced line. A product the catalog no longer has is `available: false`, with no
/// price, name or picture.
#[derive(Debug, Serialize)]
pub struct PricedItem {
    pub product_id: ProductId,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub unit_price: Option<Money>,
    pub quantity: u32,
    pub line_total: Option<Money>,
    pub image_url: Option<String>,
    pub available: bool,
}

/// A cart as the customer sees it. `total` and `item_count` count available lines only.
#[derive(Debug, Serialize)]
pub struct PricedCart {
    pub items: Vec<PricedItem>,
    pub total: Money,
    pub item_count: u32,
}

impl Products {
    /// The product `id`, if the catalog has it.
    pub fn get(&self, id: &ProductId) -> Option<&Product> {
        self.items.iter().find(|product| &product.id == id)
    }

    /// Prices `cart` with these products.
    pub fn price(&self, cart: &StoredCart) -> Result<PricedCart, CartError> {
        let currency = self
            .items
            .first()
            .map_or_else(Currency::usd, |product| product.price.currency.clone());
        let mut total = Money::zero(currency);
        let mut item_count = 0;
        let mut items = Vec::with_capacity(cart.items.len());
        for item in &cart.items {
            let priced = match self.get(&item.product_id) {
                Some(product) => {
                    let line_total = product.price.times(item.quantity)?;
                    total = total.plus(&line_total)?;
                    item_count += item.quantity;
                    PricedItem {
                        product_id: item.product_id.clone(),
                        sku: Some(product.sku.clone()),
                        name: Some(product.name.clone()),
                        unit_price: Some(product.price.clone()),
                        quantity: item.quantity,
                        line_total: Some(line_total),
                        image_url: Some(product.image_url.clone()),
                        available: true,
                    }
                }
                None => PricedItem {
                    product_id: item.product_id.clone(),
                    sku: None,
                    name: None,
                    unit_price: None,
                    quantity: item.quantity,
                    line_total: None,
                    image_url: None,
                    available: false,
                },
            };
            items.push(priced);
        }
        Ok(PricedCart {
            items,
            total,
            item_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Quantity;

    fn product(cents: i64) -> Product {
        Product {
            id: ProductId::new(),
            sku: "SKU".into(),
            name: "Thing".into(),
            price: Money::new(cents, Currency::usd()).unwrap(),
            image_url: "/api/v1/images/x.svg".into(),
        }
    }

    #[test]
    fn prices_available_lines_and_skips_vanished_ones() {
        let (a, b) = (product(250), product(1000));
        let gone = ProductId::new();
        let mut cart = StoredCart::default();
        let now = "2026-11-24T00:00:00.000Z";
        cart.set(&a.id, Quantity::try_from(2).unwrap(), now)
            .unwrap();
        cart.set(&gone, Quantity::try_from(7).unwrap(), now)
            .unwrap();
        cart.set(&b.id, Quantity::try_from(1).unwrap(), now)
            .unwrap();
        let priced = Products { items: vec![b, a] }.price(&cart).unwrap();
        assert_eq!(priced.total.amount, 1500);
        assert_eq!(priced.item_count, 3);
        assert_eq!(priced.items[0].line_total.as_ref().unwrap().amount, 500);
        assert!(!priced.items[1].available);
        assert!(priced.items[1].unit_price.is_none());
        assert!(priced.items[2].available);
    }
}
