//! A cart as the customer sees it: every price, name and picture from the catalog, now.

use serde::{Deserialize, Serialize};
use service_kit::context::RequestContext;
use service_kit::http::{call_json, CallError};
use service_kit::ids::ProductId;
use service_kit::money::{Currency, Money};
use spin_sdk::http::Method;

use crate::store::StoredCart;

const CATALOG: &str = "http://catalog.spin.internal";

/// What catalog tells about a product (the fields the cart shows).
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogProduct {
    pub id: ProductId,
    pub sku: String,
    pub name: String,
    pub price: Money,
    pub stock: i64,
    pub image_url: String,
}

#[derive(Deserialize)]
struct Lookup {
    items: Vec<CatalogProduct>,
}

/// One priced line. A product the catalog no longer has is `available: false`, unpriced.
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
    pub in_stock: bool,
}

/// The priced cart.
#[derive(Debug, Serialize)]
pub struct PricedCart {
    pub items: Vec<PricedItem>,
    pub total: Money,
    pub item_count: u32,
    pub updated_at: Option<String>,
}

/// The product `id` from the catalog, if it exists.
pub fn product(
    context: &RequestContext,
    id: &ProductId,
) -> Result<Option<CatalogProduct>, CallError> {
    call_json(
        context,
        Method::Get,
        CATALOG,
        &format!("/products/{id}"),
        None,
    )
}

/// Prices `cart` with the catalog's current data.
pub fn price(context: &RequestContext, cart: &StoredCart) -> Result<PricedCart, CallError> {
    let products = if cart.items.is_empty() {
        Vec::new()
    } else {
        let ids: Vec<&ProductId> = cart.items.iter().map(|i| &i.product_id).collect();
        let body = serde_json::json!({ "ids": ids });
        call_json::<Lookup>(
            context,
            Method::Post,
            CATALOG,
            "/products/lookup",
            Some(&body),
        )?
        .map(|lookup| lookup.items)
        .unwrap_or_default()
    };
    let mut total = Money::zero(Currency::usd());
    let mut item_count = 0;
    let items = cart
        .items
        .iter()
        .map(
            |item| match products.iter().find(|p| p.id == item.product_id) {
                Some(product) => {
                    let line_total = product.price.times(item.quantity).ok();
                    if let Some(sum) = line_total.as_ref().and_then(|line| total.plus(line).ok()) {
                        total = sum;
                        item_count += item.quantity;
                    }
                    PricedItem {
                        product_id: item.product_id.clone(),
                        sku: Some(product.sku.clone()),
                        name: Some(product.name.clone()),
                        unit_price: Some(product.price.clone()),
                        quantity: item.quantity,
                        line_total,
                        image_url: Some(product.image_url.clone()),
                        available: true,
                        in_stock: product.stock >= i64::from(item.quantity),
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
                    in_stock: false,
                },
            },
        )
        .collect();
    Ok(PricedCart {
        items,
        total,
        item_count,
        updated_at: (!cart.items.is_empty()).then(|| cart.updated_at.clone()),
    })
}
